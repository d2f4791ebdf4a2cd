"""HTTP layer: routers, parameter parsing and response formats. Status codes are chosen here only."""
