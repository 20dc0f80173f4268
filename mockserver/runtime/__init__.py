"""The runtime: the ASGI app, its state, answer memo, latency and faults."""
