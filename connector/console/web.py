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
"""

from __future__ import annotations

import hmac
import secrets
import tempfile
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
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from connector.console import (
    messages,  # noqa: F401  (joins the i18n catalogue)
    views,
)
from connector.console.users import User, UsersFile
from connector.core.config import Config
from connector.core.logging import get_logger
from connector.texts.i18n import Texts, texts

log = get_logger("console")
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "connector_console"
LOGIN_COOKIE = "connector_console_login"
MAX_UPLOAD = 20 * 1024 * 1024
LOGIN_WINDOW = 15 * 60.0
LOGIN_FAILURES = 5
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# a run's report is one self-contained file with its own inline style and no script
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


@dataclass(frozen=True)
class Company:
    """One company the console shows: its name (the fleet's, or the config file's) and config."""

    name: str
    config: Config


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


@dataclass
class Session:
    user: User
    csrf: str
    last_seen: float
    flash: list[tuple[str, str]] = field(default_factory=list)  # (level, text)


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


class PageMissing(LookupError):
    """What a page names is not in the ledger: 404."""


class Console:
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

    # -- login -------------------------------------------------------------------------------

    async def login_page(
        self,
        request: Request,
        *,
        error: str | None = None,
        status: int = 200,
        next_path: Any = None,
    ) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.render(
            request,
            "login.html",
            None,
            status=status,
            login_token=token,
            next=_local(next_path or request.query_params.get("next")),
            error=error,
        )
        self._cookie(response, LOGIN_COOKIE, token, max_age=3600)
        return response

    async def login(self, request: Request) -> Response:
        form = await request.form(max_part_size=16_384)
        token, cookie = form.get("csrf"), request.cookies.get(LOGIN_COOKIE)
        if not isinstance(token, str) or not cookie or not hmac.compare_digest(token, cookie):
            log.warning("console_refused", reason="login_csrf")
            return PlainTextResponse(self.t("console.refused.csrf"), status_code=403)
        name = str(form.get("name") or "").strip().lower()[:64]
        password = str(form.get("password") or "")[:1024]
        address = request.client.host if request.client else "?"
        keys = (f"ip:{address}", f"user:{name}")
        if self.limiter.blocked(*keys):
            log.warning("console_login_limited")
            return await self.login_page(
                request,
                error=self.t("console.login.limited"),
                status=429,
                next_path=form.get("next"),
            )
        user = await run_in_threadpool(self.settings.users.authenticate, name, password)
        if user is None:
            self.limiter.failed(*keys)
            log.info("console_login_failed")
            return await self.login_page(
                request,
                error=self.t("console.login.failed"),
                status=401,
                next_path=form.get("next"),
            )
        self.limiter.succeeded(f"user:{name}")
        log.info("console_login", role=user.role)
        target = _local(form.get("next")) or "/"
        response = RedirectResponse(target, status_code=303)
        self._cookie(response, SESSION_COOKIE, self.sessions.create(user))
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    async def logout(self, request: Request) -> Response:
        session = self.session(request)
        form = await request.form(max_part_size=16_384)
        token = form.get("csrf")
        if (
            session is None
            or not isinstance(token, str)
            or not hmac.compare_digest(token, session.csrf)
        ):
            return PlainTextResponse(self.t("console.refused.csrf"), status_code=403)
        self.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def _cookie(
        self, response: Response, name: str, value: str, max_age: int | None = None
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookies,
        )

    # -- pages -------------------------------------------------------------------------------

    async def month_close(
        self, request: Request, session: Session, company: Company | None
    ) -> Response:
        today = self.settings.today()
        if company is None:  # a fleet: one row per company, worst first
            rows = await run_in_threadpool(self._fleet_rows, today)
            return self.render(request, "fleet.html", session, None, rows=rows)
        period = _period(request.query_params.get("period"))
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

    async def review(self, request: Request, session: Session, company: Company) -> Response:
        from connector.psop.loop import review_entries

        period = _period(request.query_params.get("period"))

        def load(ledger: Any) -> tuple[list[Any], list[Any], list[dict[str, Any]]]:
            held = review_entries(ledger, period)
            done = views.decided(ledger, period)
            subjects = {e.item.item_id for e in held} | {d.item_id for d in done}
            return held, done, ledger.audit(subjects=subjects)

        held, done, audit = await self.read(company, load)
        return self.render(
            request,
            "review.html",
            session,
            company,
            held=held,
            decided=done,
            audit=audit,
            period=period,
        )

    async def decide(
        self, request: Request, session: Session, company: Company, form: Any
    ) -> Response:
        """``connector review approve/reject`` from a form: the same ``decide``, with the user."""
        from connector.psop.loop import decide
        from connector.psop.reconcile import APPROVE, REJECT

        act = str(form.get("act") or "")
        decision, _, one = act.partition(":")
        ids = [one] if one else [str(i) for i in form.getlist("ids")]
        note = str(form.get("note") or "").strip()[:500] or None
        back = self.url(company, "/review", period=_period(form.get("period")))
        if decision not in (APPROVE, REJECT) or not ids:
            session.flash.append(("error", self.t("console.review.nothing")))
            return RedirectResponse(back, status_code=303)
        outcome = await self.read(
            company,
            lambda ledger: decide(
                ledger,
                ids,
                decision,
                note=note,
                rejected_review=company.config.connector.rejected_review,
                decided_by=session.user.name,
            ),
        )
        log.info("console_decision", decision=decision, decided=len(outcome.decided))
        for item in outcome.decided:
            session.flash.append(
                ("ok", self.t(f"console.review.{decision.rstrip('e')}ed", item=item))
            )
        for item in outcome.already:
            session.flash.append(("warn", self.t("console.review.already", item=item)))
        for item in outcome.unknown:
            session.flash.append(("error", self.t("console.review.unknown", item=item)))
        if outcome.decided:
            session.flash.append(("ok", self.t("console.review.next_sync")))
        return RedirectResponse(back, status_code=303)

    async def quarantine(self, request: Request, session: Session, company: Company) -> Response:
        from connector.ledger import EDIT_UNCLEAR

        def load(ledger: Any) -> dict[str, Any]:
            entries = ledger.quarantine()
            rejected = ledger.objects(states=["rejected"])
            held = [
                o for o in ledger.objects(states=["unknown"]) if o.last_error_type == EDIT_UNCLEAR
            ]
            subjects = {f"quarantine:{q.id}" for q in entries} | {o.key for o in rejected}
            return {
                "entries": entries,
                "rejected": rejected,
                "held": held,
                "audit": ledger.audit(subjects=subjects),
            }

        data = await self.read(company, load)
        checks = {}
        for row in data["audit"]:
            checks.setdefault(row["subject"], row)
        return self.render(request, "quarantine.html", session, company, checks=checks, **data)

    async def retry(
        self, request: Request, session: Session, company: Company, form: Any
    ) -> Response:
        """ "Check again": a rejected object is planned again (``quarantine retry KEY``'s own
        ledger change); a quarantined record is marked, and the next sync re-checks it."""
        target = str(form.get("target") or "")
        note = str(form.get("note") or "").strip()[:500] or None

        def work(ledger: Any) -> str:
            if target.startswith("quarantine:") and target.removeprefix("quarantine:").isdigit():
                if not ledger.quarantine(ids=[int(target.removeprefix("quarantine:"))]):
                    return "unknown"
                ledger.record_audit(session.user.name, "quarantine:check", [target], note)
                return "marked"
            if target and ledger.replan_rejected([target]):
                ledger.record_audit(session.user.name, "quarantine:retry", [target], note)
                return "replanned"
            return "unknown"

        result = await self.read(company, work)
        log.info("console_retry", result=result)
        level = "error" if result == "unknown" else "ok"
        session.flash.append((level, self.t(f"console.quarantine.{result}", target=target)))
        return RedirectResponse(self.url(company, "/quarantine"), status_code=303)

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

    async def psop(self, request: Request, session: Session, company: Company) -> Response:
        from connector.psop.loop import reconciliation
        from connector.psop.organiser_status import organiser_months

        def load(ledger: Any) -> dict[str, Any]:
            periods = views.known_periods(ledger)
            period = _period(request.query_params.get("period")) or (
                periods[0] if periods else None
            )
            months = organiser_months(ledger, {period}) if period else []
            result = reconciliation(ledger, period) if period else None
            counts: dict[str, int] = {}
            for s in result.states if result else ():
                counts[s.state.value] = counts.get(s.state.value, 0) + 1
            return {
                "periods": periods,
                "period": period,
                "months": months,
                "differences": list(result.differences) if result else [],
                "state_counts": counts,
                "pending": list(result.pending_review) if result else [],
                "reports": [
                    {k: v for k, v in r.items() if k != "rows"} | {"row_count": len(r["rows"])}
                    for r in ledger.psop_reports()
                ],
                "events": len(ledger.psop_events(period)) if period else 0,
            }

        data = await self.read(company, load)
        return self.render(request, "psop.html", session, company, **data)

    async def psop_export(self, request: Request, session: Session, company: Company) -> Response:
        from connector.psop import events_csv, events_xlsx
        from connector.psop.loop import export_rows

        period = _period(request.query_params.get("period"))
        fmt = request.query_params.get("format", "csv")
        if period is None or fmt not in ("csv", "xlsx"):
            return PlainTextResponse(self.t("console.psop.bad_export"), status_code=400)
        rows = await self.read(company, export_rows, period)
        data = events_xlsx(rows) if fmt == "xlsx" else events_csv(rows)
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "text/csv; charset=utf-8"
        )
        name = f"psop-tapahtumat-{period}.{fmt}"
        return Response(
            data,
            media_type=media,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    async def psop_import(
        self, request: Request, session: Session, company: Company, form: Any
    ) -> Response:
        """``connector psop import`` from an upload: the same import, its refusals shown."""
        upload = form.get("report")
        back = self.url(company, "/psop", period=_period(form.get("period")))
        if not isinstance(upload, UploadFile) or not upload.filename:
            session.flash.append(("error", self.t("console.psop.no_file")))
            return RedirectResponse(back, status_code=303)
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            session.flash.append(("error", self.t("console.psop.bad_suffix")))
            return RedirectResponse(back, status_code=303)
        data = await upload.read()
        try:
            report_date = (
                date.fromisoformat(str(form.get("report_date") or ""))
                if form.get("report_date")
                else self.settings.today()
            )
        except ValueError:
            session.flash.append(("error", self.t("console.psop.bad_date")))
            return RedirectResponse(back, status_code=303)
        outcome, problems = await run_in_threadpool(
            self._import, company, data, suffix, report_date, session.user.name
        )
        if problems:
            session.flash.append(("error", self.t("console.psop.refused")))
            session.flash.extend(("error", p) for p in problems)
        elif outcome.already_imported:
            session.flash.append(("warn", self.t("console.psop.already")))
        else:
            session.flash.append(
                ("ok", self.t("console.psop.imported", rows=outcome.rows, states=outcome.states))
            )
            for item in outcome.approved:
                session.flash.append(("ok", self.t("console.psop.approved", item=item)))
            for item in outcome.rejected:
                session.flash.append(("warn", self.t("console.psop.rejected", item=item)))
            for conflict in outcome.conflicts:
                session.flash.append(("warn", conflict))
            if outcome.approved or outcome.rejected:
                session.flash.append(("ok", self.t("console.review.next_sync")))
        return RedirectResponse(back, status_code=303)

    def _import(
        self, company: Company, data: bytes, suffix: str, report_date: date, user: str
    ) -> tuple[Any, list[str]]:
        from connector.core.errors import ConfigError
        from connector.mapping import load_mappings
        from connector.psop import ReportError, load_report_mapping
        from connector.psop.report_import import file_sha256, import_report

        config = company.config
        try:
            mapping = load_report_mapping(config.mappings_folder)
            mappings = load_mappings(config.mappings_folder)
        except ConfigError as exc:
            return None, [str(p) for p in exc.problems]
        with tempfile.TemporaryDirectory(prefix="connector-console-") as folder:
            path = Path(folder) / f"psop-report{suffix}"
            path.write_bytes(data)
            with self._ledger(company) as ledger:
                try:
                    outcome = import_report(
                        ledger,
                        path,
                        mapping=mapping,
                        mappings=mappings,
                        report_date=report_date,
                        rejected_review=config.connector.rejected_review,
                    )
                except ReportError as exc:
                    log.info("console_import_refused", problems=len(exc.problems))
                    return None, [str(p) for p in exc.problems] or [exc.message]
                if not outcome.already_imported:
                    subject = f"psop-report:{file_sha256(path)[:16]}"
                    ledger.record_audit(user, "psop:import", [subject])
        log.info("console_import", rows=outcome.rows, already=outcome.already_imported)
        return outcome, []


def _local(target: Any) -> str | None:
    """A same-site path to go to after login; anything else (another site, ``//x``) is None."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


def _period(value: Any) -> str | None:
    from connector.core.domain import Period

    if not isinstance(value, str) or not value:
        return None
    try:
        return str(Period.parse(value))
    except ValueError:
        return None


def create_app(companies: list[Company], settings: Settings) -> ASGIApp:
    """The console's ASGI application over ``companies``."""
    return Console(companies, settings).app
