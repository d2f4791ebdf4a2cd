"""`tokenledger demo`: the whole product running on one machine, with simulated services."""
