"""Reasons and notes the connector words for people, rendered in English where they arise.

A quarantine reason, a plan's "why", a run's problem or notice is made where the rule runs —
in billing, the Spotilla reader, the sync — and those layers sit below ``connector/texts``. They
word it with :func:`reason` from this catalogue, in English: that is what the ledger stores,
what JSON output and logs carry, and what older ledgers already hold. A person reads it through
``connector.texts.i18n.Texts.text``, which recognises the English rendering of any template here
and renders the same fields in the configured language (``1,5``, ``24.4.2026``). A text that
matches no template (an older wording, Netvisor's own message) is shown as stored.

Fields are ids, codes, counts, amounts and dates — never names. How a field is shown follows
its name (:data:`FIELD_FORMS`): quantities get a decimal comma, dates ``d.M.yyyy``; a field named
``kind``/``role``/``state`` is a code translated from ``connector/texts/i18n.py``; a ``why`` is
itself a text of this catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

#: One key per template; ``{name}`` fields are ``str.format``. Keys start with ``reason.``.
REASONS: Mapping[str, Mapping[str, str]] = {
    # -- Spotilla's records (connector/spotilla/)
    "reason.business_id_missing": {
        "en": "company customer {customer} has no Y-tunnus (format and check digit are "
        "checked); fix it in Spotilla's customer register",
        "fi": "yritysasiakkaalta {customer} puuttuu Y-tunnus (muoto ja tarkistusmerkki "
        "tarkistetaan); korjaa se Spotillan asiakasrekisterissä",
    },
    "reason.business_id_invalid": {
        "en": "company customer {customer} has an invalid Y-tunnus (format and check digit are "
        "checked); fix it in Spotilla's customer register",
        "fi": "yritysasiakkaan {customer} Y-tunnus on virheellinen (muoto ja tarkistusmerkki "
        "tarkistetaan); korjaa se Spotillan asiakasrekisterissä",
    },
    "reason.folder_cycle": {
        "en": "leaf folder {folder}: its parent chain loops, so its billing customer cannot be "
        "found; fix the folder tree in Spotilla",
        "fi": "alimman tason kansion {folder} yläkansioketju kiertää kehää, joten sen "
        "laskutusasiakasta ei löydy; korjaa kansiopuu Spotillassa",
    },
    "reason.orphan_leaf": {
        "en": "leaf folder {folder} has no customer linked to it or to any folder above it; "
        "link a customer in Spotilla",
        "fi": "alimman tason kansiolla {folder} tai sen yläkansioilla ei ole asiakasta; "
        "liitä asiakas Spotillassa",
    },
    "reason.leaf_customer_quarantined": {
        "en": "leaf folder {folder} bills through customer {customer}, which is quarantined "
        "({rule})",
        "fi": "alimman tason kansio {folder} laskutetaan asiakkaan {customer} kautta, joka on "
        "karanteenissa ({rule})",
    },
    "reason.leaf_customer_quarantined_via": {
        "en": "leaf folder {folder} bills through customer {customer} (linked at folder "
        "{linked}), which is quarantined ({rule})",
        "fi": "alimman tason kansio {folder} laskutetaan asiakkaan {customer} kautta (liitetty "
        "kansioon {linked}), joka on karanteenissa ({rule})",
    },
    "reason.leaf_customer_unknown": {
        "en": "leaf folder {folder} bills through customer {customer}, which Spotilla did not "
        "return",
        "fi": "alimman tason kansio {folder} laskutetaan asiakkaan {customer} kautta, jota "
        "Spotilla ei palauttanut",
    },
    "reason.leaf_customer_unknown_via": {
        "en": "leaf folder {folder} bills through customer {customer} (linked at folder "
        "{linked}), which Spotilla did not return",
        "fi": "alimman tason kansio {folder} laskutetaan asiakkaan {customer} kautta (liitetty "
        "kansioon {linked}), jota Spotilla ei palauttanut",
    },
    "reason.duplicate_product_code": {
        "en": "product {product}: code {code} is already used by another product of the "
        "register; the first one is kept",
        "fi": "tuote {product}: koodi {code} on jo toisen rekisterin tuotteen käytössä; "
        "ensimmäinen pidetään",
    },
    "reason.missing_completed_at": {
        "en": "task {task} is {status} but has no completed_at, so its billing period is "
        "unknown; set the completion time in Spotilla",
        "fi": "tehtävä {task} on tilassa {status}, mutta siltä puuttuu valmistumisaika "
        "(completed_at), joten sen laskutuskausi ei selviä; aseta valmistumisaika Spotillassa",
    },
    "reason.missing_order_number": {
        "en": "task {task} has no order number and the billing rules require one",
        "fi": "tehtävältä {task} puuttuu tilausnumero, ja laskutussäännöt vaativat sen",
    },
    "reason.task_on_quarantined_leaf": {
        "en": "task {task} is on leaf folder {folder}, which is quarantined ({rule})",
        "fi": "tehtävä {task} on alimman tason kansiossa {folder}, joka on karanteenissa ({rule})",
    },
    "reason.task_on_inner_folder": {
        "en": "task {task} is on folder {folder}, which is not a lowest-level folder; move it "
        "to a target folder in Spotilla",
        "fi": "tehtävä {task} on kansiossa {folder}, joka ei ole alimman tason kansio; siirrä "
        "se kohdekansioon Spotillassa",
    },
    "reason.unknown_folder": {
        "en": "task {task} is on folder {folder}, which Spotilla did not return",
        "fi": "tehtävä {task} on kansiossa {folder}, jota Spotilla ei palauttanut",
    },
    "reason.unknown_product": {
        "en": "task {task}: product code not in Spotilla's product register: {rows}",
        "fi": "tehtävä {task}: tuotekoodi puuttuu Spotillan tuoterekisteristä: {rows}",
    },
    "reason.invalid_record": {
        "en": "{kind} record is not a JSON object",
        "fi": "tietue ({kind}) ei ole JSON-olio",
    },
    "reason.too_deep": {
        "en": "{kind} {record}: nested deeper than {depth} levels; Spotilla sent a malformed "
        "record",
        "fi": "{kind} {record}: sisäkkäisyyttä yli {depth} tasoa; Spotilla lähetti "
        "virheellisen tietueen",
    },
    "reason.invalid_text": {
        "en": "{kind} {record}: field {field} {why} (not valid in XML 1.0); fix the text in "
        "Spotilla",
        "fi": "{kind} {record}: kenttä {field} {why} (ei sallittu XML 1.0:ssa); korjaa teksti "
        "Spotillassa",
    },
    "reason.invalid_code_point": {
        "en": "holds an invalid code point",
        "fi": "sisältää virheellisen merkin",
    },
    "reason.control_character": {"en": "holds a control character", "fi": "sisältää ohjausmerkin"},
    "reason.record_fields": {"en": "{kind} {record}: {fields}", "fi": "{kind} {record}: {fields}"},
    "reason.field_missing": {"en": "field {field} missing", "fi": "kenttä {field} puuttuu"},
    "reason.field_invalid": {
        "en": "field {field} invalid ({error})",
        "fi": "kenttä {field} on virheellinen ({error})",
    },
    "reason.more_fields": {"en": "and {count} more", "fi": "ja {count} muuta"},
    # -- billing (connector/billing/)
    "reason.negative_quantity": {
        "en": "row {line} of task {task} has a negative quantity ({quantity}) that cancels no "
        "row of product '{product}' in the same task: correct it in Spotilla",
        "fi": "tehtävän {task} rivin {line} negatiivinen määrä ({quantity}) ei kumoa mitään "
        "saman tehtävän tuotteen '{product}' riviä: korjaa se Spotillassa",
    },
    "reason.unmapped_product": {
        "en": "product '{product}' of task {task} has no mapping in products.toml",
        "fi": "tehtävän {task} tuotteella '{product}' ei ole mappausta tiedostossa products.toml",
    },
    "reason.missing_price": {
        "en": "product '{product}' of task {task} is not in Spotilla's product register and the "
        "row gives no price",
        "fi": "tehtävän {task} tuote '{product}' puuttuu Spotillan tuoterekisteristä, eikä "
        "rivillä ole hintaa",
    },
    "reason.outside_validity": {
        "en": "work of task {task} on {day} is outside the validity of voucher(s) {vouchers}: held",
        "fi": "tehtävän {task} työ päivänä {day} on palvelusetelin {vouchers} voimassaolon "
        "ulkopuolella: pidätetty",
    },
    "reason.outside_validity_ended": {
        "en": "work of task {task} on {day} is outside the validity of voucher(s) {vouchers} "
        "(the customership has ended): held",
        "fi": "tehtävän {task} työ päivänä {day} on palvelusetelin {vouchers} voimassaolon "
        "ulkopuolella (asiakkuus on päättynyt): pidätetty",
    },
    "reason.over_grant": {
        "en": "{excess} {unit} of task {task} exceed the quantity granted by voucher {voucher} "
        "for {grant}: held for the organiser's review (tarkastettavana)",
        "fi": "tehtävän {task} {excess} {unit} ylittää palvelusetelin {voucher} myöntämän "
        "määrän ({grant}): pidätetty järjestäjän tarkastettavaksi",
    },
    "reason.whole_validity": {"en": "the whole validity", "fi": "koko voimassaoloaika"},
    "reason.unknown_customer": {
        "en": "billing customer {customer} of task {task} is not among the billable customers",
        "fi": "tehtävän {task} laskutusasiakas {customer} ei ole laskutettavien asiakkaiden "
        "joukossa",
    },
    "reason.correction_product_unknown": {
        "en": "a {role} correction of {amount} for line {line} ({period}) needs the Netvisor "
        "product and VAT it was billed with, and the billed line does not say: correct it by hand",
        "fi": "rivin {line} ({period}) korjaus ({role}, {amount}) tarvitsee Netvisor-tuotteen "
        "ja ALV:n, joilla rivi laskutettiin, eikä laskutettu rivi kerro niitä: korjaa käsin",
    },
    "reason.correction_client_unknown": {
        "en": "a {role} correction of {amount} for line {line} ({period}) must name the client's "
        "PSOP customer number, and the billed line does not store it: correct it by hand",
        "fi": "rivin {line} ({period}) korjauksessa ({role}, {amount}) on oltava asiakkaan "
        "PSOP-asiakasnumero, eikä laskutettu rivi sisällä sitä: korjaa käsin",
    },
    # -- the sync: plans, problems and notices (connector/sync/)
    "reason.plan_new": {"en": "new", "fi": "uusi"},
    "reason.plan_reconcile_first": {
        "en": "{state}: reconcile first",
        "fi": "{state}: täsmäytetään ensin",
    },
    "reason.plan_rejected": {
        "en": "rejected ({error}); a person must act",
        "fi": "hylätty ({error}); ihmisen on toimittava",
    },
    "reason.plan_not_in_netvisor": {"en": "not yet in Netvisor", "fi": "ei vielä Netvisorissa"},
    "reason.plan_unchanged": {"en": "unchanged", "fi": "ennallaan"},
    "reason.plan_matched": {"en": "already matched", "fi": "jo täsmätty"},
    "reason.plan_frozen": {
        "en": "frozen in Netvisor; changes go to the next document",
        "fi": "lukittu Netvisorissa; muutokset menevät seuraavalle asiakirjalle",
    },
    "reason.plan_changed": {"en": "changed", "fi": "muuttunut"},
    "reason.plan_match": {
        "en": "credit note and invoice both open",
        "fi": "hyvityslasku ja lasku molemmat avoimia",
    },
    "reason.summary_invoice": {
        "en": "invoice {period} {customer}: {count} lines, {amount}",
        "fi": "lasku {period} {customer}: {count} riviä, {amount}",
    },
    "reason.summary_invoice#one": {
        "en": "invoice {period} {customer}: {count} line, {amount}",
        "fi": "lasku {period} {customer}: {count} rivi, {amount}",
    },
    "reason.summary_credit": {
        "en": "credit note {period} {customer}: {count} lines, {amount}",
        "fi": "hyvityslasku {period} {customer}: {count} riviä, {amount}",
    },
    "reason.summary_credit#one": {
        "en": "credit note {period} {customer}: {count} line, {amount}",
        "fi": "hyvityslasku {period} {customer}: {count} rivi, {amount}",
    },
    "reason.summary_person": {"en": "private customer {code}", "fi": "yksityisasiakas {code}"},
    "reason.summary_company": {"en": "company {code}", "fi": "yritys {code}"},
    "reason.summary_organiser": {"en": "organiser {code}", "fi": "järjestäjä {code}"},
    "reason.summary_product": {"en": "product {code}", "fi": "tuote {code}"},
    "reason.summary_cancelled": {
        "en": "cancelled {period} {customer}: nothing left to bill",
        "fi": "peruttu {period} {customer}: ei enää laskutettavaa",
    },
    "reason.summary_match": {
        "en": "match credit note {credit} with {invoice}",
        "fi": "täsmää hyvityslasku {credit} laskuun {invoice}",
    },
    "reason.edit_gone": {
        "en": "Netvisor no longer has this invoice",
        "fi": "Netvisorissa ei enää ole tätä laskua",
    },
    "reason.edit_unclear": {
        "en": "the invoice in Netvisor shows neither the version sent nor the one before",
        "fi": "Netvisorin lasku ei vastaa lähetettyä eikä sitä edeltänyttä versiota",
    },
    "reason.edit_indistinct": {
        "en": "Netvisor's reply carries no line free texts, and the version sent and the one "
        "before differ only in them",
        "fi": "Netvisorin vastauksessa ei ole rivien lisätietotekstejä, ja lähetetty ja sitä "
        "edeltänyt versio eroavat vain niissä",
    },
    "reason.edit_unclear_detail": {
        "en": "reconcile: {why}; a person must compare it with the ledger (NetvisorKey "
        "{netvisor_key}). Nothing is re-sent or re-billed until it shows one of the two versions "
        "again",
        "fi": "täsmäytys: {why}; ihmisen on verrattava sitä kirjanpitoon (NetvisorKey "
        "{netvisor_key}). Mitään ei lähetetä eikä laskuteta uudelleen ennen kuin lasku vastaa "
        "jompaakumpaa versiota",
    },
    "reason.held_for_person": {
        "en": "{key}: {why} (NetvisorKey {netvisor_key}); held for a person",
        "fi": "{key}: {why} (NetvisorKey {netvisor_key}); pidätetty ihmisen ratkaistavaksi",
    },
    "reason.not_sent_depends": {
        "en": "{key}: not sent, depends on {keys}",
        "fi": "{key}: ei lähetetty, riippuu kohteista {keys}",
    },
    "reason.rejected_by_netvisor": {
        "en": "{key}: rejected by Netvisor: {error}: {message}",
        "fi": "{key}: Netvisor hylkäsi: {error}: {message}",
    },
    "reason.rejected_earlier": {
        "en": "{key}: rejected earlier ({error}); fix it, then `connector quarantine retry "
        "{retry}`",
        "fi": "{key}: hylätty aiemmin ({error}); korjaa se ja aja `connector quarantine retry "
        "{retry}`",
    },
    "reason.period_billed_late": {
        "en": "{period} was never invoiced by the connector and is locked: its documents are "
        "billed late, dated as {period}'s documents; check them in Netvisor before sending",
        "fi": "kautta {period} ei ole koskaan laskutettu liittimellä ja se on lukittu: sen "
        "asiakirjat laskutetaan myöhässä kauden {period} päiväyksin; tarkista ne Netvisorissa "
        "ennen lähettämistä",
    },
    "reason.not_rechecked_master": {
        "en": "this run did not read master data",
        "fi": "tämä ajo ei lukenut perustietoja",
    },
    "reason.not_rechecked_line": {
        "en": "its period was not billed by this run (closed periods only): use --as-of a day "
        "after the period closes, or --period",
        "fi": "tämä ajo ei laskuttanut sen kautta (vain päättyneet kaudet): käytä --as-of "
        "-päivää kauden päättymisen jälkeen tai --period",
    },
    "reason.not_rechecked_task": {
        "en": "its period was not read by this run: use --as-of a day after the period closes",
        "fi": "tämä ajo ei lukenut sen kautta: käytä --as-of -päivää kauden päättymisen jälkeen",
    },
    "reason.not_rechecked_held": {
        "en": "this run billed no period",
        "fi": "tämä ajo ei laskuttanut yhtään kautta",
    },
    "reason.not_rechecked_kind": {
        "en": "this run does not re-check {kind} records",
        "fi": "tämä ajo ei tarkista uudelleen tietueita ({kind})",
    },
    "reason.psop_conflict": {
        "en": "{item}: PSOP says {psop_state} ({decision}), decided earlier: {earlier}",
        "fi": "{item}: PSOP:n mukaan {psop_state} ({decision}), aiemmin päätetty: {earlier}",
    },
    "reason.secret_readable": {
        "en": "secret file {path} is readable by {who} (mode {mode}); make it owner-only: chmod "
        "600 {path}",
        "fi": "salaisuustiedoston {path} voi lukea {who} (oikeudet {mode}); rajaa se vain "
        "omistajalle: chmod 600 {path}",
    },
    "reason.readers_group": {"en": "group", "fi": "ryhmä"},
    "reason.readers_others": {"en": "others", "fi": "muut"},
    "reason.readers_both": {"en": "group and others", "fi": "ryhmä ja muut"},
    "reason.config_warning": {"en": "{path}: {key}: {why}", "fi": "{path}: {key}: {why}"},
    "reason.unit_value_high": {
        "en": "unit value {amount} is more than the price of every product linked to PSOP "
        "product '{product}' (at most {highest} with VAT): unit_value is ONE voucher's value, "
        "not the total PSOP shows",
        "fi": "yksikköarvo {amount} on suurempi kuin jokaisen PSOP-tuotteeseen '{product}' "
        "liitetyn tuotteen hinta (enintään {highest} verollisena): unit_value on YHDEN "
        "palvelusetelin arvo, ei PSOP:n näyttämä kokonaissumma",
    },
    "reason.unit_value_high_count": {
        "en": "unit value {amount} is more than the price of every product linked to PSOP "
        "product '{product}' (at most {highest} with VAT): unit_value is ONE voucher's value, "
        "not the total PSOP shows; it looks like value x count ({per_unit} x {count})",
        "fi": "yksikköarvo {amount} on suurempi kuin jokaisen PSOP-tuotteeseen '{product}' "
        "liitetyn tuotteen hinta (enintään {highest} verollisena): unit_value on YHDEN "
        "palvelusetelin arvo, ei PSOP:n näyttämä kokonaissumma; se näyttää arvolta kertaa "
        "määrä ({per_unit} x {count})",
    },
    "reason.run_locked": {
        "en": "another connector run holds the ledger lock {path}; wait for it to finish (the "
        "daemon runs jobs on its schedule) or give --wait-lock SECONDS",
        "fi": "toinen connector-ajo pitää kirjanpidon lukkoa {path}; odota sen valmistumista "
        "(palvelu ajaa työt aikataulussaan) tai anna --wait-lock SEKUNTIA",
    },
    "reason.run_locked_notes": {
        "en": "another connector run holds the ledger lock {path} ({notes}); wait for it to "
        "finish (the daemon runs jobs on its schedule) or give --wait-lock SECONDS",
        "fi": "toinen connector-ajo pitää kirjanpidon lukkoa {path} ({notes}); odota sen "
        "valmistumista (palvelu ajaa työt aikataulussaan) tai anna --wait-lock SEKUNTIA",
    },
    "reason.lease_locked": {
        "en": "another connector run holds the ledger lock of company {company} on {url} "
        "({notes}); it is let go when that run ends (or expires by itself if its host died); "
        "the daemon runs jobs on its schedule, or give --wait-lock SECONDS",
        "fi": "toinen connector-ajo pitää yrityksen {company} kirjanpidon lukkoa palvelimella "
        "{url} ({notes}); lukko vapautuu, kun ajo päättyy (tai vanhenee itsestään, jos sen "
        "kone kaatui); palvelu ajaa työt aikataulussaan, tai anna --wait-lock SEKUNTIA",
    },
    "reason.lease_lost": {
        "en": "this host no longer holds company {company}'s lease (token {token}): another "
        "host may run it now; nothing more is written",
        "fi": "tällä koneella ei ole enää yrityksen {company} vuoroa (tunniste {token}): toinen "
        "kone voi ajaa sitä nyt; mitään ei kirjoiteta enempää",
    },
    "reason.ledger_server_unusable": {
        "en": "the ledger's PostgreSQL server {url} cannot be used: {error}",
        "fi": "kirjanpidon PostgreSQL-palvelinta {url} ei voi käyttää: {error}",
    },
    "reason.ledger_server_ended": {
        "en": "the ledger's PostgreSQL server {url} ended this run's connection: {error}",
        "fi": "kirjanpidon PostgreSQL-palvelin {url} katkaisi tämän ajon yhteyden: {error}",
    },
    "reason.ledger_too_new": {
        "en": "ledger {where} has schema {found}, newer than this connector understands "
        "({understood}); upgrade the connector",
        "fi": "kirjanpidon {where} skeema on {found}, uudempi kuin tämä connector ymmärtää "
        "({understood}); päivitä connector",
    },
    "reason.lock_holder": {"en": "pid {pid}", "fi": "pid {pid}"},
    "reason.lock_holder_unknown": {"en": "holder unknown", "fi": "haltija ei tiedossa"},
    "reason.lock_waited": {"en": "after waiting {seconds} s", "fi": "odotettiin {seconds} s"},
    "reason.lock_stopped": {
        "en": "stopped while waiting for it",
        "fi": "pysäytettiin odotettaessa",
    },
    # -- PSOP's report (connector/psop/report.py): what is wrong with a cell, a row, the file
    "reason.psop_too_large": {
        "en": "the file is larger than 50 MB: refused",
        "fi": "tiedosto on yli 50 Mt: hylätty",
    },
    "reason.psop_not_utf8": {
        "en": "not UTF-8 text: save the report as CSV UTF-8",
        "fi": "ei UTF-8-tekstiä: tallenna raportti muodossa CSV UTF-8",
    },
    "reason.psop_not_xlsx": {"en": "not an XLSX workbook", "fi": "ei XLSX-työkirja"},
    "reason.psop_macros": {
        "en": "the workbook contains macros: save it as .xlsx",
        "fi": "työkirjassa on makroja: tallenna se muodossa .xlsx",
    },
    "reason.psop_unpacks_large": {
        "en": "the workbook unpacks to more than 50 MB: refused",
        "fi": "työkirja purkautuu yli 50 megatavuksi: hylätty",
    },
    "reason.psop_unreadable": {
        "en": "cannot read the workbook ({error})",
        "fi": "työkirjaa ei voi lukea ({error})",
    },
    "reason.psop_no_sheet": {
        "en": "no sheet '{sheet}' in the workbook",
        "fi": "työkirjassa ei ole taulukkoa '{sheet}'",
    },
    "reason.psop_empty": {"en": "the report is empty", "fi": "raportti on tyhjä"},
    "reason.psop_delimiter": {
        "en": "the fields are separated by '{found}', not by '{expected}' as psop_report.toml "
        "says (format.delimiter)",
        "fi": "kenttien erotin on '{found}' eikä '{expected}', kuten psop_report.toml sanoo "
        "(format.delimiter)",
    },
    "reason.psop_missing_column": {"en": "missing column", "fi": "sarake puuttuu"},
    "reason.psop_width": {
        "en": "{count} fields, the header has {width}",
        "fi": "{count} kenttää, otsikkorivillä on {width}",
    },
    "reason.psop_cell_empty": {"en": "empty", "fi": "tyhjä"},
    "reason.psop_formula": {
        "en": "starts with '{first}', which a spreadsheet runs",
        "fi": "alkaa merkillä '{first}', jonka taulukkolaskenta suorittaa",
    },
    "reason.psop_time_of_day": {
        "en": "{value} has a time of day; expected a date",
        "fi": "{value} sisältää kellonajan; odotettiin päivämäärää",
    },
    "reason.psop_not_date": {
        "en": "'{value}' is not a date of the form {form}",
        "fi": "'{value}' ei ole päivämäärä muodossa {form}",
    },
    "reason.psop_wrong_separator": {
        "en": "'{value}' has '{found}' where the report's decimal separator is '{expected}' "
        "(format.decimal_separator)",
        "fi": "'{value}' sisältää merkin '{found}', vaikka raportin desimaalierotin on "
        "'{expected}' (format.decimal_separator)",
    },
    "reason.psop_not_number": {"en": "'{value}' is not a number", "fi": "'{value}' ei ole luku"},
    "reason.psop_unknown_state": {
        "en": "unknown state '{value}' (known: {known})",
        "fi": "tuntematon tila '{value}' (tunnetut: {known})",
    },
    "reason.unknown_in_a_row": {
        "en": "{count} writes in a row got no clear answer from Netvisor (last: {error}); stopped "
        "writing. Nothing is sent twice: the next run (or `connector reconcile`) looks those "
        "writes up in Netvisor first",
        "fi": "{count} kirjoitusta peräkkäin jäi ilman selvää vastausta Netvisorista (viimeisin: "
        "{error}); kirjoittaminen lopetettiin. Mitään ei lähetetä kahdesti: seuraava ajo (tai "
        "`connector reconcile`) etsii ensin ne kirjoitukset Netvisorista",
    },
    "reason.ledger_environment": {
        "en": "ledger {path} belongs to another Netvisor environment: {differ}. Use the ledger of "
        "that environment; after a deliberate switch run `connector ledger rebind`",
        "fi": "kirjanpito {path} kuuluu toiseen Netvisor-ympäristöön: {differ}. Käytä sen "
        "ympäristön kirjanpitoa; tarkoituksellisen vaihdon jälkeen aja `connector ledger rebind`",
    },
    "reason.period_open": {
        "en": "period {period} is still open on {day}; it closes on day {close_day} of the next "
        "month (use --as-of to rehearse)",
        "fi": "kausi {period} on yhä auki {day}; se päättyy seuraavan kuukauden {close_day}. "
        "päivänä (harjoittele valitsimella --as-of)",
    },
    "reason.spotilla_login_refused": {
        "en": "Spotilla refused the login of the configured user for subdomain '{subdomain}'",
        "fi": "Spotilla hylkäsi määritetyn käyttäjän kirjautumisen aliverkkotunnukselle "
        "'{subdomain}'",
    },
    "reason.spotilla_relogin_refused": {
        "en": "Spotilla answered 401 to {request}: the login token was refused even after a "
        "re-login",
        "fi": "Spotilla vastasi 401 pyyntöön {request}: kirjautumistunnus hylättiin "
        "uudelleenkirjautumisenkin jälkeen",
    },
    "reason.spotilla_key_refused": {
        "en": "Spotilla answered 401 to {request}: the integration key (token, user id, "
        "subdomain) is invalid or expired",
        "fi": "Spotilla vastasi 401 pyyntöön {request}: integraatioavain (token, user id, "
        "subdomain) on virheellinen tai vanhentunut",
    },
    "reason.spotilla_gave_up": {
        "en": "{request}: gave up after {count} attempts; last: {last}",
        "fi": "{request}: luovuttiin {count} yrityksen jälkeen; viimeisin: {last}",
    },
    "reason.spotilla_time_budget": {
        "en": "{request}: time budget of {seconds} s spent after {count} attempts; last: {last}",
        "fi": "{request}: {seconds} s:n aikaraja käytettiin {count} yrityksen jälkeen; "
        "viimeisin: {last}",
    },
    "reason.psop_unknown_voucher": {
        "en": "unknown voucher '{voucher}': no target in the mapping files has it",
        "fi": "tuntematon palveluseteli '{voucher}': sitä ei ole yhdelläkään mappausten kohteella",
    },
    "reason.psop_voucher_elsewhere": {
        "en": "voucher '{voucher}' belongs to another PSOP customer number in the mapping files",
        "fi": "palveluseteli '{voucher}' kuuluu mappauksissa toiselle PSOP-asiakasnumerolle",
    },
    # -- the console's users file (connector/console/users.py)
    "reason.user_name_rule": {
        "en": "a user name is 1-32 characters: lower-case letters a-z, digits, '.', '_' or '-', "
        "starting with a letter or digit",
        "fi": "käyttäjänimessä on 1–32 merkkiä: pieniä kirjaimia a–z, numeroita, '.', '_' tai "
        "'-', ja se alkaa kirjaimella tai numerolla",
    },
    "reason.password_too_short": {
        "en": "the password must be at least {length} characters long",
        "fi": "salasanassa on oltava vähintään {length} merkkiä",
    },
    "reason.password_too_long": {
        "en": "the password must be at most {length} characters long",
        "fi": "salasanassa saa olla enintään {length} merkkiä",
    },
    "reason.console_role_unknown": {
        "en": "a role is one of {roles}",
        "fi": "rooli on jokin näistä: {roles}",
    },
    "reason.users_file_broken": {
        "en": "{path}: not a console users file ({error})",
        "fi": "{path}: ei ole konsolin käyttäjätiedosto ({error})",
    },
    "reason.console_no_users": {
        "en": "no console users in {path}: add one first with "
        "`connector console adduser NAME --role decider`",
        "fi": "tiedostossa {path} ei ole konsolin käyttäjiä: lisää ensin käyttäjä komennolla "
        "`connector console adduser NIMI --role decider`",
    },
    # -- addresses and options (connector/core/endpoints.py, the CLI)
    "reason.option_invalid": {
        "en": "option {option}: {why}",
        "fi": "valitsin {option}: {why}",
    },
    "reason.http_refused": {
        "en": "http:// is refused for {host}: credentials would travel unencrypted; use "
        "https:// (plain http is allowed only to 127.0.0.0/8, ::1 or localhost)",
        "fi": "http:// ei käy osoitteelle {host}: tunnukset kulkisivat salaamattomina; käytä "
        "https://-osoitetta (pelkkä http sallitaan vain osoitteisiin 127.0.0.0/8, ::1 tai "
        "localhost)",
    },
    "reason.https_expected": {
        "en": "expected an https:// URL with a host, got {value}",
        "fi": "odotettiin https://-osoitetta palvelimen nimen kanssa, saatiin {value}",
    },
    "reason.listen_expected": {
        "en": "expected HOST:PORT such as 127.0.0.1:8765, got {value}",
        "fi": "odotettiin muotoa PALVELIN:PORTTI, esimerkiksi 127.0.0.1:8765, saatiin {value}",
    },
    "reason.ledger_url_password": {
        "en": "the ledger URL carries a password: remove it and set ledger_password_env "
        "(an environment variable name) or ledger_password_file (a file path), or use "
        "libpq's PGPASSWORD/PGPASSFILE",
        "fi": "kirjanpidon osoitteessa on salasana: poista se ja aseta ledger_password_env "
        "(ympäristömuuttujan nimi) tai ledger_password_file (tiedostopolku), tai käytä "
        "libpq:n PGPASSWORD/PGPASSFILE-asetuksia",
    },
    "reason.ledger_url_expected": {
        "en": "expected postgresql://[user@]host[:port]/database, got {value}",
        "fi": "odotettiin muotoa postgresql://[käyttäjä@]palvelin[:portti]/tietokanta, "
        "saatiin {value}",
    },
    # -- ledger migrate (connector/ledger/transfer.py)
    "reason.migrate_not_amount": {
        "en": "a value {value} is not an amount",
        "fi": "arvo {value} ei ole rahamäärä",
    },
    "reason.migrate_schema_differs": {
        "en": "schema versions differ: SQLite {sqlite}, PostgreSQL {postgresql}",
        "fi": "skeemaversiot eroavat: SQLite {sqlite}, PostgreSQL {postgresql}",
    },
    "reason.migrate_columns_missing": {
        "en": "PostgreSQL table {table} lacks {columns}",
        "fi": "PostgreSQL-taulusta {table} puuttuu {columns}",
    },
    "reason.migrate_company_has_rows": {
        "en": "company {company} already has rows on {url} (in {tables}): nothing was copied; "
        "migrate into a new company",
        "fi": "yrityksellä {company} on jo rivejä palvelimella {url} (tauluissa {tables}): mitään "
        "ei kopioitu; siirrä uuteen yritykseen",
    },
    "reason.migrate_verification_failed": {
        "en": "verification failed for {table}: SQLite {sqlite} rows, PostgreSQL {postgresql} "
        "rows; nothing was copied",
        "fi": "taulun {table} tarkistus epäonnistui: SQLite {sqlite} riviä, PostgreSQL "
        "{postgresql} riviä; mitään ei kopioitu",
    },
    "reason.migrate_differs_after_commit": {
        "en": "{table} differs after the commit",
        "fi": "taulu {table} eroaa tallennuksen jälkeen",
    },
    # -- ledger export (connector/cli/export.py)
    "reason.export_format_unknown": {
        "en": "unknown format {format}: choose {formats}",
        "fi": "tuntematon muoto {format}: valitse {formats}",
    },
    "reason.export_out_is_file": {
        "en": "{path} is a file: give a new or empty folder",
        "fi": "{path} on tiedosto: anna uusi tai tyhjä kansio",
    },
    "reason.export_out_not_empty": {
        "en": "{path} is not empty: give a new or empty folder",
        "fi": "{path} ei ole tyhjä: anna uusi tai tyhjä kansio",
    },
    "reason.export_table_unknown": {
        "en": "the ledger has no table {tables}; it has: {present}",
        "fi": "kirjanpidossa ei ole taulua {tables}; siinä on: {present}",
    },
    "reason.report_not_written": {
        "en": "the run report could not be written: {error}",
        "fi": "ajoraporttia ei voitu kirjoittaa: {error}",
    },
    "reason.report_not_rendered": {
        "en": "the run report could not be rendered ({error})",
        "fi": "ajoraporttia ei voitu muodostaa ({error})",
    },
    # -- config and mapping files (connector/core/config*.py, connector/mapping/): shown as
    # file:line: key: text. The "input" ones are pydantic's own wording of a value of the wrong
    # type or range, recognised here so that a person reads them in the configured language.
    "reason.input_missing": {"en": "Field required", "fi": "pakollinen avain puuttuu"},
    "reason.input_extra": {"en": "Extra inputs are not permitted", "fi": "tuntematon avain"},
    "reason.input_string": {"en": "Input should be a valid string", "fi": "pitää olla teksti"},
    "reason.input_int": {"en": "Input should be a valid integer", "fi": "pitää olla kokonaisluku"},
    "reason.input_int_parsing": {
        "en": "Input should be a valid integer, unable to parse string as an integer",
        "fi": "pitää olla kokonaisluku (tekstiä ei voi lukea kokonaislukuna)",
    },
    "reason.input_int_from_float": {
        "en": "Input should be a valid integer, got a number with a fractional part",
        "fi": "pitää olla kokonaisluku, ei desimaalilukua",
    },
    "reason.input_number": {"en": "Input should be a valid number", "fi": "pitää olla luku"},
    "reason.input_number_parsing": {
        "en": "Input should be a valid number, unable to parse string as a number",
        "fi": "pitää olla luku (tekstiä ei voi lukea lukuna)",
    },
    "reason.input_finite": {
        "en": "Input should be a finite number",
        "fi": "pitää olla äärellinen luku",
    },
    "reason.input_bool": {
        "en": "Input should be a valid boolean",
        "fi": "pitää olla true tai false",
    },
    "reason.input_bool_parsing": {
        "en": "Input should be a valid boolean, unable to interpret input",
        "fi": "pitää olla true tai false",
    },
    "reason.input_decimal_type": {
        "en": "Decimal input should be an integer, float, string or Decimal object",
        "fi": "pitää olla desimaaliluku",
    },
    "reason.input_decimal": {
        "en": "Input should be a valid decimal",
        "fi": "pitää olla desimaaliluku",
    },
    "reason.input_decimal_places": {
        "en": "Decimal input should have no more than {places} decimal places",
        "fi": "saa olla enintään {places} desimaalia",
    },
    "reason.input_decimal_place": {
        "en": "Decimal input should have no more than {places} decimal place",
        "fi": "saa olla enintään {places} desimaali",
    },
    "reason.input_gt": {
        "en": "Input should be greater than {limit}",
        "fi": "pitää olla suurempi kuin {limit}",
    },
    "reason.input_ge": {
        "en": "Input should be greater than or equal to {limit}",
        "fi": "pitää olla vähintään {limit}",
    },
    "reason.input_lt": {
        "en": "Input should be less than {limit}",
        "fi": "pitää olla pienempi kuin {limit}",
    },
    "reason.input_le": {
        "en": "Input should be less than or equal to {limit}",
        "fi": "saa olla enintään {limit}",
    },
    "reason.input_short": {
        "en": "String should have at least {length} characters",
        "fi": "pitää olla vähintään {length} merkkiä",
    },
    "reason.input_short_one": {
        "en": "String should have at least {length} character",
        "fi": "ei saa olla tyhjä (vähintään {length} merkki)",
    },
    "reason.input_long": {
        "en": "String should have at most {length} characters",
        "fi": "saa olla enintään {length} merkkiä",
    },
    "reason.input_long_one": {
        "en": "String should have at most {length} character",
        "fi": "saa olla enintään {length} merkki",
    },
    "reason.input_pattern": {
        "en": "String should match pattern '{pattern}'",
        "fi": "ei ole muotoa '{pattern}'",
    },
    "reason.input_choice": {"en": "Input should be {choices}", "fi": "pitää olla {choices}"},
    "reason.input_list": {"en": "Input should be a valid list", "fi": "pitää olla lista"},
    "reason.input_table": {
        "en": "Input should be a valid dictionary",
        "fi": "pitää olla TOML-taulu",
    },
    "reason.input_table_of": {
        "en": "Input should be a valid dictionary or instance of {model}",
        "fi": "pitää olla TOML-taulu ({model})",
    },
    "reason.input_date": {"en": "Input should be a valid date", "fi": "pitää olla päivämäärä"},
    "reason.input_date_parsing": {
        "en": "Input should be a valid date in the format YYYY-MM-DD, {error}",
        "fi": "pitää olla päivämäärä muodossa VVVV-KK-PP ({error})",
    },
    "reason.input_date_or_moment": {
        "en": "Input should be a valid date or datetime, {error}",
        "fi": "pitää olla päivämäärä ({error})",
    },
    "reason.input_date_inexact": {
        "en": "Datetimes provided to dates should have zero time - e.g. be exact dates",
        "fi": "pitää olla päivämäärä ilman kellonaikaa",
    },
    "reason.input_path": {
        "en": "Input is not a valid path for {type}",
        "fi": "pitää olla tiedoston tai kansion polku ({type})",
    },
    "reason.input_items": {
        "en": "{container} should have at least {length} items after validation, not {actual}",
        "fi": "{container}: pitää olla vähintään {length} alkiota, nyt {actual}",
    },
    "reason.input_item": {
        "en": "{container} should have at least {length} item after validation, not {actual}",
        "fi": "{container}: pitää olla vähintään {length} alkio, nyt {actual}",
    },
    # the reasons pydantic gives inside a date's error (its "{error}")
    "reason.input_month_range": {
        "en": "month value is outside expected range of 1-12",
        "fi": "kuukausi ei ole väliltä 1-12",
    },
    "reason.input_day_range": {
        "en": "day value is outside expected range",
        "fi": "päivä ei ole kuukauden päivä",
    },
    "reason.input_too_short": {"en": "input is too short", "fi": "liian lyhyt"},
    "reason.input_too_long": {"en": "input is too long", "fi": "liian pitkä"},
    "reason.input_year_char": {
        "en": "invalid character in year",
        "fi": "vuodessa on virheellinen merkki",
    },
    "reason.input_month_char": {
        "en": "invalid character in month",
        "fi": "kuukaudessa on virheellinen merkki",
    },
    "reason.input_day_char": {
        "en": "invalid character in day",
        "fi": "päivässä on virheellinen merkki",
    },
    "reason.input_date_separator": {
        "en": "invalid date separator, expected `-`",
        "fi": "virheellinen erotin, odotettiin `-`",
    },
    "reason.input_extra_characters": {
        "en": "unexpected extra characters at the end of the input",
        "fi": "lopussa on ylimääräisiä merkkejä",
    },
    "reason.config_key_missing": {
        "en": "required key is missing",
        "fi": "pakollinen avain puuttuu",
    },
    "reason.config_key_unknown": {
        "en": "unknown key (typo? see config.example.toml)",
        "fi": "tuntematon avain (kirjoitusvirhe? katso config.example.toml)",
    },
    "reason.key_unknown": {"en": "unknown key", "fi": "tuntematon avain"},
    "reason.key_unknown_top": {
        "en": "unknown key at top level",
        "fi": "tuntematon avain tiedoston ylätasolla",
    },
    "reason.not_toml": {"en": "not TOML: {error}", "fi": "ei ole TOMLia: {error}"},
    "reason.not_valid_toml": {
        "en": "not valid TOML: {error}",
        "fi": "ei ole kelvollista TOMLia: {error}",
    },
    "reason.cannot_read": {"en": "cannot read: {error}", "fi": "ei voi lukea: {error}"},
    "reason.value_required": {"en": "required", "fi": "pakollinen"},
    "reason.named_twice": {"en": "{name} twice", "fi": "{name} on kahdesti"},
    "reason.fleet_no_tables": {
        "en": "no [[company]] tables (name, config)",
        "fi": "tauluja [[company]] (name, config) ei ole",
    },
    "reason.fleet_empty": {
        "en": "the fleet lists no company",
        "fi": "yrityslistassa ei ole yhtään yritystä",
    },
    "reason.fleet_unknown": {
        "en": "no such company: {names}",
        "fi": "tällaista yritystä ei ole: {names}",
    },
    "reason.start_period_form": {
        "en": 'start_period is a month as "YYYY-MM" (e.g. "2026-11"), got {value}',
        "fi": 'start_period on kuukausi muodossa "VVVV-KK" (esim. "2026-11"), nyt {value}',
    },
    "reason.company_key_invalid": {
        "en": "invalid company key {value}: lower case letters, digits and _, starting with a "
        "letter, at most 40 characters",
        "fi": "virheellinen yritysavain {value}: pieniä kirjaimia, numeroita ja _, alkaa "
        "kirjaimella, enintään 40 merkkiä",
    },
    "reason.company_key_needed": {
        "en": 'a PostgreSQL ledger is shared by companies: set company = "..." (a key unique to '
        'this Netvisor company, e.g. "acme")',
        "fi": 'PostgreSQL-kirjanpito on yritysten yhteinen: aseta company = "..." (tälle '
        'Netvisor-yritykselle oma avain, esim. "acme")',
    },
    "reason.time_zone_unknown": {
        "en": "unknown time zone {value}",
        "fi": "tuntematon aikavyöhyke {value}",
    },
    "reason.time_zone_helsinki": {
        "en": "billing periods are PSOP's calendar months in Europe/Helsinki; no other zone is "
        "supported",
        "fi": "laskutuskaudet ovat PSOP:n kalenterikuukausia aikavyöhykkeellä Europe/Helsinki; "
        "muita aikavyöhykkeitä ei tueta",
    },
    "reason.lock_after_close": {
        "en": "lock_day ({lock}) must come after close_day ({close}): a period is invoiced when "
        "it closes and frozen when it locks",
        "fi": "lock_day ({lock}) pitää olla close_dayn ({close}) jälkeen: kausi laskutetaan "
        "sen sulkeuduttua ja jäädytetään sen lukituttua",
    },
    "reason.settlement_after_close": {
        "en": "settlement_day ({settlement}) must come after close_day ({close}): an "
        "organiser's document is built before it is settled",
        "fi": "settlement_day ({settlement}) pitää olla close_dayn ({close}) jälkeen: "
        "järjestäjän asiakirja tehdään ennen tilitystä",
    },
    "reason.cron_invalid": {
        "en": "invalid cron expression {value}: {error}",
        "fi": "virheellinen cron-lauseke {value}: {error}",
    },
    "reason.cron_fields": {
        "en": "expected a 5-field cron expression, got {value}",
        "fi": "cron-lausekkeessa pitää olla 5 kenttää, nyt {value}",
    },
    "reason.cron_weekday_unsupported": {
        "en": "unsupported weekday item {item} (use 0-7 or mon-sun)",
        "fi": "tukematon viikonpäivä {item} (käytä 0-7 tai mon-sun)",
    },
    "reason.cron_weekday_step": {
        "en": "invalid weekday step in {item}",
        "fi": "virheellinen viikonpäivien askel kohdassa {item}",
    },
    "reason.cron_weekday": {
        "en": "invalid weekday item {item}",
        "fi": "virheellinen viikonpäivä {item}",
    },
    "reason.secret_in_config": {
        "en": "secrets never go in the config file: remove it and set {key}_env (an "
        "environment variable name) or {key}_file (a file path) instead",
        "fi": "salaisuudet eivät kuulu asetustiedostoon: poista se ja aseta sen sijaan "
        "{key}_env (ympäristömuuttujan nimi) tai {key}_file (tiedoston polku)",
    },
    "reason.secret_unreadable": {
        "en": "{name}: cannot read secret file {path}: {error}",
        "fi": "{name}: salaisuustiedostoa {path} ei voi lukea: {error}",
    },
    "reason.secret_empty": {
        "en": "{name}: secret file {path} is empty",
        "fi": "{name}: salaisuustiedosto {path} on tyhjä",
    },
    "reason.secret_missing_env_file": {
        "en": "{name}: no value found in environment variable {env} or file {path}",
        "fi": "{name}: arvoa ei löytynyt ympäristömuuttujasta {env} eikä tiedostosta {path}",
    },
    "reason.secret_missing_env": {
        "en": "{name}: no value found in environment variable {env}",
        "fi": "{name}: arvoa ei löytynyt ympäristömuuttujasta {env}",
    },
    "reason.secret_missing_file": {
        "en": "{name}: no value found in file {path}",
        "fi": "{name}: arvoa ei löytynyt tiedostosta {path}",
    },
    "reason.secret_missing": {
        "en": "{name}: no value found in any configured source",
        "fi": "{name}: arvoa ei ole asetettu mistään lähteestä",
    },
    "reason.spotilla_credentials_missing": {
        "en": "no Spotilla credentials: set ${env} (integration key) or a username with a password",
        "fi": "Spotillan tunnukset puuttuvat: aseta ${env} (integraatioavain) tai "
        "käyttäjätunnus ja salasana",
    },
    "reason.spotilla_username_missing": {
        "en": "a password is configured but no username",
        "fi": "salasana on asetettu, mutta käyttäjätunnus puuttuu",
    },
    "reason.spotilla_user_id_missing": {
        "en": "an integration key needs the user id shown with it",
        "fi": "integraatioavaimen kanssa tarvitaan sen yhteydessä näytetty käyttäjä-id (user_id)",
    },
    "reason.mapping_folder_missing": {
        "en": "mapping folder not found",
        "fi": "mappauskansiota ei löydy",
    },
    "reason.mapping_products_missing": {
        "en": "missing: every billed product needs a mapping",
        "fi": "puuttuu: jokainen laskutettava tuote tarvitsee mappauksen",
    },
    "reason.mapping_vat_tables": {
        "en": "expected [vat.<name>]",
        "fi": "odotettiin tauluja [vat.<nimi>]",
    },
    "reason.mapping_tables": {
        "en": "expected [[{table}]] tables",
        "fi": "odotettiin tauluja [[{table}]]",
    },
    "reason.mapping_vat_either": {
        "en": "give either vat (a class) or vat_percent + vat_code",
        "fi": "anna joko vat (luokka) tai vat_percent ja vat_code",
    },
    "reason.mapping_vat_class_unknown": {
        "en": "unknown VAT class {name} (known: {known})",
        "fi": "tuntematon ALV-luokka {name} (tunnetut: {known})",
    },
    "reason.mapping_vat_needed": {
        "en": "a product needs a VAT rate and a Netvisor VAT code (vat = a [vat.<name>] class, "
        "or vat_percent and vat_code)",
        "fi": "tuotteelle tarvitaan ALV-prosentti ja Netvisorin ALV-koodi (vat = [vat.<nimi>]-"
        "luokka, tai vat_percent ja vat_code)",
    },
    "reason.mapping_duplicate_region": {
        "en": "duplicate region code {ident} (first defined at {where})",
        "fi": "aluekoodi {ident} on kahdesti (ensimmäinen kohdassa {where})",
    },
    "reason.mapping_duplicate_product": {
        "en": "duplicate product {ident} (first defined at {where})",
        "fi": "tuote {ident} on kahdesti (ensimmäinen kohdassa {where})",
    },
    "reason.mapping_duplicate_target": {
        "en": "duplicate target folder id {ident} (first defined at {where})",
        "fi": "kohteen kansio-id {ident} on kahdesti (ensimmäinen kohdassa {where})",
    },
    "reason.mapping_duplicate_override": {
        "en": "duplicate override {ident} (first defined at {where})",
        "fi": "asiakasmäärittely {ident} on kahdesti (ensimmäinen kohdassa {where})",
    },
    "reason.mapping_link_unmapped": {
        "en": "own product {code} has no mapping in {file}",
        "fi": "omalla tuotteella {code} ei ole mappausta tiedostossa {file}",
    },
    "reason.mapping_link_twice": {
        "en": "own product {code} is already linked to PSOP product {psop} in this region (link "
        "each product once)",
        "fi": "oma tuote {code} on jo liitetty PSOP-tuotteeseen {psop} tällä alueella (liitä "
        "kukin tuote vain kerran)",
    },
    "reason.mapping_region_unknown": {
        "en": "unknown region {region} (known: {known})",
        "fi": "tuntematon alue {region} (tunnetut: {known})",
    },
    "reason.mapping_none_in": {"en": "none in {file}", "fi": "ei yhtään tiedostossa {file}"},
    "reason.mapping_none_defined": {"en": "none defined", "fi": "ei yhtään"},
    "reason.mapping_psop_number_twice": {
        "en": "PSOP customer number {number} is used twice (it is the provider's own, unique "
        "across all regions): by target {first} in region {first_region} ({first_name}, "
        "{first_at}) and by target {target} ({name}) in region {region}",
        "fi": "PSOP-asiakasnumero {number} on käytössä kahdesti (se on palveluntuottajan oma ja "
        "yksilöllinen kaikilla alueilla): kohteella {first} alueella {first_region} "
        "({first_name}, {first_at}) ja kohteella {target} ({name}) alueella {region}",
    },
    "reason.mapping_voucher_id_twice": {
        "en": "duplicate voucher id {voucher} (first at {where})",
        "fi": "setelin tunnus {voucher} on kahdesti (ensimmäinen kohdassa {where})",
    },
    "reason.mapping_psop_product_unlinked": {
        "en": "PSOP product {psop} is not linked to an own product in region {region} (add it "
        "to product_links in {file})",
        "fi": "PSOP-tuotetta {psop} ei ole liitetty omaan tuotteeseen alueella {region} (lisää "
        "se product_links-kohtaan tiedostossa {file})",
    },
    "reason.mapping_vouchers_overlap": {
        "en": "voucher {voucher} overlaps voucher {other} for PSOP product {psop} on target "
        "{target}: at most one voucher per product may be valid on a day",
        "fi": "seteli {voucher} on päällekkäin setelin {other} kanssa PSOP-tuotteella {psop} "
        "kohteessa {target}: tuotteella saa olla voimassa enintään yksi seteli päivässä",
    },
    "reason.mapping_targets_twice": {
        "en": "give targets in {toml} or {csv}, not both",
        "fi": "anna kohteet joko tiedostossa {toml} tai {csv}, ei molemmissa",
    },
    "reason.mapping_column_unknown": {"en": "unknown column", "fi": "tuntematon sarake"},
    "reason.mapping_formula": {
        "en": "column {index} ({column}) starts with {start}, which a spreadsheet runs as a "
        "formula; codes, ids, numbers and dates never start with = + - @ (the row is skipped)",
        "fi": "sarake {index} ({column}) alkaa merkillä {start}, jonka taulukkolaskenta ajaa "
        "kaavana; koodit, tunnukset, luvut ja päivämäärät eivät koskaan ala merkeillä "
        "= + - @ (rivi ohitetaan)",
    },
    "reason.mapping_target_unknown": {
        "en": "no target with folder_id {target}",
        "fi": "kohdetta, jonka folder_id on {target}, ei ole",
    },
    "reason.mapping_psop_number_hetu": {
        "en": "a PSOP customer number is the provider's own number for a client and never a "
        "personal identity code (henkilötunnus): use the client's own customer number",
        "fi": "PSOP-asiakasnumero on palveluntuottajan oma numero asiakkaalle eikä koskaan "
        "henkilötunnus: käytä asiakkaan omaa asiakasnumeroa",
    },
    "reason.mapping_business_id": {
        "en": "{value} is not a valid Y-tunnus (1234567-8 with its check digit)",
        "fi": "{value} ei ole kelvollinen Y-tunnus (1234567-8 tarkistusmerkkeineen)",
    },
    "reason.mapping_voucher_needs": {
        "en": "kind = {voucher_kind} needs {own}",
        "fi": "kind = {voucher_kind} tarvitsee avaimen {own}",
    },
    "reason.mapping_voucher_takes": {
        "en": "kind = {voucher_kind} takes {own}, not {other}",
        "fi": "kind = {voucher_kind} käyttää avainta {own}, ei avainta {other}",
    },
    "reason.mapping_voucher_count_both": {
        "en": "kind = 'voucher' needs exactly one of quantity_per_period (units per month) and "
        "quantity_total (units over the whole validity); got both",
        "fi": "kind = 'voucher' tarvitsee täsmälleen toisen avaimista quantity_per_period "
        "(yksikköä kuukaudessa) ja quantity_total (yksikköä koko voimassaoloaikana); nyt "
        "molemmat",
    },
    "reason.mapping_voucher_count_neither": {
        "en": "kind = 'voucher' needs exactly one of quantity_per_period (units per month) and "
        "quantity_total (units over the whole validity); got neither",
        "fi": "kind = 'voucher' tarvitsee täsmälleen toisen avaimista quantity_per_period "
        "(yksikköä kuukaudessa) ja quantity_total (yksikköä koko voimassaoloaikana); nyt "
        "ei kumpaakaan",
    },
    "reason.mapping_voucher_no_count": {
        "en": "kind = {voucher_kind} takes no {count_key}",
        "fi": "kind = {voucher_kind} ei käytä avainta {count_key}",
    },
    "reason.mapping_valid_to": {
        "en": "valid_to is before valid_from",
        "fi": "valid_to on ennen valid_from-päivää",
    },
    "reason.mapping_override_key": {
        "en": "an override needs spotilla_id or business_id",
        "fi": "asiakasmäärittely tarvitsee avaimen spotilla_id tai business_id",
    },
    "reason.psop_report_same_column": {
        "en": "{field} and {other} name the same column {header}",
        "fi": "{field} ja {other} nimeävät saman sarakkeen {header}",
    },
    "reason.psop_report_separators": {
        "en": "delimiter and decimal_separator are both {value}: a number could not be told "
        "from the next field",
        "fi": "delimiter ja decimal_separator ovat molemmat {value}: lukua ei voisi erottaa "
        "seuraavasta kentästä",
    },
}


def reason(key: str, /, **fields: object) -> str:
    """The English text of ``key`` (``reason.`` may be left off) with ``fields`` filled in.

    A ``count`` of 1 takes the key's ``#one`` form where there is one."""
    full = key if key.startswith("reason.") else f"reason.{key}"
    if str(fields.get("count")) == "1" and f"{full}#one" in REASONS:
        full = f"{full}#one"
    return REASONS[full]["en"].format(**fields)
