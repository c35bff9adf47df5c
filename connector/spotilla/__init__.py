"""Spotilla: the connector's source of customers, folders (targets), products and billable work.

- :mod:`connector.spotilla.api` — the one module holding the assumed API shape;
- :mod:`connector.spotilla.client` — HTTP transport, auth, retries, paging;
- :mod:`connector.spotilla.source` — API records -> domain records, with quarantine.

May import: core only.
"""

from connector.spotilla.client import (
    SpotillaApiError,
    SpotillaAuthError,
    SpotillaClient,
    SpotillaUnavailableError,
)

__all__ = ["SpotillaApiError", "SpotillaAuthError", "SpotillaClient", "SpotillaUnavailableError"]
