"""Desired customers, products and invoices: billing's documents and Spotilla's master data
as the Netvisor objects this run wants.

Owns the translation to the wire form (:func:`customer_record`, :func:`product_record`,
:func:`invoice_payload`: a negative line is a negative quantity, the document's key goes in the
private comment; a person's identity code never) and :class:`DesiredBuilder`, fed each owner's
documents as billing hands them over and asked last for the customers and products they need
(or every one, with scope "master"). The objects themselves are :mod:`connector.sync.desired`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from connector.billing import CommentLine as DocComment
from connector.billing import InvoiceDocument
from connector.billing.texts import VOUCHER_DEDUCTION_NAME
from connector.core.domain import BillingCustomer, Product
from connector.core.money import format_eur
from connector.core.reasons import reason as worded
from connector.ledger import ObjectKind
from connector.mapping import Mappings
from connector.netvisor import documents as nv
from connector.spotilla.source import MasterData
from connector.sync.desired import DesiredObject, customer_key, product_key


def customer_record(
    customer: BillingCustomer,
    *,
    code: str,
    payment_term_days: int | None,
    einvoice_address: str | None = None,
    einvoice_operator: str | None = None,
) -> nv.CustomerRecord:
    """The Netvisor customer for a Spotilla billing customer (no identity code, ever)."""
    return nv.CustomerRecord(
        code=code,
        name=customer.name,
        business_id=None if customer.is_person else customer.business_id,
        is_private=customer.is_person,
        street=customer.street,
        city=customer.city,
        post_number=customer.postal_code,
        country=customer.country or "FI",
        email=customer.email,
        phone=customer.phone,
        einvoice_address=einvoice_address or customer.einvoice_address,
        einvoice_operator=einvoice_operator or customer.einvoice_operator,
        payment_term_days=payment_term_days,
    )


def product_record(
    *, code: str, name: str, unit: str | None, vat_percent: Decimal, register: Product | None
) -> nv.ProductRecord:
    """A Netvisor sales product; the price is Spotilla's register price (0 when it has none)."""
    return nv.ProductRecord(
        code=code,
        name=name,
        unit=unit,
        unit_price=register.price if register is not None else Decimal("0.00"),
        vat_percent=vat_percent,
    )


def invoice_summary(
    period: str, customer_code: str, n_lines: int, total: Decimal, credit: bool
) -> str:
    return worded(
        "summary_credit" if credit else "summary_invoice",
        period=period,
        customer=customer_code,
        count=n_lines,
        amount=format_eur(total),
    )


def invoice_payload(doc: InvoiceDocument, *, status: str) -> nv.SalesInvoice:
    """The salesinvoice.nv payload of a billing document; its key goes in the private comment.

    Netvisor keeps unit prices positive: a negative line is a negative quantity.
    """
    lines: list[nv.ProductLine | nv.CommentLine] = []
    for line in doc.lines:
        if isinstance(line, DocComment):
            lines.append(nv.CommentLine(line.text))
            continue
        quantity, unit_price = line.quantity, line.unit_price
        if unit_price < 0:
            quantity, unit_price = -quantity, -unit_price
        free_text = line.free_text
        if line.explanation and not free_text:
            free_text = line.explanation
        lines.append(
            nv.ProductLine(
                product_code=line.product_code,
                name=line.name,
                unit_price=unit_price,
                quantity=quantity,
                vat_percent=line.vat_percent,
                vat_code=line.vat_code,
                free_text=free_text,
            )
        )
    return nv.SalesInvoice(
        invoice_date=doc.invoice_date,
        customer_code=doc.customer_code,
        payment_term_days=doc.payment_term_days,
        lines=tuple(lines),
        status=status,
        private_comment=doc.key,
        free_text_before=doc.free_text_before,
        free_text_after=doc.free_text_after,
    )


# -- customers, products, invoices ------------------------------------------------------------


