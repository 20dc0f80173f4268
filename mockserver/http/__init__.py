"""HTTP primitives: routing, negotiation, headers, encoding, auth and credentials."""
