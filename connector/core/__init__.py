"""The core: values and plumbing every other package may use, and that use nothing of the connector.

Owns the domain's value types (`domain`), euro amounts (`money`), the error types and exit codes
(`errors`), the one content hash (`hashing`), the configuration file and its secrets (`config`
reads it, `config_sections` its tables, `endpoints` the URL/listen/ledger address checks, `cron`
the schedules' crontab lines, `secrets`, `tomlsource` for reading TOML and file:line:key in
messages), logging with redaction (`logging`), the process's TLS context (`tls`), the crash-test
failpoints (`failpoints`) and the reasons the lower layers word for people (`reasons`: rendered
in English, shown in the configured language by `connector/texts/i18n.py`).

May import: the standard library and third-party packages only — never another package of the
connector (enforced by tests/test_layers.py).
"""
