"""The sandbox's store: Netvisor's records and how the write and read resources change and show
them, getsalesinvoice.nv in each reply layout Netvisor uses."""

from __future__ import annotations

import itertools
import threading
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from connector.sandbox.netvisor.schema import (
    CUSTOMER_SCHEMA,
    MATCH_CREDIT_NOTE_SCHEMA,
    PRODUCT_SCHEMA,
    SALES_INVOICE_SCHEMA,
    validate,
)
from connector.sandbox.netvisor.wire import (
    NetvisorFailure,
    add_child,
    cents,
    child_text,
    comma,
    comma4,
    dec,
    flag,
    int_or_none,
    opt_date,
    parse_body,
)

_INVOICE_STATUSES = frozenset({"unsent", "open", "sent", "paid", "overdue"})
#: The localised label getsalesinvoice.nv writes as InvoiceStatus text (status in the attribute).
_STATUS_LABELS = {
    "unsent": "Lähettämätön",
    "open": "Avoin",
    "sent": "Lähetetty",
    "paid": "Maksettu",
    "overdue": "Erääntynyt",
}
#: How getsalesinvoice.nv replies may be laid out. ``wrapper``: ``one`` (every line inside ONE
#: InvoiceLine, Netvisor's documented reply; the default) or ``per_line`` (one InvoiceLine per
#: line, as we send). ``key``: the reply carries SalesInvoiceNetvisorKey (newer documents) or not
#: (older documented replies). ``free_text``: each product line carries its
#: SalesInvoiceProductLineFreeText (the default) or none at all (replies seen in the field).
#: Comment lines come back only with ``showcommentlines=1``.
#: The company's payment terms (paymenttermlist.nv): NetvisorKey -> (description, net days,
#: default?). A customer's DefaultPaymentTerm type="netvisor" must name one of these keys.
PAYMENT_TERMS: dict[str, tuple[str, int, bool]] = {
    "1": ("7 päivää netto", 7, False),
    "2": ("14 päivää netto", 14, True),
    "3": ("30 päivää netto", 30, False),
}
REPLY_LAYOUTS = {"wrapper": ("one", "per_line"), "key": (True, False), "free_text": (True, False)}
DEFAULT_REPLY_LAYOUT: dict[str, Any] = {"wrapper": "one", "key": True, "free_text": True}


