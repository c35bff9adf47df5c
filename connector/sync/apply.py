"""Apply: send the plan's writes to Netvisor, exactly once, one request at a time.

Exactly-once rests on three rules kept here and in ``reconcile.py``:

1. Intent first: a write's ledger row goes to ``sending`` (with the billed lines it carries) in
   a committed transaction *before* the request leaves; ``sent`` and the NetvisorKey are
   committed after the answer. No ledger transaction is ever open across an HTTP call.
2. Never resend blindly: a row left ``sending`` or ``unknown`` is looked up in Netvisor by the
   connector's own key before anything new is sent (``reconcile.py``) — a write whose answer
   was lost at once, before the next write leaves (``read_back``); after
   ``max_unknown_in_a_row`` unclear answers in a row the run stops writing.
3. A stop request is honoured between actions, never between ``sending`` and ``sent``.

The requests go out from one sender thread while the run's thread does the ledger work around
them: the intent of write N+1 is committed while request N is in flight, and the outcome of N
right after request N+1 left. Each object kind has one :class:`Writer` that knows how to create,
edit, render and adopt it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from connector import failpoints
from connector.errors import (
    AmbiguousWriteError,
    ConnectorError,
    FatalRunError,
    RecordError,
    TransientError,
)
from connector.ledger import IN_DOUBT, ObjectKind
from connector.logging import get_logger
from connector.netvisor import xml as nvxml
from connector.netvisor.client import NetvisorClient
from connector.netvisor.errors import NetvisorDuplicateData
from connector.sync.context import RunAborted, RunContext
from connector.sync.desired import DesiredObject
from connector.sync.plan import Action, ActionKind, Plan
from connector.sync.reconcile import invoice_check, read_back

log = get_logger("sync")

#: write outcomes buffered before the request audit is written to the ledger
AUDIT_BATCH = 100


# -- one writer per object kind --------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    """How one kind of object is written to Netvisor.

    ``create`` returns the new NetvisorKey (None for a match); ``find`` looks an object up by
    the connector's own code after DUPLICATE_DATA (None: this kind cannot be adopted).
    """

    create: Callable[[NetvisorClient, Any], str | None]
    edit: Callable[[NetvisorClient, str | None, Any], None]
    render: Callable[[Any], bytes]
    find: Callable[[NetvisorClient, Any], str | None] | None = None


def _found_customer(client: NetvisorClient, payload: Any) -> str | None:
    summary = client.customers_by_code([payload.code]).get(payload.code)
    return summary.netvisor_key if summary else None


def _found_product(client: NetvisorClient, payload: Any) -> str | None:
    summary = client.product_by_code(payload.code)
    return summary.netvisor_key if summary else None


def _match(client: NetvisorClient, payload: Any) -> None:
    credit_key, invoice_key = payload
    client.match_credit_note(credit_key, invoice_key)


def _cannot_edit_match(client: NetvisorClient, netvisor_key: str | None, payload: Any) -> None:
    raise ValueError("a credit-note match is never edited")


WRITERS: dict[ObjectKind, Writer] = {
    ObjectKind.CUSTOMER: Writer(
        create=lambda c, p: c.add_customer(p),
        edit=lambda c, k, p: c.edit_customer(k, p),
        render=nvxml.customer_xml,
        find=_found_customer,
    ),
    ObjectKind.PRODUCT: Writer(
        create=lambda c, p: c.add_product(p),
        edit=lambda c, k, p: c.edit_product(k, p),
        render=nvxml.product_xml,
        find=_found_product,
    ),
    ObjectKind.INVOICE: Writer(
        create=lambda c, p: c.add_sales_invoice(p),
        edit=lambda c, k, p: c.edit_sales_invoice(k, p),
        render=nvxml.sales_invoice_xml,
    ),
    ObjectKind.MATCH: Writer(
        create=_match,
        edit=_cannot_edit_match,
        render=lambda p: nvxml.match_credit_note_xml(*p),
    ),
}


def send(client: NetvisorClient, action: Action) -> str | None:
    """Send one write; returns the NetvisorKey Netvisor holds it under (None for a match)."""
    writer = WRITERS[action.obj.kind]
    if action.kind in (ActionKind.CREATE, ActionKind.MATCH):
        return writer.create(client, action.obj.payload)
    writer.edit(client, action.netvisor_key, action.obj.payload)
    return action.netvisor_key


def adopt_duplicate(client: NetvisorClient, obj: DesiredObject) -> str | None:
    """DUPLICATE_DATA on a create: the object exists — find it by our code and adopt it."""
    writer = WRITERS[obj.kind]
    if writer.find is None:
        return None
    found = writer.find(client, obj.payload)
    if found:
        writer.edit(client, found, obj.payload)
        log.info("adopted_existing", key=obj.key, netvisor_key=found)
    return found


# -- the phase -------------------------------------------------------------------------------


@dataclass
class _Progress:
    """What the apply phase tracks across writes: the keys that may not be depended on (not
    sent, rejected, in doubt) and how many writes in a row got no clear answer."""

    blocked: set[str]
    unknown_in_a_row: int = 0


def apply_plan(ctx: RunContext, client: NetvisorClient, plan: Plan) -> None:
    """Send the plan's writes, strictly one Netvisor request at a time (see the module text).

    A write whose answer was lost is read back (reconciled) before the next write leaves, so a
    lost answer does not push its dependants to the next run. After
    ``ctx.max_unknown_in_a_row`` writes in a row without a clear answer the run stops writing.

    Raises RunAborted when Netvisor refuses a request before processing it (authentication,
    service, maintenance) or keeps answering writes unclearly: the write under way is
    recorded, nothing more is sent.
    """
    report = ctx.report
    writes = plan.writes()
    run = _Progress(
        {a.obj.key for a in plan.actions if a.kind in (ActionKind.HOLD, ActionKind.RECONCILE)}
    )
    in_flight: tuple[Action, Future[str | None]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="netvisor-sender") as sender:
        try:
            for i, action in enumerate(writes, start=1):
                if ctx.stop.is_set():
                    report.stopped = True
                    log.info("stop_requested", done=i - 1, remaining=len(writes) - i + 1)
                    break
                if ctx.progress:
                    ctx.progress("apply", i, len(writes))
                if in_flight is not None and in_flight[0].obj.key in action.obj.depends_on:
                    current, in_flight = in_flight, None
                    _settle_and_read_back(ctx, client, *current, run)
                if _blocked_by(ctx, action, run):
                    continue
                _begin(ctx, action)
                previous = in_flight
                if previous is not None:
                    wait([previous[1]])
                    error = previous[1].exception()
                    if isinstance(error, FatalRunError | TransientError):
                        # the run stops: this write never leaves
                        _not_sent(ctx, action, "not sent: the run stopped")
                        in_flight = None
                        _settle(ctx, client, *previous, run)  # raises RunAborted
                    elif isinstance(error, AmbiguousWriteError):
                        # read the write in doubt back before anything else goes out
                        in_flight = None
                        try:
                            _settle_and_read_back(ctx, client, *previous, run)
                        except BaseException:
                            _not_sent(ctx, action, "not sent: the run stopped")
                            raise
                        previous = None
                        if _blocked_by(ctx, action, run, begun=True):
                            continue
                in_flight = (action, sender.submit(send, client, action))
                if previous is not None:
                    _settle_and_read_back(ctx, client, *previous, run)
            if in_flight is not None:
                current, in_flight = in_flight, None
                _settle_and_read_back(ctx, client, *current, run)
        except BaseException:
            if in_flight is not None:  # record the fate of the request still out there
                wait([in_flight[1]])
                with contextlib.suppress(RunAborted):
                    _settle(ctx, client, *in_flight, run)
            raise


def _blocked_by(ctx: RunContext, action: Action, run: _Progress, *, begun: bool = False) -> bool:
    """True (and the write counted as not sent) when it depends on a write that failed."""
    missing = [d for d in action.obj.depends_on if d in run.blocked]
    if not missing:
        return False
    if begun:
        _not_sent(ctx, action, f"not sent: depends on {', '.join(missing)}")
    ctx.report.counts["failed"] += 1
    run.blocked.add(action.obj.key)
    ctx.report.problems.append(f"{action.obj.key}: not sent, depends on {', '.join(missing)}")
    return True


def _settle_and_read_back(
    ctx: RunContext,
    client: NetvisorClient,
    action: Action,
    outcome: Future[str | None],
    run: _Progress,
) -> None:
    """Settle a write; if its answer was lost, look it up in Netvisor at once."""
    if _settle(ctx, client, action, outcome, run):
        return
    key = action.obj.key
    row = ctx.ledger.get(key)
    if row is not None and row.state in IN_DOUBT and read_back(ctx, client, key):
        run.blocked.discard(key)  # Netvisor has it: what depends on it may go out


def _not_sent(ctx: RunContext, action: Action, reason: str) -> None:
    """A write whose intent was committed but that provably never ran."""
    if action.kind is ActionKind.EDIT:
        ctx.ledger.restore_settled(action.obj.key, reason)  # Netvisor still has the old version
    else:
        ctx.ledger.back_to_planned(action.obj.key, reason)


def _begin(ctx: RunContext, action: Action) -> None:
    """Commit the intent to write (``sending``, with the lines it carries)."""
    obj = action.obj
    ctx.ledger.mark_sending(
        obj.key,
        obj.kind,
        pending_hash=obj.content_hash,
        action="create" if action.kind is ActionKind.CREATE else str(action.kind),
        lines=obj.lines,
        period=obj.period,
        customer_code=obj.customer_code,
        total=obj.total,
        run_id=ctx.run_id,
        check=invoice_check(obj.payload) if obj.kind is ObjectKind.INVOICE else None,
    )
    failpoints.hit("after_sending", str(obj.kind))


def _settle(
    ctx: RunContext,
    client: NetvisorClient,
    action: Action,
    outcome: Future[str | None],
    run: _Progress,
) -> bool:
    """Commit a sent write's outcome. True when Netvisor has it."""
    ledger, report, obj = ctx.ledger, ctx.report, action.obj
    blocked = run.blocked
    try:
        netvisor_key = outcome.result()
    except NetvisorDuplicateData as exc:
        try:
            netvisor_key = adopt_duplicate(client, obj)
        except ConnectorError as adopt_error:
            # it exists, but we could not adopt it now: reconcile finds it by its code
            ledger.mark_unknown(obj.key, adopt_error.error_type, adopt_error.message)
            report.counts["unknown"] += 1
            blocked.add(obj.key)
            return False
        if netvisor_key is None:
            ledger.mark_rejected(obj.key, exc.error_type, exc.message)
            report.counts["rejected"] += 1
            report.problems.append(f"{obj.key}: {exc.error_type}: {exc.message}")
            blocked.add(obj.key)
            return False
    except RecordError as exc:
        run.unknown_in_a_row = 0  # a clear answer
        ledger.mark_rejected(obj.key, exc.error_type, exc.message)
        report.counts["rejected"] += 1
        report.problems.append(f"{obj.key}: rejected by Netvisor: {exc.error_type}: {exc.message}")
        log.warning("write_rejected", key=obj.key, error_type=exc.error_type, error=exc.message)
        blocked.add(obj.key)
        return False
    except AmbiguousWriteError as exc:
        ledger.mark_unknown(obj.key, exc.error_type, exc.message)
        report.counts["unknown"] += 1
        log.warning("write_unknown", key=obj.key, error_type=exc.error_type, error=exc.message)
        blocked.add(obj.key)
        run.unknown_in_a_row += 1
        if run.unknown_in_a_row >= ctx.max_unknown_in_a_row:
            raise RunAborted(
                FatalRunError(
                    f"{run.unknown_in_a_row} writes in a row got no clear answer from Netvisor "
                    f"(last: {exc.error_type}); stopped writing. Nothing is sent twice: the next "
                    "run (or `connector reconcile`) looks those writes up in Netvisor first",
                    error_type="UNKNOWN_IN_A_ROW",
                )
            ) from exc
        return False
    except (FatalRunError, TransientError) as exc:
        # Netvisor refused before processing (authentication, service, maintenance) or the
        # request provably never left: nothing happened, the row may be sent again later.
        _not_sent(ctx, action, f"{exc.error_type}: not processed")
        blocked.add(obj.key)
        raise RunAborted(exc) from exc
    except BaseException as exc:
        # A bug or an interrupt mid-request: the outcome is unknown; reconcile will tell.
        ledger.mark_unknown(obj.key, type(exc).__name__, "interrupted mid-request")
        blocked.add(obj.key)
        raise
    failpoints.hit("after_answer", str(obj.kind))
    run.unknown_in_a_row = 0
    ledger.mark_sent(obj.key, netvisor_key)
    if action.kind is ActionKind.CREATE:
        report.counts["created"] += 1
    else:
        report.counts["updated"] += 1
    log.info("written", key=obj.key, action=str(action.kind), netvisor_key=netvisor_key)
    if ctx.audit.pending() >= AUDIT_BATCH:
        ctx.flush_audit()
    return True
