"""The command line's help in Finnish: every option's and command's help line, and argparse's own
words ("usage:", "options", its error messages).

`connector/cli/parser.py` writes each help line in English (the code's language, and the text
shown with ``language = "en"``); this table gives the Finnish text a person reads by default.
The key is the English line itself, so an option and its translation cannot drift apart
silently: tests/cli/test_cli_help.py fails when an option's help has no Finnish line here.
"""

from __future__ import annotations

HELP_FI: dict[str, str] = {
    # the top level's description and epilog
    "Spotilla -> PSOP -> Netvisor invoicing connector.": (
        "Spotilla -> PSOP -> Netvisor -laskutusliittymä."
    ),
    (
        "Exit codes: 0 ok; 1 finished with quarantined or rejected records; "
        "2 bad config or mappings; 3 aborted (authentication, lock held, fatal API error); "
        "64 wrong command line."
    ): (
        "Paluukoodit: 0 kunnossa; 1 valmis, mutta karanteeniin tai hylätyksi jäi tietueita; "
        "2 virheelliset asetukset tai mappaukset; 3 keskeytetty (tunnistautuminen, lukko "
        "varattu, rajapinnan vakava virhe); 64 virheellinen komentorivi."
    ),
    # argparse's own actions
    "show this help message and exit": "näytä tämä ohje ja lopeta",
    "show program's version number and exit": "näytä ohjelman versio ja lopeta",
    # the top level
    "print the details (traceback) of an unexpected error": (
        "tulosta odottamattoman virheen yksityiskohdat (traceback)"
    ),
    "the TOML config file (default: $CONNECTOR_CONFIG, else ./config.toml)": (
        "TOML-asetustiedosto (oletus: $CONNECTOR_CONFIG, muuten ./config.toml)"
    ),
    # the commands, as the top level lists them
    "validate config and mapping files": "tarkista asetus- ja mappaustiedostot",
    "what a sync would do; changes nothing": "mitä sync tekisi; ei muuta mitään",
    "run the job once now": "aja työ kerran nyt",
    "run the configured schedules": "aja asetusten ajastukset",
    "runs, ledger states, quarantine": "ajot, kirjanpidon tilat, karanteeni",
    "re-render a run's report from the ledger": "muodosta ajon raportti uudelleen kirjanpidosta",
    "the ledger file itself": "kirjanpito (ledger) itse",
    "run only the reconcile phase": "aja vain täsmäytysvaihe",
    "records a rule stopped": "tietueet, jotka jokin sääntö pysäytti",
    "work held for the organiser's review": "järjestäjän tarkistettavaksi pidätetty työ",
    "PSOP files: event export, report import": "PSOP-tiedostot: tapahtumien vienti, raportin tuonti",
    "the local web console (month close, review, PSOP)": (
        "paikallinen selainkonsoli (kuukauden sulkeminen, tarkistus, PSOP)"
    ),
    "run many client companies (an accounting firm's fleet)": (
        "aja monta asiakasyritystä (tilitoimiston yritysjoukko)"
    ),
    "mapping files": "mappaustiedostot",
    "print a shell completion script (bash; zsh via bashcompinit)": (
        "tulosta komentotulkin täydennysskripti (bash; zsh bashcompinitin kautta)"
    ),
    "run the whole job against the embedded sandbox": (
        "aja koko työ sisäänrakennettua hiekkalaatikkoa vasten"
    ),
    "local stand-ins for Spotilla and Netvisor": "Spotillan ja Netvisorin paikalliset korvikkeet",
    "print (or --out DIR: write) JSON Schemas for editors": (
        "tulosta (tai --out KANSIO: kirjoita) JSON Schemat editoreille"
    ),
    "folder to write <file>.schema.json into": "kansio, johon <tiedosto>.schema.json kirjoitetaan",
    # periods, dates, runs
    "YYYY-MM (default: every closed period)": "VVVV-KK (oletus: jokainen suljettu kausi)",
    "render XML into the outbox, send nothing": "kirjoita XML lähtevien kansioon, älä lähetä mitään",
    "evaluate period rules as on YYYY-MM-DD": "sovella kausisääntöjä kuin päivänä VVVV-KK-PP",
    "the run summary as JSON": "ajon yhteenveto JSON-muodossa",
    (
        "an unsent invoice Netvisor already holds under a document key the ledger does not know,"
        " with other content: adopt it and edit it to what billing produces"
    ): (
        "Netvisorissa jo oleva lähettämätön lasku, jonka asiakirja-avainta kirjanpito ei tunne"
        " ja jonka sisältö on toinen: ota se omaksi ja muuta se laskutuksen mukaiseksi"
    ),
    "wait this long for another connector run to finish (default: exit 3 at once)": (
        "odota näin kauan toisen connector-ajon päättymistä (oletus: lopeta heti koodilla 3)"
    ),
    # quarantine
    "list quarantined records": "listaa karanteenissa olevat tietueet",
    "re-run and re-check quarantined records; send rejected objects again": (
        "käsittele ja tarkista karanteenin tietueet uudelleen; lähetä hylätyt kohteet uudelleen"
    ),
    "quarantine ids, or ledger keys of objects Netvisor rejected (default: all)": (
        "karanteenin tunnukset tai Netvisorin hylkäämien kohteiden avaimet (oletus: kaikki)"
    ),
    "include resolved entries": "ota mukaan myös ratkaistut",
    "machine-readable output": "koneluettava tuloste",
    # check, status
    "also try both APIs' credentials": "kokeile myös molempien rajapintojen tunnuksia",
    "treat warnings (e.g. a voucher's unit value) as errors": (
        "käsittele varoitukset (esim. setelin yksikköarvo) virheinä"
    ),
    "how many runs to show": "montako ajoa näytetään",
    "one line and exit 0/1/2 (OK/WARNING/CRITICAL) for Nagios/Icinga-style checks": (
        "yksi rivi ja paluukoodi 0/1/2 (OK/WARNING/CRITICAL) Nagios/Icinga-tyyppiseen valvontaan"
    ),
    "--check: WARNING past this many hours": "--check: WARNING, kun näin monta tuntia on kulunut",
    "--check: CRITICAL past this many hours": "--check: CRITICAL, kun näin monta tuntia on kulunut",
    # psop
    "the month's voucher events for PSOP": "kuukauden palvelusetelitapahtumat PSOP:lle",
    "import PSOP's event/settlement report": "tuo PSOP:n tapahtuma- tai tilitysraportti",
    "the reconciliation of a month": "kuukauden täsmäytys",
    "YYYY-MM": "VVVV-KK",
    "file to write (default psop-tapahtumat-YYYY-MM.<format>)": (
        "kirjoitettava tiedosto (oletus psop-tapahtumat-VVVV-KK.<muoto>)"
    ),
    "the report as downloaded from PSOP (CSV or XLSX)": "raportti PSOP:sta ladattuna (CSV tai XLSX)",
    "the report's date, YYYY-MM-DD (default: today)": "raportin päivä, VVVV-KK-PP (oletus: tänään)",
    # fleet
    "every company's config and mappings, offline": (
        "jokaisen yrityksen asetukset ja mappaukset, ilman verkkoa"
    ),
    "run every company once, max_parallel at a time": (
        "aja jokainen yritys kerran, max_parallel kerrallaan"
    ),
    "one row per company; --check for monitoring": "rivi yritystä kohden; --check valvontaan",
    "every company on its schedule, max_parallel at a time": (
        "jokainen yritys ajastuksensa mukaan, max_parallel kerrallaan"
    ),
    "the fleet file (default: $CONNECTOR_FLEET, else ./fleet.toml)": (
        "yritysjoukon tiedosto (oletus: $CONNECTOR_FLEET, muuten ./fleet.toml)"
    ),
    "only these companies (--company a b, or repeated; default: every company)": (
        "vain nämä yritykset (--company a b tai toistettuna; oletus: jokainen yritys)"
    ),
    "one line and exit 0/1/2 for the worst company": (
        "yksi rivi ja paluukoodi 0/1/2 huonoimman yrityksen mukaan"
    ),
    "render XML into each outbox": "kirjoita XML kunkin yrityksen lähtevien kansioon",
    "log JSON lines to stderr": "lokita JSON-rivejä virhetulosteeseen (stderr)",
    "treat warnings as errors": "käsittele varoitukset virheinä",
    "also run every company once at start (in the fair queue)": (
        "aja myös jokainen yritys kerran käynnistyksessä (reilussa jonossa)"
    ),
    "rehearsals only: every run evaluates period rules as on YYYY-MM-DD": (
        "vain harjoituksiin: jokainen ajo soveltaa kausisääntöjä kuin päivänä VVVV-KK-PP"
    ),
    # demo
    "where to write the demo config and ledger (default: temp)": (
        "minne demon asetukset ja kirjanpito kirjoitetaan (oletus: väliaikainen kansio)"
    ),
    "keep the work folder afterwards": "säilytä työkansio lopuksi",
    "the demo's today, YYYY-MM-DD (default: today in Helsinki): its data and dates": (
        "demon tämä päivä, VVVV-KK-PP (oletus: tämä päivä Helsingissä): sen aineisto ja päivät"
    ),
    "then open the web console on the demo's ledger": (
        "avaa sitten selainkonsoli demon kirjanpitoon"
    ),
    # ledger
    "a consistent copy (SQLite online backup; WAL-safe)": (
        "eheä kopio (SQLiten online-varmuuskopio; WAL-turvallinen)"
    ),
    "bind the ledger to the Netvisor environment of this config (after a deliberate switch)": (
        "sido kirjanpito näiden asetusten Netvisor-ympäristöön (tietoisen vaihdon jälkeen)"
    ),
    "say which version of an undecided invoice edit (EDIT_UNCLEAR) Netvisor holds": (
        "kerro, kumpi ratkaisemattoman laskumuutoksen (EDIT_UNCLEAR) versio Netvisorissa on"
    ),
    (
        "every table (or the named ones) as files for an auditor, one per table; the ledger"
        " holds no names, identity codes or addresses by design, so neither do these"
    ): (
        "jokainen taulu (tai nimetyt) tiedostoina tilintarkastajalle, yksi taulua kohden;"
        " kirjanpidossa ei ole nimiä, henkilötunnuksia eikä osoitteita, joten ei näissäkään"
    ),
    (
        "copy this config's SQLite ledger into PostgreSQL (verified; refused if the company"
        " has rows there)"
    ): (
        "kopioi näiden asetusten SQLite-kirjanpito PostgreSQL:ään (tarkistettu; kielletään,"
        " jos yrityksellä on siellä jo rivejä)"
    ),
    "where to write the copy (must not exist)": "minne kopio kirjoitetaan (ei saa olla olemassa)",
    "the document key (connector status lists them)": (
        "asiakirjan avain (connector status listaa ne)"
    ),
    "new: the version sent; old: the version before it": (
        "new: lähetetty versio; old: sitä edeltävä versio"
    ),
    "who decided (default: the OS user)": "kuka päätti (oletus: käyttöjärjestelmän käyttäjä)",
    "postgresql://[user@]host[:port]/database": "postgresql://[käyttäjä@]palvelin[:portti]/tietokanta",
    "the company key there (default: [connector] company of the config)": (
        "yrityksen avain siellä (oletus: asetusten [connector] company)"
    ),
    "default: csv": "oletus: csv",
    "only this table (repeatable)": "vain tämä taulu (voi toistaa)",
    "a new or empty folder": "uusi tai tyhjä kansio",
    # review
    "held items, with why": "pidätetyt kohteet syineen",
    "approve: the voucher pays, the client pays self-pay": (
        "hyväksy: seteli maksaa, asiakas maksaa omavastuun"
    ),
    "reject: the client pays in full or it is written off (rejected_review)": (
        "hylkää: asiakas maksaa kokonaan tai summa kirjataan pois (rejected_review)"
    ),
    "YYYY-MM (default: every month)": "VVVV-KK (oletus: jokainen kuukausi)",
    "include items already decided": "ota mukaan myös jo päätetyt",
    "ids from `connector review list`": "tunnukset komennosta `connector review list`",
    "why (kept with the decision; no names, please)": (
        "peruste (tallennetaan päätöksen kanssa; ei nimiä)"
    ),
    # console
    "a fleet file ([[company]] name, config): one console over every company": (
        "yritysjoukon tiedosto ([[company]] name, config): yksi konsoli kaikille yrityksille"
    ),
    "address to serve on (default: [console] listen, else 127.0.0.1:8765)": (
        "osoite, jossa palvellaan (oletus: [console] listen, muuten 127.0.0.1:8765)"
    ),
    "add a console user (or set a new password); the password is asked, never given": (
        "lisää konsolin käyttäjä (tai aseta uusi salasana); salasana kysytään, sitä ei anneta"
        " komentorivillä"
    ),
    "the login name (a-z, 0-9, '.', '_', '-')": "kirjautumisnimi (a-z, 0-9, '.', '_', '-')",
    "viewer: reads every page; decider: also decides held work and imports reports": (
        "viewer: lukee kaikki sivut; decider: myös päättää pidätetystä työstä ja tuo raportit"
    ),
    # daemon, report
    "also run this job once at start (repeatable; jobs run one after the other)": (
        "aja myös tämä työ kerran käynnistyksessä (voi toistaa; työt ajetaan peräkkäin)"
    ),
    "rehearsals only: every job evaluates period rules as on YYYY-MM-DD": (
        "vain harjoituksiin: jokainen työ soveltaa kausisääntöjä kuin päivänä VVVV-KK-PP"
    ),
    "the run id (default: the latest run)": "ajon tunnus (oletus: viimeisin ajo)",
    (
        "folder to write <run>-ledger.html and .csv into (default: the reports folder; the"
        " run's own <run>.html is never overwritten)"
    ): (
        "kansio, johon <ajo>-ledger.html ja .csv kirjoitetaan (oletus: raporttikansio; ajon"
        " omaa <ajo>.html-tiedostoa ei koskaan korvata)"
    ),
    # sandbox
    "serve both sandboxes on loopback": "käynnistä molemmat hiekkalaatikot loopbackiin",
    "Netvisor sandbox port (0 = free)": "Netvisor-hiekkalaatikon portti (0 = mikä tahansa vapaa)",
    "Spotilla port (0 = free)": "Spotillan portti (0 = mikä tahansa vapaa)",
    "JSON fixture file for the Spotilla sandbox": "Spotilla-hiekkalaatikon JSON-aineistotiedosto",
    "seed of the generated Spotilla data": "luodun Spotilla-aineiston siemenluku",
    "write DIR/config.toml and DIR/secrets/ for these sandboxes (for rehearsals)": (
        "kirjoita KANSIO/config.toml ja KANSIO/secrets/ näille hiekkalaatikoille (harjoituksiin)"
    ),
}

