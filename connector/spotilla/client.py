"""The Spotilla HTTP layer: auth, retries with back-off, paging. The API's quirks live here.

One place decides "may I retry this?" (:meth:`SpotillaClient._request`): connect errors, timeouts,
429 (``Retry-After`` honoured, capped), 5xx and unreadable bodies (proxy pages, truncated JSON) are
retried with jittered exponential back-off within a time budget per request; a 401 gets exactly
one re-login when a password is configured; anything else is a definitive error. Every read is a
GET, so retrying is always safe.

Paging is bounded and checked (:class:`_PagingGuard`): a list read stops with a
:class:`SpotillaApiError` naming the endpoint and page when it runs past ``max_pages``, past the
last page its advertised ``total`` allows, or past ``list_time_budget`` seconds; an answer without
paging metadata or an empty page whose ``next_page`` says more follows is a contract break, never
"done". Either way the read fails as a whole (exit 3): nothing from it is billed.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from connector.core.domain import Quarantined
from connector.core.errors import ConfigError, FatalRunError, TransientError
from connector.core.logging import carry_log_context, get_logger
from connector.core.reasons import reason as worded
from connector.core.secrets import Secret
from connector.core.tls import verify_for
from connector.spotilla import api


def _log() -> Any:
    """The module's logger, fetched per use: a module-level bound logger would freeze the
    logging configuration (and miss the redaction processor) of import time."""
    return get_logger("spotilla.client")


M = TypeVar("M")

BACKOFF_BASE = 0.5  # seconds before the first retry (before jitter)
BACKOFF_MAX = 30.0  # seconds, the longest single back-off


class SpotillaAuthError(FatalRunError):
    """Spotilla refused the credentials (401 after the one permitted re-login, or a bad login)."""

    error_type = "SPOTILLA_AUTH"


class SpotillaApiError(FatalRunError):
    """A definitive API error (4xx other than 401/429, a redirect, an unreadable page shape)."""

    error_type = "SPOTILLA_API_ERROR"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class SpotillaUnavailableError(FatalRunError):
    """Retries exhausted (attempts or time budget) on transient faults: the run cannot read."""

    error_type = "SPOTILLA_UNAVAILABLE"


class _Unauthorized(Exception):
    pass


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the delta form); ``None`` when absent or not a number."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _error_code(response: httpx.Response) -> str | None:
    """The envelope's ``error`` code if the body is JSON (never the message: it may name people)."""
    try:
        body = api.ErrorBody.model_validate(response.json())
    except Exception:  # non-JSON or another shape: no code to report
        return None
    return body.error[:60] if body.error else None


