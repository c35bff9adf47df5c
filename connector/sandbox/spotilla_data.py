"""Seeded, realistic Spotilla data in exactly the API's JSON shape (the API as this project assumes it).

Fixed id scheme (the example mapping files are written against it):

- products, always in the register: KOTIHOITO-H, SIIVOUS-H, ATERIA, TURVAPUH-KK, MATKA-KM, SAUNOTUS;
- leaf folders ``L0001``, ``L0002``, ... in order; L0001–L0004 under the root "Vantaa–Kerava",
  L0005–L0008 under the root "Keski-Uusimaa", one PERSON customer each (``P0001``..), linked to
  the leaf or to a folder just above it; further leaves belong to COMPANY customers ``C0001``..
  under the root "Yritysasiakkaat", at uneven depths; inner folders ``F001``..; tasks ``T00001``..
- bad records (``bad_records=True``), marked by a 9: customer ``C9001`` (company, invalid Y-tunnus)
  on leaf ``L9001``; orphan leaf ``L9002`` (root ``F9002``, no customer on its path); tasks
  ``T9001``.. (unknown product, non-numeric quantity, completed without ``completed_at``, work on
  the bad leaves); person ``P0002`` carries a fake henkilötunnus field.

Company names are invented Finnish-sounding names with valid Y-tunnus (with their check digits);
persons are only ever "Testi Asiakas 001" and the like.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from connector.core.business_id import is_valid
from connector.core.domain import HELSINKI, Period

PRODUCTS: list[tuple[str, str, str, str, str]] = [
    # code, name, unit, price (euros, VAT 0), category
    ("KOTIHOITO-H", "Kotihoito", "h", "25.00", "Työ"),
    ("SIIVOUS-H", "Siivous", "h", "42.00", "Työ"),
    ("ATERIA", "Ateriapalvelu", "kpl", "9.50", "Tuote"),
    ("TURVAPUH-KK", "Turvapuhelin", "kk", "30.00", "Palvelu"),
    ("MATKA-KM", "Matkakulut", "km", "0.59", "Matka"),
    ("SAUNOTUS", "Saunotus", "krt", "35.00", "Työ"),
]

PERSON_LEAVES = 8
REGIONS = ("Vantaa–Kerava", "Keski-Uusimaa")
COMPANY_ROOT = "Yritysasiakkaat"

_PLACES = [
    "Vantaan",
    "Keravan",
    "Tuusulan",
    "Järvenpään",
    "Nurmijärven",
    "Mäntsälän",
    "Sipoon",
    "Hyvinkään",
    "Porvoon",
    "Espoon",
    "Helsingin",
    "Lahden",
]
_TRADES = [
    "Kiinteistöhuolto",
    "Siivouspalvelu",
    "Isännöinti",
    "Kotipalvelu",
    "Rakennus",
    "Tekniikka",
    "Asunto",
    "Hoivakoti",
    "Liikekeskus",
    "Toimitila",
]
_FORMS = ["Oy", "Oy", "Oy", "Ab", "Ky", "Oyj"]
_SITES = [
    "Porras A",
    "Porras B",
    "Porras C",
    "Toimisto",
    "Varasto",
    "Piha-alue",
    "Kerhohuone",
    "Pääkonttori",
    "Halli",
    "Ravintola",
    "Aula",
    "Sauna",
]
_GROUPS = ["Kiinteistö", "Rakennus", "Kohde", "Alue"]
_STREETS = ["Testikatu", "Esimerkkitie", "Koekuja", "Mallipolku"]
_CITIES = [("01300", "Vantaa"), ("04200", "Kerava"), ("04400", "Järvenpää"), ("04300", "Tuusula")]


def valid_ytunnus(rng: random.Random) -> str:
    """A random Y-tunnus with its check digit (``1234567-8``)."""
    while True:
        base = f"{rng.randint(1, 3)}{rng.randint(0, 999999):06d}"
        for check in range(10):
            if is_valid(f"{base}-{check}"):
                return f"{base}-{check}"


def invalid_ytunnus(rng: random.Random) -> str:
    """A well-formed Y-tunnus with a wrong check digit."""
    good = valid_ytunnus(rng)
    return f"{good[:-1]}{(int(good[-1]) + 1) % 10}"


def default_months(today: date) -> list[Period]:
    """The last three full months before ``today`` and the current one."""
    current = Period.of(today)
    return [current.prev().prev().prev(), current.prev().prev(), current.prev(), current]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.customers: list[dict[str, Any]] = []
        self.collections: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self._folder_no = 0
        self._leaf_no = 0
        self._task_no = 0
        self.stamp = _iso(datetime(2024, 1, 2, 9, 0, tzinfo=HELSINKI))

    def folder(
        self, name: str, parent: str | None, customer: str | None = None, fid: str | None = None
    ) -> str:
        if fid is None:
            self._folder_no += 1
            fid = f"F{self._folder_no:03d}"
        self.collections.append(
            {
                "id": fid,
                "name": name,
                "parent_id": parent,
                "customer_id": customer,
                "updated_at": self.stamp,
            }
        )
        return fid

    def leaf(
        self, name: str, parent: str | None, customer: str | None = None, fid: str | None = None
    ) -> str:
        if fid is None:
            self._leaf_no += 1
            fid = f"L{self._leaf_no:04d}"
        return self.folder(name, parent, customer, fid)

    def next_task_id(self) -> str:
        self._task_no += 1
        return f"T{self._task_no:05d}"


def generate(
    seed: int = 1,
    *,
    customers: int = 6,
    depth: int = 3,
    leaves: int = 20,
    tasks_per_leaf_per_month: int = 5,
    months: Sequence[Period] | None = None,
    bad_records: bool = True,
    today: date | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Data for the sandbox: ``{"customers", "collections", "products", "tasks"}`` lists.

    ``customers`` is the number of COMPANY customers (persons: one per leaf L0001–L0008);
    ``leaves`` the number of good leaf folders; ``depth`` the deepest folder level of a company
    leaf (root = 1, at least 2); work in the current month stops at ``today``.
    """
    today = today or date.today()  # noqa: DTZ011 - the sandbox's "now" is the local date
    months = sorted(months) if months else default_months(today)
    depth = max(2, depth)
    b = _Builder(seed)
    rng = b.rng

    products = [
        {
            "id": f"PR{i + 1:03d}",
            "code": code,
            "name": name,
            "category": cat,
            "unit": unit,
            "price": price,
            "updated_at": b.stamp,
        }
        for i, (code, name, unit, price, cat) in enumerate(PRODUCTS)
    ]

    # --- persons: L0001..L0008 under two regions, linked at the leaf or the folder above it
    person_leaves: list[str] = []
    roots = [b.folder(REGIONS[0], None), b.folder(REGIONS[1], None)]
    for i in range(min(PERSON_LEAVES, leaves)):
        pid = f"P{i + 1:04d}"
        postal, city = _CITIES[i % len(_CITIES)]
        person: dict[str, Any] = {
            "id": pid,
            "type": "person",
            "name": f"Testi Asiakas {i + 1:03d}",
            "customer_number": f"{1000 + i + 1}",
            "email": f"testi.asiakas{i + 1:03d}@example.invalid",
            "phone": f"+358 40 000 {i + 1:04d}",
            "address": {
                "street": f"{_STREETS[i % len(_STREETS)]} {i + 1}",
                "postal_code": postal,
                "city": city,
                "country": "FI",
            },
            "contacts": [],
            "updated_at": b.stamp,
        }
        if bad_records and pid == "P0002":
            person["henkilotunnus"] = "010101-999X"  # fake, must be dropped at the door
        b.customers.append(person)
        root = roots[0] if i < 4 else roots[1]
        if i % 2 == 0:
            leaf = b.leaf(f"Testi Asiakas {i + 1:03d} – koti", root, pid)
        else:
            home = b.folder(f"Asiakas {i + 1:03d}", root, pid)
            leaf = b.leaf("Kotikäynnit", home)
        person_leaves.append(leaf)

    # --- companies: uneven trees under "Yritysasiakkaat"
    company_leaves: list[str] = []
    n_company_leaves = max(0, leaves - PERSON_LEAVES)
    n_companies = max(1, customers) if n_company_leaves else 0
    company_root = b.folder(COMPANY_ROOT, None) if n_companies else None
    used_names: set[str] = set()
    company_ids: list[str] = []
    company_names: dict[str, str] = {}
    for c in range(n_companies):
        cid = f"C{c + 1:04d}"
        for attempt in range(20):
            name = f"{rng.choice(_PLACES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
            if attempt == 19:  # the pool of combinations is finite: number the rest
                name = f"{name.rsplit(' ', 1)[0]} {c + 1} {name.rsplit(' ', 1)[1]}"
            if name not in used_names:
                used_names.add(name)
                break
        postal, city = _CITIES[c % len(_CITIES)]
        b.customers.append(
            {
                "id": cid,
                "type": "company",
                "name": name,
                "business_id": valid_ytunnus(rng),
                "customer_number": f"{2000 + c + 1}",
                "email": f"laskutus{c + 1}@example.invalid",
                "phone": f"+358 9 000 {c + 1:04d}",
                "address": {
                    "street": f"Yrityskatu {c + 1}",
                    "postal_code": postal,
                    "city": city,
                    "country": "FI",
                },
                "einvoice": (
                    {"address": f"0037{rng.randint(10**7, 10**8 - 1)}", "operator": "003721291126"}
                    if rng.random() < 0.5
                    else None
                ),
                "contacts": [
                    {
                        "name": "Laskutus",
                        "email": f"laskutus{c + 1}@example.invalid",
                        "phone": None,
                        "role": "invoicing",
                    }
                ],
                "updated_at": b.stamp,
            }
        )
        company_ids.append(cid)
        company_names[cid] = name
    # every company gets one leaf, the rest go unevenly (some companies get many)
    owners = company_ids[:n_company_leaves] + [
        rng.choice(
            company_ids[: max(1, len(company_ids) // 2)] if rng.random() < 0.6 else company_ids
        )
        for _ in range(max(0, n_company_leaves - len(company_ids)))
    ]
    owners.sort(key=company_ids.index)
    company_folder: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for cid in owners:
        count = owners.count(cid)
        if count == 1 and cid not in company_folder and rng.random() < 0.4:
            company_folder[cid] = ""  # the company's single site is itself the leaf
            company_leaves.append(b.leaf(company_names[cid], company_root, cid))
            continue
        if cid not in company_folder:
            company_folder[cid] = b.folder(company_names[cid], company_root, cid)
        parent = company_folder[cid]
        # walk down 0..depth-3 group levels, reusing a sibling group now and then
        for level in range(rng.randint(0, depth - 3)):
            existing = groups.setdefault(parent, [])
            if existing and rng.random() < 0.5:
                parent = rng.choice(existing)
            else:
                gid = b.folder(
                    f"{rng.choice(_GROUPS)} {level + 1}{chr(65 + len(existing))}", parent
                )
                existing.append(gid)
                parent = gid
        company_leaves.append(b.leaf(rng.choice(_SITES), parent))

    # --- work
    for period in months:
        for leaf in person_leaves + company_leaves:
            is_person = leaf in person_leaves
            for _ in range(tasks_per_leaf_per_month):
                b.tasks.append(_task(b, leaf, period, today, is_person))

    if bad_records:
        _bad_records(b, months, today)

    return {
        "customers": b.customers,
        "collections": b.collections,
        "products": products,
        "tasks": b.tasks,
    }


def _moment(rng: random.Random, period: Period, today: date) -> datetime:
    """A completion time in ``period`` (Helsinki), now and then right at a month boundary."""
    last = min(period.last_day, today) if period.first_day <= today else period.last_day
    roll = rng.random()
    if roll < 0.05:
        return datetime.combine(period.first_day, time(0, 15), tzinfo=HELSINKI)
    if roll < 0.10 and last == period.last_day:
        return datetime.combine(period.last_day, time(23, 30), tzinfo=HELSINKI)
    day = period.first_day + timedelta(days=rng.randint(0, (last - period.first_day).days))
    return datetime.combine(
        day, time(rng.randint(7, 19), rng.choice((0, 15, 30, 45))), tzinfo=HELSINKI
    )


def _quarter_hours(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low * 4, high * 4) / 4:.2f}"


def _task(b: _Builder, leaf: str, period: Period, today: date, is_person: bool) -> dict[str, Any]:
    rng = b.rng
    tid = b.next_task_id()
    done_at = _moment(rng, period, today)
    roll = rng.random()
    status = (
        "approved"
        if roll < 0.45
        else "completed"
        if roll < 0.88
        else "in_progress"
        if roll < 0.93
        else "open"
        if roll < 0.97
        else "cancelled"
    )
    rows: list[dict[str, Any]] = []
    hours: list[dict[str, Any]] = []
    if is_person:
        hours.append(
            {
                "product_code": "KOTIHOITO-H",
                "hours": _quarter_hours(rng, 1, 3),
                "date": done_at.date().isoformat(),
            }
        )
        if rng.random() < 0.3:
            rows.append({"product_code": "ATERIA", "quantity": str(rng.randint(1, 10))})
        if rng.random() < 0.08:
            rows.append({"product_code": "TURVAPUH-KK", "quantity": "1"})
        if rng.random() < 0.05:
            rows.append({"product_code": "SAUNOTUS", "quantity": "1"})
        title = "Kotikäynti"
    else:
        hours.append(
            {
                "product_code": "SIIVOUS-H",
                "hours": _quarter_hours(rng, 1, 6),
                "date": done_at.date().isoformat(),
            }
        )
        if rng.random() < 0.6:
            rows.append({"product_code": "MATKA-KM", "quantity": str(rng.randint(5, 60))})
        if rng.random() < 0.05:
            rows.append(
                {
                    "product_code": "SIIVOUS-H",
                    "quantity": "1.5",
                    "unit_price": "45.00",
                    "description": "Lisätyö, sovittu hinta",
                }
            )
        title = "Siivous"
    done = status in ("completed", "approved")
    return {
        "id": tid,
        "collection_id": leaf,
        "spot_id": None,
        "title": title,
        "status": status,
        "completed_at": _iso(done_at) if done else None,
        "order_number": (
            f"TIL-{period.year}-{rng.randint(1, 9999):04d}"
            if rng.random() < (0.3 if is_person else 0.8)
            else None
        ),
        "rows": rows,
        "hours": hours if done or rng.random() < 0.5 else [],
        "updated_at": _iso(done_at + timedelta(minutes=rng.randint(1, 120))),
    }


def _bad_records(b: _Builder, months: Sequence[Period], today: date) -> None:
    rng = b.rng
    current = Period.of(today)
    full = [p for p in months if p < current]
    month = full[-1] if full else months[0]
    at = datetime.combine(month.first_day + timedelta(days=9), time(10, 0), tzinfo=HELSINKI)
    stamp = _iso(at)
    b.customers.append(
        {
            "id": "C9001",
            "type": "company",
            "name": "Virheellinen Y-tunnus Oy",
            "business_id": invalid_ytunnus(rng),
            "contacts": [],
            "updated_at": b.stamp,
        }
    )
    root = (
        next(c["id"] for c in b.collections if c["name"] == COMPANY_ROOT)
        if any(c["name"] == COMPANY_ROOT for c in b.collections)
        else b.folder(COMPANY_ROOT, None)
    )
    b.leaf("C9001 toimipaikka", root, "C9001", fid="L9001")
    archive = b.folder("Arkisto", None, fid="F9002")
    b.leaf("Vanha kohde", archive, fid="L9002")

    def task(tid: str, leaf: str, **over: Any) -> None:
        base = {
            "id": tid,
            "collection_id": leaf,
            "title": "Virhetesti",
            "status": "completed",
            "completed_at": stamp,
            "order_number": "TIL-9999",
            "rows": [],
            "hours": [
                {"product_code": "SIIVOUS-H", "hours": "2.00", "date": at.date().isoformat()}
            ],
            "updated_at": stamp,
        }
        base.update(over)
        b.tasks.append(base)

    good_leaf = "L0001" if any(c["id"] == "L0001" for c in b.collections) else "L9001"
    task("T9001", good_leaf, rows=[{"product_code": "TUNTEMATON-X", "quantity": "1"}])
    task("T9002", good_leaf, rows=[{"product_code": "ATERIA", "quantity": "kolme"}])
    task("T9003", good_leaf, completed_at=None)
    task("T9004", "L9001")
    task("T9005", "L9001", status="approved")
    task("T9006", "L9002")