class NetvisorStore:
    """Customers, products and invoices with NetvisorKeys: what the write resources change and
    the read resources show. Mixed into :class:`~connector.sandbox.netvisor.app.NetvisorSandbox`,
    which holds the lock (``_state``) every method here runs under."""

    _state: threading.RLock

    def _init_store(self, reply_layout: dict[str, Any] | None) -> None:
        self._customers: dict[str, dict[str, Any]] = {}
        self._products: dict[str, dict[str, Any]] = {}
        self._invoices: dict[str, dict[str, Any]] = {}
        self._keys = itertools.count(1001)
        self._invoice_numbers = itertools.count(20001)
        self.reply_layout: dict[str, Any] = dict(DEFAULT_REPLY_LAYOUT)
        self.set_reply_layout(**(reply_layout or {}))

    def _locked_periods(self) -> list[tuple[date, date]]:
        """Date ranges whose accounting period is locked (the app's ``period_lock`` faults)."""
        return []

    # -- Python API: state ----------------------------------------------------------------------

    def customers(self) -> list[dict[str, Any]]:
        with self._state:
            return [dict(c) for c in self._customers.values()]

    def products(self) -> list[dict[str, Any]]:
        with self._state:
            return [dict(p) for p in self._products.values()]

    def invoices(self) -> list[dict[str, Any]]:
        with self._state:
            return [_copy_invoice(i) for i in self._invoices.values()]

    def invoice(self, key: str) -> dict[str, Any] | None:
        with self._state:
            inv = self._invoices.get(str(key))
            return _copy_invoice(inv) if inv else None

    # -- Python API: a person's actions ---------------------------------------------------------

    def set_invoice_status(self, key: str, status: str) -> None:
        """As a person in Netvisor: mark an invoice unsent/open/sent/paid."""
        if status not in _INVOICE_STATUSES:
            raise ValueError(f"unknown invoice status {status!r}")
        with self._state:
            inv = self._require_invoice(str(key))
            inv["status"] = status
            inv["open_sum"] = Decimal("0.00") if status == "paid" else inv["total"]

    def edit_invoice(self, key: str, **changes: Any) -> None:
        """As a person: change stored fields (private_comment, invoice_date, customer_code,
        status, total, lines ...)."""
        with self._state:
            inv = self._require_invoice(str(key))
            unknown = set(changes) - set(inv)
            if unknown:
                raise ValueError(f"unknown invoice fields: {sorted(unknown)}")
            inv.update(changes)
            if "total" in changes and "open_sum" not in changes:
                inv["open_sum"] = changes["total"]

    def delete_invoice(self, key: str) -> None:
        """As a person: delete an invoice."""
        with self._state:
            self._require_invoice(str(key))
            del self._invoices[str(key)]

    def _require_invoice(self, key: str) -> dict[str, Any]:
        inv = self._invoices.get(key)
        if inv is None:
            raise KeyError(f"no invoice with NetvisorKey {key}")
        return inv

    # -- Python API: reply layout ---------------------------------------------------------------

    def set_reply_layout(self, **layout: Any) -> None:
        """Choose how getsalesinvoice.nv replies look (see ``REPLY_LAYOUTS``), e.g.
        ``set_reply_layout(wrapper="per_line", key=False)``; unnamed parts keep their value."""
        for name, value in layout.items():
            if name not in REPLY_LAYOUTS:
                raise ValueError(f"unknown reply layout part {name!r}")
            if value not in REPLY_LAYOUTS[name]:
                raise ValueError(f"reply layout {name} must be one of {REPLY_LAYOUTS[name]}")
        with self._state:
            self.reply_layout = {**self.reply_layout, **layout}

    # -- writes ---------------------------------------------------------------------------------

    def _write(
        self, resource: str, method: str | None, query: dict[str, str], body: bytes
    ) -> tuple[str | None, list[Any]]:
        if resource == "updatesalesinvoicestatus.nv":
            key, status = query.get("netvisorkey", ""), query.get("status", "")
            inv = self._invoices.get(key)
            if inv is None:
                raise NetvisorFailure("INVALID_DATA", f"Sales invoice {key} not found")
            if status not in _INVOICE_STATUSES:
                raise NetvisorFailure("INVALID_DATA", f"Unknown status {status}")
            inv["status"] = status
            inv["open_sum"] = Decimal("0.00") if status == "paid" else inv["total"]
            return None, []
        root = parse_body(body)
        if resource == "matchcreditnote.nv":
            validate(root, MATCH_CREDIT_NOTE_SCHEMA)
            self._match(root)
            return None, []
        if method not in ("add", "edit"):
            raise NetvisorFailure("INVALID_DATA", f"method must be add or edit, got {method}")
        edit_key = query.get("id") if method == "edit" else None
        if method == "edit" and not edit_key:
            raise NetvisorFailure("INVALID_DATA", "edit needs id")
        if resource == "customer.nv":
            validate(root, CUSTOMER_SCHEMA)
            return self._save_customer(root, edit_key), []
        if resource == "product.nv":
            validate(root, PRODUCT_SCHEMA)
            return self._save_product(root, edit_key), []
        validate(root, SALES_INVOICE_SCHEMA)
        return self._save_invoice(root, edit_key), []

    def _new_key(self) -> str:
        return str(next(self._keys))

    def _save_customer(self, root: Any, edit_key: str | None) -> str | None:
        base = root.find("Customer/CustomerBaseInformation")
        fields = {
            "code": child_text(base, "InternalIdentifier"),
            "business_id": child_text(base, "ExternalIdentifier"),
            "name": child_text(base, "Name"),
            "street": child_text(base, "StreetAddress"),
            "city": child_text(base, "City"),
            "post_number": child_text(base, "PostNumber"),
            "country": child_text(base, "Country"),
            "phone": child_text(base, "PhoneNumber"),
            "email": child_text(base, "Email"),
            "is_active": flag(child_text(base, "IsActive")),
            "is_private": flag(child_text(base, "IsPrivateCustomer")),
            "einvoice_address": child_text(
                root, "Customer/CustomerFinvoiceDetails/FinvoiceAddress"
            ),
            "einvoice_operator": child_text(
                root, "Customer/CustomerFinvoiceDetails/FinvoiceRouterCode"
            ),
            "payment_term": self._payment_term(root),
        }
        code = fields["code"]
        if edit_key is None:
            if code and any(c["code"] == code for c in self._customers.values()):
                raise NetvisorFailure("DUPLICATE_DATA", f"Customer with code {code} already exists")
            key = self._new_key()
            fields["code"] = code or key
            self._customers[key] = {"key": key, **{k: v for k, v in fields.items()}}
            return key
        stored = self._customers.get(edit_key)
        if stored is None:
            raise NetvisorFailure("INVALID_DATA", f"Customer {edit_key} not found")
        if code and any(c["code"] == code and k != edit_key for k, c in self._customers.items()):
            raise NetvisorFailure("DUPLICATE_DATA", f"Customer with code {code} already exists")
        stored.update({k: v for k, v in fields.items() if v is not None})  # omitted = kept
        return None

    def _payment_term(self, root: Any) -> str | None:
        el = root.find("Customer/CustomerAdditionalInformation/DefaultPaymentTerm")
        if el is None:
            return None
        value = (el.text or "").strip()
        if el.get("type") == "netvisor" and value not in PAYMENT_TERMS:
            raise NetvisorFailure(
                "INVALID_DATA", f"DefaultPaymentTerm {value!r} is not a payment term NetvisorKey"
            )
        if el.get("type") == "customer" and value not in {d for d, _, _ in PAYMENT_TERMS.values()}:
            raise NetvisorFailure("INVALID_DATA", f"No payment term named {value!r}")
        return value

    def _save_product(self, root: Any, edit_key: str | None) -> str | None:
        base = root.find("Product/ProductBaseInformation")
        fields = {
            "code": child_text(base, "ProductCode"),
            "group": child_text(base, "ProductGroup"),
            "name": child_text(base, "Name"),
            "description": child_text(base, "Description"),
            "unit_price": dec(child_text(base, "UnitPrice")),
            "unit_price_type": base.find("UnitPrice").get("type"),
            "unit": child_text(base, "Unit"),
            "is_active": flag(child_text(base, "IsActive")),
            "is_sales_product": flag(child_text(base, "IsSalesProduct")),
            "vat_percent": dec(
                child_text(root, "Product/ProductBookkeepingDetails/DefaultVatPercentage")
            ),
        }
        code = fields["code"]
        if edit_key is None:
            if any(p["code"] == code for p in self._products.values()):
                raise NetvisorFailure("DUPLICATE_DATA", f"Product with code {code} already exists")
            key = self._new_key()
            self._products[key] = {"key": key, **fields}
            return key
        stored = self._products.get(edit_key)
        if stored is None:
            raise NetvisorFailure("INVALID_DATA", f"Product {edit_key} not found")
        if any(p["code"] == code and k != edit_key for k, p in self._products.items()):
            raise NetvisorFailure("DUPLICATE_DATA", f"Product with code {code} already exists")
        stored.update({k: v for k, v in fields.items() if v is not None})
        return None

    def _customer_code(self, el: Any) -> str:
        return _code_of(el, self._customers, "Customer")

    def _product_code(self, el: Any) -> str:
        return _code_of(el, self._products, "Product")

    def _save_invoice(self, root: Any, edit_key: str | None) -> str | None:
        si = root.find("SalesInvoice")
        invoice_date = date.fromisoformat(child_text(si, "SalesInvoiceDate") or "")
        for start, end in self._locked_periods():
            if start <= invoice_date <= end:
                raise NetvisorFailure(
                    "PERIOD_LOCK", f"Accounting period is locked for {invoice_date.isoformat()}"
                )
        status = child_text(si, "SalesInvoiceStatus") or ""
        if status not in ("unsent", "open"):
            raise NetvisorFailure(
                "INVALID_DATA", f"Sales invoice status {status} cannot be imported"
            )
        customer_code = self._customer_code(si.find("InvoicingCustomerIdentifier"))
        if (
            child_text(si, "PaymentTermNetDays") is None
            and child_text(si, "SalesInvoiceDueDate") is None
        ):
            raise NetvisorFailure("INVALID_DATA", "Payment term net days or due date is required")
        lines: list[dict[str, Any]] = []
        line_sum_total = Decimal("0.00")
        for line_el in si.find("InvoiceLines"):
            if not isinstance(line_el.tag, str):
                continue
            pl = line_el.find("SalesInvoiceProductLine")
            if pl is None:
                lines.append({"comment": child_text(line_el, "SalesInvoiceCommentLine/Comment")})
                continue
            line, gross = self._product_line(pl)
            lines.append(line)
            line_sum_total += gross
        if not any("product_code" in line for line in lines):
            raise NetvisorFailure("INVALID_DATA", "At least one product line is required")
        total = dec(child_text(si, "SalesInvoiceAmount"))
        assert total is not None
        if total != line_sum_total:
            raise NetvisorFailure(
                "INVALID_DATA",
                f"SalesInvoiceAmount {comma(total)} differs from the sum of lines {comma(line_sum_total)}",
            )
        if cents(total) != total:
            raise NetvisorFailure("INVALID_DATA", "SalesInvoiceAmount has more than 2 decimals")
        record = {
            "invoice_date": invoice_date,
            "delivery_date": opt_date(child_text(si, "SalesInvoiceDeliveryDate")),
            "total": total,
            "status": status,
            "customer_code": customer_code,
            "payment_term_days": int_or_none(child_text(si, "PaymentTermNetDays")),
            "private_comment": child_text(si, "SalesInvoicePrivateComment"),
            "free_text_before": child_text(si, "SalesInvoiceFreeTextBeforeLines"),
            "free_text_after": child_text(si, "SalesInvoiceFreeTextAfterLines"),
            "our_reference": child_text(si, "SalesInvoiceOurReference"),
            "your_reference": child_text(si, "SalesInvoiceYourReference"),
            "lines": lines,
        }
        if edit_key is None:
            key = self._new_key()
            self._invoices[key] = {
                "key": key,
                "number": str(next(self._invoice_numbers)),
                **record,
                "open_sum": total,
                "matched_to": None,
            }
            return key
        stored = self._invoices.get(edit_key)
        if stored is None:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {edit_key} not found")
        if stored["status"] != "unsent":
            raise NetvisorFailure(
                "INVALID_DATA",
                f"Sales invoice {edit_key} is {stored['status']} and cannot be edited",
            )
        stored.update(record)
        stored["open_sum"] = total
        return None

    def _product_line(self, pl: Any) -> tuple[dict[str, Any], Decimal]:
        code = self._product_code(pl.find("ProductIdentifier"))
        price = dec(child_text(pl, "ProductUnitPrice"))
        qty = dec(child_text(pl, "SalesInvoiceProductLineQuantity"))
        vat = dec(child_text(pl, "ProductVatPercentage"))
        assert price is not None and qty is not None and vat is not None
        if price < 0:
            raise NetvisorFailure(
                "INVALID_DATA", "Unit price must not be negative; credit with a negative quantity"
            )
        discount = dec(child_text(pl, "SalesInvoiceProductLineDiscountPercentage")) or Decimal(0)
        net = cents(qty * price * (Decimal(100) - discount) / Decimal(100))
        vat_sum = cents(net * vat / Decimal(100))
        gross = net + vat_sum
        given_vat = dec(child_text(pl, "SalesInvoiceProductLineVatSum"))
        given_sum = dec(child_text(pl, "SalesInvoiceProductLineSum"))
        if (given_vat is None) != (given_sum is None):
            raise NetvisorFailure("INVALID_DATA", "Give both line VAT sum and line sum, or neither")
        if given_sum is not None and (given_vat != vat_sum or given_sum != gross):
            raise NetvisorFailure(
                "INVALID_DATA",
                f"Line sums {comma(given_sum)}/{comma(given_vat)} do not match "
                f"{comma(gross)}/{comma(vat_sum)} for product {code}",
            )
        line = {
            "product_code": code,
            "name": child_text(pl, "ProductName"),
            "unit_price": price,
            "quantity": qty,
            "vat_percent": vat,
            "vat_code": pl.find("ProductVatPercentage").get("vatcode"),
            "free_text": child_text(pl, "SalesInvoiceProductLineFreeText"),
            "vat_sum": vat_sum,
            "sum": gross,
            "dimensions": [
                (child_text(d, "DimensionName"), child_text(d, "DimensionItem"))
                for d in pl.findall("Dimension")
            ],
        }
        return line, gross

    def _match(self, root: Any) -> None:
        credit_key = child_text(root, "MatchCreditNote/CreditNoteNetvisorKey") or ""
        invoice_key = child_text(root, "MatchCreditNote/InvoiceNetvisorKey") or ""
        credit, invoice = self._invoices.get(credit_key), self._invoices.get(invoice_key)
        if credit is None:
            raise NetvisorFailure("INVALID_DATA", f"Credit note {credit_key} not found")
        if invoice is None:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {invoice_key} not found")
        if credit["total"] >= 0:
            raise NetvisorFailure(
                "INVALID_DATA", f"Sales invoice {credit_key} is not a credit note"
            )
        if invoice["total"] <= 0:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {invoice_key} is a credit note")
        for k, inv in ((credit_key, credit), (invoice_key, invoice)):
            if inv["status"] != "open":
                raise NetvisorFailure(
                    "INVALID_DATA", f"Sales invoice {k} is {inv['status']}, not open"
                )
        if credit.get("matched_to"):
            raise NetvisorFailure("INVALID_DATA", f"Credit note {credit_key} is already matched")
        credit["matched_to"] = invoice_key
        amount = min(-credit["open_sum"], invoice["open_sum"])
        invoice["open_sum"] -= amount
        credit["open_sum"] += amount
        # statuses stay as they are (unverified whether Netvisor marks fully matched ones paid)

    # -- reads ----------------------------------------------------------------------------------

    def _read(self, resource: str, query: dict[str, str]) -> list[Any]:
        if resource == "customerlist.nv":
            return [self._customer_list(query)]
        if resource in ("productlist.nv", "getproduct.nv"):
            return self._product_read(resource, query)
        if resource == "salesinvoicelist.nv":
            return [self._invoice_list(query)]
        if resource == "paymenttermlist.nv":
            return [self._payment_term_list()]
        return [self._get_invoices(query)]

    def _payment_term_list(self) -> Any:
        out = etree.Element("PaymentTermList")
        for key, (description, days, is_default) in PAYMENT_TERMS.items():
            term = etree.SubElement(out, "PaymentTerm")
            add_child(term, "NetvisorKey", key)
            add_child(term, "Description", description)
            add_child(term, "NetDays", str(days))
            add_child(term, "DiscountDays", "0")
            add_child(term, "DiscountPercent", "0")
            add_child(term, "IsDefault", "1" if is_default else "0")
        return out

    def _customer_list(self, query: dict[str, str]) -> Any:
        if "customercodelist" in query:
            codes = [c for c in query["customercodelist"].split(",") if c]
            if len(codes) > 100:
                raise NetvisorFailure("INVALID_DATA_SIZE", "At most 100 customer codes")
            found = [c for c in self._customers.values() if c["code"] in codes]
        else:
            word = query.get("keyword", "").lower()
            found = [
                c
                for c in self._customers.values()
                if word in (c["code"] or "").lower() or word in (c["name"] or "").lower()
            ]
        out = etree.Element("Customerlist")  # sic: Netvisor's casing
        for c in found:
            el = etree.SubElement(out, "Customer")
            add_child(el, "Netvisorkey", c["key"])  # sic: lower-case k in this resource
            add_child(el, "Name", c["name"])
            add_child(el, "Code", c["code"])
            add_child(el, "OrganisationIdentifier", c["business_id"] or "")
            add_child(el, "IsActive", "Kyllä" if c["is_active"] else "Ei")
            add_child(el, "Uri", f"/getcustomer.nv?id={c['key']}")
        return out

    def _product_read(self, resource: str, query: dict[str, str]) -> list[Any]:
        if resource == "getproduct.nv":
            ident = query.get("id") or query.get("code")
            found = [
                p
                for p in self._products.values()
                if (query.get("id") and p["key"] == ident)
                or (query.get("code") and p["code"] == ident)
            ]
            if not found:
                raise NetvisorFailure("INVALID_DATA", f"Product {ident} not found")
            out = etree.Element("Product")
            base = etree.SubElement(out, "ProductBaseInformation")
            p = found[0]
            add_child(base, "NetvisorKey", p["key"])
            add_child(base, "ProductCode", p["code"])
            add_child(base, "Name", p["name"])
            price = etree.SubElement(base, "UnitPrice", type=p["unit_price_type"] or "net")
            price.text = comma(p["unit_price"])
            add_child(base, "IsActive", "1" if p["is_active"] else "0")
            return [out]
        word = query.get("keyword", "").lower()
        out = etree.Element("ProductList")
        for p in self._products.values():
            if word in p["code"].lower() or word in (p["name"] or "").lower():
                el = etree.SubElement(out, "Product")
                add_child(el, "NetvisorKey", p["key"])
                add_child(el, "ProductCode", p["code"])
                add_child(el, "Name", p["name"])
                add_child(el, "UnitPrice", comma(p["unit_price"]))
                add_child(el, "Uri", f"/getproduct.nv?id={p['key']}")
        return [out]

    def _invoice_list(self, query: dict[str, str]) -> Any:
        begin = opt_date(query.get("begininvoicedate"))
        end = opt_date(query.get("endinvoicedate"))
        out = etree.Element("SalesInvoiceList")
        for inv in self._invoices.values():
            if (begin and inv["invoice_date"] < begin) or (end and inv["invoice_date"] > end):
                continue
            if query.get("customercode") and inv["customer_code"] != query["customercode"]:
                continue
            if query.get("invoicestatus") and inv["status"] != query["invoicestatus"]:
                continue
            el = etree.SubElement(out, "SalesInvoice")
            add_child(el, "NetvisorKey", inv["key"])
            add_child(el, "InvoiceNumber", inv["number"])
            d = etree.SubElement(el, "Invoicedate", format="ansi")  # sic: Netvisor's casing
            d.text = inv["invoice_date"].isoformat()
            status = etree.SubElement(el, "InvoiceStatus", substatus="")
            status.text = inv["status"]
            add_child(el, "CustomerCode", inv["customer_code"])
            add_child(el, "InvoiceSum", comma(inv["total"]))
            add_child(el, "OpenSum", comma(inv["open_sum"]))
        return out

    def _get_invoices(self, query: dict[str, str]) -> Any:
        comments = query.get("showcommentlines") == "1"
        if "netvisorkeylist" in query:
            if "netvisorkey" in query:
                raise NetvisorFailure(
                    "INVALID_DATA", "Give netvisorkey or netvisorkeylist, not both"
                )
            keys = [k for k in query["netvisorkeylist"].split(",") if k]
            if len(keys) > 500:
                raise NetvisorFailure("INVALID_DATA_SIZE", "At most 500 keys")
            out = etree.Element("SalesInvoices")
            for k in keys:
                if k in self._invoices:
                    out.append(self._invoice_element(self._invoices[k], comments))
            return out
        key = query.get("netvisorkey", "")
        if key not in self._invoices:
            # as Netvisor does: OK with an empty SalesInvoice (golden getsalesinvoice_not_found)
            return etree.Element("SalesInvoice")
        return self._invoice_element(self._invoices[key], comments)

    def _invoice_element(self, inv: dict[str, Any], comments: bool) -> Any:
        """One invoice in ``getsalesinvoice.nv``'s reply shape, per :attr:`reply_layout`."""
        layout = self.reply_layout
        el = etree.Element("SalesInvoice")
        if layout["key"]:
            add_child(el, "SalesInvoiceNetvisorKey", inv["key"])
        add_child(el, "SalesInvoiceNumber", inv["number"])
        d = etree.SubElement(el, "SalesInvoiceDate", format="ansi")
        d.text = inv["invoice_date"].isoformat()
        add_child(el, "SalesInvoiceAmount", comma(inv["total"]))
        status = etree.SubElement(el, "InvoiceStatus", status=inv["status"])
        status.text = _STATUS_LABELS.get(inv["status"], inv["status"])
        add_child(el, "SalesInvoicePrivateComment", inv["private_comment"] or "")
        add_child(el, "InvoicingCustomerCode", inv["customer_code"])
        customer = self._customers.get(inv["customer_code"])
        if customer is not None:
            add_child(el, "InvoicingCustomerNetvisorKey", customer["key"])
        add_child(el, "PaymentTermNetDays", str(inv["payment_term_days"] or ""))
        lines = etree.SubElement(el, "InvoiceLines")
        shared = etree.SubElement(lines, "InvoiceLine") if layout["wrapper"] == "one" else None
        for line in inv["lines"]:
            if "comment" in line and not comments:
                continue
            wrapper = shared if shared is not None else etree.SubElement(lines, "InvoiceLine")
            if "comment" in line:
                c = etree.SubElement(wrapper, "SalesInvoiceCommentLine")
                add_child(c, "Comment", line["comment"] or "")
                continue
            pl = etree.SubElement(wrapper, "SalesInvoiceProductLine")
            ident = etree.SubElement(pl, "ProductIdentifier", type="customer")
            ident.text = line["product_code"]
            add_child(pl, "ProductName", line["name"])
            price = etree.SubElement(pl, "ProductUnitPrice", type="net")
            price.text = format(line["unit_price"], "f").replace(".", ",")
            vat = etree.SubElement(pl, "ProductVatPercentage", vatcode=line["vat_code"] or "")
            vat.text = format(line["vat_percent"], "f").replace(".", ",")
            add_child(
                pl,
                "SalesInvoiceProductLineQuantity",
                format(line["quantity"], "f").replace(".", ","),
            )
            if layout["free_text"]:
                add_child(pl, "SalesInvoiceProductLineFreeText", line["free_text"] or "")
            # Netvisor writes line sums with four decimals
            add_child(pl, "SalesInvoiceProductLineVatSum", comma4(line["vat_sum"]))
            add_child(pl, "SalesInvoiceProductLineSum", comma4(line["sum"]))
        return el


def _code_of(el: Any, records: dict[str, dict[str, Any]], what: str) -> str:
    """The code of the record an identifier element names (type="netvisor": by key)."""
    ident = (el.text or "").strip()
    if el.get("type") == "netvisor":
        found = records.get(ident)
    else:
        found = next((r for r in records.values() if r["code"] == ident), None)
    if found is None:
        raise NetvisorFailure("INVALID_DATA", f"{what} {ident} not found")
    return found["code"]


def _copy_invoice(inv: dict[str, Any]) -> dict[str, Any]:
    out = dict(inv)
    out["lines"] = [dict(line) for line in inv["lines"]]
    return out
