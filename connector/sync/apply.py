"""Apply: send the plan's writes to Netvisor, exactly once, one request at a time.

Exactly-once rests on three rules kept here and in ``reconcile.py``:

1. Intent first: a write's ledger row goes to ``sending`` (with the billed lines it carries) in
   a committed transaction *before* the request leaves; ``sent`` and the NetvisorKey are
   committed after the answer. No ledger transaction is ever open across an HTTP call.
2. Never resend blindly: a row left ``sending`` or ``unknown`` is looked up in Netvisor by the
   connector's own key before anything new is sent (``reconcile.py``) — a write whose answer
   was lost at once, before the write queued behind it leaves (``read_back``; the sender holds
   the queue meanwhile); after ``max_unknown_in_a_row`` unclear answers in a row (to writes of one
   kind: customers, products, invoices) the run stops
   writing.
3. A stop request is honoured between actions, never between ``sending`` and ``sent``.

The requests go out from one sender thread while the run's thread does the ledger work around
them: while request N is in flight, the run's thread renders write N+1, commits its intent and
queues it behind N, so the sender sends N+1 the moment N is answered (it only signs and sends);
then the run's thread commits N's outcome. Still one request at a time (one sender, and the
client's company lock), and still intent before every write: a write is queued only after its
``sending`` row is committed. When a write fails in a way that stops the run (refused before
processing, never left), the sender closes a gate and the write queued behind it never leaves;
the run's thread records that one as not sent. When a write fails in any other way (rejected,
answer lost, a duplicate to adopt), the sender holds the queue: the write behind it leaves only
after the run's thread has settled the failed one and decided again (not sent if it depended
on it). So an invoice is queued behind its customer still in flight, as a streamed run does for
each owner. Each object kind has one :class:`Writer` that knows how to create, edit, render and
adopt it.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from connector.core import failpoints
from connector.core.errors import (
    AmbiguousWriteError,
    ConnectorError,
    FatalRunError,
    RecordError,
    TransientError,
)
from connector.core.logging import carry_log_context, get_logger
from connector.core.reasons import reason as worded
from connector.ledger import IN_DOUBT, ObjectKind
from connector.netvisor import xml as nvxml
from connector.netvisor.client import NetvisorClient
from connector.netvisor.errors import NetvisorDuplicateData
from connector.sync.context import RunAborted, RunContext
from connector.sync.desired import DesiredObject, PackedInvoice
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
    ``create`` and ``edit`` take the body ``render`` made (None: the client renders it).
    """

    create: Callable[[NetvisorClient, Any, bytes | None], str | None]
    edit: Callable[[NetvisorClient, str | None, Any, bytes | None], None]
    render: Callable[[Any], bytes]
    find: Callable[[NetvisorClient, Any], str | None] | None = None


def _found_customer(client: NetvisorClient, payload: Any) -> str | None:
    summary = client.customers_by_code([payload.code]).get(payload.code)
    return summary.netvisor_key if summary else None


def _found_product(client: NetvisorClient, payload: Any) -> str | None:
    summary = client.product_by_code(payload.code)
    return summary.netvisor_key if summary else None


def _match(client: NetvisorClient, payload: Any, body: bytes | None) -> None:
    credit_key, invoice_key = payload
    client.match_credit_note(credit_key, invoice_key, body=body)


def _cannot_edit_match(
    client: NetvisorClient, netvisor_key: str | None, payload: Any, body: bytes | None
) -> None:
    raise ValueError("a credit-note match is never edited")


WRITERS: dict[ObjectKind, Writer] = {
    ObjectKind.CUSTOMER: Writer(
        create=lambda c, p, b: c.add_customer(p, body=b),
        edit=lambda c, k, p, b: c.edit_customer(k, p, body=b),
        render=nvxml.customer_xml,
        find=_found_customer,
    ),
    ObjectKind.PRODUCT: Writer(
        create=lambda c, p, b: c.add_product(p, body=b),
        edit=lambda c, k, p, b: c.edit_product(k, p, body=b),
        render=nvxml.product_xml,
        find=_found_product,
    ),
    ObjectKind.INVOICE: Writer(
        create=lambda c, p, b: c.add_sales_invoice(p, body=b),
        edit=lambda c, k, p, b: c.edit_sales_invoice(k, p, body=b),
        render=nvxml.sales_invoice_xml,
    ),
    ObjectKind.MATCH: Writer(
        create=_match,
        edit=_cannot_edit_match,
        render=lambda p: nvxml.match_credit_note_xml(*p),
    ),
}


