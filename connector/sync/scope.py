"""Scope: which periods a run builds, which it observes, which documents are frozen. Pure.

- built: the closed periods within the correction look-back (or the one period asked for,
  which must not still be open);
- observed: the built periods plus the locked periods the connector itself billed, re-read so
  that a change to already-billed work becomes a correction; never a month before the first
  invoice the connector billed (that work was billed some other way, and must not be re-billed);
- frozen: documents Netvisor no longer lets the connector edit — their period is locked or
  their last known status is no longer editable. Documents still editable by the ledger's
  account are checked against Netvisor by ``observe.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from connector.billing import BillingRules, PeriodState, period_state
from connector.billing.periods import PeriodBilled
from connector.core.domain import Period
from connector.core.errors import FatalRunError
from connector.core.reasons import reason as worded
from connector.ledger import IN_DOUBT, SETTLED, ObjectKind, OwnedObject

#: statuses in which Netvisor still lets the connector edit an invoice it imported
EDITABLE_STATUSES = frozenset({None, "unsent"})


def still_editable(status: str | None) -> bool:
    """Does Netvisor still let the connector edit an invoice in this status?"""
    return status in EDITABLE_STATUSES


def periods_to_build(
    period: Period | None, today: date, rules: BillingRules, lookback_months: int
) -> list[Period]:
    """The periods whose documents this run builds, oldest first.

    Raises FatalRunError when the one period asked for is still open on ``today``.
    """
    if period is not None:
        if period_state(period, today, rules) is PeriodState.OPEN:
            raise FatalRunError(
                worded("period_open", period=period, day=today, close_day=rules.close_day)
            )
        return [period]
    candidates = []
    p = Period.of(today).prev()
    for _ in range(lookback_months + 2):
        candidates.append(p)
        p = p.prev()
    return sorted(c for c in candidates if period_state(c, today, rules) is PeriodState.CLOSED)


def billed_by_period(rows: Iterable[OwnedObject]) -> dict[Period, PeriodBilled]:
    """What the ledger holds of each period's documents: the kinds (``inv``/``org``) of the
    invoices Netvisor has or may have (settled or in doubt), and the business day the first
    was written. Planned and rejected rows do not count: Netvisor holds nothing of them."""
    kinds: dict[Period, set[str]] = {}
    first: dict[Period, date | None] = {}
    for row in rows:
        if row.kind is not ObjectKind.INVOICE or not row.period:
            continue
        if row.state not in SETTLED and row.state not in IN_DOUBT:
            continue
        period = Period.parse(row.period)
        kinds.setdefault(period, set()).add(row.key.partition(":")[0])
        day = date.fromisoformat(row.billed_on) if row.billed_on else None
        known = first.get(period)
        if period not in first or (day is not None and (known is None or day < known)):
            first[period] = day
    return {p: PeriodBilled(frozenset(k), first[p]) for p, k in kinds.items()}


def late_candidates(
    today: date,
    rules: BillingRules,
    lookback_months: int,
    billed: Mapping[Period, PeriodBilled],
    floor: Period | None,
    earliest_lock: Callable[[Period], date],
) -> list[Period]:
    """LOCKED months within the look-back, from ``floor`` on, that may hold a document billed
    late (decided per document by billing, ``periods.document_late``): the connector holds no
    document of the month, or lacks a kind of document (client invoices, organisers') and
    wrote nothing of the month before its first document froze (``earliest_lock``). Never a
    month before ``floor`` (the first invoice, or ``start_period`` on a fresh ledger)."""
    if floor is None:
        return []
    out = []
    p = Period.of(today).prev()
    for _ in range(lookback_months + 1):
        if p >= floor and period_state(p, today, rules) is PeriodState.LOCKED:
            held = billed.get(p)
            if held is None or (
                held.kinds != {"inv", "org"}
                and (held.first_billed_on is None or held.first_billed_on >= earliest_lock(p))
            ):
                out.append(p)
        p = p.prev()
    return sorted(out)


def late_periods(
    built: Iterable[Period], today: date, rules: BillingRules, invoiced: Iterable[str]
) -> tuple[Period, ...]:
    """Of the periods a run builds, the LOCKED ones without any invoice (billed late)."""
    done = set(invoiced)
    return tuple(
        p
        for p in sorted(built)
        if str(p) not in done and period_state(p, today, rules) is PeriodState.LOCKED
    )


def first_billed_period(rows: Iterable[OwnedObject]) -> Period | None:
    """The earliest period of an invoice the connector owns (None before its first invoice)."""
    periods = [Period.parse(r.period) for r in rows if r.kind is ObjectKind.INVOICE and r.period]
    return min(periods) if periods else None


def periods_to_observe(
    built: Iterable[Period], today: date, lookback_months: int, first_billed: Period | None
) -> list[Period]:
    """Built periods plus the earlier ones the connector billed, within the look-back."""
    built = sorted(built)
    observed = set(built)
    lookback = Period.of(today)
    for _ in range(lookback_months + 1):
        lookback = lookback.prev()
    if built and first_billed is not None:
        # Locked periods the connector itself billed are re-read to notice corrections; never
        # periods from before it started (that work was billed some other way).
        p = built[0].prev()
        while p >= lookback and p >= first_billed:
            observed.add(p)
            p = p.prev()
    return sorted(observed)


def frozen_by_ledger(
    rows: Iterable[OwnedObject],
    observed: Iterable[Period],
    locked: Callable[[str], bool],
) -> tuple[frozenset[str], list[OwnedObject]]:
    """(documents frozen by what the ledger knows, documents to check in Netvisor).

    ``rows``: the settled invoice rows; only those of an observed period with a NetvisorKey
    count. ``locked(key)``: whether a document's date has passed (a client invoice on the lock
    day, an organiser document on its region's settlement day), see
    :func:`connector.billing.periods.document_key_locked`.
    """
    wanted = {str(p) for p in observed}
    frozen: set[str] = set()
    to_check = []
    for row in rows:
        if row.period not in wanted or not row.netvisor_key:
            continue
        if locked(row.key) or not still_editable(row.netvisor_status):
            frozen.add(row.key)
        else:
            to_check.append(row)
    return frozenset(frozen), to_check
