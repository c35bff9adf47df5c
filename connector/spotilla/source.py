"""Spotilla records -> domain records: billing customers, leaf-folder targets, billable work.

Rules (docs/domain.md, targets and billable work; docs/spotilla.md):
- a target is a leaf folder (nobody's parent); its billing customer is the one linked to the leaf
  or else to its nearest ancestor; its path is the folder names root -> leaf;
- a company customer needs a valid Y-tunnus (`connector.core.business_id`); a person needs none;
- whatever a rule stops is quarantined with the rule's name and a reason naming ids and rules
  only (never names), together with the work that would bill through it; the rest flows on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connector.core.business_id import business_id
from connector.core.domain import (
    HELSINKI,
    BillableTask,
    BillingCustomer,
    CustomerType,
    Period,
    Product,
    Quarantined,
    RowKind,
    Target,
    WorkRow,
    frozen_builder,
)
from connector.core.errors import ConfigError
from connector.core.logging import get_logger
from connector.core.reasons import reason
from connector.spotilla import api
from connector.spotilla.client import SpotillaClient


def _log() -> Any:
    """The module's logger, fetched per use: a module-level bound logger would freeze the
    logging configuration (and miss the redaction processor) of import time."""
    return get_logger("spotilla.source")


#: Statuses that mean "the work is done" (whatever the billing rule counts).
DONE_STATUSES = frozenset({"completed", "approved"})
#: Days added to each side of a period when asking Spotilla for its tasks: the API's date filter
#: may read dates in UTC or in local time, so the exact cut is made here with Period.contains.
QUERY_MARGIN = timedelta(days=1)

_new_row = frozen_builder(WorkRow)
_new_task = frozen_builder(BillableTask)
_PRODUCT = RowKind.PRODUCT
_HOURS = RowKind.HOURS


@dataclass(frozen=True)
class BillableWorkRules:
    """Which tasks count as billable work (from ``[spotilla]`` in the config)."""

    statuses: frozenset[str] = frozenset({"completed", "approved"})
    require_order_number: bool = False

    @classmethod
    def from_config(cls, counted_status: str, require_order_number: bool) -> BillableWorkRules:
        """``counted_status``: "completed" (completed and approved count) or "approved" (only)."""
        choice = counted_status.strip().lower()
        if choice == "completed":
            statuses = frozenset({"completed", "approved"})
        elif choice == "approved":
            statuses = frozenset({"approved"})
        else:
            raise ConfigError(
                f"spotilla.counted_status: expected 'completed' or 'approved', got {counted_status!r}"
            )
        return cls(statuses=statuses, require_order_number=bool(require_order_number))


@dataclass
class MasterData:
    """Everything billing needs besides the work: keyed by Spotilla id (products by code)."""

    customers: dict[str, BillingCustomer]
    targets: dict[str, Target]
    products: dict[str, Product]
    quarantined: list[Quarantined]
    #: leaf folder id -> why it cannot be billed (its tasks are quarantined with the same rule)
    blocked_targets: dict[str, Quarantined] = field(default_factory=dict)
    #: ids of folders that are not leaves (work recorded on them cannot be placed)
    inner_folders: frozenset[str] = frozenset()


# --- customers -------------------------------------------------------------------------------
def _valid_business_id(value: str | None) -> str | None:
    """The Y-tunnus in its ``1234567-8`` form, or ``None`` if missing or invalid."""
    return business_id(value) if value else None


def to_billing_customer(customer: api.Customer) -> BillingCustomer | Quarantined:
    """An API customer as a :class:`BillingCustomer`, or why it cannot be one."""
    is_company = customer.type == "company"
    business_id = _valid_business_id(customer.business_id)
    if is_company and business_id is None:
        problem = "business_id_missing" if not customer.business_id else "business_id_invalid"
        return Quarantined(
            "customer", customer.id, "invalid_business_id", reason(problem, customer=customer.id)
        )
    invoicing = next((c for c in customer.contacts if c.role == "invoicing"), None)
    address = customer.address
    return BillingCustomer(
        id=customer.id,
        type=CustomerType.COMPANY if is_company else CustomerType.PERSON,
        name=customer.name.strip(),
        business_id=business_id if is_company else None,
        customer_number=customer.customer_number,
        email=customer.email or (invoicing.email if invoicing else None),
        phone=customer.phone or (invoicing.phone if invoicing else None),
        street=address.street if address else None,
        postal_code=address.postal_code if address else None,
        city=address.city if address else None,
        country=(address.country if address and address.country else "FI").upper(),
        einvoice_address=customer.einvoice.address if customer.einvoice else None,
        einvoice_operator=customer.einvoice.operator if customer.einvoice else None,
        updated_at=customer.updated_at,
    )


# --- folders ---------------------------------------------------------------------------------
@dataclass
class _Resolution:
    customer_id: str | None  # the nearest linked customer on the path (None: none)
    linked_at: str | None  # the folder that carries the link
    path: tuple[str, ...]  # names root -> folder
    problem: str | None = None  # "folder_cycle" when the parent chain loops


@dataclass
class FolderTree:
    """The folder tree read as targets."""

    targets: dict[str, Target]  # leaf id -> target
    blocked: dict[str, Quarantined]  # leaf id -> why it cannot be billed
    inner: frozenset[str]  # ids of folders that are somebody's parent
    leaves_of_customer: dict[str, list[str]]  # unusable customer id -> leaves billing through it


def resolve_targets(
    folders: dict[str, api.Collection],
    customers: dict[str, BillingCustomer],
    customer_problems: dict[str, Quarantined],
) -> FolderTree:
    """Leaves -> targets with their path and nearest linked customer; the rest blocked.

    A parent the credentials cannot see ends the visible path (the path starts there).
    """
    parents = {f.parent_id for f in folders.values() if f.parent_id}
    memo: dict[str, _Resolution] = {}

    def resolve(folder_id: str) -> _Resolution:
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = folder_id
        base = _Resolution(None, None, ())
        while current is not None and current in folders:
            if current in memo:
                base = memo[current]
                break
            if current in seen:
                base = _Resolution(None, None, (), problem="folder_cycle")
                break
            seen.add(current)
            chain.append(current)
            current = folders[current].parent_id
        # unwind from the top so every folder on the chain is memoised
        for fid in reversed(chain):
            folder = folders[fid]
            if base.problem:
                res = _Resolution(None, None, (), problem=base.problem)
            elif folder.customer_id:
                res = _Resolution(folder.customer_id, fid, (*base.path, folder.name))
            else:
                res = _Resolution(base.customer_id, base.linked_at, (*base.path, folder.name))
            memo[fid] = res
            base = res
        return base

    targets: dict[str, Target] = {}
    blocked: dict[str, Quarantined] = {}
    leaves_of_customer: dict[str, list[str]] = {}
    for folder in folders.values():
        if folder.id in parents:
            continue
        res = resolve(folder.id)
        if res.problem == "folder_cycle":
            rule = "folder_cycle"
            text = reason("folder_cycle", folder=folder.id)
        elif res.customer_id is None:
            rule = "orphan_leaf"
            text = reason("orphan_leaf", folder=folder.id)
        elif res.customer_id in customers:
            targets[folder.id] = Target(
                folder_id=folder.id,
                name=folder.name,
                path=res.path,
                customer_id=res.customer_id,
            )
            continue
        else:
            problem = customer_problems.get(res.customer_id)
            leaves_of_customer.setdefault(res.customer_id, []).append(folder.id)
            via = "" if res.linked_at == folder.id else "_via"
            if problem is not None:
                rule, why = "customer_quarantined", "leaf_customer_quarantined"
            else:
                rule, why = "unknown_customer", "leaf_customer_unknown"
            text = reason(
                why + via,
                folder=folder.id,
                customer=res.customer_id,
                linked=res.linked_at,
                rule=problem.rule if problem is not None else "",
            )
        blocked[folder.id] = Quarantined("target", folder.id, rule, text)
    inner = frozenset(fid for fid in parents if fid in folders)
    return FolderTree(targets, blocked, inner, leaves_of_customer)


# --- the source ------------------------------------------------------------------------------
class SpotillaSource:
    """Reads Spotilla through ``client`` and yields domain records, quarantining what rules stop."""

    def __init__(self, client: SpotillaClient, rules: BillableWorkRules) -> None:
        self.client = client
        self.rules = rules
        # A run holds every billable task: equal values of different tasks share one immutable
        # object. Codes, statuses, folder ids, Decimals (by their text, so 1.0 and 1 stay
        # distinct) and dates arrive shared from the reader (api.read_task); the completion
        # dates computed here are shared through this map.
        self._days: dict[date, date] = {}

    def master_data(self) -> MasterData:
        """Products, billing customers and targets (the whole folder tree is read)."""
        quarantined: list[Quarantined] = []

        products: dict[str, Product] = {}
        for item in self.client.iter_products():
            if isinstance(item, Quarantined):
                quarantined.append(item)
            elif item.code in products:
                quarantined.append(
                    Quarantined(
                        "product",
                        item.id,
                        "duplicate_product_code",
                        reason("duplicate_product_code", product=item.id, code=item.code),
                    )
                )
            else:
                products[item.code] = Product(
                    code=item.code,
                    name=item.name,
                    unit=item.unit,
                    price=item.price,
                    category=item.category,
                )

        customers: dict[str, BillingCustomer] = {}
        customer_problems: dict[str, Quarantined] = {}
        for item in self.client.iter_customers():
            if isinstance(item, Quarantined):
                customer_problems[item.record_id] = item
                continue
            result = to_billing_customer(item)
            if isinstance(result, Quarantined):
                customer_problems[item.id] = result
            else:
                customers[item.id] = result

        folders: dict[str, api.Collection] = {}
        for item in self.client.iter_collections():
            if isinstance(item, Quarantined):
                quarantined.append(item)
            else:
                folders[item.id] = item

        tree = resolve_targets(folders, customers, customer_problems)
        # a quarantined customer names the leaves that would have billed through it
        for cid, q in customer_problems.items():
            related = tuple(sorted(tree.leaves_of_customer.get(cid, ())))
            quarantined.append(Quarantined(q.kind, q.record_id, q.rule, q.reason, related))
        quarantined.extend(tree.blocked.values())

        _log().info(
            "spotilla_master_data",
            products=len(products),
            customers=len(customers),
            folders=len(folders),
            targets=len(tree.targets),
            quarantined=len(quarantined),
        )
        return MasterData(
            customers=customers,
            targets=tree.targets,
            products=products,
            quarantined=quarantined,
            blocked_targets=tree.blocked,
            inner_folders=tree.inner,
        )

    def billable_work(
        self, period: Period, master: MasterData
    ) -> Iterator[BillableTask | Quarantined]:
        """The period's billable tasks (by ``completed_at`` in Helsinki), streamed.

        The whole period is read (no ``updated_since``), so a task that disappeared is noticed.
        Invalid task records are yielded as Quarantined; the API is asked with a window one day
        wider on each side, so one may belong to a neighbouring period.
        """
        counts = {"billable": 0, "quarantined": 0, "skipped": 0}
        items = self.client.iter_tasks(
            completed_from=period.first_day - QUERY_MARGIN,
            completed_to=period.last_day + QUERY_MARGIN,
        )
        for item in items:
            if isinstance(item, Quarantined):
                counts["quarantined"] += 1
                yield item
                continue
            result = self._billable(item, period, master)
            if result is None:
                counts["skipped"] += 1
                continue
            counts["billable" if isinstance(result, BillableTask) else "quarantined"] += 1
            yield result
        _log().info("spotilla_billable_work", period=str(period), **counts)

    def _billable(
        self, task: api.Task, period: Period, master: MasterData
    ) -> BillableTask | Quarantined | None:
        """One task as billable work of ``period``, a quarantine, or ``None`` (not this period's)."""
        if task.status not in self.rules.statuses:
            return None
        completed_at = task.completed_at
        if completed_at is None:
            return Quarantined(
                "task",
                task.id,
                "missing_completed_at",
                reason("missing_completed_at", task=task.id, status=task.status),
            )
        local = completed_at.astimezone(HELSINKI)  # the period is read on Helsinki's calendar
        if local.month != period.month or local.year != period.year:
            return None  # as period.contains(completed_at), without building a Period

        def stop(rule: str, why: str, related: tuple[str, ...] = ()) -> Quarantined:
            return Quarantined("task", task.id, rule, why, related)

        if self.rules.require_order_number and not (task.order_number or "").strip():
            return stop(
                "missing_order_number",
                reason("missing_order_number", task=task.id),
            )
        target = master.targets.get(task.collection_id)
        if target is None:
            blocked = master.blocked_targets.get(task.collection_id)
            if blocked is not None:
                return stop(
                    blocked.rule,
                    reason(
                        "task_on_quarantined_leaf",
                        task=task.id,
                        folder=task.collection_id,
                        rule=blocked.rule,
                    ),
                    (task.collection_id,),
                )
            if task.collection_id in master.inner_folders:
                return stop(
                    "task_on_inner_folder",
                    reason("task_on_inner_folder", task=task.id, folder=task.collection_id),
                    (task.collection_id,),
                )
            return stop(
                "unknown_folder",
                reason("unknown_folder", task=task.id, folder=task.collection_id),
                (task.collection_id,),
            )

        day = local.date()
        completed_on = self._days.setdefault(day, day)
        products = master.products
        rows: list[WorkRow] = []
        unknown: list[str] = []
        # codes, statuses, Decimals and dates arrive shared from the reader (api.read_task)
        for i, row in enumerate(task.rows):
            line_id = f"{task.id}:p{i}"
            if row.product_code not in products:
                unknown.append(f"{line_id}={row.product_code}")
            # line_id, kind, product_code, quantity, unit_price, work_date, description
            rows.append(
                _new_row(
                    line_id,
                    _PRODUCT,
                    row.product_code,
                    row.quantity,
                    row.unit_price,
                    completed_on,
                    row.description,
                )
            )
        for i, hour in enumerate(task.hours):
            line_id = f"{task.id}:h{i}"
            if hour.product_code not in products:
                unknown.append(f"{line_id}={hour.product_code}")
            rows.append(
                _new_row(line_id, _HOURS, hour.product_code, hour.hours, None, hour.date, None)
            )
        if unknown:
            return stop(
                "unknown_product",
                reason("unknown_product", task=task.id, rows=", ".join(unknown)),
                tuple(u.split("=", 1)[0] for u in unknown),
            )
        # id, target_id, customer_id, status, completed_at, period, rows, order_number, updated_at
        return _new_task(
            task.id,
            target.folder_id,
            target.customer_id,
            task.status,
            completed_at,
            period,
            tuple(rows),
            task.order_number,
            task.updated_at,
        )
