"""`mockserver compat OLD NEW`: the changes between two spec versions, breaking or safe for clients.

With consumer contracts (`--consumer FILE`), a change counts as breaking only when a consumer used what
changed; the report names the consumers each breaking change affects. The deploy gate, with no broker.
"""
