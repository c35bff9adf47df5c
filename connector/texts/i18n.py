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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from connector.core.money import round_money
from connector.core.reasons import REASONS

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
    "report.withheld": {
        "fi": "Pidätetty ja siirtynyt (ei laskutettu)",
        "en": "Withheld and deferred (not billed)",
    },
    "col.withheld": {"fi": "Mitä", "en": "What"},
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
    "col.client_pays": {"fi": "Asiakkaan maksettavaksi", "en": "Client pays"},
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
        "fi": "Järjestäjän päätös tarvitaan: hyväksytty `connector review approve {id}`, "
        "hylätty `connector review reject {id}`; seuraava ajo laskuttaa päätöksen.",
        "en": "The organiser must decide: approved `connector review approve {id}`, "
        "rejected `connector review reject {id}`; the next run bills the decision.",
    },
    "todo.by_hand": {
        "fi": "Korjaa käsin Netvisorissa; syy kertoo, mitä tiedosta puuttuu.",
        "en": "Correct it by hand in Netvisor; the reason says what is missing.",
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
        "fi": "luettu {records}; {documents}, yhteensä {total} (veroton)",
        "en": "read {records}; {documents} worth {total} (net)",
    },
    "summary.netvisor": {
        "fi": "Netvisor: {created} luotu, {updated} päivitetty, {skipped} ennallaan, "
        "{rejected} hylätty, {unknown} epävarma, {failed} lähettämättä "
        "({requests}, {writes})",
        "en": "Netvisor: {created} created, {updated} updated, {skipped} unchanged, "
        "{rejected} rejected, {unknown} unknown, {failed} not sent "
        "({requests}, {writes})",
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
    "plan.head": {
        "fi": "TOIMENPIDE|TYYPPI|AVAIN|KUVAUS|MIKSI",
        "en": "ACTION|KIND|KEY|DETAIL|WHY",
    },
    "plan.no_writes": {"fi": "Ei lähetettävää.", "en": "No writes planned."},
    "plan.footer": {
        "fi": "{writes} suunniteltu, {skips} ennallaan. Mitään ei muutettu.",
        "en": "{writes} planned, {skips} unchanged. Nothing was changed.",
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
    "withheld.deferred#one": {
        "fi": "{count} korjausrivi kaudelta {period} ({amount} veroton): kauden asiakirjat on "
        "lukittu, eikä samalle asiakkaalle tai järjestäjälle ole vielä myöhempää asiakirjaa",
        "en": "{count} correction line of {period} ({amount} net): that period's documents "
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
    "withheld.documents#one": {
        "fi": "{count} asiakirja pidätetty: {shown}",
        "en": "{count} document held: {shown}",
    },
    "withheld.documents_how": {
        "fi": "hylätty asiakirja: korjaa ja aja `connector quarantine retry AVAIN`; lukittu: "
        "muutokset menevät seuraavalle asiakirjalle",
        "en": "a rejected document: fix it, then `connector quarantine retry KEY`; a frozen "
        "one: its changes go to the next document",
    },
    "withheld.amount": {"fi": "(yhteensä {amount})", "en": "({amount} in all)"},
    "withheld.summary": {
        "fi": "PIDÄTETTY, ei laskutettu: {what}",
        "en": "WITHHELD, not billed: {what}",
    },
    "withheld.status": {
        "fi": "Viimeisimmässä ajoraportissa (ajo {run}) pidätetty, ei laskutettu:",
        "en": "Withheld, not billed, in the last run report (run {run}):",
    },
    "withheld.in_doubt": {
        "fi": "{count} kirjoitusta epävarmoja (vastaus katosi)",
        "en": "{count} writes in doubt (an answer was lost)",
    },
    "withheld.in_doubt#one": {
        "fi": "{count} kirjoitus epävarma (vastaus katosi)",
        "en": "{count} write in doubt (an answer was lost)",
    },
    "withheld.in_doubt_how": {
        "fi": "`connector reconcile` (tai seuraava sync) selvittää ne ensin",
        "en": "`connector reconcile` (or the next sync) settles them first",
    },
    "withheld.review": {
        "fi": "{count} riviä järjestäjän tarkastettavana",
        "en": "{count} lines held for the organiser's review",
    },
    "withheld.review#one": {
        "fi": "{count} rivi järjestäjän tarkastettavana",
        "en": "{count} line held for the organiser's review",
    },
    "withheld.review_how": {
        "fi": "`connector review list` näyttää ne; järjestäjän päätös kirjataan "
        "`connector review approve ID` tai `connector review reject ID`, ja seuraava ajo "
        "laskuttaa sen",
        "en": "`connector review list` shows them; record the organiser's decision with "
        "`connector review approve ID` or `connector review reject ID`, and the next run "
        "bills it",
    },
    "withheld.by_hand": {
        "fi": "{count} korjausta pidätetty: {shown}",
        "en": "{count} corrections held: {shown}",
    },
    "withheld.by_hand_how": {
        "fi": "korjaa ne käsin Netvisorissa (syy kertoo, mitä tiedosta puuttuu)",
        "en": "correct them by hand in Netvisor (the reason says what is missing)",
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
    "status.ledger": {"fi": "kirjanpito {path}", "en": "ledger {path}"},
    "status.no_ledger": {
        "fi": "kirjanpitoa ei vielä ole ({path}): mitään ei ole ajettu",
        "en": "no ledger yet at {path}: nothing has run",
    },
    "status.rejected": {
        "fi": "  Netvisor hylkäsi {key}: {error_type}: {error}",
        "en": "  rejected {key}: {error_type}: {error}",
    },
    "status.held": {
        "fi": "  odottaa ihmisen ratkaisua {key}: {error}",
        "en": "  held for a person {key}: {error}",
    },
    "status.review": {
        "fi": "Tarkastettavana: {held} (connector review list); päätetty: {approved} "
        "hyväksytty, {rejected} hylätty",
        "en": "Held for review: {held} (connector review list); decided: {approved} approved, "
        "{rejected} rejected",
    },
    "status.organisers": {
        "fi": "PSOP järjestäjittäin ja kuukausittain:",
        "en": "PSOP by organiser and month:",
    },
    "organisers.head": {
        "fi": "JÄRJESTÄJÄ|KUUKAUSI|LASKUTETTU|HYVÄKSYTTY|TILITETTY|MAKSETTU|AVOIN EROTUS|"
        "LASKUTTAMATTA",
        "en": "ORGANISER|MONTH|BILLED|APPROVED|SETTLED|PAID|OPEN DIFFERENCE|NOT BILLED",
    },
    "quarantine.held": {
        "fi": "odottaa ihmisen ratkaisua: {key} (NetvisorKey {netvisor_key}) {error}",
        "en": "held for a person: {key} (NetvisorKey {netvisor_key}) {error}",
    },
    "quarantine.held_how": {
        "fi": "  (saata lasku Netvisorissa vastaamaan jompaakumpaa versiota; seuraava ajo tai "
        "`connector reconcile` ratkaisee sen)",
        "en": "  (make the invoice in Netvisor show either version; the next run or "
        "`connector reconcile` settles it)",
    },
    "quarantine.rejected": {
        "fi": "Netvisor hylkäsi: {key} [{error_type}] {error}",
        "en": "rejected by Netvisor: {key} [{error_type}] {error}",
    },
    "quarantine.rejected_how": {
        "fi": "  (korjaa se, niin `connector quarantine retry AVAIN` lähettää sen uudelleen)",
        "en": "  (fix it, then `connector quarantine retry KEY` sends it again)",
    },
    "retry.replanned": {
        "fi": "  {key}: Netvisor hylkäsi aiemmin; lähetetään uudelleen",
        "en": "  {key}: rejected by Netvisor earlier; will be sent again",
    },
    "retry.running": {
        "fi": "ajetaan sync uudelleen {count} karanteenissa olevan tietueen tarkistamiseksi…",
        "en": "re-running sync to re-check {count} quarantined records…",
    },
    "retry.running#one": {
        "fi": "ajetaan sync uudelleen {count} karanteenissa olevan tietueen tarkistamiseksi…",
        "en": "re-running sync to re-check {count} quarantined record…",
    },
    "retry.cleared": {
        "fi": "selvitetty (tarkistettiin uudelleen ja meni läpi)",
        "en": "cleared (re-checked and passed)",
    },
    "retry.aborted": {
        "fi": "ei tarkistettu uudelleen: ajo keskeytyi",
        "en": "not re-checked: the run aborted",
    },
    "retry.still": {"fi": "yhä karanteenissa", "en": "still quarantined"},
    "retry.not_rechecked": {
        "fi": "ei tarkistettu uudelleen: {why}",
        "en": "not re-checked: {why}",
    },
    "retry.unknown_id": {
        "fi": "{id} (ei avointa karanteenimerkintää)",
        "en": "{id} (no open quarantine entry)",
    },
    "retry.unknown_key": {
        "fi": "{key} (ei Netvisorin hylkäämä kohde)",
        "en": "{key} (no object Netvisor rejected)",
    },
    "retry.nothing": {
        "fi": "ei uudelleen yritettävää: {what}; `connector quarantine list` näyttää avoimet",
        "en": "nothing to retry for {what}; `connector quarantine list` shows what is open",
    },
    "report.wrote": {
        "fi": "kirjoitettiin {html} ja {csv}",
        "en": "wrote {html} and {csv}",
    },
    "report.no_ledger": {
        "fi": "kirjanpitoa ei ole ({path}): yhdelläkään ajolla ei vielä ole raporttia",
        "en": "no ledger at {path}: no run has a report yet",
    },
    "report.no_report": {
        "fi": "kirjanpidossa ei ole raporttia ajolle {which} (`connector status` luettelee ajot)",
        "en": "the ledger holds no report for run {which} (`connector status` lists runs)",
    },
    "report.no_report_any": {
        "fi": "kirjanpidossa ei ole yhtään ajoraporttia (`connector status` luettelee ajot)",
        "en": "the ledger holds no report for any run (`connector status` lists runs)",
    },
    "ledger.none": {"fi": "kirjanpitoa ei ole: {path}", "en": "no ledger at {path}"},
    "ledger.backed_up": {
        "fi": "kirjanpito {path} varmuuskopioitiin tiedostoon {target}",
        "en": "backed up {path} to {target}",
    },
    "ledger.already": {
        "fi": "kirjanpito {path} kuuluu jo ympäristöön {shown}",
        "en": "ledger {path} already belongs to {shown}",
    },
    "ledger.now": {
        "fi": "kirjanpito {path} kuuluu nyt ympäristöön {shown}",
        "en": "ledger {path} now belongs to {shown}",
    },
    "ledger.was": {"fi": "  (aiemmin {was})", "en": "  (was {was})"},
    "review.empty": {"fi": "mitään ei ole tarkastettavana", "en": "nothing is held for review"},
    "review.head": {
        "fi": "ID|PSOP-NRO|PALVELUSETELI|PÄIVÄ|TUOTE|MÄÄRÄ|SETELIN OSUUS|OMAVASTUU|SYY|PÄÄTÖS",
        "en": "ID|PSOP NO|VOUCHER|DATE|PRODUCT|QTY|VOUCHER SHARE|SELF-PAY|WHY|DECIDED",
    },
    "review.approved": {"fi": "hyväksytty", "en": "approved"},
    "review.rejected": {"fi": "hylätty ({fate})", "en": "rejected ({fate})"},
    "review.decided": {"fi": "  {item}: {effect}", "en": "  {item}: {effect}"},
    "review.already": {
        "fi": "  {item}: päätetty aiemmin; ensimmäinen päätös pysyy",
        "en": "  {item}: decided before; the first decision stands",
    },
    "review.unknown": {
        "fi": "  {item}: tällä tunnuksella ei ole pidätettyä riviä (connector review list)",
        "en": "  {item}: no held item has this id (connector review list)",
    },
    "review.next_sync": {
        "fi": "seuraava sync laskuttaa päätökset (connector sync)",
        "en": "the next sync bills the decisions (connector sync)",
    },
    "psop.exported": {
        "fi": "kirjoitettiin {count} kauden {period} tapahtumaa tiedostoon {path}",
        "en": "wrote {count} events of {period} to {path}",
    },
    "psop.exported#one": {
        "fi": "kirjoitettiin {count} kauden {period} tapahtuma tiedostoon {path}",
        "en": "wrote {count} event of {period} to {path}",
    },
    "psop.refused": {
        "fi": "PSOP:n raportti hylättiin ({count} ongelmaa), mitään ei kirjattu:",
        "en": "PSOP report refused ({count} problems), nothing was recorded:",
    },
    "psop.refused#one": {
        "fi": "PSOP:n raportti hylättiin ({count} ongelma), mitään ei kirjattu:",
        "en": "PSOP report refused ({count} problem), nothing was recorded:",
    },
    "psop.problem_row": {"fi": ": rivi {row}", "en": ": row {row}"},
    "psop.problem_column": {"fi": ": sarake {column}", "en": ": column {column}"},
    "summary.more_problems": {"fi": "... ja {more} muuta", "en": "... and {more} more"},
    "psop.no_file": {"fi": "tiedostoa ei ole: {path}", "en": "no such file: {path}"},
    "psop.imported_before": {
        "fi": "{name}: tuotu jo aiemmin (sama sisältö); mitään ei muutettu",
        "en": "{name}: imported before (same file content); nothing changed",
    },
    "psop.imported": {
        "fi": "{name}: {rows} riviä, {states} laskutettua riviä sai PSOP-tilan",
        "en": "{name}: {rows} rows, {states} billed lines got their PSOP state",
    },
    "psop.approved": {
        "fi": "  {item}: hyväksytty PSOP:n raportissa",
        "en": "  {item}: approved by PSOP's report",
    },
    "psop.rejected": {
        "fi": "  {item}: hylätty PSOP:n raportissa ({fate})",
        "en": "  {item}: rejected by PSOP's report ({fate})",
    },
    "psop.pending": {
        "fi": "  {item}: yhä järjestäjän tarkastettavana",
        "en": "  {item}: still under the organiser's review",
    },
    "psop.conflict": {
        "fi": "  {conflict}; aiempi päätös pysyy: tarkista asia järjestäjän kanssa",
        "en": "  {conflict}; the earlier decision stands: check it with the organiser",
    },
    "psop.reconciliation": {
        "fi": "PSOP-täsmäytys {period}",
        "en": "PSOP reconciliation {period}",
    },
    "psop.states": {
        "fi": "Laskutetut rivit PSOP-tiloittain: {counts}",
        "en": "Billed lines by PSOP state: {counts}",
    },
    "psop.no_differences": {"fi": "Ei eroja.", "en": "No differences."},
    "psop.differences": {"fi": "Erot ({count}):", "en": "Differences ({count}):"},
    "psop.event": {
        "fi": "{date} asiakasnumero {customer} ostovoima {voucher} {product} {quantity}",
        "en": "{date} asiakasnumero {customer} ostovoima {voucher} {product} {quantity}",
    },
    "psop.billed": {"fi": "laskutettu {amount}", "en": "billed {amount}"},
    "psop.psop_amount": {"fi": "PSOP {amount}", "en": "PSOP {amount}"},
    "psop.todo": {"fi": "    mitä tehdä: {todo}", "en": "    what to do: {todo}"},
    "difference.amount_differs": {"fi": "summa eroaa", "en": "amount_differs"},
    "difference.in_psop_not_billed": {
        "fi": "PSOP:ssa, ei laskutettu",
        "en": "in_psop_not_billed",
    },
    "difference.billed_not_in_psop": {
        "fi": "laskutettu, ei PSOP:ssa",
        "en": "billed_not_in_psop",
    },
    "difference.rejected_by_psop": {"fi": "PSOP hylkäsi", "en": "rejected_by_psop"},
    "todo.amount_differs": {
        "fi": "vertaa palvelusetelin arvoa ja tuotteen hintaa PSOP:ssa mappaukseen "
        "(targets.toml unit_value, products.toml); jos PSOP on oikeassa, korjaa mappaus, niin "
        "järjestäjän seuraava asiakirja korjaa rivin; jos me olemme oikeassa, kysy järjestäjältä",
        "en": "compare the voucher's unit value and the product's price in PSOP with the mapping "
        "(targets.toml unit_value, products); if PSOP is right, correct the mapping and the "
        "organiser's next document corrects the line; if we are right, ask the organiser",
    },
    "todo.in_psop_not_billed": {
        "fi": "PSOP:ssa on tapahtuma, jota emme laskuttaneet: etsi tehtävä Spotillasta "
        "(puuttuu, siirretty tai karanteenissa) ja laskuta se, tai poista tapahtuma PSOP:sta, "
        "kun se on tilassa Kirjattu, Tarkastettavana tai Hyväksytty",
        "en": "PSOP has an event we did not bill: look for the task in Spotilla (missing, moved "
        "or quarantined) and bill it, or delete the event in PSOP while it is Kirjattu, "
        "Tarkastettavana or Hyväksytty",
    },
    "todo.billed_not_in_psop": {
        "fi": "laskutimme järjestäjältä tapahtuman, jota PSOP:ssa ei ole: kirjaa se PSOP:iin "
        "(ks. `connector psop export`) ennen tilityspäivää tai hyvitä se",
        "en": "we billed the organiser for an event PSOP does not have: record it in PSOP (see "
        "`connector psop export`) before the settlement day, or credit it",
    },
    "todo.rejected_by_psop": {
        "fi": "järjestäjä hylkäsi laskuttamamme tapahtuman: kysy järjestäjältä syytä; hyvitä "
        "osuus järjestäjän seuraavalla asiakirjalla ja laskuta asiakasta tai kirjaa pois",
        "en": "the organiser rejected an event we billed: ask the organiser why; credit the share "
        "on the organiser's next document and bill the client or write it off",
    },
    "check.warning_line": {"fi": "varoitus: {warning}", "en": "warning: {warning}"},
    "check.strict": {
        "fi": "--strict: {count} varoitusta lasketaan virheiksi",
        "en": "--strict: {count} warnings count as errors",
    },
    "check.strict#one": {
        "fi": "--strict: {count} varoitus lasketaan virheeksi",
        "en": "--strict: {count} warning counts as an error",
    },
    "check.config_ok": {"fi": "asetukset {path}: OK", "en": "config {path}: OK"},
    "check.mappings_ok": {
        "fi": "mappaukset {path}: {regions} aluetta, {targets} kohdetta, {products} tuotetta: OK",
        "en": "mappings {path}: {regions} regions, {targets} targets, {products} products: OK",
    },
    "check.credentials_ok": {
        "fi": "{service} {url}: tunnukset OK",
        "en": "{service} {url}: credentials OK",
    },
    "check.unmapped": {
        "fi": "Spotillan tuotteet, joilla ei ole tuotemappausta (niiden työtä ei voi "
        "laskuttaa): {codes}",
        "en": "Spotilla products with no product mapping (their work cannot be billed): {codes}",
    },
    "check.plain_targets": {
        "fi": "kohteet ilman PSOP-mappausta (laskutetaan kokonaan, ei palveluseteliä): {count}",
        "en": "targets with no PSOP mapping (billed in full, no voucher): {count}",
    },
    "check.quarantined": {
        "fi": "  karanteeniin {kind} {record}: [{rule}] {reason}",
        "en": "  quarantined {kind} {record}: [{rule}] {reason}",
    },
    "error.usage": {
        "fi": "connector {command}: virhe: {error}",
        "en": "connector {command}: error: {error}",
    },
    "error.config": {
        "fi": "{count} ongelmaa asetuksissa:",
        "en": "{count} problems in configuration:",
    },
    "error.config#one": {
        "fi": "{count} ongelma asetuksissa:",
        "en": "{count} problem in configuration:",
    },
    "error.nothing_written": {
        "fi": "Mitään ei kirjoitettu. Korjaa yllä mainitut tiedostot ja aja `connector check`.",
        "en": "Nothing was written. Fix the files above and run `connector check`.",
    },
    "error.aborted": {"fi": "connector: keskeytetty: {error}", "en": "connector: aborted: {error}"},
    "error.interrupted": {"fi": "connector: keskeytetty", "en": "connector: interrupted"},
    "error.unexpected": {
        "fi": "connector: {command} epäonnistui: odottamaton {error_type} kohdassa {where} "
        "(kirjattu lokiin nimellä unexpected_error; {hint})",
        "en": "connector: {command} failed: unexpected {error_type} at {where} "
        "(logged as unexpected_error; {hint})",
    },
    "error.hint_debug": {
        "fi": "aja uudelleen valitsimella --debug, niin näet lisätiedot",
        "en": "run again with --debug for details",
    },
    "error.hint_above": {"fi": "lisätiedot yllä", "en": "details above"},
    "signal.stopping": {
        "fi": "{signal}: viedään kesken oleva kirjoitus loppuun, sitten pysähdytään…",
        "en": "{signal}: finishing the write under way, then stopping…",
    },
    "lock.waiting": {
        "fi": "connector: toinen connector-ajo{who} keskustelee Netvisorin kanssa; odotetaan "
        "enintään {seconds} s sen valmistumista…",
        "en": "connector: another connector run{who} is talking to Netvisor; waiting up to "
        "{seconds} s for it to finish…",
    },
    "as_of.future": {
        "fi": "--as-of {as_of} on tulevaisuudessa: se laskuttaisi kausia, jotka eivät ole vielä "
        "päättyneet. Harjoittele sitä valitsimella --dry-run (tai `connector plan`)",
        "en": "--as-of {as_of} is in the future: it would invoice periods that are not closed "
        "yet. Rehearse it with --dry-run (or `connector plan`)",
    },
    # a count and its noun: Texts.n(noun, count); "#one" is the singular
    "count.record": {"fi": "{count} tietuetta", "en": "{count} records"},
    "count.record#one": {"fi": "{count} tietue", "en": "{count} record"},
    "count.document": {"fi": "{count} asiakirjaa", "en": "{count} documents"},
    "count.document#one": {"fi": "{count} asiakirja", "en": "{count} document"},
    "count.request": {"fi": "{count} pyyntöä", "en": "{count} requests"},
    "count.request#one": {"fi": "{count} pyyntö", "en": "{count} request"},
    "count.write": {"fi": "{count} kirjoitusta", "en": "{count} writes"},
    "count.write#one": {"fi": "{count} kirjoitus", "en": "{count} write"},
    "count.customer": {"fi": "{count} asiakasta", "en": "{count} customers"},
    "count.customer#one": {"fi": "{count} asiakas", "en": "{count} customer"},
    "count.product": {"fi": "{count} tuotetta", "en": "{count} products"},
    "count.product#one": {"fi": "{count} tuote", "en": "{count} product"},
    "count.invoice": {"fi": "{count} laskua", "en": "{count} invoices"},
    "count.invoice#one": {"fi": "{count} lasku", "en": "{count} invoice"},
    "nvstatus.unsent": {"fi": "lähettämätön", "en": "unsent"},
    "nvstatus.open": {"fi": "avoin", "en": "open"},
    "nvstatus.paid": {"fi": "maksettu", "en": "paid"},
    "schema.wrote": {
        "fi": "kirjoitettiin {count} JSON Schemaa kansioon {path}",
        "en": "wrote {count} JSON Schemas to {path}",
    },
    "sandbox.netvisor": {"fi": "Netvisor-hiekkalaatikko: {url}", "en": "Netvisor sandbox: {url}"},
    "sandbox.spotilla": {"fi": "Spotilla-hiekkalaatikko: {url}", "en": "Spotilla sandbox: {url}"},
    "sandbox.config": {
        "fi": "Asetukset näille hiekkalaatikoille: {path} (salaisuudet kansiossa {secrets})",
        "en": "Config for these sandboxes: {path} (secrets in {secrets})",
    },
    "sandbox.try": {"fi": "  kokeile: {command}", "en": "  try: {command}"},
    "sandbox.lives": {
        "fi": "Tila säilyy niin kauan kuin tämä prosessi. Ctrl-C pysäyttää.",
        "en": "State lives as long as this process. Ctrl-C stops.",
    },
    "demo.title": {
        "fi": "connector demo — Spotilla → PSOP → Netvisor upotetuilla hiekkalaatikoilla",
        "en": "connector demo — Spotilla → PSOP → Netvisor, on the embedded sandboxes",
    },
    "demo.sandboxes": {
        "fi": "  Netvisor-hiekkalaatikko {netvisor}, Spotilla-hiekkalaatikko {spotilla}",
        "en": "  Netvisor sandbox {netvisor}, Spotilla sandbox {spotilla}",
    },
    "demo.config": {
        "fi": "  asetukset {config} (salaisuudet kansiossa {secrets}, ei koskaan TOML-tiedostossa)",
        "en": "  config {config} (secrets in {secrets}, never in the TOML)",
    },
    "demo.period": {
        "fi": "  laskutuskausi {period}, tarkastelupäivä {as_of}\n",
        "en": "  invoicing period {period}, evaluated as of {as_of}\n",
    },
    "demo.first": {
        "fi": "1. ensimmäinen sync: asiakkaat, tuotteet, laskut, järjestäjän asiakirjat",
        "en": "1. first sync: customers, products, invoices, organiser documents",
    },
    "demo.again": {
        "fi": "2. sama sync uudelleen: mitään ei saa lähettää kahdesti",
        "en": "2. the same sync again: nothing may be sent twice",
    },
    "demo.writes_again": {
        "fi": "   -> Netvisor-kirjoituksia toisessa ajossa: {count}\n",
        "en": "   -> Netvisor writes in the second run: {count}\n",
    },
    "demo.change": {
        "fi": "== 3. henkilö muuttaa tehtävää {task} Spotillassa (tunti vähemmän)",
        "en": "== 3. a person changes task {task} in Spotilla (one hour less)",
    },
    "demo.corrected": {
        "fi": "   -> {count} vielä lähettämätöntä asiakirjaa (asiakkaan lasku ja, jos "
        "palveluseteli maksoi osan, järjestäjän) korjattiin paikallaan; mitään ei kahdennettu\n",
        "en": "   -> {count} still-unsent documents (the client's invoice and, where a voucher "
        "paid part, the organiser's) corrected in place; nothing duplicated\n",
    },
    "demo.done": {
        "fi": "\nValmis {seconds} s:ssa. Kirjanpito: {ledger}",
        "en": "\nDone in {seconds} s. Ledger: {ledger}",
    },
    "demo.temporary": {
        "fi": " (väliaikainen; säilytä se valitsimella --keep)",
        "en": " (temporary; use --keep to keep it)",
    },
    "demo.holds": {
        "fi": "== Mitä Netvisor-hiekkalaatikossa nyt on",
        "en": "== What the Netvisor sandbox now holds",
    },
    "demo.counts": {
        "fi": "  {customers}, {products}, {invoices}",
        "en": "  {customers}, {products}, {invoices}",
    },
    "demo.client_invoice": {
        "fi": "asiakkaan lasku, jossa on palvelusetelivähennys ja omavastuun erittely",
        "en": "a client's invoice with a voucher deduction and the self-pay specification",
    },
    "demo.organiser_document": {
        "fi": "järjestäjän palvelusetelin osuuden asiakirja (asiakkaat vain PSOP-asiakasnumerolla)",
        "en": "an organiser's voucher-share document (clients by PSOP customer number only)",
    },
    "demo.invoice": {
        "fi": "  {key}, tila {status}, yhteensä {total}:",
        "en": "  {key}, status {status}, total {total}:",
    },
    "quarantine.empty": {"fi": "karanteeni on tyhjä", "en": "quarantine is empty"},
    "quarantine.head": {
        "fi": "ID|TYYPPI|TIETUE|SÄÄNTÖ|SYY|ENSIN NÄHTY|VIIMEKSI NÄHTY|RATKAISTU",
        "en": "ID|KIND|RECORD|RULE|REASON|FIRST SEEN|LAST SEEN|RESOLVED",
    },
    # the first billing period (start_period) of a fresh ledger
    "start.missing": {
        "fi": "Kirjanpito on uusi, eikä ensimmäistä laskutettavaa kautta ole asetettu: tämä ajo "
        "laskuttaisi kaudet {months}. Jos {first} on jo laskutettu käsin, ensimmäinen kausi on "
        'myöhempi. Aseta tiedostoon {path} [connector]-osioon start_period = "{first}" (tai '
        "myöhempi kuukausi) ja aja uudelleen; `connector plan` näyttää, mitä ensimmäinen ajo "
        "laskuttaa. Mitään ei lähetetty.",
        "en": "The ledger is new and no first billing period is set: this run would bill "
        "{months}. If {first} was already invoiced by hand, the first period is a later one. "
        'Set start_period = "{first}" (or a later month) in [connector] of {path} and run '
        "again; `connector plan` shows what the first run bills. Nothing was sent.",
    },
    "start.would_bill": {
        "fi": 'ensimmäinen ajo laskuttaisi kaudet {months}; aseta start_period = "{first}" '
        "(tai myöhempi kuukausi) [connector]-osioon ennen ensimmäistä synkronointia",
        "en": 'the first run would bill {months}; set start_period = "{first}" (or a later '
        "month) in [connector] before the first sync",
    },
    "start.first_run": {
        "fi": "ensimmäinen ajo laskuttaa kaudet {months} (start_period = {start}); sitä "
        "aiempia kuukausia ei laskuteta",
        "en": "the first run bills {months} (start_period = {start}); no earlier month is billed",
    },
    "start.nothing_yet": {
        "fi": "start_period = {start}: kausi ei ole vielä sulkeutunut, joten laskuja ei vielä "
        "tehdä",
        "en": "start_period = {start}: that month has not closed yet, so no invoice is made yet",
    },
    "late.document": {
        "fi": "{key}: asiakirjaa ei tehty ennen sen lukitumista {date}; se laskutetaan "
        "myöhässä omana asiakirjanaan kaudelle {period}; tarkista se Netvisorissa ennen "
        "lähettämistä",
        "en": "{key} was not made before it froze on {date}: it is billed late, as {period}'s "
        "own document; check it in Netvisor before sending",
    },
    # invoices Netvisor already holds under a key the ledger does not know (connector/sync/adopt.py)
    "adopt.same": {
        "fi": "on jo Netvisorissa samalla sisällöllä (NetvisorKey {nv}): otetaan kirjanpitoon",
        "en": "already in Netvisor with this content (NetvisorKey {nv}): adopted",
    },
    "adopt.edit": {
        "fi": "on jo Netvisorissa toisella sisällöllä (NetvisorKey {nv}), lähettämättä: otetaan "
        "kirjanpitoon ja muokataan (--adopt)",
        "en": "already in Netvisor with other content (NetvisorKey {nv}), unsent: adopted and "
        "edited (--adopt)",
    },
    "adopt.differs_reason": {
        "fi": "on jo Netvisorissa toisella sisällöllä (NetvisorKey {nv}); ihminen päättää",
        "en": "already in Netvisor with other content (NetvisorKey {nv}); a person decides",
    },
    "adopt.differs": {
        "fi": "{key}: Netvisorissa on jo tämän avaimen lasku (NetvisorKey {nv}), mutta sen "
        "sisältö poikkeaa siitä, mitä laskutus nyt tuottaa; uutta laskua ei tehdä. Vertaa se, "
        "ja jos se on tämä asiakirja, aja `connector sync --adopt` (se otetaan kirjanpitoon ja "
        "muokataan laskutuksen mukaiseksi)",
        "en": "{key}: Netvisor already holds an invoice with this key (NetvisorKey {nv}), but "
        "its content differs from what billing produces now; no second invoice is made. Compare "
        "it, and if it is this document run `connector sync --adopt` (it is adopted and edited "
        "to what billing produces)",
    },
    "adopt.differs_frozen": {
        "fi": "{key}: Netvisorissa on jo tämän avaimen lasku (NetvisorKey {nv}, tila {status}), "
        "jonka sisältö poikkeaa laskutuksesta eikä sitä voi enää muokata; uutta laskua ei tehdä. "
        "Ihminen korjaa sen hyvityksellä Netvisorissa ja kirjaa asian; asiakirja pysyy "
        "pidätettynä",
        "en": "{key}: Netvisor already holds an invoice with this key (NetvisorKey {nv}, status "
        "{status}) whose content differs from billing and can no longer be edited; no second "
        "invoice is made. A person corrects it with a credit note in Netvisor; the document "
        "stays held",
    },
    "adopt.duplicate_reason": {
        "fi": "Netvisorissa on useampi lasku tällä avaimella ({keys})",
        "en": "Netvisor holds several invoices with this key ({keys})",
    },
    "adopt.duplicate": {
        "fi": "{key}: Netvisorissa on {count} laskua tällä avaimella ({keys}); ylimääräiset on "
        "poistettava tai hyvitettävä käsin ennen kuin asiakirja otetaan kirjanpitoon",
        "en": "{key}: Netvisor holds {count} invoices with this key ({keys}); the extra ones "
        "must be removed or credited by hand before the document is adopted",
    },
    "adopt.count": {
        "fi": "{count} asiakirjaa oli jo Netvisorissa ja otettiin kirjanpitoon (ei lähetetty "
        "uudelleen)",
        "en": "{count} documents were already in Netvisor and were adopted (not sent again)",
    },
    "psop.not_billed": {
        "fi": "{region} {period}: {amount} palvelusetelin osuutta ei ole vielä millään "
        "Netvisorin laskulla (pidätetty, siirtynyt tai lähettämättä); sitä ei lasketa "
        "laskutetuksi",
        "en": "{region} {period}: {amount} of voucher share is on no invoice in Netvisor yet "
        "(withheld, deferred or not sent); it is not counted as billed",
    },
    # documents in doubt and what waits for them (connector/sync/doubt.py, `ledger resolve`)
    "doubt.reason": {
        "fi": "odottaa asiakirjaa {keys}, jonka versio Netvisorissa on epävarma: korjauksia ei "
        "lasketa versiosta, jota Netvisorissa ei ehkä ole, joten tätä ei lähetetä ennen kuin "
        "asia on selvitetty (`connector ledger resolve`)",
        "en": "waits for {keys}, whose version in Netvisor is in doubt: no correction is "
        "computed from a version Netvisor may not hold, so this is not sent until that is "
        "settled (`connector ledger resolve`)",
    },
    "doubt.summary": {
        "fi": "{count} asiakirjaa odottaa epävarmaa asiakirjaa: {held}",
        "en": "{count} documents wait for a document in doubt: {held}",
    },
    "withheld.doubt_how": {
        "fi": "`connector status` näyttää epävarman asiakirjan; kun tiedät, kumpi versio "
        "Netvisorissa on: `connector ledger resolve AVAIN --netvisor-has new|old`; seuraava ajo "
        "lähettää nämä",
        "en": "`connector status` shows the document in doubt; once you know which version "
        "Netvisor holds: `connector ledger resolve KEY --netvisor-has new|old`; the next run "
        "sends these",
    },
    "todo.doubt": {
        "fi": "Katso Netvisorista, kumpi versio odotetusta asiakirjasta siellä on, ja aja "
        "`connector ledger resolve AVAIN --netvisor-has new|old`; seuraava ajo lähettää tämän.",
        "en": "Look in Netvisor which version of the document waited for it holds, then run "
        "`connector ledger resolve KEY --netvisor-has new|old`; the next run sends this.",
    },
    "status.edit_unclear": {
        "fi": "ihminen ratkaisee: {key} (Netvisor-avain {netvisor_key}): {error}",
        "en": "held for a person: {key} (NetvisorKey {netvisor_key}): {error}",
    },
    "status.resolve_how": {
        "fi": "  (kun tiedät, kumpi versio Netvisorissa on: "
        "`connector ledger resolve AVAIN --netvisor-has new|old`)",
        "en": "  (once you know which version Netvisor holds: "
        "`connector ledger resolve KEY --netvisor-has new|old`)",
    },
    "status.doubt_held": {
        "fi": "odottaa epävarmaa asiakirjaa: {key} (odottaa: {keys}; ajo {run})",
        "en": "held for a document in doubt: {key} (waits for {keys}; run {run})",
    },
    "resolve.new": {
        "fi": "{key}: Netvisorissa on lähetetty versio; kirjattu ({who}, {when}). Seuraava ajo "
        "lähettää asiakirjat, jotka odottivat sitä.",
        "en": "{key}: Netvisor holds the version sent; recorded ({who}, {when}). The next run "
        "sends the documents that waited for it.",
    },
    "resolve.old": {
        "fi": "{key}: Netvisorissa on edellinen versio; kirjattu ({who}, {when}). Seuraava ajo "
        "päättää muutoksesta uudelleen ja lähettää asiakirjat, jotka odottivat sitä.",
        "en": "{key}: Netvisor holds the version before; recorded ({who}, {when}). The next run "
        "decides the change afresh and sends the documents that waited for it.",
    },
    "resolve.not_unclear": {
        "fi": "{key} ei odota ihmisen ratkaisua (tila {state}{error}); `connector status` "
        "näyttää, mitkä odottavat",
        "en": "{key} is not waiting for a person (state {state}{error}); `connector status` "
        "shows which are",
    },
    "resolve.unknown_key": {
        "fi": "kirjanpidossa ei ole kohdetta {key}; `connector status` näyttää, mitkä odottavat "
        "ratkaisua",
        "en": "the ledger has no object {key}; `connector status` shows which wait for a decision",
    },
    "psop.no_report": {
        "fi": "Yksikään tuotu PSOP-raportti ei vielä kata kautta {period}: {billed} järjestäjille "
        "laskutettua tapahtumaa odottaa vertailua. Tuo PSOPin raportti: "
        "`connector psop import TIEDOSTO`. Hyväksytty, tilitetty, maksettu ja avoin erotus "
        "tiedetään vasta sen jälkeen.\n",
        "en": "No imported PSOP report covers {period} yet: {billed} events billed to the "
        "organisers wait to be compared. Import PSOP's report: `connector psop import FILE`. "
        "Approved, settled, paid and the open difference are known only after that.\n",
    },
    "ledger.backup_postgres": {
        "fi": "PostgreSQL-kirjanpito varmuuskopioidaan palvelimen omilla työkaluilla (pg_dump "
        "--schema ledger_{company} sekä connector-skeema)",
        "en": "a PostgreSQL ledger is backed up with the server's tools (pg_dump --schema "
        "ledger_{company} plus the connector schema)",
    },
    "ledger.migrate_on_postgres": {
        "fi": "tämän konfiguraation kirjanpito on jo PostgreSQL:ssä; migrate kopioi "
        "SQLite-kirjanpidon",
        "en": "this config's ledger is already on PostgreSQL; migrate copies a SQLite one",
    },
    "ledger.migrate_company": {
        "fi": "anna yrityksen tunnus (--company TUNNUS tai [connector] company konfiguraatiossa): "
        "pieniä kirjaimia, numeroita ja _, alkaen kirjaimella",
        "en": "give the company key (--company KEY, or [connector] company in the config): "
        "lower case letters, digits and _, starting with a letter",
    },
    "ledger.migrate_copied": {
        "fi": "kopioitiin {rows} riviä {tables} taulusta: {source} -> {target}; rivimäärät ja "
        "summat tarkistettiin",
        "en": "copied {rows} rows of {tables} tables from {source} to {target}; counts and "
        "amount sums verified",
    },
    "ledger.migrate_next": {
        "fi": 'aseta nyt konfiguraatioon [connector] ledger = "{url}" ja company = "{company}" '
        "(SQLite-tiedosto jää ennalleen: säilytä se varmuuskopiona)",
        "en": 'now set [connector] ledger = "{url}" and company = "{company}" in the config '
        "(the SQLite file stays as it was: keep it as a backup)",
    },
    "export.table": {
        "fi": "{table}: {count} riviä -> {path}",
        "en": "{table}: {count} rows -> {path}",
    },
    "export.table#one": {
        "fi": "{table}: {count} rivi -> {path}",
        "en": "{table}: {count} row -> {path}",
    },
    "export.done#one": {
        "fi": "kirjanpidon {ledger} {count} taulu vietiin kansioon {out}",
        "en": "exported {count} table of {ledger} to {out}",
    },
    "export.done": {
        "fi": "kirjanpidon {ledger} {count} taulua vietiin kansioon {out}",
        "en": "exported {count} tables of {ledger} to {out}",
    },
    "console.serving": {
        "fi": "konsoli: {url} ({count} yritystä; Ctrl-C pysäyttää)",
        "en": "console: {url} ({count} companies; Ctrl-C stops)",
    },
    "console.serving#one": {
        "fi": "konsoli: {url} ({count} yritys; Ctrl-C pysäyttää)",
        "en": "console: {url} ({count} company; Ctrl-C stops)",
    },
    "console.not_loopback": {
        "fi": "varoitus: konsoli kuuntelee osoitteessa {host}, ei loopback-osoitteessa, eikä "
        "sen edessä ole TLS:ää ([console] behind_tls_proxy = false): salasanat ja "
        "istuntoevästeet kulkisivat verkossa salaamattomina. Laita eteen TLS-käänteisvälityspalvelin "
        "(docs/operations.md).",
        "en": "warning: the console listens on {host}, not on loopback, and no TLS is in front "
        "([console] behind_tls_proxy = false): passwords and session cookies would cross "
        "the network in clear text. Put a TLS reverse proxy in front (docs/operations.md).",
    },
    "console.password_mismatch": {
        "fi": "salasanat eroavat toisistaan; mitään ei muutettu",
        "en": "the two passwords differ; nothing was changed",
    },
    "console.password_missing": {
        "fi": "syötteessä ei ole salasanaa (odotetaan yhtä riviä); mitään ei muutettu",
        "en": "no password on stdin (one line expected); nothing was changed",
    },
    "console.password_prompt": {"fi": "salasana: ", "en": "password: "},
    "console.password_again": {"fi": "uudelleen: ", "en": "again: "},
    "console.user_added": {
        "fi": "konsolin käyttäjä {name} lisättiin: rooli {role}; käyttäjätiedosto {path}",
        "en": "console user {name} added: role {role}; users file {path}",
    },
    "console.user_updated": {
        "fi": "konsolin käyttäjä {name} päivitettiin (uusi salasana ja rooli): rooli {role}; "
        "käyttäjätiedosto {path}",
        "en": "console user {name} updated (new password and role): role {role}; users file {path}",
    },
    "ledger.backup_no_folder": {
        "fi": "kansiota {folder} ei ole; varmuuskopio ei luo kansioita (kirjoitusvirhe "
        "polussa kätkisi kopion). Luo kansio ensin tai korjaa polku",
        "en": "folder {folder} does not exist; a backup creates no folders (a mistyped path "
        "would hide the copy). Create the folder first or correct the path",
    },
    "review.unknown_ids": {
        "fi": "yksikään pidätetty rivi ei ole tunnuksella {ids}; mitään ei päätetty "
        "(`connector review list --all` näyttää tunnukset)",
        "en": "no held item has the id {ids}; nothing was decided "
        "(`connector review list --all` shows the ids)",
    },
    "check.api_failed": {
        "fi": "{api} {url}: EPÄONNISTUI: {error}",
        "en": "{api} {url}: FAILED: {error}",
    },
    "check.apis_failed": {
        "fi": "{failed}/2 rajapintaa epäonnistui (yllä): ajo keskeytyisi",
        "en": "{failed} of 2 APIs failed (above): a run would abort",
    },
    "daemon.started": {
        "fi": "connector daemon {version} käynnissä (pid {pid}, lokitaso {level}); "
        "seuraavat ajot: {runs}",
        "en": "connector daemon {version} started (pid {pid}, log level {level}); "
        "next runs: {runs}",
    },
    "daemon.stopped": {
        "fi": "connector daemon pysähtyi (paluukoodi {code})",
        "en": "connector daemon stopped (exit code {code})",
    },
    "progress.read": {"fi": "luetaan Spotillasta kausia", "en": "reading periods from Spotilla"},
    "progress.bill": {"fi": "laskutetaan asiakkaita", "en": "billing customers"},
    "progress.apply": {"fi": "lähetetään Netvisoriin", "en": "sending to Netvisor"},
    "cmd.check": {
        "fi": "Tarkistaa asetustiedoston ja mappaustiedostot kirjoittamatta mitään; --online kokeilee myös Netvisorin ja Spotillan tunnukset.",
        "en": "Validates the config and the mapping files without writing anything; --online also tries the Netvisor and Spotilla credentials.",
    },
    "cmd.plan": {
        "fi": "Näyttää, mitä sync tekisi: luotavat, muutettavat ja pidätettävät kohteet. Ei muuta mitään.",
        "en": "Shows what a sync would do: what it would create, change and hold back. Changes nothing.",
    },
    "cmd.sync": {
        "fi": "Ajaa koko työn kerran: lukee Spotillan, laskuttaa suljetut kaudet ja vie tulokset Netvisoriin täsmälleen kerran.",
        "en": "Runs the whole job once: reads Spotilla, bills the closed periods and sends the result to Netvisor exactly once.",
    },
    "cmd.daemon": {
        "fi": "Ajaa asetusten [schedule]-ajastukset, kunnes SIGTERM pysäyttää (systemd-palvelu).",
        "en": "Runs the [schedule] jobs of the config until SIGTERM stops it (the systemd service).",
    },
    "cmd.status": {
        "fi": "Viimeisimmät ajot, kohteiden tilat, karanteeni ja PSOP-täsmäytys; --check valvontaa varten.",
        "en": "The last runs, the objects' states, the quarantine and the PSOP figures; --check for monitoring.",
    },
    "cmd.report": {
        "fi": "Laatii ajon raportin uudelleen kirjanpidosta nimillä <ajo>-ledger.html/.csv; ajon oma raportti säilyy.",
        "en": "Re-renders a run's report from the ledger as <run>-ledger.html/.csv; the run's own report is kept.",
    },
    "cmd.ledger": {
        "fi": "Kirjanpitotiedosto itse: varmuuskopio ja sitominen Netvisor-ympäristöön.",
        "en": "The ledger file itself: backups and binding it to a Netvisor environment.",
    },
    "cmd.ledger.backup": {
        "fi": "Ottaa kirjanpidosta johdonmukaisen kopion myös daemonin ollessa käynnissä. Tiedostoa ei saa olla, kansion pitää olla.",
        "en": "Takes a consistent copy of the ledger, also while the daemon runs. The file must not exist; its folder must.",
    },
    "cmd.ledger.rebind": {
        "fi": "Sitoo kirjanpidon tämän asetustiedoston Netvisor-ympäristöön tarkoituksellisen vaihdon jälkeen.",
        "en": "Binds the ledger to this config's Netvisor environment after a deliberate switch.",
    },
    "cmd.ledger.export": {
        "fi": "Vie kirjanpidon taulut tilintarkastajalle, yksi tiedosto taulua kohden (CSV tai JSON). Kirjanpidossa ei ole nimiä.",
        "en": "Exports the ledger's tables for an auditor, one file per table (CSV or JSON). The ledger holds no names.",
    },
    "cmd.ledger.migrate": {
        "fi": "Kopioi tämän asetustiedoston SQLite-kirjanpidon PostgreSQLiin ja tarkistaa rivimäärät ja summat; kieltäytyy, jos yrityksellä on siellä jo rivejä.",
        "en": "Copies this config's SQLite ledger into PostgreSQL and verifies row counts and sums; refused if the company already has rows there.",
    },
    "cmd.fleet": {
        "fi": "Tilitoimiston yritykset yhdestä fleet-tiedostosta: jokainen yritys omilla asetuksillaan, kirjanpidollaan ja tunnuksillaan.",
        "en": "An accounting firm's companies from one fleet file: each company with its own config, ledger and credentials.",
    },
    "cmd.fleet.check": {
        "fi": "Tarkistaa jokaisen yrityksen asetukset ja mappaukset kirjoittamatta mitään; kieltäytyy, jos kaksi yritystä jakaa Netvisor-yrityksen tai kirjanpidon.",
        "en": "Checks every company's config and mappings without writing anything; refuses two companies on one Netvisor company or one ledger.",
    },
    "cmd.fleet.sync": {
        "fi": "Ajaa jokaisen yrityksen kerran, enintään max_parallel kerrallaan; yhden yrityksen virhe ei pysäytä muita.",
        "en": "Runs every company once, at most max_parallel at a time; one company's failure never stops the others.",
    },
    "cmd.fleet.status": {
        "fi": "Rivi yritystä kohden: viimeisin ajo, tulos, asiakirjat, pidätetyt, karanteeni, epävarmat, seuraava ajo; --check valvontaa varten.",
        "en": "One row per company: last run, result, documents, held, quarantined, in doubt, next run; --check for monitoring.",
    },
    "cmd.fleet.daemon": {
        "fi": "Ajaa jokaisen yrityksen sen ajastuksen mukaan reilussa jonossa, enintään max_parallel kerrallaan, kunnes SIGTERM pysäyttää.",
        "en": "Runs every company on its schedule through a fair queue, at most max_parallel at a time, until SIGTERM stops it.",
    },
    "cmd.ledger.resolve": {
        "fi": "Kirjaa, kumpi versio epävarmasta laskun muutoksesta (EDIT_UNCLEAR) Netvisorissa on; seuraava sync lähettää sitä odottaneet asiakirjat.",
        "en": "Records which version of an undecided invoice edit (EDIT_UNCLEAR) Netvisor holds; the next sync sends the documents that waited for it.",
    },
    "cmd.console": {
        "fi": "Paikallinen selainkonsoli: kuukauden sulkeminen, pidätetyn työn päätökset, karanteeni, PSOP-tiedostot ja ajot. Vaatii kirjautumisen.",
        "en": "The local web console: closing the month, deciding held work, the quarantine, PSOP files and runs. Login required.",
    },
    "cmd.console.adduser": {
        "fi": "Lisää konsolin käyttäjän tai vaihtaa salasanan; salasana kysytään (tai luetaan syötteestä), ei koskaan argumenttina.",
        "en": "Adds a console user or sets a new password; the password is asked (or read from stdin), never given as an argument.",
    },
    "cmd.reconcile": {
        "fi": "Selvittää vain epävarmat kirjoitukset katsomalla Netvisorista; ei laskuta.",
        "en": "Only settles writes in doubt by looking in Netvisor; bills nothing.",
    },
    "cmd.quarantine": {
        "fi": "Tietueet, jotka sääntö pysäytti, ja kohteet, jotka Netvisor hylkäsi.",
        "en": "Records a rule stopped, and objects Netvisor rejected.",
    },
    "cmd.quarantine.list": {
        "fi": "Listaa karanteenin ja Netvisorin hylkäämät kohteet.",
        "en": "Lists the quarantine and the objects Netvisor rejected.",
    },
    "cmd.quarantine.retry": {
        "fi": "Tarkistaa korjatut tietueet ajamalla syncin ja lähettää hylätyt kohteet uudelleen; kertoo tietueittain, poistuiko se karanteenista.",
        "en": "Re-checks fixed records by running a sync and sends rejected objects again; says per record whether it cleared.",
    },
    "cmd.review": {
        "fi": "Järjestäjän tarkastettavaksi pidätetty työ (myönnön ylitys, setelin voimassaolon ulkopuolella).",
        "en": "Work held for the organiser's review (over the grant, outside a voucher's validity).",
    },
    "cmd.review.list": {
        "fi": "Listaa pidätetyt rivit ja syyn; tunnuksilla päätetään.",
        "en": "Lists the held lines and why; their ids are what you decide on.",
    },
    "cmd.review.approve": {
        "fi": "Kirjaa järjestäjän hyväksynnän: seteli maksaa osuutensa, asiakas omavastuun. Seuraava sync laskuttaa.",
        "en": "Records the organiser's approval: the voucher pays its share, the client the self-pay. The next sync bills it.",
    },
    "cmd.review.reject": {
        "fi": "Kirjaa järjestäjän hylkäyksen: asiakas maksaa kokonaan tai summa kirjataan pois (rejected_review). Seuraava sync laskuttaa.",
        "en": "Records the organiser's rejection: the client pays in full or it is written off (rejected_review). The next sync bills it.",
    },
    "cmd.psop": {
        "fi": "PSOP-tiedostot: kuukauden tapahtumat PSOPiin ja PSOPin raportin täsmäytys.",
        "en": "PSOP files: the month's events for PSOP, and reconciling PSOP's report.",
    },
    "cmd.psop.export": {
        "fi": "Kirjoittaa kuukauden palvelusetelitapahtumat PSOPiin vietäväksi (CSV tai XLSX).",
        "en": "Writes the month's voucher events for PSOP (CSV or XLSX).",
    },
    "cmd.psop.import": {
        "fi": "Tuo PSOPin tapahtuma- tai tilitysraportin: tilat, päätökset ja erot. Virheellinen tiedosto hylätään kokonaan.",
        "en": "Imports PSOP's event or settlement report: states, decisions and differences. A malformed file is refused whole.",
    },
    "cmd.psop.report": {
        "fi": "Kuukauden täsmäytys PSOPin kanssa järjestäjittäin, eroineen ja ohjeineen.",
        "en": "The month's reconciliation with PSOP by organiser, with the differences and what to do.",
    },
    "cmd.mappings": {
        "fi": "Mappaustiedostot.",
        "en": "The mapping files.",
    },
    "cmd.mappings.schema": {
        "fi": "Tulostaa tai kirjoittaa mappaustiedostojen JSON Schemat editoreita varten.",
        "en": "Prints or writes JSON Schemas of the mapping files for editors.",
    },
    "cmd.completion": {
        "fi": "Tulostaa komentorivitäydennyksen skriptin (bash; zsh bashcompinitin kautta).",
        "en": "Prints a shell completion script (bash; zsh through bashcompinit).",
    },
    "cmd.demo": {
        "fi": "Ajaa koko työn sisäänrakennettuja hiekkalaatikoita vastaan ilman asetuksia.",
        "en": "Runs the whole job against the embedded sandboxes, with no set-up.",
    },
    "cmd.sandbox": {
        "fi": "Paikalliset Spotilla- ja Netvisor-korvikkeet harjoittelua varten.",
        "en": "Local stand-ins for Spotilla and Netvisor, for rehearsals.",
    },
    "cmd.sandbox.serve": {
        "fi": "Käynnistää molemmat hiekkalaatikot loopbackiin; --write-config kirjoittaa niille valmiin asetustiedoston.",
        "en": "Serves both sandboxes on loopback; --write-config writes a ready config for them.",
    },
    "cmd.examples": {"fi": "esimerkkejä:", "en": "examples:"},
    # psop report
    "psop.title": {"fi": "PSOP-täsmäytys {period}", "en": "PSOP reconciliation {period}"},
    "psop.events": {
        "fi": "Laskutetut tapahtumat ja niiden tila PSOP:ssa:",
        "en": "Billed events and their state in PSOP:",
    },
    "psop.events_head": {
        "fi": "PÄIVÄ|ASIAKASNUMERO|OSTOVOIMA|TUOTE|MÄÄRÄ|TILA|RAPORTTI|PSOP|LASKUTETTU",
        "en": "DATE|PSOP CUSTOMER|VOUCHER|PRODUCT|QUANTITY|STATE|REPORT|PSOP|BILLED",
    },
    "psop.no_events": {
        "fi": "Yhdenkään laskutetun tapahtuman tilaa ei ole vielä tuotu PSOP:n raportista.",
        "en": "No billed event has a state from PSOP's report yet.",
    },
    "psop.by_state": {"fi": "Tiloittain: {counts}", "en": "By state: {counts}"},
    "psop.pending_title": {
        "fi": "Järjestäjän tarkastettavana (pidätetty työ):",
        "en": "Under the organiser's review (held work):",
    },
    "psop.pending_head": {
        "fi": "PÄIVÄ|ASIAKASNUMERO|OSTOVOIMA|TUOTE|MÄÄRÄ|SYY",
        "en": "DATE|PSOP CUSTOMER|VOUCHER|PRODUCT|QUANTITY|WHY",
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
        "HYLÄTTY|SEURAAVA AJO|PERÄKKÄISET VIRHEET|AJAVA PALVELIN",
        "en": "COMPANY|LAST RUN|RESULT|DOCUMENTS|HELD|QUARANTINED|IN DOUBT|REJECTED|NEXT RUN|"
        "FAILURES IN A ROW|HELD BY",
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
    # codes shown to people (the code stays in JSON and the ledger): Texts.code(group, value)
    "kind.customer": {"fi": "asiakas", "en": "customer"},
    "kind.product": {"fi": "tuote", "en": "product"},
    "kind.invoice": {"fi": "lasku", "en": "invoice"},
    "kind.match": {"fi": "täsmäytys", "en": "match"},
    "kind.task": {"fi": "tehtävä", "en": "task"},
    "kind.line": {"fi": "rivi", "en": "line"},
    "kind.target": {"fi": "kohde", "en": "target"},
    "kind.collection": {"fi": "kansio", "en": "collection"},
    "state.planned": {"fi": "suunniteltu", "en": "planned"},
    "state.sending": {"fi": "lähetetään", "en": "sending"},
    "state.sent": {"fi": "lähetetty", "en": "sent"},
    "state.confirmed": {"fi": "vahvistettu", "en": "confirmed"},
    "state.rejected": {"fi": "hylätty", "en": "rejected"},
    "state.unknown": {"fi": "epävarma", "en": "unknown"},
    "status.ok": {"fi": "ok", "en": "ok"},
    "status.partial": {"fi": "osittain", "en": "partial"},
    "status.aborted": {"fi": "keskeytetty", "en": "aborted"},
    "status.stopped": {"fi": "pysäytetty", "en": "stopped"},
    "status.running": {"fi": "käynnissä", "en": "running"},
    "action.create": {"fi": "luo", "en": "create"},
    "action.edit": {"fi": "muokkaa", "en": "edit"},
    "action.match": {"fi": "täsmää", "en": "match"},
    "action.skip": {"fi": "ohita", "en": "skip"},
    "action.hold": {"fi": "pidä", "en": "hold"},
    "action.reconcile": {"fi": "täsmäytä", "en": "reconcile"},
    "role.work": {"fi": "työ", "en": "work"},
    "role.voucher_deduction": {"fi": "palvelusetelivähennys", "en": "voucher deduction"},
    "role.voucher_share": {"fi": "palvelusetelin osuus", "en": "voucher share"},
    "role.capitation_fee": {"fi": "kuukausimaksu", "en": "capitation fee"},
    "held.over_grant": {"fi": "ylittää myönnetyn", "en": "over_grant"},
    "held.outside_validity": {"fi": "voimassaolon ulkopuolella", "en": "outside_validity"},
    "decision.approve": {"fi": "hyväksytty", "en": "approve"},
    "decision.reject": {"fi": "hylätty", "en": "reject"},
    "decision.bill_client": {"fi": "hylätty: asiakas maksaa", "en": "bill_client"},
    "decision.write_off": {"fi": "hylätty: kirjataan pois", "en": "write_off"},
}


MESSAGES = {**MESSAGES, **REASONS}  # the reasons lower layers word: connector/core/reasons.py


def add_messages(more: Mapping[str, Mapping[Language, str]]) -> None:
    """Join a part of the catalogue kept beside its user (the console's ``console.*`` texts);
    a key already in the catalogue is refused, so no part overrides another's text."""
    clash = sorted(set(more) & set(MESSAGES))
    if clash:
        raise ValueError(f"texts already in the catalogue: {', '.join(clash[:5])}")
    MESSAGES.update(more)  # type: ignore[attr-defined]  (a dict, typed read-only for users)


def message(key: str, language: Language = "fi", /, **fields: object) -> str:
    """The text ``key`` in ``language`` with ``fields`` filled in (English if a text is missing).

    A ``count`` of 1 takes the key's ``#one`` form where the catalogue has one (``1 rivi``,
    ``2 riviä``)."""
    if str(fields.get("count")) == "1" and f"{key}#one" in MESSAGES:
        key = f"{key}#one"
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

    def n(self, noun: str, count: int) -> str:
        """``count`` and its noun, singular or plural (``1 tietue``, ``2 tietuetta``)."""
        return self(f"count.{noun}", count=count)

    def code(self, group: str, value: object) -> str:
        """A code a person reads (an object kind, a state, an action) in this language; a
        code the catalogue does not know is shown as it is."""
        text = MESSAGES.get(f"{group}.{value}")
        if text is None:
            return "" if value is None else str(value)
        return text.get(self.language) or text["en"]

    def text(self, english: str | None) -> str:
        """A text worded in English below this layer (a reason, a plan's why, a problem; see
        connector/core/reasons.py) in this language: the template it was rendered from is
        recognised and its fields rendered again (``1,5``, ``24.4.2026``). A text no template
        matches (an older wording, Netvisor's own message) is returned as it is."""
        if not english or self.language == "en":
            return english or ""
        found = _recognise(english)
        if found is None:
            return english
        key, fields = found
        return message(key, self.language, **{k: self._field(k, v) for k, v in fields.items()})

    def _field(self, name: str, value: str) -> str:
        """One field of a recognised text, shown in this language (see FIELD_FORMS)."""
        form = FIELD_FORMS.get(name)
        try:
            if form == "quantity":
                return self.quantity(Decimal(value))
            if form == "date":
                return self.date(date.fromisoformat(value))
        except (ArithmeticError, ValueError):
            return value
        if form in ("kind", "role", "state", "decision"):
            return self.code(form, value)
        if form == "text":
            return self.text(value)
        if form == "choices":  # pydantic's "'fi' or 'en'"
            return value.replace("' or '", "' tai '")
        if form == "list":  # texts joined with "; "
            return "; ".join(self.text(part) for part in value.split("; "))
        return value

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
        if not value.is_finite():
            return str(value)
        minus, group, point = _number_form(self.locale)
        digits = f"{abs(value):,f}"  # the value's own decimals, grouped by thousands
        if group != "," or point != ".":
            digits = digits.replace(",", "\0").replace(".", point).replace("\0", group)
        return (minus if value < 0 else "") + digits

    def date(self, value: date) -> str:
        if self.language == "en":
            return value.isoformat()
        return f"{value.day}.{value.month}.{value.year:04d}"  # CLDR d.M.yyyy, as Babel

    def datetime(self, value: datetime | str) -> str:
        """A moment in Helsinki time (naive values and ISO strings are taken as UTC)."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(HELSINKI)
        if self.language == "en":
            return local.strftime("%Y-%m-%d %H:%M")
        from babel.dates import format_datetime

        return format_datetime(local, "d.M.yyyy H.mm", tzinfo=HELSINKI, locale=self.locale)


@functools.cache
def _number_form(locale: str) -> tuple[str, str, str]:
    """(minus sign, group separator, decimal separator) of a number in ``locale``, read once
    from Babel's own rendering of -1 234,5 (as :func:`_money_form`, for speed: a report shows
    thousands of quantities). ``Texts.quantity`` gives Babel's text character for character."""
    from babel.numbers import format_decimal

    text = format_decimal(Decimal("-1234.5"), format="#,##0.0", locale=locale)
    start = text.index("1")
    group, point = text[start + 1], text[-2]
    assert text[start:] == f"1{group}234{point}5", text
    return text[:start], group, point


@functools.cache
def _money_form(locale: str, negative: bool) -> tuple[str, str, str, str]:
    """(text before the digits, group separator, decimal separator, text after) of a euro
    amount in ``locale``, read once from Babel's own rendering of 1 234,56 (a run report
    formats thousands of amounts: Babel's full formatting each time costs more than the rest
    of the report). ``Texts.money`` gives Babel's text character for character."""
    from babel.numbers import format_currency

    text = format_currency(Decimal("-1234.56" if negative else "1234.56"), "EUR", locale=locale)
    start = text.index("1")
    end = text.index("56", start) + 2
    group, point = text[start + 1], text[end - 3]
    assert text[start:end] == f"1{group}234{point}56", text
    return text[:start], group, point, text[end:]


#: how a field of a recognised text is shown, by its name (others: as they are)
FIELD_FORMS: Mapping[str, str] = {
    "quantity": "quantity",
    "excess": "quantity",
    "hours": "quantity",
    "seconds": "quantity",
    "day": "date",
    "date": "date",
    "kind": "kind",
    "role": "role",
    "state": "state",
    "why": "text",
    "fields": "list",
    "notes": "list",
    "who": "text",
    "decision": "decision",
    "earlier": "decision",
    "grant": "text",
    "choices": "choices",
    "error": "text",
    "known": "text",
}


@functools.cache
def _patterns() -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    """Each ``reason.*`` template's English form as (key, fixed start, fixed end, regular
    expression), the most specific (most fixed text) first. The fixed start and end are
    compared first: a run report recognises thousands of texts."""
    out = []
    for key, forms in REASONS.items():
        parts = _FIELD.split(forms["en"])  # text, name, text, name, ..., text
        pattern, seen = [], set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pattern.append(re.escape(part))
            elif part in seen:
                pattern.append(f"(?P={part})")
            else:
                seen.add(part)
                pattern.append(f"(?P<{part}>.+?)")
        fixed = sum(len(p) for p in parts[::2])
        regex = re.compile("".join(pattern) + r"\Z", re.DOTALL)
        out.append((fixed, key, parts[0], parts[-1] if len(parts) > 1 else "", regex))
    out.sort(key=lambda item: -item[0])
    return tuple((key, start, end, regex) for _, key, start, end, regex in out)


_FIELD = re.compile(r"\{(\w+)\}")


@functools.cache
def _candidates(first: str) -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    """The templates a text starting with ``first`` may come from, in :func:`_patterns`'s order:
    those whose fixed start begins with it, and those that start with a field."""
    return tuple(p for p in _patterns() if not p[1] or p[1].startswith(first))


def _recognise(english: str) -> tuple[str, dict[str, str]] | None:
    """The template key and fields ``english`` was rendered from, or None."""
    for key, start, end, pattern in _candidates(english[:1]):
        if not (english.startswith(start) and english.endswith(end)):
            continue
        found = pattern.match(english)
        if found is not None:
            return key.removesuffix("#one"), found.groupdict()
    return None


def texts(language: str | None) -> Texts:
    """:class:`Texts` for a configured language (unknown or missing: Finnish)."""
    return Texts(language if language in LANGUAGES else "fi")  # type: ignore[arg-type]
