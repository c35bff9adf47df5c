from e2e.harness import ledger_engine, make_env  # noqa: F401  (the fixtures)