#: argparse's own words (its gettext messages), for usage lines, headings and errors, and the
#: messages of the parser's own argument checks (str.format templates)
ARGPARSE_FI: dict[str, str] = {
    "error": "virhe",
    "expected YYYY-MM-DD, got {got!r}": "odotettiin päivää VVVV-KK-PP, saatiin {got!r}",
    "expected seconds, got {got!r}": "odotettiin sekunteja, saatiin {got!r}",
    "expected 0..86400 seconds": "odotettiin 0–86400 sekuntia",
    "usage: ": "käyttö: ",
    "options": "valinnat",
    "positional arguments": "argumentit",
    "the following arguments are required: %s": "nämä argumentit puuttuvat: %s",
    "unrecognized arguments: %s": "tuntemattomat argumentit: %s",
    "expected one argument": "odotettiin yhtä arvoa",
    "expected at most one argument": "odotettiin enintään yhtä arvoa",
    "expected at least one argument": "odotettiin vähintään yhtä arvoa",
    "not allowed with argument %s": "ei sallittu yhdessä argumentin %s kanssa",
    "ignored explicit argument %r": "ylimääräinen arvo %r jätettiin huomiotta",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "virheellinen valinta: %(value)r (valitse näistä: %(choices)s)"
    ),
    "argument %(argument_name)s: %(message)s": "argumentti %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "virheellinen %(type)s-arvo: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": (
        "moniselitteinen valinta: %(option)s voi tarkoittaa näitä: %(matches)s"
    ),
    "one of the arguments %s is required": "jokin argumenteista %s tarvitaan",
}


def finnish(text: str) -> str:
    """The Finnish line for an English help line or argparse message (itself when unknown)."""
    return HELP_FI.get(text) or ARGPARSE_FI.get(text) or text
