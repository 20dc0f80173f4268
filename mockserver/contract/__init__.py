"""Contract testing: `mockserver contract` (a server, or the mock with `--self`) and `mockserver diff`.

Schemathesis runs in-process with the merged spec the mock serves, plus our own checks (auth
enforcement, domain rules, tenant isolation) fed by what the mock knows: its auth rules, its data
and its domain rules. Entry points: `mockserver.contract.session.run_contract` / `run_diff`, and
`mockserver.contract.cli.add_commands` for the command line. Kept import-light: schemathesis is
only imported when a command runs.
"""