def render(obj: DesiredObject) -> bytes:
    """The request body of a write (a packed invoice was rendered when it was packed)."""
    if isinstance(obj.payload, PackedInvoice):
        return obj.payload.body()
    return WRITERS[obj.kind].render(obj.payload)


def _check(obj: DesiredObject) -> str | None:
    """What a look-up must see for this version of an invoice to count as applied."""
    if isinstance(obj.payload, PackedInvoice):
        return obj.payload.check
    return invoice_check(obj.payload) if obj.kind is ObjectKind.INVOICE else None


def send(client: NetvisorClient, action: Action, body: bytes | None = None) -> str | None:
    """Send one write (``body``: its payload already rendered); returns the NetvisorKey
    Netvisor holds it under (None for a match)."""
    writer = WRITERS[action.obj.kind]
    if action.kind in (ActionKind.CREATE, ActionKind.MATCH):
        return writer.create(client, action.obj.payload, body)
    writer.edit(client, action.netvisor_key, action.obj.payload, body)
    return action.netvisor_key


def adopt_duplicate(client: NetvisorClient, obj: DesiredObject) -> str | None:
    """DUPLICATE_DATA on a create: the object exists — find it by our code and adopt it."""
    writer = WRITERS[obj.kind]
    if writer.find is None:
        return None
    found = writer.find(client, obj.payload)
    if found:
        writer.edit(client, found, obj.payload, None)
        log.info("adopted_existing", key=obj.key, netvisor_key=found)
    return found


# -- the phase -------------------------------------------------------------------------------


class _NotSent(Exception):
    """A queued write that never left: the write before it stopped the run."""


class _Held(Exception):
    """A queued write that did not leave because the answer to the write before it was lost:
    that one is read back first, then this one is sent (or recorded as not sent)."""


@dataclass
class _Gate:
    """Lets queued writes leave. The sender thread closes it (the run stops) or holds it (an
    unclear answer: read it back first); it runs the writes one after the other, so a write's
    failure is seen by the write queued behind it. The run's thread reopens a held gate after
    the read-back, once the held write's future is done."""

    open: bool = True
    held: bool = False


def _send_through(
    gate: _Gate, wire: _Wire, client: NetvisorClient, action: Action, body: bytes | None
) -> str | None:
    if not gate.open:
        raise _NotSent
    if gate.held:
        raise _Held
    wire.sending = action.obj.key
    try:
        netvisor_key = send(client, action, body)
    except (FatalRunError, TransientError):
        gate.open = False  # the run stops: the write queued behind this one never leaves
        raise
    except BaseException:
        # The write queued behind this one waits until the run's thread has settled this one:
        # it may depend on it (an invoice queued behind its customer), or, after an unclear
        # answer, on its read-back.
        gate.held = True
        raise
    # Here, on the sending thread, the moment the answer is read: the write queued behind this
    # one leaves only after this returns, so a crash test killing the process at this point
    # always finds that one not sent (hit on the run's thread, the kill raced its request).
    failpoints.hit("after_answer", str(action.obj.kind))
    return netvisor_key


class _Wire:
    """Which writes have left (noted on the sending thread by the client's ``on_wire`` hook,
    once a request's last byte is sent). The run's thread waits for the write queued behind
    the one just answered to have left before it does its own work (settle, render, commit),
    so it never takes the interpreter from the sender while the sender signs and sends: a
    request held up half-sent would reach Netvisor later. Only timing depends on it: the order
    of intents, sends and outcomes is the same either way."""

    def __init__(self, client: NetvisorClient) -> None:
        self._changed = threading.Condition()
        self._out: set[str] = set()
        self.sending: str | None = None  # set by the sender thread before each write
        # a client without the hook (a test double) is not waited for
        self.watched = hasattr(client, "on_wire")

    def sent(self) -> None:
        with self._changed:
            if self.sending is not None:
                self._out.add(self.sending)
            self._changed.notify_all()

    def _poke(self, _future: object) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_out(self, key: str, future: Future[str | None]) -> None:
        """Until write ``key`` went out, or its ``future`` finished (sent, or never)."""
        if not self.watched:
            return
        future.add_done_callback(self._poke)
        with self._changed:
            self._changed.wait_for(lambda: key in self._out or future.done())
            self._out.discard(key)