class SpotillaClient:
    """A read-only client for Spotilla API v3 (``base_url`` ends in ``/api``).

    Authenticates with an integration key (``token`` + ``user_id``) or, without a token, logs in
    with ``username``/``password``. ``timeout`` is per HTTP attempt (seconds); ``time_budget`` is
    the total time (seconds, by ``clock``) one request may spend on retries; ``retry_after_cap``
    bounds a server's ``Retry-After`` (seconds). ``concurrency`` bounds how many pages of one list
    are fetched at once (1 = strictly sequential).
    """

    def __init__(
        self,
        base_url: str,
        *,
        subdomain: str,
        user_id: str | None = None,
        token: Secret | None = None,
        username: str | None = None,
        password: Secret | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        per_page: int = 100,
        concurrency: int = 4,
        time_budget: float = 300.0,
        max_pages: int = 10_000,
        list_time_budget: float = 3600.0,
        max_attempts: int = 6,
        retry_after_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if token is None and (not username or password is None):
            raise ConfigError(
                "spotilla: configure an integration key (token and user_id) or a username and password"
            )
        if token is not None and not user_id:
            raise ConfigError("spotilla: an integration key needs its user_id")
        if per_page < 1 or concurrency < 1 or max_attempts < 1 or max_pages < 1:
            raise ValueError("per_page, concurrency, max_attempts and max_pages must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.subdomain = subdomain
        self._user_id = user_id
        self._token = token
        self._username = username
        self._password = password
        self._per_page = per_page
        self._concurrency = concurrency
        self._time_budget = time_budget
        self._max_pages = max_pages
        self._list_time_budget = list_time_budget
        self._max_attempts = max_attempts
        self._retry_after_cap = retry_after_cap
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._auth_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
            follow_redirects=False,
            verify=verify_for(self.base_url),
        )

    def __repr__(self) -> str:
        return f"SpotillaClient(base_url={self.base_url!r}, subdomain={self.subdomain!r})"

    # --- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> SpotillaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public reads ------------------------------------------------------------------------
    def check_credentials(self) -> None:
        """One cheap authenticated request; raises :class:`SpotillaAuthError` if refused."""
        self._request("GET", api.PRODUCTS, params={api.PARAM_PAGE: 1, api.PARAM_PER_PAGE: 1})

    def iter_customers(
        self, updated_since: datetime | None = None
    ) -> Iterator[api.Customer | Quarantined]:
        """Billing customers (streamed; identity codes dropped at the door)."""
        params = {api.PARAM_UPDATED_SINCE: updated_since.isoformat()} if updated_since else {}
        return self._iter_records(api.Customer, api.CUSTOMERS, params)

    def iter_collections(self) -> Iterator[api.Collection | Quarantined]:
        """Every folder the credentials may see (streamed)."""
        return self._iter_records(api.Collection, api.COLLECTIONS, {})

    def iter_products(self) -> Iterator[api.Product | Quarantined]:
        """The product register (streamed)."""
        return self._iter_records(api.Product, api.PRODUCTS, {})

    def iter_tasks(
        self,
        *,
        completed_from: date,
        completed_to: date,
        updated_since: datetime | None = None,
    ) -> Iterator[api.Task | Quarantined]:
        """Tasks completed between the two dates (inclusive, as Spotilla reads them), streamed."""
        params: dict[str, Any] = {
            api.PARAM_COMPLETED_FROM: completed_from.isoformat(),
            api.PARAM_COMPLETED_TO: completed_to.isoformat(),
        }
        if updated_since is not None:
            params[api.PARAM_UPDATED_SINCE] = updated_since.isoformat()
        return self._iter_records(api.Task, api.TASKS, params)

    # --- records and pages -------------------------------------------------------------------
    def _iter_records(
        self, model: type[M], path: str, params: dict[str, Any]
    ) -> Iterator[M | Quarantined]:
        for raw in self._iter_items(path, params):
            yield api.parse_record(model, raw)

    def _get_page(self, path: str, params: dict[str, Any], page: int) -> api.Page:
        query = {**params, api.PARAM_PAGE: page, api.PARAM_PER_PAGE: self._per_page}
        body = self._request("GET", path, params=query)
        try:
            return api.parse_page(body)
        except ValueError as exc:
            raise SpotillaApiError(f"GET {path} page {page}: {exc}") from None

    def _iter_items(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        """Every item of a paged list, in order, holding at most ``concurrency`` pages at once."""
        guard = _PagingGuard(
            path, self._per_page, self._max_pages, self._list_time_budget, self._clock
        )
        page = self._get_page(path, params, 1)
        guard.check(1, page)
        yield from page.data
        current = 1
        meta = page.meta
        if (
            meta is not None
            and meta.next_page is not None
            and meta.total is not None
            and self._concurrency > 1
        ):
            last = min(guard.last_page(meta), self._max_pages)
            if meta.next_page <= last:
                nxt = yield from self._iter_prefetched(path, params, meta.next_page, last, guard)
                if nxt is None:
                    return
                meta = api.PageMeta(next_page=nxt)
                current = nxt - 1
        while meta is not None and meta.next_page is not None:
            if meta.next_page <= current:
                raise SpotillaApiError(f"GET {path}: paging does not advance past page {current}")
            current = meta.next_page
            guard.before(current)
            page = self._get_page(path, params, current)
            guard.check(current, page)
            yield from page.data
            meta = page.meta

    def _iter_prefetched(
        self, path: str, params: dict[str, Any], first: int, last: int, guard: _PagingGuard
    ) -> Iterator[Any]:
        """Pages ``first..last`` fetched ``concurrency`` at a time, yielded in order.

        Returns (as the generator's value) the page after ``last`` if the list grew meanwhile,
        else ``None``.
        """
        pool = ThreadPoolExecutor(
            max_workers=self._concurrency,
            thread_name_prefix="spotilla-page",
            initializer=carry_log_context(),
        )
        window: deque[tuple[int, Future[api.Page]]] = deque()
        following = first
        try:
            while following <= last and len(window) < self._concurrency:
                window.append((following, pool.submit(self._get_page, path, params, following)))
                following += 1
            while window:
                number, future = window.popleft()
                guard.before(number)
                page = future.result()
                guard.check(number, page)
                if following <= last:
                    window.append((following, pool.submit(self._get_page, path, params, following)))
                    following += 1
                yield from page.data
                next_page = page.meta.next_page if page.meta else None
                if next_page is None:
                    return None  # the list shrank or ended: later pages are empty
                if number == last:
                    return next_page if next_page > last else None
            return None
        finally:
            for _, future in window:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)

    # --- auth --------------------------------------------------------------------------------
    def _auth_headers(self) -> tuple[dict[str, str], Secret]:
        with self._auth_lock:
            if self._token is None:
                self._login()
            assert self._token is not None and self._user_id is not None
            token = self._token
            headers = {
                api.HEADER_TOKEN: token.reveal(),
                api.HEADER_USER_ID: self._user_id,
                api.HEADER_SUBDOMAIN: self.subdomain,
            }
        return headers, token

    def _login(self) -> None:
        """POST /v3/login with the configured user (caller holds ``_auth_lock``)."""
        assert self._username is not None and self._password is not None
        body = api.LoginRequest(
            username=self._username, password=self._password.reveal(), subdomain=self.subdomain
        )
        try:
            answer = self._request(
                "POST", api.LOGIN, json_body=body.model_dump(), authenticated=False
            )
        except _Unauthorized:
            raise SpotillaAuthError(
                worded("spotilla_login_refused", subdomain=self.subdomain)
            ) from None
        try:
            login = api.LoginResponse.model_validate(answer)
        except Exception:
            raise SpotillaApiError("POST /v3/login: the answer has no token and user_id") from None
        self._token = Secret(login.token)
        self._user_id = login.user_id
        _log().info("spotilla_login", subdomain=self.subdomain)

    def _relogin(self, stale: Secret) -> None:
        with self._auth_lock:
            if self._token == stale:  # another thread may have renewed it already
                self._token = None
                self._login()

    # --- the one request loop ----------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request with retries; return the parsed JSON body."""
        label = f"{method} {path}"
        if params and api.PARAM_PAGE in params:
            label += f" page {params[api.PARAM_PAGE]}"
        deadline = self._clock() + self._time_budget
        attempt = 0
        relogged = False
        while True:
            attempt += 1
            try:
                if authenticated:
                    headers, token = self._auth_headers()
                else:
                    headers, token = {}, None
                try:
                    response = self._http.request(
                        method, path, params=params, json=json_body, headers=headers
                    )
                except httpx.TimeoutException as exc:
                    raise TransientError(
                        f"{label}: timed out ({type(exc).__name__})", error_type="TIMEOUT"
                    ) from None
                except httpx.TransportError as exc:
                    raise TransientError(
                        f"{label}: connection failed ({type(exc).__name__})",
                        error_type="CONNECTION",
                    ) from None
                return self._interpret(label, response)
            except _Unauthorized:
                if not authenticated:
                    raise
                if self._password is not None and not relogged and token is not None:
                    relogged = True
                    _log().warning("spotilla_relogin", path=path)
                    self._relogin(token)
                    continue
                raise SpotillaAuthError(
                    worded(
                        "spotilla_relogin_refused" if relogged else "spotilla_key_refused",
                        request=f"{method} {path}",
                    )
                ) from None
            except TransientError as exc:
                delay = self._delay(attempt, exc.retry_after)
                if attempt >= self._max_attempts:
                    raise SpotillaUnavailableError(
                        worded("spotilla_gave_up", request=label, count=attempt, last=exc.message)
                    ) from exc
                if self._clock() + delay > deadline:
                    raise SpotillaUnavailableError(
                        worded(
                            "spotilla_time_budget",
                            request=label,
                            seconds=f"{self._time_budget:g}",
                            count=attempt,
                            last=exc.message,
                        )
                    ) from exc
                _log().warning(
                    "spotilla_retry",
                    path=path,
                    error_type=exc.error_type,
                    attempt=attempt,
                    delay_s=round(delay, 3),
                )
                self._sleep(delay)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt ``attempt + 1``: Retry-After (capped) or jittered back-off."""
        if retry_after is not None:
            return min(retry_after * (1.0 + 0.1 * self._rng()), self._retry_after_cap)
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._rng())

    def _interpret(self, label: str, response: httpx.Response) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return api.load_json(response.content)
            except ValueError:  # JSONDecodeError and UnicodeDecodeError: a proxy page, a cut body
                raise TransientError(
                    f"{label}: HTTP {status} with a body that is not JSON",
                    error_type="BAD_BODY",
                ) from None
        if status == 401:
            raise _Unauthorized()
        if status == 429:
            raise TransientError(
                f"{label}: HTTP 429 rate limited",
                error_type="RATE_LIMITED",
                retry_after=_retry_after(response),
            )
        if status >= 500 or status == 408:
            raise TransientError(f"{label}: HTTP {status}", error_type=f"HTTP_{status}")
        code = _error_code(response)
        raise SpotillaApiError(
            f"{label}: HTTP {status}" + (f" ({code})" if code else ""),
            status=status,
            code=code,
        )


class _PagingGuard:
    """The bounds and contract checks of one list read (see the module docstring)."""

    def __init__(
        self,
        path: str,
        per_page: int,
        max_pages: int,
        time_budget: float,
        clock: Callable[[], float],
    ) -> None:
        self.path = path
        self.per_page = per_page
        self.max_pages = max_pages
        self.time_budget = time_budget
        self.clock = clock
        self.deadline = clock() + time_budget

    def last_page(self, meta: api.PageMeta) -> int:
        """The last page the advertised ``total`` allows (a huge number when none is given)."""
        if meta.total is None:
            return 2**62
        return max(1, math.ceil(meta.total / (meta.per_page or self.per_page)))

    def before(self, page: int) -> None:
        """Refuse to ask for ``page`` past the ceiling or the time budget."""
        if page > self.max_pages:
            raise SpotillaApiError(
                f"GET {self.path} page {page}: more than {self.max_pages} pages "
                "(spotilla.max_pages); Spotilla's paging does not end"
            )
        if self.clock() > self.deadline:
            raise SpotillaApiError(
                f"GET {self.path} page {page}: reading the list took longer than "
                f"{self.time_budget:g} s (spotilla.list_time_budget)"
            )

    def check(self, number: int, page: api.Page) -> None:
        """Refuse a page that breaks the paging contract."""
        meta = page.meta
        if meta is None or meta.next_page is None:
            return
        where = f"GET {self.path} page {number}"
        if not page.data:
            raise SpotillaApiError(
                f"{where}: the page is empty but next_page says page {meta.next_page} follows "
                "(a contract break: the rest of the list may be missing)"
            )
        if meta.next_page > self.last_page(meta):
            raise SpotillaApiError(
                f"{where}: next_page {meta.next_page} is beyond the advertised total "
                f"{meta.total} (last page {self.last_page(meta)})"
            )
