"""The console's Starlette application: login, sessions, CSRF, the Host check, the pages.

Security, in the order a request meets it:

1. **Host check** (DNS rebinding): the ``Host`` header must name the listen address, a loopback
   name on its port, or a configured ``allowed_hosts`` name; anything else is 400.
2. **Session**: every page but ``/login`` and ``/static`` needs one; without it a GET is sent to
   the login page and a POST is refused (403). The cookie is HttpOnly, SameSite=Strict, Secure
   behind TLS; a session idle for ``idle_minutes`` ends. Sessions live in this process only.
3. **CSRF**: every state-changing request is a POST carrying the session's token (the login form
   a token bound to a pre-login cookie); a missing or wrong token is 403.
4. **Role**: only a ``decider`` may decide, mark for checking again or import (403 otherwise).
5. **Rate limit**: after 5 failed logins in 15 minutes from one address or for one name, login
   is refused (429) until the window has passed.

Every response carries a strict Content-Security-Policy (only this package's style sheet and
script), ``X-Frame-Options: DENY``, ``nosniff``, ``no-store``. Logs carry no user or client
names: the audit in the ledger says who decided what.

This module holds the application (:class:`Console`: its route table, the session, CSRF and
role checks every page and action passes, the month close, runs, document and task pages); the
other route groups are mixed in from ``login.py``, ``decisions.py`` (review, quarantine) and
``psop_pages.py``, over what they share in ``common.py``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from connector.console import (
    messages,  # noqa: F401  (joins the i18n catalogue)
    views,
)
from connector.console.common import SESSION_COOKIE, Company, PageMissing, Session, period_param
from connector.console.decisions import DecisionRoutes
from connector.console.login import LoginRoutes
from connector.console.psop_pages import PsopRoutes
from connector.console.users import User, UsersFile
from connector.core.logging import get_logger
from connector.texts.i18n import Texts, texts

log = get_logger("console")
HERE = Path(__file__).resolve().parent
MAX_UPLOAD = 20 * 1024 * 1024
LOGIN_WINDOW = 15 * 60.0
LOGIN_FAILURES = 5
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# a run's report is one self-contained file with its own inline style and no script
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


@dataclass
class Settings:
    users: UsersFile
    hosts: frozenset[str]  # accepted Host header values, lower case (host or host:port)
    secure_cookies: bool = False
    idle_seconds: float = 30 * 60
    language: str = "fi"
    today: Callable[[], date] = field(default=lambda: _helsinki_today())
    clock: Callable[[], float] = time.monotonic


def _helsinki_today() -> date:
    from connector.sync.context import helsinki_today

    return helsinki_today()


def accepted_hosts(host: str, port: int, extra: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    """The Host values a browser sends for ``host:port``: that, and loopback names when local."""
    names = {host.lower(), *(h.lower() for h in extra)}
    if host in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::"):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    out = set()
    for name in names:
        shown = f"[{name}]" if ":" in name and not name.startswith("[") else name
        out |= {shown, f"{shown}:{port}"}
    return frozenset(out)


# ------------------------------------------------------------------ sessions, limits


class Sessions:
    def __init__(self, idle_seconds: float, clock: Callable[[], float]) -> None:
        self.idle, self.clock = idle_seconds, clock
        self._by_token: dict[str, Session] = {}

    def create(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(user, secrets.token_urlsafe(32), self.clock())
        return token

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self.clock()
        for old in [t for t, s in self._by_token.items() if now - s.last_seen > self.idle]:
            del self._by_token[old]
        found = self._by_token.get(token)
        if found is not None:
            found.last_seen = now
        return found

    def end(self, token: str | None) -> None:
        self._by_token.pop(token or "", None)


class LoginLimiter:
    """Failed logins per address and per name in a sliding window."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q, now = self._failures[key], self.clock()
        while q and now - q[0] > LOGIN_WINDOW:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= LOGIN_FAILURES for k in keys)

    def failed(self, *keys: str) -> None:
        if len(self._failures) > 10_000:  # a flood of names: forget the quiet ones
            for stale in [k for k in list(self._failures) if not self._recent(k)]:
                del self._failures[stale]
        for key in keys:
            self._recent(key).append(self.clock())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


# ------------------------------------------------------------------ middleware


