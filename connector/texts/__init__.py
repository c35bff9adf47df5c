"""What people read: the message catalogue and its Finnish/English formats, the run report, alerts.

Owns `i18n` (Babel's formats and the fi/en catalogue every human string goes through, with the
reasons of `connector/core/reasons.py` recognised and shown in the configured language),
`report_data` (each run's report as data: built from its documents, kept as JSON in the ledger),
`run_report` (that data rendered as the HTML and CSV report) and `alerts` (telling a person once
about each new problem).

May import: core and billing (the report prints billing's documents); never the ledger, sync or
anything above.
"""
