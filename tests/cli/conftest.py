from e2e.harness import make_env  # noqa: F401  (the fixture)
