"""What people read: the message catalogue and its Finnish/English formats, the run report, alerts.

Owns `i18n` (Babel's formats and the fi/en catalogue every human string goes through, with the
reasons of `connector/core/reasons.py` recognised and shown in the configured language),
`run_report` (each run's HTML and CSV report) and `alerts` (telling a person once about each new
problem).

May import: core and billing (the report prints billing's documents); never the ledger, sync or
anything above.
"""
