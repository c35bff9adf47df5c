"""Texts and numbers for people, in Finnish (the default) or English.

Everything a person reads — the CLI summary, plan, status, quarantine, the run report — goes
through :class:`Texts`. Wire formats (Netvisor XML, JSON output, CSV columns read by programs, the
ledger) never do: they keep ISO dates and decimal points.

Formatting is Babel's (CLDR data), with these decisions:

- amounts: ``format_currency(..., "EUR", locale="fi_FI")`` gives ``1 234,56 €`` where both spaces
  are U+00A0 NO-BREAK SPACE. We keep them: an amount never wraps across two lines, in a terminal
  or in the printed report. English gives ``€1,234.56``.
- dates: ``d.M.yyyy`` in Finnish (``5.1.2026``, no leading zeros), ISO in English.
- quantities: the value's own decimals with a decimal comma (``1,5``); no rounding.
- times: converted to Europe/Helsinki (billing periods are Helsinki months), ``d.M.yyyy H.mm``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from connector.core.money import round_money

Language = Literal["fi", "en"]
LANGUAGES: tuple[Language, ...] = ("fi", "en")
HELSINKI = ZoneInfo("Europe/Helsinki")
_LOCALE = {"fi": "fi_FI", "en": "en_GB"}

#: The message catalogue: one key per text a person reads; ``{name}`` fields are ``str.format``.
MESSAGES: Mapping[str, Mapping[Language, str]] = {
    # run report
    "report.title": {"fi": "Ajoraportti {run}", "en": "Run report {run}"},
    "report.run": {"fi": "Ajo", "en": "Run"},
    "report.command": {"fi": "Komento", "en": "Command"},
    "report.as_of": {"fi": "Päivämäärä", "en": "As of"},
    "report.status": {"fi": "Tila", "en": "Status"},
    "report.generated": {"fi": "Laadittu", "en": "Generated"},
    "report.periods": {"fi": "Laskutetut kaudet", "en": "Periods invoiced"},
    "report.customers": {"fi": "Laskutusasiakkaat", "en": "Billing customers"},
    "report.organisers": {"fi": "Järjestäjät (PSOP)", "en": "Organisers (PSOP)"},
    "report.quarantine": {"fi": "Karanteeni", "en": "Quarantine"},
    "report.review": {"fi": "Tarkistettavat", "en": "Held for review"},
    "report.totals": {"fi": "Yhteensä", "en": "Total"},
    "report.none": {"fi": "Ei rivejä.", "en": "None."},
    "report.names_note": {
        "fi": "Nimet näkyvät vain ajon aikana laaditussa raportissa; kirjanpidosta "
        "uudelleen laadittu raportti näyttää asiakastunnukset.",
        "en": "Names show only in the report written during the run; a report re-rendered "
        "from the ledger shows customer codes.",
    },
    "col.document": {"fi": "Asiakirja", "en": "Document"},
    "col.period": {"fi": "Kausi", "en": "Period"},
    "col.customer": {"fi": "Asiakas", "en": "Customer"},
    "col.name": {"fi": "Nimi", "en": "Name"},
    "col.psop": {"fi": "PSOP-numerot", "en": "PSOP numbers"},
    "col.region": {"fi": "Alue", "en": "Region"},
    "col.lines": {"fi": "Rivejä", "en": "Lines"},
    "col.net": {"fi": "Veroton", "en": "Net"},
    "col.vat": {"fi": "ALV", "en": "VAT"},
    "col.gross": {"fi": "Verollinen", "en": "Gross"},
    "col.voucher": {"fi": "Palvelusetelin osuus", "en": "Voucher share"},
    "col.self_pay": {"fi": "Omavastuu", "en": "Self-pay"},
    "col.held": {"fi": "Pidätetty", "en": "Held"},
    "col.invoice_number": {"fi": "Laskunumero", "en": "Invoice number"},
    "col.netvisor_key": {"fi": "Netvisor-avain", "en": "Netvisor key"},
    "col.state": {"fi": "Tila", "en": "State"},
    "col.kind": {"fi": "Tyyppi", "en": "Kind"},
    "col.record": {"fi": "Tietue", "en": "Record"},
    "col.rule": {"fi": "Sääntö", "en": "Rule"},
    "col.reason": {"fi": "Syy", "en": "Reason"},
    "col.todo": {"fi": "Mitä tehdä", "en": "What to do"},
    "todo.quarantine": {
        "fi": "Korjaa tieto Spotillassa tai mappauksissa ja aja `connector quarantine retry {id}`.",
        "en": "Fix the record in Spotilla or the mappings, then run "
        "`connector quarantine retry {id}`.",
    },
    "todo.review": {
        "fi": "Järjestäjän päätös tarvitaan; kirjaa päätös ja aja `connector quarantine retry {id}`.",
        "en": "The organiser must decide; record the decision, then run "
        "`connector quarantine retry {id}`.",
    },
    # CLI summary / plan / status
    "summary.run": {
        "fi": "Ajo {run} — {command}, päivämäärä {today}",
        "en": "Run {run} — {command}, as of {today}",
    },
    "summary.read_only": {"fi": "(vain luku)", "en": "(read-only)"},
    "summary.periods": {"fi": "laskutetut kaudet: {periods}", "en": "periods invoiced: {periods}"},
    "summary.reread": {
        "fi": "korjauksia varten luetut kaudet: {periods}",
        "en": "periods re-read for corrections: {periods}",
    },
    "summary.read": {
        "fi": "luettu {records} tietuetta; {documents} asiakirjaa, yhteensä {total} (veroton)",
        "en": "read {records} records; {documents} documents worth {total} (net)",
    },
    "summary.netvisor": {
        "fi": "Netvisor: {created} luotu, {updated} päivitetty, {skipped} ennallaan, "
        "{rejected} hylätty, {unknown} epävarma, {failed} lähettämättä "
        "({requests} pyyntöä, {writes} kirjoitusta)",
        "en": "Netvisor: {created} created, {updated} updated, {skipped} unchanged, "
        "{rejected} rejected, {unknown} unknown, {failed} not sent "
        "({requests} requests, {writes} writes)",
    },
    "summary.reconciled": {
        "fi": "täsmäytetty: {found} löytyi Netvisorista, {missing} ei toteutunut "
        "(lähetetään uudelleen, jos yhä tarpeen)",
        "en": "reconciled: {found} found in Netvisor, {missing} did not happen "
        "(sent again when still wanted)",
    },
    "summary.quarantined": {
        "fi": "karanteenissa: {quarantined}, tarkastettavana: {held}",
        "en": "quarantined: {quarantined}, held for review: {held}",
    },
    "summary.more": {
        "fi": "… ja {more} muuta (connector quarantine list)",
        "en": "… and {more} more (connector quarantine list)",
    },
    "summary.note": {"fi": "huom: {notice}", "en": "note: {notice}"},
    "summary.outbox": {
        "fi": "kuivaharjoitus: XML-sanomat kirjoitettiin kansioon {path}",
        "en": "dry run: XML bodies written to {path}",
    },
    "summary.report": {"fi": "raportti: {path}", "en": "report: {path}"},
    "summary.stopped": {
        "fi": "PYSÄYTETTY pyynnöstä ennen kuin kaikki oli tehty (kesken ollut kirjoitus vietiin "
        "loppuun ja kirjattiin); aja `connector sync` uudelleen, niin loput tehdään",
        "en": "STOPPED on request before all actions were done (the write under way was "
        "finished and recorded); run `connector sync` again to finish the rest",
    },
    "summary.aborted": {"fi": "KESKEYTETTY: {error}", "en": "ABORTED: {error}"},
    "plan.nothing": {
        "fi": "Ei tehtävää: Netvisorissa on jo kaikki halutulla tavalla.",
        "en": "Nothing to do: Netvisor already holds everything as desired.",
    },
    "plan.no_writes": {"fi": "Ei lähetettävää.", "en": "No writes planned."},
    "plan.footer": {
        "fi": "{writes} kirjoitusta suunniteltu, {skips} ennallaan. Mitään ei muutettu.",
        "en": "{writes} writes planned, {skips} unchanged. Nothing was changed.",
    },
    "plan.withheld": {
        "fi": "Pidätetty (tämä suunnitelma ei lähetä):",
        "en": "Withheld (not sent by this plan):",
    },
    "plan.how": {"fi": "miten", "en": "how"},
    "withheld.deferred": {
        "fi": "{count} korjausriviä kaudelta {period} ({amount} veroton): kauden asiakirjat on "
        "lukittu, eikä samalle asiakkaalle tai järjestäjälle ole vielä myöhempää asiakirjaa",
        "en": "{count} correction lines of {period} ({amount} net): that period's documents "
        "are frozen and no later document of the same customer or organiser exists yet",
    },
    "withheld.deferred_how": {
        "fi": "ne tulevat kunkin asiakkaan tai järjestäjän seuraavalle asiakirjalle, kun "
        "myöhempi kausi laskutetaan; nopeammin vain laskuttamalla ne käsin Netvisorissa",
        "en": "they go on the next document of each customer or organiser when a later "
        "period is invoiced; to bill them sooner, invoice them by hand in Netvisor",
    },
    "withheld.documents": {
        "fi": "{count} asiakirjaa pidätetty: {shown}",
        "en": "{count} documents held: {shown}",
    },
    "withheld.documents_how": {
        "fi": "hylätty asiakirja: korjaa ja aja `connector quarantine retry AVAIN`; lukittu: "
        "muutokset menevät seuraavalle asiakirjalle",
        "en": "a rejected document: fix it, then `connector quarantine retry KEY`; a frozen "
        "one: its changes go to the next document",
    },
    "withheld.in_doubt": {
        "fi": "{count} kirjoitusta epävarmoja (vastaus katosi)",
        "en": "{count} writes in doubt (an answer was lost)",
    },
    "withheld.in_doubt_how": {
        "fi": "`connector reconcile` (tai seuraava sync) selvittää ne ensin",
        "en": "`connector reconcile` (or the next sync) settles them first",
    },
    "withheld.review": {
        "fi": "{count} tietuetta tarkastettavana",
        "en": "{count} records held for review",
    },
    "withheld.review_how": {
        "fi": "`connector quarantine list`: ihminen päättää, sitten "
        "`connector quarantine retry ID`",
        "en": "`connector quarantine list`: a person decides, then `connector quarantine retry ID`",
    },
    "status.runs": {"fi": "Viimeisimmät ajot:", "en": "Last runs:"},
    "status.runs_head": {
        "fi": "AJO|KOMENTO|ALKOI|TILA|LUOTU|PÄIVITETTY|ENNALLAAN|HYLÄTTY|EPÄVARMA|KARANTEENISSA",
        "en": "RUN|COMMAND|STARTED|STATUS|CREATED|UPDATED|UNCHANGED|REJECTED|UNKNOWN|QUARANTINED",
    },
    "status.objects": {
        "fi": "Netvisorin kohteet tiloittain:",
        "en": "Netvisor objects by state:",
    },
    "status.objects_head": {"fi": "TYYPPI|TILA|MÄÄRÄ", "en": "KIND|STATE|COUNT"},
    "status.quarantined": {
        "fi": "Karanteenissa: {count} (connector quarantine list)",
        "en": "Quarantined records: {count} (connector quarantine list)",
    },
    "status.in_doubt": {
        "fi": "Täsmäytettävänä: {count}",
        "en": "Pending reconciliation: {count}",
    },
    "quarantine.empty": {"fi": "karanteeni on tyhjä", "en": "quarantine is empty"},
    "quarantine.head": {
        "fi": "ID|TYYPPI|TIETUE|SÄÄNTÖ|SYY|ENSIN NÄHTY|VIIMEKSI NÄHTY|RATKAISTU",
        "en": "ID|KIND|RECORD|RULE|REASON|FIRST SEEN|LAST SEEN|RESOLVED",
    },
    # fleet (connector fleet ...)
    "fleet.check_ok": {
        "fi": "{company}: asetukset ja kuvaukset kunnossa ({summary})",
        "en": "{company}: config and mappings OK ({summary})",
    },
    "fleet.check_failed": {
        "fi": "{company}: {count} virhettä:",
        "en": "{company}: {count} problems:",
    },
    "fleet.check_total": {
        "fi": "{fleet}: {total} yritystä, {bad} virheellisiä",
        "en": "{fleet}: {total} companies, {bad} with problems",
    },
    "fleet.line": {
        "fi": "{company}: {status} – luotu {created}, päivitetty {updated}, ennallaan "
        "{skipped}, tarkastettavana {held}, karanteenissa {quarantined}, epävarma {unknown}, "
        "hylätty {rejected} ({seconds} s)",
        "en": "{company}: {status} – created {created}, updated {updated}, unchanged "
        "{skipped}, held {held}, quarantined {quarantined}, in doubt {unknown}, "
        "rejected {rejected} ({seconds} s)",
    },
    "fleet.line_failed": {
        "fi": "{company}: {status} ({error_type}): {message}",
        "en": "{company}: {status} ({error_type}): {message}",
    },
    "fleet.line_not_started": {
        "fi": "{company}: {status} (pysäytetty ennen kuin sen vuoro tuli)",
        "en": "{company}: {status} (stopped before its turn came)",
    },
    "fleet.progress": {
        "fi": "{done}/{total} valmiina, käynnissä {running}: {names}",
        "en": "{done}/{total} done, {running} running: {names}",
    },
    "fleet.total": {
        "fi": "{total} yritystä: {ok} valmis, {partial} odottaa ihmistä, {failed} "
        "epäonnistui tai keskeytyi ({seconds} s)",
        "en": "{total} companies: {ok} done, {partial} with something waiting, {failed} "
        "failed or cut short ({seconds} s)",
    },
    "fleet.stopping": {
        "fi": "{signal}: käynnissä olevat kirjoitukset viedään loppuun, sitten lopetetaan…",
        "en": "{signal}: finishing the writes under way, then stopping…",
    },
    "fleet.status.ok": {"fi": "OK", "en": "OK"},
    "fleet.status.partial": {"fi": "ODOTTAA", "en": "WAITING"},
    "fleet.status.stopped": {"fi": "KESKEYTETTY", "en": "CUT SHORT"},
    "fleet.status.aborted": {"fi": "KESKEYTYI", "en": "ABORTED"},
    "fleet.status.failed": {"fi": "EPÄONNISTUI", "en": "FAILED"},
    "fleet.status.locked": {"fi": "LUKITTU", "en": "LOCKED"},
    "fleet.status.not_started": {"fi": "EI ALOITETTU", "en": "NOT STARTED"},
    "fleet.status.running": {"fi": "KÄYNNISSÄ", "en": "RUNNING"},
    "fleet.status.never": {"fi": "EI AJETTU", "en": "NEVER RUN"},
    "fleet.status_head": {
        "fi": "YRITYS|VIIMEISIN AJO|TULOS|ASIAKIRJAT|TARKASTETTAVANA|KARANTEENISSA|EPÄVARMA|"
        "HYLÄTTY|SEURAAVA AJO|PERÄKKÄISET VIRHEET",
        "en": "COMPANY|LAST RUN|RESULT|DOCUMENTS|HELD|QUARANTINED|IN DOUBT|REJECTED|NEXT RUN|"
        "FAILURES IN A ROW",
    },
    "fleet.backoff": {
        "fi": "{failures} peräkkäistä virhettä: seuraava yritys aikaisintaan {until}",
        "en": "{failures} failures in a row: next attempt not before {until}",
    },
    "fleet.check_line": {
        "fi": "FLEET {state} - pahin {company}: {line}",
        "en": "FLEET {state} - worst {company}: {line}",
    },
    "fleet.check_all_ok": {
        "fi": "FLEET OK - {total} yritystä kunnossa",
        "en": "FLEET OK - {total} companies OK",
    },
    "check.ok": {"fi": "OK", "en": "OK"},
    "check.warning": {"fi": "VAROITUS", "en": "WARNING"},
    "check.critical": {"fi": "KRIITTINEN", "en": "CRITICAL"},
}


def message(key: str, language: Language = "fi", /, **fields: object) -> str:
    """The text ``key`` in ``language`` with ``fields`` filled in (English if a text is missing)."""
    texts = MESSAGES[key]
    text = texts.get(language) or texts["en"]
    return text.format(**fields) if fields else text


@dataclass(frozen=True)
class Texts:
    """Formatting and messages for one language."""

    language: Language = "fi"

    @property
    def locale(self) -> str:
        return _LOCALE[self.language]

    def __call__(self, key: str, /, **fields: object) -> str:
        return message(key, self.language, **fields)

    def money(self, amount: Decimal) -> str:
        """Euros, rounded half up to cents first (``1 234,56 €`` with no-break spaces)."""
        rounded = round_money(amount)
        if rounded == 0:
            rounded = abs(rounded)  # never "-0,00 €"
        before, group, point, after = _money_form(self.locale, rounded < 0)
        digits = f"{abs(rounded):,.2f}"
        if group != "," or point != ".":
            digits = digits.replace(",", "\0").replace(".", point).replace("\0", group)
        return before + digits + after

    def quantity(self, value: Decimal) -> str:
        """A quantity with its own decimals (``1,5``), never rounded."""
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        fmt = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(value, format=fmt, locale=self.locale, decimal_quantization=False)

    def date(self, value: date) -> str:
        if self.language == "en":
            return value.isoformat()
        return format_date(value, "d.M.yyyy", locale=self.locale)

    def datetime(self, value: datetime | str) -> str:
        """A moment in Helsinki time (naive values and ISO strings are taken as UTC)."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(HELSINKI)
        if self.language == "en":
            return local.strftime("%Y-%m-%d %H:%M")
        return format_datetime(local, "d.M.yyyy H.mm", tzinfo=HELSINKI, locale=self.locale)


@functools.cache
def _money_form(locale: str, negative: bool) -> tuple[str, str, str, str]:
    """(text before the digits, group separator, decimal separator, text after) of a euro
    amount in ``locale``, read once from Babel's own rendering of 1 234,56 (a run report
    formats thousands of amounts: Babel's full formatting each time costs more than the rest
    of the report). ``Texts.money`` gives Babel's text character for character."""
    text = format_currency(Decimal("-1234.56" if negative else "1234.56"), "EUR", locale=locale)
    start = text.index("1")
    end = text.index("56", start) + 2
    group, point = text[start + 1], text[end - 3]
    assert text[start:end] == f"1{group}234{point}56", text
    return text[:start], group, point, text[end:]


def texts(language: str | None) -> Texts:
    """:class:`Texts` for a configured language (unknown or missing: Finnish)."""
    return Texts(language if language in LANGUAGES else "fi")  # type: ignore[arg-type]