@dataclass
class _Progress:
    """What the apply phase tracks across writes: the keys that may not be depended on (not
    sent, rejected, in doubt) and, per kind of object, how many of its writes in a row got no
    clear answer. Per kind: a streamed run interleaves each owner's customer and invoices, and
    invoices answered unclearly one after another are a streak whatever customers went between
    (Netvisor may fail one resource and not another)."""

    blocked: set[str]
    unknown_in_a_row: dict[ObjectKind, int] = field(default_factory=dict)


_Queued = tuple[Action, "Future[str | None]", bytes | None]


def apply_plan(
    ctx: RunContext,
    client: NetvisorClient,
    actions: Iterable[Action],
    *,
    while_last_in_flight: Callable[[], None] | None = None,
) -> None:
    """Send the writes among ``actions``, strictly one Netvisor request at a time (see the
    module text). ``actions``: a :class:`Plan`, or a stream (``planning.Planning``) whose
    actions are decided as billing goes — taken one at a time, each while the write before
    it is in flight. Whatever the source, a write comes after the actions it depends on: a
    held or in-doubt one among them blocks it.

    A write whose answer was lost is read back (reconciled) before the next write leaves, so a
    lost answer does not push its dependants to the next run. After
    ``ctx.max_unknown_in_a_row`` writes of one kind in a row without a clear answer the run stops
    writing.

    Raises RunAborted when Netvisor refuses a request before processing it (authentication,
    service, maintenance) or keeps answering writes unclearly: the write under way is
    recorded, nothing more is sent.

    ``while_last_in_flight``: work of the run's own (preparing its report) done once every
    write is handed to the sender and one is still in flight, instead of after its answer.
    """
    report = ctx.report
    run = _Progress(set())
    gate = _Gate()
    wire = _Wire(client)
    if wire.watched:
        client.on_wire = wire.sent
    # writes handed to the sender and not yet settled, oldest first: at most the one in flight
    # and the one queued behind it
    queued: deque[_Queued] = deque()
    with ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="netvisor-sender", initializer=carry_log_context()
    ) as sender:

        def settle_oldest() -> None:
            action, future, _body = queued.popleft()
            _settle_and_read_back(ctx, client, action, future, run)
            if not _held_the_queue(future):
                return
            # It failed and is settled (its answer lost and read back, rejected, or found as a
            # duplicate and adopted): the write queued behind it was held by the sender (it
            # never left). Decide that one again now, then let the sender go on.
            held = queued.popleft() if queued else None
            if held is not None:
                wait([held[1]])
            gate.held = False
            if held is None:
                return
            held_action, held_future, held_body = held
            if not isinstance(held_future.exception(), _Held):
                queued.appendleft(held)  # it had already been answered: settle it as it is
            elif not _blocked_by(ctx, held_action, run, begun=True):
                retry = sender.submit(_send_through, gate, wire, client, held_action, held_body)
                queued.appendleft((held_action, retry, held_body))

        try:
            done = 0
            for action in actions:
                if not action.writes:
                    if action.kind in (ActionKind.HOLD, ActionKind.RECONCILE):
                        run.blocked.add(action.obj.key)  # what depends on it is not sent
                    continue
                if ctx.stop.is_set():
                    report.stopped = True
                    log.info("stop_requested", done=done)
                    break
                done += 1
                if ctx.progress:
                    ctx.progress("apply", done, _total(actions, done))
                # A write that depends on the one in flight is queued behind it all the same: if
                # that one fails, the sender holds this one until it is decided again.
                if _blocked_by(ctx, action, run):
                    continue
                body = render(action.obj)
                _begin(ctx, action)  # committed before the write is handed to the sender
                queued.append(
                    (action, sender.submit(_send_through, gate, wire, client, action, body), body)
                )
                while len(queued) > 1:
                    # the write just queued leaves once the one before it is answered: let it
                    # leave, then do the ledger work (its leaving, or its end, means the one
                    # before it is done; the run's thread wakes once, not at the answer too)
                    wire.wait_out(queued[1][0].obj.key, queued[1][1])
                    wait([queued[0][1]])
                    settle_oldest()
            if queued and while_last_in_flight is not None:
                # the newest write has left (the loop above waited for it): prepare while its
                # answer is on the way; whatever fails here is the report's, never the run's
                with contextlib.suppress(Exception):
                    while_last_in_flight()
            while queued:
                settle_oldest()
        except BaseException:
            # record the fate of every write handed to the sender: one not started never leaves
            for _, future, _body in reversed(queued):
                future.cancel()
            while queued:
                action, future, _body = queued.popleft()
                wait([future])
                with contextlib.suppress(RunAborted):
                    _settle(ctx, client, action, future, run)
            raise
        finally:
            if wire.watched:
                client.on_wire = None


