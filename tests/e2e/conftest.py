from e2e.fleet_harness import make_fleet  # noqa: F401  (the fixture)
from e2e.harness import ledger_engine, make_env  # noqa: F401  (the fixtures)