class DesiredBuilder:
    """Customers, products and invoices as this run wants them in Netvisor, built document by
    document: :meth:`invoices` as billing hands over each owner's documents, then
    :meth:`master_objects` for the customers and products those documents need.

    ``scope`` "master": every billing customer and every mapped product, even without a
    document; otherwise only what this run's documents need.
    """

    def __init__(
        self,
        master: MasterData,
        frozen: frozenset[str],
        *,
        mappings: Mappings,
        payment_term_days: int,
        invoice_status: str,
        scope: str,
    ) -> None:
        self.master = master
        self.frozen = frozen
        self.mappings = mappings
        self.payment_term_days = payment_term_days
        self.invoice_status = invoice_status
        self.scope = scope
        self.codes_to_customer: dict[str, BillingCustomer] = {}
        self.organiser_codes: set[str] = set()
        # Netvisor product code -> name and VAT of a line using it (for products no mapping
        # names, such as a region's voucher-deduction product)
        self.needed_products: dict[str, tuple[str, Decimal] | None] = {}
        self._organisers = {r.organiser_customer_code: r for r in mappings.regions.values()}
        self._given: set[str] = set()  # keys new_master_objects returned
        # customer and product codes first needed since new_master_objects was last called
        self._new_customers: set[str] = set()
        self._new_products: set[str] = set()

    def invoices(self, documents: Iterable[InvoiceDocument]) -> list[DesiredObject]:
        """The invoices of ``documents``; what they need is remembered for the master data."""
        out = []
        customer_by_id = self.master.customers
        for doc in documents:
            if doc.billing_customer_id and doc.billing_customer_id in customer_by_id:
                self.codes_to_customer[doc.customer_code] = customer_by_id[doc.billing_customer_id]
                self._new_customers.add(doc.customer_code)
            if doc.customer_code in self._organisers:
                self.organiser_codes.add(doc.customer_code)
                self._new_customers.add(doc.customer_code)
            for line in doc.lines:
                if (
                    not isinstance(line, DocComment)
                    and line.product_code not in self.needed_products
                ):
                    self.needed_products[line.product_code] = (line.name, line.vat_percent)
                    self._new_products.add(line.product_code)
            out.append(self._invoice(doc))
        return out

    def _invoice(self, doc: InvoiceDocument) -> DesiredObject:
        payload = invoice_payload(doc, status=self.invoice_status)
        deps = [customer_key(doc.customer_code)]
        deps += [product_key(line.product_code) for line in payload.product_lines]
        return DesiredObject.of(
            doc.key,
            ObjectKind.INVOICE,
            payload,
            invoice_summary(
                str(doc.period),
                doc.customer_code,
                len(payload.product_lines),
                doc.total,
                doc.is_credit_note,
            ),
            lines=tuple(
                b if b.document_key == doc.key else replace(b, document_key=doc.key)
                for b in doc.billed
            ),
            period=str(doc.period),
            customer_code=doc.customer_code,
            total=doc.total,
            depends_on=tuple(dict.fromkeys(deps)),
            editable=doc.key not in self.frozen,
        )

    def master_objects(self) -> list[DesiredObject]:
        """The customers and products the documents so far need (all of them: scope master)."""
        return self._objects(*self._needed())

    def new_master_objects(self, *, rest: bool = False) -> list[DesiredObject]:
        """The customers and products the documents handed over since the last call need and
        no earlier call returned (a streamed plan sends them before those documents); with
        ``rest``, also every other one :meth:`master_objects` has (scope "master")."""
        given = self._given
        if rest:
            customers, organisers, products = self._needed()
        else:  # only what is new: a streamed run calls this once per owner
            customers = {
                c: self.codes_to_customer[c]
                for c in self._new_customers
                if c in self.codes_to_customer
            }
            organisers = self._new_customers & self.organiser_codes
            products = {c: self.needed_products[c] for c in self._new_products}
        objects = self._objects(
            {c: v for c, v in customers.items() if customer_key(c) not in given},
            {c for c in organisers if customer_key(c) not in given},
            {c: v for c, v in products.items() if product_key(c) not in given},
        )
        given.update(obj.key for obj in objects)
        self._new_customers.clear()
        self._new_products.clear()
        return objects

    def _needed(
        self,
    ) -> tuple[dict[str, BillingCustomer], set[str], dict[str, tuple[str, Decimal] | None]]:
        """Customers by code, organiser codes and products by code that master data covers."""
        mappings = self.mappings
        codes_to_customer = dict(self.codes_to_customer)
        needed_products = dict(self.needed_products)
        if self.scope == "master":
            for customer in self.master.customers.values():
                codes_to_customer.setdefault(mappings.netvisor_customer_code(customer), customer)
            for mapped in mappings.products.values():
                needed_products.setdefault(mapped.netvisor_code, None)
        return codes_to_customer, self.organiser_codes, needed_products

    def _objects(
        self,
        codes_to_customer: dict[str, BillingCustomer],
        organiser_codes: Iterable[str],
        needed_products: dict[str, tuple[str, Decimal] | None],
    ) -> list[DesiredObject]:
        mappings = self.mappings
        desired: dict[str, DesiredObject] = {}
        # customers
        for code, customer in sorted(codes_to_customer.items()):
            override = mappings.customer_override(customer)
            record = customer_record(
                customer,
                code=code,
                payment_term_days=(
                    override.payment_term_days
                    if override and override.payment_term_days is not None
                    else self.payment_term_days
                ),
                einvoice_address=override.einvoice_address if override else None,
                einvoice_operator=override.einvoice_operator if override else None,
            )
            kind = "summary_person" if customer.is_person else "summary_company"
            desired[customer_key(code)] = DesiredObject.of(
                customer_key(code),
                ObjectKind.CUSTOMER,
                record,
                worded(kind, code=code),
                customer_code=code,
            )
        for code in sorted(organiser_codes):
            region = self._organisers[code]
            if customer_key(code) in desired or customer_key(code) in self._given:
                continue
            record = nv.CustomerRecord(
                code=region.organiser_customer_code,
                name=region.organiser_name,
                business_id=region.organiser_business_id,
                payment_term_days=self.payment_term_days,
            )
            desired[customer_key(record.code)] = DesiredObject.of(
                customer_key(record.code),
                ObjectKind.CUSTOMER,
                record,
                worded("summary_organiser", code=record.code),
                customer_code=record.code,
            )
        # products
        deduction_codes = {r.voucher_deduction_product for r in mappings.regions.values()}
        for code, line in sorted(needed_products.items()):
            mapping = mappings.product_by_netvisor_code(code)
            if mapping is not None:
                product = product_record(
                    code=code,
                    name=mapping.name,
                    unit=mapping.unit,
                    vat_percent=mapping.vat_percent,
                    register=self.master.products.get(mapping.spotilla_code),
                )
            elif line is not None:
                # e.g. the voucher-deduction product: defined by the region, priced per line,
                # and named generically (never after whichever line happened to use it first)
                line_name, vat_percent = line
                name = VOUCHER_DEDUCTION_NAME if code in deduction_codes else line_name
                product = product_record(
                    code=code, name=name, unit=None, vat_percent=vat_percent, register=None
                )
            else:
                continue
            desired[product_key(code)] = DesiredObject.of(
                product_key(code), ObjectKind.PRODUCT, product, worded("summary_product", code=code)
            )
        return list(desired.values())


def desired_objects(
    master: MasterData,
    documents: Iterable[InvoiceDocument],
    frozen: frozenset[str],
    *,
    mappings: Mappings,
    payment_term_days: int,
    invoice_status: str,
    scope: str,
) -> list[DesiredObject]:
    """Customers, products and invoices as this run wants them in Netvisor (all at once)."""
    builder = DesiredBuilder(
        master,
        frozen,
        mappings=mappings,
        payment_term_days=payment_term_days,
        invoice_status=invoice_status,
        scope=scope,
    )
    invoices = builder.invoices(documents)
    return [*builder.master_objects(), *invoices]