def _held_the_queue(future: Future[str | None]) -> bool:
    """Whether the sender held the queue after this write (``_send_through``): it failed in a
    way that does not stop the run, so the write queued behind it did not leave."""
    if future.cancelled():
        return False
    error = future.exception()
    return error is not None and not isinstance(
        error, _NotSent | _Held | FatalRunError | TransientError
    )


def _total(actions: Iterable[Action], done: int) -> int:
    """How many writes ``actions`` holds, for the progress line. A stream still being billed
    counts the writes decided so far, plus one while more may come (so its line is not ended
    while owners are still to be billed)."""
    if isinstance(actions, Plan):
        return len(actions.writes())
    decided = getattr(actions, "writes_decided", done)
    return max(decided, done) + (0 if getattr(actions, "plan", None) is not None else 1)


def _blocked_by(ctx: RunContext, action: Action, run: _Progress, *, begun: bool = False) -> bool:
    """True (and the write counted as not sent) when it depends on a write that failed."""
    missing = [d for d in action.obj.depends_on if d in run.blocked]
    if not missing:
        return False
    if begun:
        _not_sent(ctx, action, f"not sent: depends on {', '.join(missing)}")
    ctx.report.counts["failed"] += 1
    run.blocked.add(action.obj.key)
    ctx.report.problems.append(
        worded("not_sent_depends", key=action.obj.key, keys=", ".join(missing))
    )
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
        lines=obj.billed_lines(),
        period=obj.period,
        customer_code=obj.customer_code,
        total=obj.total,
        run_id=ctx.run_id,
        check=_check(obj),
        billed_on=ctx.today.isoformat(),
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
    except (_NotSent, _Held, CancelledError):
        _not_sent(ctx, action, "not sent: the run stopped")
        blocked.add(obj.key)
        return False
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
        failpoints.hit("after_answer", str(obj.kind))  # adopted: the edit of it was answered
    except RecordError as exc:
        run.unknown_in_a_row[obj.kind] = 0  # a clear answer
        ledger.mark_rejected(obj.key, exc.error_type, exc.message)
        report.counts["rejected"] += 1
        report.problems.append(
            worded("rejected_by_netvisor", key=obj.key, error=exc.error_type, message=exc.message)
        )
        log.warning("write_rejected", key=obj.key, error_type=exc.error_type, error=exc.message)
        blocked.add(obj.key)
        return False
    except AmbiguousWriteError as exc:
        ledger.mark_unknown(obj.key, exc.error_type, exc.message)
        report.counts["unknown"] += 1
        log.warning("write_unknown", key=obj.key, error_type=exc.error_type, error=exc.message)
        blocked.add(obj.key)
        streak = run.unknown_in_a_row[obj.kind] = run.unknown_in_a_row.get(obj.kind, 0) + 1
        if streak >= ctx.max_unknown_in_a_row:
            raise RunAborted(
                FatalRunError(
                    worded("unknown_in_a_row", count=streak, error=exc.error_type),
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
    run.unknown_in_a_row[obj.kind] = 0
    ledger.mark_sent(obj.key, netvisor_key)
    if action.kind is ActionKind.CREATE:
        report.counts["created"] += 1
    else:
        report.counts["updated"] += 1
    log.info("written", key=obj.key, action=str(action.kind), netvisor_key=netvisor_key)
    if ctx.audit.pending() >= AUDIT_BATCH:
        ctx.flush_audit()
    return True
