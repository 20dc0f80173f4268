"""`mockserver serve` tooling: the served stack, admin API, CORS, reload, request log."""
