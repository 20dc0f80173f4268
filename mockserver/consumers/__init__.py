"""Consumer contracts: what each consumer of an API used, recorded by the mock from its traffic.

`mockserver serve --consumer-out DIR` (and the pytest plugin's `--mockserver-consumer-out DIR`) write one
file per consumer (`mockserver.consumers.model`); `mockserver consumer show FILE` prints one for a person.
`mockserver verify` (in `mockserver.contract`) and `mockserver compat` (in `mockserver.compat`) read them.
"""
