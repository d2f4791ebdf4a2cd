"""tokenledger: self-hosted LLM cost observability. The command line lives in `tokenledger.cli`."""
