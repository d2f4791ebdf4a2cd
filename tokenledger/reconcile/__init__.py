"""`tokenledger reconcile`: fetch a provider's usage and cost reports into the collector (docs/reconciliation.md)."""
