"""The console's login and logout routes.

Owns ``GET/POST /login`` and ``POST /logout``: the login form's token bound to a pre-login
cookie (CSRF before a session exists), the failed-login limit per address and per name
(``LoginLimiter``, 429), the session cookie (HttpOnly, SameSite=Strict, Secure behind TLS) and
the same-site path a login goes on to. Mixed into :class:`connector.console.web.Console`.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from connector.console.common import LOGIN_COOKIE, SESSION_COOKIE, local_path
from connector.core.logging import get_logger

log = get_logger("console")


class LoginRoutes:
    """Login and logout (mixed into the console's application)."""

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
            next=local_path(next_path or request.query_params.get("next")),
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
        target = local_path(form.get("next")) or "/"
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
