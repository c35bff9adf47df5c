"""The console's texts: the ``console.*`` part of the i18n catalogue (connector/texts/i18n.py), in
Finnish and English. Importing this module joins them to the catalogue (once)."""

from __future__ import annotations

from connector.texts.i18n import add_messages

_T = {
    "console.title": ("Laskutuskonsoli", "Billing console"),
    "console.show": ("Näytä", "Show"),
    "console.missing": ("Ei löydy.", "Not found."),
    "console.logout": ("Kirjaudu ulos", "Log out"),
    # navigation
    "console.nav.month": ("Kuukauden päätös", "Month close"),
    "console.nav.review": ("Tarkistettavat", "Review"),
    "console.nav.quarantine": ("Karanteeni", "Quarantine"),
    "console.nav.psop": ("PSOP", "PSOP"),
    "console.nav.runs": ("Ajot", "Runs"),
    "console.nav.fleet": ("Kaikki yritykset", "All companies"),
    "console.role.viewer": ("katselija", "viewer"),
    "console.role.decider": ("päättäjä", "decider"),
    # login
    "console.login.title": ("Kirjaudu sisään", "Log in"),
    "console.login.name": ("Käyttäjätunnus", "User name"),
    "console.login.password": ("Salasana", "Password"),
    "console.login.submit": ("Kirjaudu", "Log in"),
    "console.login.failed": (
        "Väärä käyttäjätunnus tai salasana.",
        "Wrong user name or password.",
    ),
    "console.login.limited": (
        "Liian monta epäonnistunutta kirjautumista. Yritä uudelleen 15 minuutin kuluttua.",
        "Too many failed logins. Try again in 15 minutes.",
    ),
    # refusals
    "console.refused.csrf": (
        "Pyyntö hylättiin: istunto tai lomakkeen tunniste puuttuu tai on vanhentunut. "
        "Lataa sivu uudelleen.",
        "Request refused: the session or the form's token is missing or stale. Reload the page.",
    ),
    "console.refused.role": (
        "Pyyntö hylättiin: käyttäjätunnuksellasi ei ole päätösoikeutta.",
        "Request refused: your user may not decide.",
    ),
    "console.refused.company": ("Tuntematon yritys.", "Unknown company."),
    # fleet
    "console.fleet.title": ("Yritykset", "Companies"),
    "console.fleet.hint": (
        "Yksi rivi yritystä kohden, eniten tekemistä ensin; viimeisin kuukausi.",
        "One row per company, most to do first; the latest month.",
    ),
    "console.fleet.error.no_ledger": (
        "ei vielä kirjanpitoa (ei ajoja)",
        "no ledger yet (no runs)",
    ),
    "console.fleet.error.other": (
        "kirjanpitoa ei voitu lukea (katso lokit)",
        "the ledger could not be read (see the logs)",
    ),
    # month close
    "console.month.title": ("Kuukauden päätös {period}", "Month close {period}"),
    "console.month.todo": ("Vielä tehtävää", "Still to do"),
    "console.month.summary": ("Yhteenveto", "Summary"),
    "console.month.clients": ("Asiakaslaskuja", "Client invoices"),
    "console.month.organisers": ("Järjestäjän asiakirjoja", "Organiser documents"),
    "console.month.corrections": ("Asiakirjoja, joissa korjauksia", "Documents with corrections"),
    "console.month.held": ("Odottaa tarkistusta", "Held for review"),
    "console.month.decided": ("Päätetyt", "Decided"),
    "console.month.quarantined": ("Karanteenissa", "Quarantined"),
    "console.month.rejected": ("Netvisorin hylkäämät", "Rejected by Netvisor"),
    "console.month.in_doubt": ("Epävarmat kirjoitukset", "Writes in doubt"),
    "console.month.client_invoices": ("Asiakaslaskut", "Client invoices"),
    "console.month.organiser_documents": (
        "Järjestäjän asiakirjat (PSOP)",
        "Organiser documents (PSOP)",
    ),
    "console.todo.none": ("Ei tehtävää.", "Nothing to do."),
    "console.todo.in_doubt": (
        "{count} kirjoitusta epävarmoja: seuraava ajo täsmäyttää ne",
        "{count} writes in doubt: the next run reconciles them",
    ),
    "console.todo.held_person": (
        "{count} muokkausta odottaa ihmisen tarkistusta Netvisorissa",
        "{count} edits wait for a person to check them in Netvisor",
    ),
    "console.todo.rejected": (
        "{count} asiakirjaa tai kohdetta Netvisor hylkäsi",
        "{count} documents or objects Netvisor rejected",
    ),
    "console.todo.quarantined": (
        "{count} tietuetta karanteenissa",
        "{count} records quarantined",
    ),
    "console.todo.review": (
        "{count} riviä odottaa päätöstä",
        "{count} items wait for a decision",
    ),
    "console.todo.overdue": ("{count} laskua erääntynyt", "{count} invoices overdue"),
    "console.todo.no_report": (
        "PSOP:n raporttia tästä kuukaudesta ei ole tuotu",
        "PSOP's report of this month has not been imported",
    ),
    "console.todo.differences": (
        "{count} eroa PSOP:n raporttiin",
        "{count} differences from PSOP's report",
    ),
    "console.todo_text.in_doubt": (
        "Seuraava ajo (tai `connector reconcile`) etsii kohteen Netvisorista; mitään ei lähetetä "
        "uudelleen sokkona.",
        "The next run (or `connector reconcile`) looks the object up in Netvisor; nothing is "
        "sent again blindly.",
    ),
    "console.todo_text.held_person": (
        "Avaa lasku Netvisorissa ja vertaa sitä asiakirjaan; korjaa tarvittaessa käsin.",
        "Open the invoice in Netvisor and compare it with the document; fix it by hand if needed.",
    ),
    "console.todo_text.rejected": (
        'Korjaa syy (esim. avaa kausi Netvisorissa), sitten "Tarkista uudelleen": seuraava '
        "ajo lähettää sen.",
        'Fix the cause (e.g. open the period in Netvisor), then "Check again": the next run '
        "sends it.",
    ),
    "console.todo_text.quarantine": (
        "Korjaa tieto Spotillassa tai mappauksissa; seuraava ajo tarkistaa sen uudelleen.",
        "Fix the record in Spotilla or the mappings; the next run checks it again.",
    ),
    # columns
    "console.col.company": ("Yritys", "Company"),
    "console.col.documents": ("Asiakirjoja", "Documents"),
    "console.col.todo": ("Tehtävää", "To do"),
    "console.col.owner_client": ("Laskutusasiakas", "Billing customer"),
    "console.col.corrections": ("Korjausrivit", "Correction lines"),
    "console.col.netvisor": ("Netvisor", "Netvisor"),
    "console.col.money": ("Maksu", "Payment"),
    "console.col.psop_number": ("PSOP-asiakasnumero", "PSOP customer no."),
    "console.col.voucher_id": ("Palveluseteli", "Voucher"),
    "console.col.date": ("Päivä", "Date"),
    "console.col.product": ("Tuote", "Product"),
    "console.col.quantity": ("Määrä", "Quantity"),
    "console.col.unit_price": ("À-hinta", "Unit price"),
    "console.col.decide": ("Päätä", "Decide"),
    "console.col.decision": ("Päätös", "Decision"),
    "console.col.by": ("Kuka", "Who"),
    "console.col.when": ("Milloin", "When"),
    "console.col.note": ("Huomautus", "Note"),
    "console.col.action": ("Toimenpide", "Action"),
    "console.col.subject": ("Kohde", "Subject"),
    "console.col.key": ("Avain", "Key"),
    "console.col.kind": ("Ero", "Difference"),
    "console.col.first_seen": ("Ensin nähty", "First seen"),
    "console.col.last_seen": ("Viimeksi nähty", "Last seen"),
    "console.col.started": ("Alkoi", "Started"),
    "console.col.created": ("Luotu", "Created"),
    "console.col.updated": ("Päivitetty", "Updated"),
    "console.col.unchanged": ("Ennallaan", "Unchanged"),
    "console.col.rejected": ("Hylätty", "Rejected"),
    "console.col.unknown": ("Epävarma", "Unknown"),
    "console.col.quarantined": ("Karanteeni", "Quarantined"),
    "console.col.task": ("Spotilla-tehtävä", "Spotilla task"),
    "console.col.line": ("Rivi", "Line"),
    "console.col.role": ("Rivin laji", "Line kind"),
    "console.col.psop_state": ("PSOP-tila", "PSOP state"),
    "console.col.refers": ("Muut asiakirjat", "Other documents"),
    "console.col.event": ("Tapahtuma", "Event"),
    "console.col.organiser": ("Järjestäjä", "Organiser"),
    "console.col.billed": ("Laskutettu", "Billed"),
    "console.col.approved": ("Hyväksytty", "Approved"),
    "console.col.settled": ("Tilitetty", "Settled"),
    "console.col.paid": ("Maksettu", "Paid"),
    "console.col.open_difference": ("Avoin ero", "Open difference"),
    "console.col.psop_amount": ("PSOP:n summa", "PSOP's amount"),
    "console.col.rows": ("Rivejä", "Rows"),
    "console.col.imported": ("Tuotu", "Imported"),
    # ledger states, money, decisions
    "console.state.planned": ("suunniteltu", "planned"),
    "console.state.sending": ("lähetetään (epävarma)", "sending (in doubt)"),
    "console.state.sent": ("lähetetty", "sent"),
    "console.state.confirmed": ("vahvistettu", "confirmed"),
    "console.state.rejected": ("hylätty", "rejected"),
    "console.state.unknown": ("epävarma", "in doubt"),
    "console.balance.paid": ("maksettu", "paid"),
    "console.balance.partly_paid": ("osin maksettu", "partly paid"),
    "console.balance.open": ("avoin", "open"),
    "console.balance.overdue": ("erääntynyt", "overdue"),
    "console.balance.unsent": ("lähettämättä asiakkaalle", "not sent to the client yet"),
    "console.balance.credit": ("hyvitys", "credit note"),
    "console.balance.unknown": ("ei tietoa", "not known yet"),
    "console.decision.approve": ("hyväksytty", "approved"),
    "console.decision.reject": ("hylätty", "rejected"),
    "console.effect.approve": ("seteli maksaa", "the voucher pays"),
    "console.effect.bill_client": ("asiakas maksaa kokonaan", "the client pays in full"),
    "console.effect.write_off": ("kirjataan pois", "written off"),
    "console.source.review": ("tarkistus (komentorivi)", "review (command line)"),
    "console.source.psop_report": ("PSOP:n raportti", "PSOP's report"),
    "console.rule.over_grant": ("yli myönnetyn määrän", "over the grant"),
    "console.rule.outside_validity": ("setelin voimassaolon ulkopuolella", "outside validity"),
    "console.line_role.work": ("työ", "work"),
    "console.line_role.voucher_deduction": ("setelin osuus (vähennys)", "voucher share (deducted)"),
    "console.line_role.voucher_share": ("setelin osuus", "voucher share"),
    "console.line_role.capitation_fee": ("kuukausimaksu", "capitation fee"),
    "console.line_role.correction_work": ("korjaus: työ", "correction: work"),
    "console.line_role.correction_voucher_deduction": (
        "korjaus: setelin osuus (vähennys)",
        "correction: voucher share (deducted)",
    ),
    "console.line_role.correction_voucher_share": (
        "korjaus: setelin osuus",
        "correction: voucher share",
    ),
    "console.line_role.correction_capitation_fee": (
        "korjaus: kuukausimaksu",
        "correction: capitation fee",
    ),
    # audit
    "console.audit.title": ("Päätöshistoria", "Decision history"),
    "console.action.review_approve": ("hyväksyi", "approved"),
    "console.action.review_reject": ("hylkäsi", "rejected"),
    "console.action.quarantine_check": ("pyysi tarkistamaan uudelleen", "asked to check again"),
    "console.action.quarantine_retry": ("pyysi lähettämään uudelleen", "asked to send again"),
    "console.action.psop_import": ("toi PSOP:n raportin", "imported PSOP's report"),
    # review
    "console.review.title": ("Tarkistettavat", "Review queue"),
    "console.review.hint": (
        "Myönnetyn määrän ylittävä tai setelin voimassaolon ulkopuolinen työ odottaa "
        "järjestäjän päätöstä. Päätös laskutetaan seuraavassa ajossa, täsmälleen kuten "
        "`connector review approve/reject`.",
        "Work over the grant or outside a voucher's validity waits for the organiser's "
        "decision. The next sync bills the decision, exactly as `connector review "
        "approve/reject` does.",
    ),
    "console.review.all": ("Valitse kaikki", "Select all"),
    "console.review.approve": ("Hyväksy", "Approve"),
    "console.review.reject": ("Hylkää", "Reject"),
    "console.review.approve_selected": ("Hyväksy valitut", "Approve selected"),
    "console.review.reject_selected": ("Hylkää valitut", "Reject selected"),
    "console.review.note": ("Huomautus (miksi)", "Note (why)"),
    "console.review.note_hint": (
        "Huomautus tallentuu päätöksen kanssa; älä kirjoita nimiä tai henkilötunnuksia.",
        "The note is kept with the decision; no names or identity codes, please.",
    ),
    "console.review.viewer": (
        "Katselijana näet jonon, mutta et voi päättää.",
        "As a viewer you see the queue but cannot decide.",
    ),
    "console.review.empty": ("Mikään ei odota päätöstä.", "Nothing waits for a decision."),
    "console.review.decided": ("Päätetyt", "Decided"),
    "console.review.nothing": (
        "Valitse ainakin yksi rivi ja päätös.",
        "Choose at least one item and a decision.",
    ),
    "console.review.approved": ("{item}: hyväksytty", "{item}: approved"),
    "console.review.rejected": ("{item}: hylätty", "{item}: rejected"),
    "console.review.already": (
        "{item}: päätetty jo aiemmin; ensimmäinen päätös pysyy",
        "{item}: decided before; the first decision stands",
    ),
    "console.review.unknown": (
        "{item}: tällä tunnuksella ei ole tarkistettavaa riviä",
        "{item}: no held item has this id",
    ),
    "console.review.next_sync": (
        "Seuraava ajo laskuttaa päätökset.",
        "The next sync bills the decisions.",
    ),
    # quarantine
    "console.quarantine.title": ("Karanteeni", "Quarantine"),
    "console.quarantine.held_person": (
        "Odottaa ihmisen tarkistusta",
        "Waiting for a person",
    ),
    "console.quarantine.rejected": ("Netvisorin hylkäämät", "Rejected by Netvisor"),
    "console.quarantine.records": ("Karanteenissa olevat tietueet", "Quarantined records"),
    "console.quarantine.retry": ("Tarkista uudelleen", "Check again"),
    "console.quarantine.checked": (
        "{user} pyysi tarkistusta {at}",
        "{user} asked for a check at {at}",
    ),
    "console.quarantine.marked": (
        "{target}: merkitty; seuraava ajo tarkistaa sen uudelleen",
        "{target}: marked; the next sync checks it again",
    ),
    "console.quarantine.replanned": (
        "{target}: seuraava ajo lähettää sen uudelleen",
        "{target}: the next sync sends it again",
    ),
    "console.quarantine.unknown": (
        "{target}: ei avointa karanteenia eikä Netvisorin hylkäämää kohdetta",
        "{target}: no open quarantine entry and no object Netvisor rejected",
    ),
    # runs
    "console.runs.title": ("Ajot", "Runs"),
    "console.runs.in_doubt": ("Epävarmat kirjoitukset", "Writes in doubt"),
    "console.runs.none_in_doubt": ("Ei epävarmoja kirjoituksia.", "No writes in doubt."),
    "console.runs.history": ("Ajohistoria", "Run history"),
    "console.runs.unclear": ("Epäselvät vastaukset", "Unclear answers"),
    "console.runs.report": ("Raportti", "Report"),
    "console.runs.open_report": ("Avaa", "Open"),
    "console.runs.resolved": ("Täsmäytyksessä vahvistetut", "Confirmed by a look-up"),
    "console.runs.resolved_hint": (
        "Kohteet, jotka on vahvistettu Netvisorista (myös epävarmat kirjoitukset, jotka "
        "täsmäytys löysi).",
        "Objects confirmed in Netvisor (writes in doubt that reconcile found among them).",
    ),
    # document and task
    "console.document.client": ("Asiakaslasku", "Client invoice"),
    "console.document.organiser": ("Järjestäjän asiakirja", "Organiser document"),
    "console.document.lines": ("Rivit", "Lines"),
    "console.document.open_sum": ("avoinna", "open"),
    "console.document.due": ("eräpäivä", "due"),
    "console.document.seen_at": (
        "Netvisorin laskulistan mukaan {at}",
        "as Netvisor's invoice list showed at {at}",
    ),
    "console.document.no_state": ("ei PSOP-raportissa vielä", "not in a PSOP report yet"),
    "console.document.corrections": (
        "Korjaukset, jotka viittaavat tähän",
        "Corrections referring to it",
    ),
    "console.document.held": ("Tarkistettavat rivit", "Held items"),
    "console.document.undecided": ("odottaa päätöstä", "waiting for a decision"),
    "console.task.title": ("Spotilla-tehtävä {task}", "Spotilla task {task}"),
    "console.task.hint": (
        "Tehtävän rivit asiakirjoilla ja sen palvelusetelitapahtumat PSOP-tiloineen.",
        "The task's lines on documents and its voucher events with their PSOP states.",
    ),
    "console.task.lines": ("Laskutetut rivit", "Billed lines"),
    "console.task.events": ("PSOP-tapahtumat", "PSOP events"),
    # PSOP
    "console.psop.title": ("PSOP", "PSOP"),
    "console.psop.clients_hint": (
        "Asiakkaat näkyvät vain PSOP-asiakasnumerolla, kuten järjestäjän asiakirjoissa.",
        "Clients show only by PSOP customer number, as on the organiser's documents.",
    ),
    "console.psop.export": ("Kuukauden tapahtumatiedosto", "The month's event file"),
    "console.psop.export_hint": (
        "{count} tapahtumaa kaudelta {period} (myös tarkistettavat).",
        "{count} events of {period} (held ones too).",
    ),
    "console.psop.bad_export": (
        "Anna kausi (YYYY-MM) ja muoto csv tai xlsx.",
        "Give a period (YYYY-MM) and a format, csv or xlsx.",
    ),
    "console.psop.import": ("Tuo PSOP:n raportti", "Import PSOP's report"),
    "console.psop.file": ("Raporttitiedosto (CSV tai XLSX)", "Report file (CSV or XLSX)"),
    "console.psop.report_date": ("Raportin päivä", "Report date"),
    "console.psop.import_button": ("Tuo", "Import"),
    "console.psop.import_hint": (
        "Sama tuonti kuin `connector psop import`: sama tiedosto toiseen kertaan ei muuta "
        "mitään; virheellinen tiedosto hylätään kokonaan.",
        "The same import as `connector psop import`: the same file a second time changes "
        "nothing; a faulty file is refused whole.",
    ),
    "console.psop.no_file": ("Valitse tiedosto.", "Choose a file."),
    "console.psop.bad_suffix": (
        "Raportin on oltava .csv- tai .xlsx-tiedosto.",
        "The report must be a .csv or .xlsx file.",
    ),
    "console.psop.bad_date": ("Raportin päivä on virheellinen.", "The report date is invalid."),
    "console.psop.refused": (
        "Raporttia ei tuotu; mitään ei tallennettu:",
        "The report was not imported; nothing was recorded:",
    ),
    "console.psop.already": (
        "Tämä tiedosto on tuotu jo aiemmin; mikään ei muuttunut.",
        "This file was imported before; nothing changed.",
    ),
    "console.psop.imported": (
        "Tuotu {rows} riviä; {states} laskutettua riviä sai PSOP-tilan.",
        "Imported {rows} rows; {states} billed lines got their PSOP state.",
    ),
    "console.psop.approved": (
        "{item}: hyväksytty PSOP:n raportissa",
        "{item}: approved by PSOP's report",
    ),
    "console.psop.rejected": (
        "{item}: hylätty PSOP:n raportissa",
        "{item}: rejected by PSOP's report",
    ),
    "console.psop.reconciliation": ("Täsmäytys", "Reconciliation"),
    "console.psop.states": ("Laskutetut rivit PSOP-tiloittain", "Billed lines by PSOP state"),
    "console.psop.differences": ("Erot ({count})", "Differences ({count})"),
    "console.psop.no_differences": ("Ei eroja.", "No differences."),
    "console.psop.reports": ("Tuodut raportit", "Imported reports"),
    "console.diff.amount_differs": ("summa eroaa", "amount differs"),
    "console.diff.in_psop_not_billed": ("PSOP:ssa, ei laskutettu", "in PSOP, not billed"),
    "console.diff.billed_not_in_psop": ("laskutettu, ei PSOP:ssa", "billed, not in PSOP"),
    "console.diff.rejected_by_psop": ("PSOP hylkäsi", "rejected by PSOP"),
    "console.diff_todo.amount_differs": (
        "Vertaa setelin arvoa ja tuotteen hintaa PSOP:ssa mappaukseen (targets.toml "
        "unit_value, products). Jos PSOP on oikeassa, korjaa mappaus: järjestäjän seuraava "
        "asiakirja korjaa rivin. Jos me olemme oikeassa, kysy järjestäjältä.",
        "Compare the voucher's unit value and the product's price in PSOP with the mapping "
        "(targets.toml unit_value, products). If PSOP is right, correct the mapping: the "
        "organiser's next document corrects the line. If we are right, ask the organiser.",
    ),
    "console.diff_todo.in_psop_not_billed": (
        "PSOP:ssa on tapahtuma, jota emme laskuttaneet: etsi tehtävä Spotillasta (puuttuu, "
        "siirretty tai karanteenissa) ja laskuta se, tai poista tapahtuma PSOP:sta, kun se on "
        "Kirjattu, Tarkastettavana tai Hyväksytty.",
        "PSOP has an event we did not bill: look for the task in Spotilla (missing, moved or "
        "quarantined) and bill it, or delete the event in PSOP while it is Kirjattu, "
        "Tarkastettavana or Hyväksytty.",
    ),
    "console.diff_todo.billed_not_in_psop": (
        "Laskutimme järjestäjää tapahtumasta, jota PSOP:ssa ei ole: kirjaa se PSOP:iin "
        "(tapahtumatiedosto yllä) ennen tilityspäivää tai hyvitä se.",
        "We billed the organiser for an event PSOP does not have: record it in PSOP (the "
        "event file above) before the settlement day, or credit it.",
    ),
    "console.diff_todo.rejected_by_psop": (
        "Järjestäjä hylkäsi laskuttamamme tapahtuman: kysy syy; hyvitä osuus järjestäjän "
        "seuraavalla asiakirjalla ja laskuta asiakasta tai kirjaa pois.",
        "The organiser rejected an event we billed: ask why; credit the share on the "
        "organiser's next document and bill the client or write it off.",
    ),
}

MESSAGES = {key: {"fi": fi, "en": en} for key, (fi, en) in _T.items()}
add_messages(MESSAGES)