class Guard:
    """The Host check and the security headers, around every request (static files too)."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value.decode("latin-1").strip().lower()
        if host not in self.hosts:
            log.warning("console_bad_host")
            await PlainTextResponse("Bad Host header", status_code=400)(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {k.lower() for k, _ in headers}
                for key, value in (
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ):
                    if key not in present:
                        headers.append((key, value))
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ------------------------------------------------------------------ the application


class Console(LoginRoutes, DecisionRoutes, PsopRoutes):
    """The routes over a list of companies; ``app`` is the ASGI application."""

    def __init__(self, companies: list[Company], settings: Settings) -> None:
        if not companies:
            raise ValueError("the console needs at least one company")
        self.companies = {c.name: c for c in companies}
        self.settings = settings
        self.t: Texts = texts(settings.language)
        self.sessions = Sessions(settings.idle_seconds, settings.clock)
        self.limiter = LoginLimiter(settings.clock)
        self.jinja = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        t = self.t
        from connector.texts.i18n import MESSAGES

        self.jinja.globals.update(
            t=t, maybe=lambda key, other: t(key) if key in MESSAGES else other
        )
        self.jinja.filters.update(
            money=lambda v: "" if v is None else t.money(v),
            qty=lambda v: "" if v is None else t.quantity(v),
            day=lambda v: (
                ""
                if not v
                else t.date(v if isinstance(v, date) else date.fromisoformat(str(v)[:10]))
            ),
            moment=lambda v: "" if not v else t.datetime(v),
        )
        routes = [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/", self.page(self.month_close), methods=["GET"]),
            Route("/review", self.page(self.review), methods=["GET"]),
            Route("/review", self.action(self.decide), methods=["POST"]),
            Route("/quarantine", self.page(self.quarantine), methods=["GET"]),
            Route("/quarantine/retry", self.action(self.retry), methods=["POST"]),
            Route("/runs", self.page(self.runs), methods=["GET"]),
            Route("/runs/{run_id:int}", self.page(self.run_report), methods=["GET"]),
            Route("/document/{key:path}", self.page(self.document), methods=["GET"]),
            Route("/task/{task:path}", self.page(self.task), methods=["GET"]),
            Route("/psop", self.page(self.psop), methods=["GET"]),
            Route("/psop/export", self.page(self.psop_export), methods=["GET"]),
            Route("/psop/import", self.action(self.psop_import), methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        self.app = Guard(Starlette(routes=routes), settings.hosts)

    # -- plumbing ----------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def company(self, request: Request) -> Company | None:
        if len(self.companies) == 1:
            return next(iter(self.companies.values()))
        return self.companies.get(request.query_params.get("c", ""))

    def url(self, company: Company | None, path: str, **params: Any) -> str:
        if company is not None and len(self.companies) > 1:
            params = {"c": company.name, **params}
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{path}?{query}" if query else path

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None,
        company: Company | None = None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        flash, fleet = [], len(self.companies) > 1
        if session is not None:
            flash, session.flash = session.flash, []

        def url(path: str, **params: Any) -> str:
            return self.url(company, path, **params)

        def link(name: str, path: str, **params: Any) -> str:
            return self.url(self.companies.get(name), path, **params)

        html = self.jinja.get_template(template).render(
            link=link,
            session=session,
            user=session.user if session else None,
            company=company,
            fleet=fleet,
            flash=flash,
            url=url,
            path=request.url.path,
            lang=self.t.language,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def page(self, handler: Callable[..., Any]) -> Callable[[Request], Any]:
        """A page behind the login: no session -> the login page."""

        async def endpoint(request: Request) -> Response:
            session = self.session(request)
            if session is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
            company = self.company(request)
            if company is None and handler.__name__ != "month_close":
                return RedirectResponse("/", status_code=303)
            try:
                return await handler(request, session, company)
            except PageMissing:
                return self.render(request, "missing.html", session, company, status=404)

        return endpoint

    def action(self, handler: Callable[..., Any]) -> Callable[[Request], Any]:
        """A state-changing POST: session, CSRF token and the deciding role, or 403."""

        async def endpoint(request: Request) -> Response:
            session = self.session(request)
            if session is None:  # refused before the body is read
                log.warning("console_refused", reason="no_session", path=request.url.path)
                return PlainTextResponse(self.t("console.refused.csrf"), status_code=403)
            length = request.headers.get("content-length", "0")
            if length.isdigit() and int(length) > MAX_UPLOAD + 65536:
                return PlainTextResponse("Too large", status_code=413)
            form = await request.form(max_part_size=MAX_UPLOAD)
            token = form.get("csrf")
            if not isinstance(token, str) or not hmac.compare_digest(token, session.csrf):
                log.warning("console_refused", reason="csrf", path=request.url.path)
                return PlainTextResponse(self.t("console.refused.csrf"), status_code=403)
            if not session.user.can_decide:
                log.warning("console_refused", reason="role", path=request.url.path)
                return PlainTextResponse(self.t("console.refused.role"), status_code=403)
            company = self.company(request)
            if company is None:
                return PlainTextResponse(self.t("console.refused.company"), status_code=400)
            try:
                return await handler(request, session, company, form)
            except PageMissing:
                return self.render(request, "missing.html", session, company, status=404)

        return endpoint

    def _ledger(self, company: Company) -> Any:
        from connector.ledger import Ledger

        path = company.config.ledger_path
        if not path.exists():
            raise PageMissing(f"no ledger at {path}")
        return Ledger(path)

    async def read(self, company: Company, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(ledger, *args)`` in a worker thread, over a ledger opened for it."""

        def work() -> Any:
            with self._ledger(company) as ledger:
                return fn(ledger, *args)

        return await run_in_threadpool(work)

    # -- pages -------------------------------------------------------------------------------

    async def month_close(
        self, request: Request, session: Session, company: Company | None
    ) -> Response:
        today = self.settings.today()
        if company is None:  # a fleet: one row per company, worst first
            rows = await run_in_threadpool(self._fleet_rows, today)
            return self.render(request, "fleet.html", session, None, rows=rows)
        period = period_param(request.query_params.get("period"))
        close = await self.read(company, views.month_close, company.config, today, period)
        return self.render(request, "month.html", session, company, close=close, today=today)

    def _fleet_rows(self, today: date) -> list[views.FleetRow]:
        from connector.ledger import Ledger

        rows = []
        for company in self.companies.values():
            try:
                from connector.ledger import ledger_exists

                if not ledger_exists(company.config.ledger_path):
                    rows.append(views.FleetRow(company.name, None, "no_ledger"))
                    continue
                with Ledger(company.config.ledger_path) as ledger:
                    close = views.month_close(ledger, company.config, today)
                rows.append(views.FleetRow(company.name, close))
            except Exception as exc:  # one failing company never hides the others
                log.warning("console_company_failed", error_type=type(exc).__name__)
                rows.append(views.FleetRow(company.name, None, type(exc).__name__))
        return sorted(rows, key=lambda r: (-r.severity, r.name))

    async def runs(self, request: Request, session: Session, company: Company) -> Response:
        data = await self.read(company, views.runs_view)
        return self.render(request, "runs.html", session, company, data=data)

    async def run_report(self, request: Request, session: Session, company: Company) -> Response:
        from connector.texts.report_data import ReportData
        from connector.texts.run_report import render_html

        run_id = request.path_params["run_id"]
        found = await self.read(company, lambda ledger: ledger.report(run_id))
        if found is None:
            raise PageMissing(str(run_id))
        html = render_html(ReportData.from_json(found[1]), self.t)
        return HTMLResponse(html, headers={"content-security-policy": REPORT_CSP})

    async def document(self, request: Request, session: Session, company: Company) -> Response:
        key = request.path_params["key"]
        today = self.settings.today()
        view = await self.read(company, views.document_view, company.config, key, today)
        if view is None:
            raise PageMissing(key)
        return self.render(request, "document.html", session, company, view=view)

    async def task(self, request: Request, session: Session, company: Company) -> Response:
        view = await self.read(company, views.task_view, request.path_params["task"])
        if not view.lines and not view.events:
            raise PageMissing(view.task)
        return self.render(request, "task.html", session, company, view=view)


def create_app(companies: list[Company], settings: Settings) -> ASGIApp:
    """The console's ASGI application over ``companies``."""
    return Console(companies, settings).app
