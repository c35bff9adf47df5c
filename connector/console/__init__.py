"""The local web console: month close, review queue, quarantine, documents, PSOP files, runs.

What it owns: the Starlette application (``web.py``) with its sessions, CSRF tokens and Host
check, and its route groups (``login.py``, ``decisions.py`` the review and quarantine,
``psop_pages.py``, sharing ``common.py``); the users file with scrypt-hashed passwords and roles (``users.py``); the pages'
data, read from the ledger (``views.py``); its texts, part of the i18n catalogue
(``messages.py``); its server, its own process or a
thread of the daemon (``server.py``); the Jinja2 templates and the one style
sheet and script it serves (``templates/``, ``static/``: no CDN, nothing external).

May import: everything below it (core to sync); never service or cli. The `connector console`
command lives in connector/cli/console.py. It reads and writes the ledger only through
the ledger interface (``connector.ledger``) and the PSOP loop's functions the CLI uses
(``connector.psop.loop``, ``connector.psop.report_import``: a review decision or a report
import here is exactly ``connector review approve/reject`` or ``connector psop import``). It
never talks to Netvisor or Spotilla: what it decides reaches Netvisor through the next sync.

Starlette, Jinja2 and uvicorn are imported only when the console runs (``connector check``
never loads them).
"""
