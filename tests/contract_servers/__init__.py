"""Small ASGI servers for the contract tests: one that honours the bundled API's contract, and variants
that each break it one way (see `broken.py`)."""
