"""A faithful local Spotilla (API v3 as assumed in ``docs/spotilla.md``), as a WSGI app.

The instance is the WSGI callable: plug it into ``httpx.WSGITransport(app=sandbox)`` or serve it on
loopback with :func:`connector.sandbox.server.serve`. Routes live under ``/api`` (``/api/v3/...``).

Admin (no auth, JSON) under ``/api/_sandbox/``: ``POST/PUT/DELETE tasks[/<id>]``,
``collections[/<id>]``, ``customers[/<id>]``, ``products[/<id>]`` to rehearse corrections while it
runs; ``POST faults`` ``{kind: latency|429|5xx|truncated_json|401_after|endless_paging, times?,
seconds?, retry_after?, after?}`` and ``DELETE faults``; ``GET state`` (counts). The same as
Python methods. ``endless_paging`` lasts until cleared: every list answer says ``next_page`` is
the page after it (with the true ``total``), and pages past the end repeat the last page's records.

Hostile input: an object ``{"$raw": "<JSON text>"}`` anywhere inside a record is served as that
text verbatim, so a fixture can hold what ``json.dumps`` cannot write (``1E+999999``, an array
nested 100 000 deep).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from connector.core.domain import HELSINKI, Period
from connector.sandbox import spotilla_data
from connector.sandbox.kernel import FaultBook, read_body, status_line

PREFIX = "/api"
KINDS = ("customers", "collections", "products", "tasks")
FAULT_KINDS = ("latency", "429", "5xx", "truncated_json", "401_after", "endless_paging")
#: ``{"$raw": "<JSON text>"}`` as json.dumps writes it: served as the text itself.
_RAW = re.compile(r'\{"\$raw": ("(?:[^"\\]|\\.)*")\}')


def _encode(body: Any) -> bytes:
    """``body`` as JSON, with every ``{"$raw": text}`` object replaced by ``text`` verbatim."""
    text = json.dumps(body)
    if '"$raw"' in text:
        text = _RAW.sub(lambda m: json.loads(m.group(1)), text)
    return text.encode()


@dataclass
class Fault:
    """An injected fault: applies to the next ``times`` API requests (``None`` = until cleared)."""

    kind: str
    times: int | None = 1
    seconds: float = 0.0  # latency
    retry_after: float | None = 1.0  # 429
    after: int = 0  # 401_after: requests still answered before the tokens expire


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.status, self.body, self.headers = status, body, list(headers)


def _error(status: int, code: str, message: str, **headers: str) -> _Answer:
    return _Answer(status, {"error": code, "message": message}, headers.items())


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)


class SpotillaSandbox:
    """Spotilla v3 stand-in holding its records in memory (thread-safe)."""

    def __init__(
        self,
        data: dict[str, list[dict[str, Any]]] | None = None,
        *,
        credentials: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        data = data or {}
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, dict[str, Any]]] = {
            kind: {str(r["id"]): copy.deepcopy(r) for r in data.get(kind, [])} for kind in KINDS
        }
        self.credentials: dict[str, str] = credentials or {
            "token": "sandbox-spotilla-token-0001",
            "user_id": "1001",
            "subdomain": "psop-demo",
            "username": "demo@example.invalid",
            "password": "sandbox-password",
        }
        self._tokens = {self.credentials["token"]}
        self._faults: FaultBook[Fault] = FaultBook(FAULT_KINDS)
        self._sleep = sleep
        self._version = 0
        self._filtered: dict[tuple[Any, ...], list[str]] = {}
        self.requests_served = 0  # API requests (not admin), for tests
        self.logins = 0

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def generated(
        cls,
        seed: int = 1,
        *,
        customers: int = 6,
        depth: int = 3,
        leaves: int = 20,
        tasks_per_leaf_per_month: int = 5,
        months: Sequence[Period] | None = None,
        bad_records: bool = True,
        **kw: Any,
    ) -> SpotillaSandbox:
        """A sandbox with seeded generated data (see :mod:`connector.sandbox.spotilla_data`).

        ``today`` (a date) may be passed in ``kw``; other ``kw`` go to the constructor.
        """
        today = kw.pop("today", None)
        data = spotilla_data.generate(
            seed,
            customers=customers,
            depth=depth,
            leaves=leaves,
            tasks_per_leaf_per_month=tasks_per_leaf_per_month,
            months=months,
            bad_records=bad_records,
            today=today,
        )
        return cls(data, **kw)

    @classmethod
    def from_fixture(cls, path: str | Path, **kw: Any) -> SpotillaSandbox:
        """A sandbox serving a JSON fixture ``{customers, collections, products, tasks}``."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a Spotilla fixture is a JSON object of lists")
        return cls(data, **kw)

    def to_fixture(self, path: str | Path) -> None:
        """Write the current records as a fixture file."""
        Path(path).write_text(
            json.dumps(self.snapshot(), ensure_ascii=False, indent=1), encoding="utf-8"
        )

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """A deep copy of every record, by kind."""
        with self._lock:
            return {kind: copy.deepcopy(list(self._records[kind].values())) for kind in KINDS}

    # --- admin (Python) ----------------------------------------------------------------------
    def _now(self) -> str:
        return datetime.now(tz=HELSINKI).isoformat(timespec="seconds")

    def _put(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            record = copy.deepcopy(record)
            if not record.get("id"):
                prefix = {"tasks": "T", "collections": "F", "customers": "C", "products": "PR"}[
                    kind
                ]
                n = len(self._records[kind]) + 1
                while f"{prefix}{n:05d}" in self._records[kind]:
                    n += 1
                record["id"] = f"{prefix}{n:05d}"
            record.setdefault("updated_at", self._now())
            self._records[kind][str(record["id"])] = record
            self._version += 1
            return copy.deepcopy(record)

    def _update(self, kind: str, record_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if record_id not in self._records[kind]:
                raise KeyError(record_id)
            # copy-on-write: pages being served keep the record they already hold
            record = {**self._records[kind][record_id]}
            record.update(copy.deepcopy({k: v for k, v in changes.items() if k != "id"}))
            self._records[kind][record_id] = record
            if "updated_at" not in changes:
                record["updated_at"] = self._now()
            self._version += 1
            return copy.deepcopy(record)

    def _delete(self, kind: str, record_id: str) -> None:
        with self._lock:
            if self._records[kind].pop(record_id, None) is None:
                raise KeyError(record_id)
            self._version += 1

    def add_task(self, task: dict[str, Any]) -> dict[str, Any]:
        """Add a task (API shape; an id is given if missing)."""
        return self._put("tasks", task)

    def update_task(self, task_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change fields of a task; ``updated_at`` moves to now unless given."""
        return self._update("tasks", task_id, changes)

    def delete_task(self, task_id: str) -> None:
        self._delete("tasks", task_id)

    def add_collection(self, folder: dict[str, Any]) -> dict[str, Any]:
        return self._put("collections", folder)

    def update_collection(self, folder_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._update("collections", folder_id, changes)

    def delete_collection(self, folder_id: str) -> None:
        self._delete("collections", folder_id)

    def add_customer(self, customer: dict[str, Any]) -> dict[str, Any]:
        return self._put("customers", customer)

    def update_customer(self, customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._update("customers", customer_id, changes)

    def add_product(self, product: dict[str, Any]) -> dict[str, Any]:
        return self._put("products", product)

    def get(self, kind: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._records[kind].get(record_id)
            return copy.deepcopy(record) if record else None

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._records[kind])

    def inject(
        self,
        kind: str,
        *,
        times: int | None = 1,
        seconds: float = 0.0,
        retry_after: float | None = 1.0,
        after: int = 0,
    ) -> Fault:
        """Inject a fault for the next ``times`` API requests (``401_after``: after ``after``)."""
        self._faults.check_kind(kind)
        return self._faults.add(Fault(kind, times, float(seconds), retry_after, int(after)))

    def clear_faults(self) -> None:
        self._faults.clear()

    # --- WSGI --------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        truncate = False
        try:
            path = environ.get("PATH_INFO", "") or "/"
            if not path.startswith(PREFIX + "/"):
                raise _error(404, "not_found", "no such resource")
            path = path[len(PREFIX) :]
            method = environ.get("REQUEST_METHOD", "GET").upper()
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            if path.startswith("/_sandbox/"):
                status, body = self._admin(method, path[len("/_sandbox/") :], environ)
                raise _Answer(status, body)
            truncate = self._apply_faults(environ)
            raise _Answer(200, self._api(method, path, query, environ))
        except _Answer as answer:
            payload = b"" if answer.status == 204 else _encode(answer.body)
            if truncate and answer.status == 200:
                payload = payload[: max(1, len(payload) // 2)]
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
            start_response(status_line(answer.status), headers + answer.headers)
            return [payload]

    def _apply_faults(self, environ: dict[str, Any]) -> bool:
        """Count the request and play injected faults; True = cut the answer's body short."""
        truncate = False
        delay = 0.0
        with self._lock:
            self.requests_served += 1
        with self._faults.held() as faults:
            for fault in list(faults):
                if fault.kind == "endless_paging":
                    continue  # lasts until cleared; read by _list
                if fault.kind == "401_after":
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    with self._lock:
                        self._tokens.clear()  # every issued token expires; a login issues anew
                    faults.remove(fault)
                    continue
                self._faults.spend(fault)
                if fault.kind == "latency":
                    delay += fault.seconds
                elif fault.kind == "429":
                    headers = (
                        {"Retry-After": f"{fault.retry_after:g}"}
                        if fault.retry_after is not None
                        else {}
                    )
                    raise _error(429, "rate_limited", "too many requests", **headers)
                elif fault.kind == "5xx":
                    raise _error(503, "unavailable", "service temporarily unavailable")
                elif fault.kind == "truncated_json":
                    truncate = True
        if delay:
            self._sleep(delay)
        return truncate

    def _authenticate(self, environ: dict[str, Any]) -> None:
        token = environ.get("HTTP_X_USER_TOKEN")
        user = environ.get("HTTP_X_USER_ID")
        sub = environ.get("HTTP_X_USER_SUBDOMAIN")
        with self._lock:
            ok = token in self._tokens
        if not ok or user != self.credentials["user_id"] or sub != self.credentials["subdomain"]:
            raise _error(401, "unauthorized", "bad or expired token")

    def _body(self, environ: dict[str, Any]) -> Any:
        raw = read_body(environ)
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise _error(400, "bad_json", "the body is not JSON") from None

    def _api(self, method: str, path: str, query: dict[str, str], environ: dict[str, Any]) -> Any:
        if path == "/v3/login":
            if method != "POST":
                raise _error(405, "method_not_allowed", "use POST")
            body = self._body(environ)
            c = self.credentials
            if not isinstance(body, dict) or (
                body.get("username"),
                body.get("password"),
                body.get("subdomain"),
            ) != (c["username"], c["password"], c["subdomain"]):
                raise _error(401, "invalid_credentials", "login failed")
            token = f"sandbox-login-{secrets.token_hex(8)}"
            with self._lock:
                self._tokens.add(token)
                self.logins += 1
            return {"token": token, "user_id": c["user_id"]}
        kind = path.removeprefix("/v3/")
        if kind not in KINDS:
            raise _error(404, "not_found", "no such resource")
        if method != "GET":
            raise _error(405, "method_not_allowed", "read-only API")
        self._authenticate(environ)
        return self._list(kind, query)

    def _list(self, kind: str, query: dict[str, str]) -> Any:
        try:
            page = max(1, int(query.get("page", "1")))
            per_page = min(1000, max(1, int(query.get("per_page", "100"))))
        except ValueError:
            raise _error(400, "bad_request", "page and per_page are integers") from None
        with self._lock:
            ids = self._matching(kind, query)
            total = len(ids)
            endless = any(f.kind == "endless_paging" for f in self._faults.snapshot())
            start = (page - 1) * per_page
            if endless and start >= total:  # past the end: the last page again
                start = max(0, (total - 1) // per_page * per_page)
            chunk = ids[start : start + per_page]
            data = [self._records[kind][i] for i in chunk]  # records are never mutated in place
        next_page = page + 1 if page * per_page < total or endless else None
        return {
            "data": data,
            "meta": {"page": page, "per_page": per_page, "total": total, "next_page": next_page},
        }

    def _matching(self, kind: str, query: dict[str, str]) -> list[str]:
        """Ids matching the filters (cached per data version, so paging is cheap)."""
        try:
            lo = date.fromisoformat(query["completed_from"]) if "completed_from" in query else None
            hi = date.fromisoformat(query["completed_to"]) if "completed_to" in query else None
        except ValueError:
            raise _error(400, "bad_request", "completed_from/completed_to are YYYY-MM-DD") from None
        since = _parse_moment(query["updated_since"]) if "updated_since" in query else None
        if "updated_since" in query and since is None:
            raise _error(400, "bad_request", "updated_since is an ISO 8601 time")
        key = (kind, lo, hi, since, self._version)
        cached = self._filtered.get(key)
        if cached is not None:
            return cached
        ids: list[str] = []
        for rid, record in self._records[kind].items():
            if since is not None:
                updated = _parse_moment(str(record.get("updated_at") or ""))
                if updated is None or updated < since:
                    continue
            if kind == "tasks" and (lo or hi):
                # a completed time is read on the Helsinki calendar; a done task without one
                # is matched by its updated_at so the client gets to see (and quarantine) it
                moment = _parse_moment(str(record.get("completed_at") or ""))
                if moment is None:
                    if record.get("status") not in ("completed", "approved"):
                        continue
                    moment = _parse_moment(str(record.get("updated_at") or ""))
                    if moment is None:
                        continue
                day = moment.astimezone(HELSINKI).date()
                if (lo and day < lo) or (hi and day > hi):
                    continue
            ids.append(rid)
        if len(self._filtered) > 32:
            self._filtered.clear()
        self._filtered[key] = ids
        return ids

    def _admin(self, method: str, rest: str, environ: dict[str, Any]) -> tuple[int, Any]:
        parts = [p for p in rest.split("/") if p]
        if parts == ["state"] and method == "GET":
            with self._lock:
                return 200, {
                    "counts": {k: len(self._records[k]) for k in KINDS},
                    "faults": [f.__dict__ for f in self._faults.snapshot()],
                    "requests_served": self.requests_served,
                }
        if parts and parts[0] == "faults" and len(parts) == 1:
            if method == "DELETE":
                self.clear_faults()
                return 204, None
            if method == "POST":
                body = self._body(environ)
                if not isinstance(body, dict) or body.get("kind") not in FAULT_KINDS:
                    raise _error(400, "bad_fault", f"kind is one of {', '.join(FAULT_KINDS)}")
                try:
                    fault = self.inject(
                        str(body["kind"]),
                        times=body.get("times", 1),
                        seconds=float(body.get("seconds", 0.0)),
                        retry_after=body.get("retry_after", 1.0),
                        after=int(body.get("after", 0)),
                    )
                except (TypeError, ValueError) as exc:
                    raise _error(400, "bad_fault", str(exc)) from None
                return 201, fault.__dict__
        if parts and parts[0] in KINDS and len(parts) <= 2:
            kind = parts[0]
            try:
                if len(parts) == 1 and method == "POST":
                    body = self._body(environ)
                    if not isinstance(body, dict):
                        raise _error(400, "bad_record", "a record is a JSON object")
                    return 201, self._put(kind, body)
                if len(parts) == 1 and method == "GET":
                    return 200, self.snapshot()[kind]
                if len(parts) == 2 and method in ("PUT", "PATCH"):
                    body = self._body(environ)
                    if not isinstance(body, dict):
                        raise _error(400, "bad_record", "changes are a JSON object")
                    return 200, self._update(kind, parts[1], body)
                if len(parts) == 2 and method == "DELETE":
                    self._delete(kind, parts[1])
                    return 204, None
                if len(parts) == 2 and method == "GET":
                    record = self.get(kind, parts[1])
                    if record is None:
                        raise KeyError(parts[1])
                    return 200, record
            except KeyError:
                raise _error(404, "not_found", f"no {kind} record {parts[-1]}") from None
        raise _error(404, "not_found", "no such admin resource")
