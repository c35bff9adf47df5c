"""The command line: the `connector` entry point and one module per command group.

`main` is the entry point (`connector.cli.main:run`): it builds the parser of the command being
run (`parser`; the parser class and its Finnish help in `argparsing`) and loads that command's
module lazily, so `connector check` starts fast. The command modules (`common`, `ledger`,
`export`, `plan`, `psop`, `fleet`, `console`, `tools`, `demo`, `completion`) never import
`main`; what several of them share lives in `common`.

May import: every other package (it sits on top, beside `service` and `console`).
"""
