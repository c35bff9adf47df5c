"""Spotilla -> PSOP -> Netvisor invoicing connector."""

import os

__version__ = "0.1.0"

# pydantic validates clients' records here (names, identity-code checks, money). A pydantic plugin
# installed in the same environment (an observability one, say) would be handed every validation
# and could record those values, so plugins are off for the connector's process. It also spares
# each start a scan of every installed package's entry points (~10 ms of `connector check`).
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
