"""Alerts fire once per NEW problem: the command gets the JSON on stdin (no shell), the webhook
gets it POSTed; a failed delivery is retried by the next run; a failing alert never fails a run."""

from __future__ import annotations

import io
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from connector.core.config import AlertsSection
from connector.core.domain import Quarantined
from connector.ledger import Ledger
from connector.texts.alerts import announce, problems_of_run


@pytest.fixture(autouse=True)
def _log_to_memory() -> None:
    """Alerts log their failures: into memory here (an earlier test's stream may be closed)."""
    from connector.core.logging import configure

    configure(stream=io.StringIO())


Q1 = Quarantined("task", "t1", "unknown_product", "product X has no mapping")
Q2 = Quarantined("task", "t2", "unknown_product", "product Y has no mapping")


def recorder(tmp_path: Path) -> tuple[list[str], Path]:
    """A command that appends its stdin to a file: proves it got JSON, and how often."""
    out = tmp_path / "alerts.jsonl"
    script = tmp_path / "record.py"
    script.write_text(
        "import sys\n"
        f"with open({str(out)!r}, 'a') as f:\n"
        "    f.write(sys.stdin.read().replace('\\n', ' ') + '\\n')\n"
    )
    return [sys.executable, str(script)], out


def test_the_alert_command_receives_each_new_problem_once_as_json(tmp_path: Path) -> None:
    argv, out = recorder(tmp_path)
    alerts = AlertsSection(command=argv)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        first = problems_of_run(aborted=None, aborted_type=None, command="sync", quarantined=[Q1])
        assert len(announce(ledger, alerts, 1, "partial", first, run_ok=True)) == 1
        again = problems_of_run(
            aborted=None, aborted_type=None, command="sync", quarantined=[Q1, Q2]
        )
        assert [
            p.detail["id"] for p in announce(ledger, alerts, 2, "partial", again, run_ok=True)
        ] == ["t2"]
        assert announce(ledger, alerts, 3, "partial", again, run_ok=True) == []
    sent = [json.loads(line) for line in out.read_text().splitlines()]
    assert [[p["id"] for p in s["problems"]] for s in sent] == [["t1"], ["t2"]]
    assert sent[0]["schema_version"] == 1 and sent[0]["run_id"] == 1
    assert sent[0]["problems"][0] == {
        "problem": "quarantine",
        "held_for_review": False,
        "kind": "task",
        "summary": "task t1 [unknown_product]: product X has no mapping",
        "id": "t1",
        "rule": "unknown_product",
        "reason": "product X has no mapping",
    }


def test_an_abort_alerts_again_only_after_a_run_succeeded_in_between(tmp_path: Path) -> None:
    argv, out = recorder(tmp_path)
    alerts = AlertsSection(command=argv)
    abort = problems_of_run(aborted="401", aborted_type="AUTHENTICATION", command="sync")
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert announce(ledger, alerts, 1, "aborted", abort, run_ok=False)
        assert not announce(ledger, alerts, 2, "aborted", abort, run_ok=False)
        assert not announce(ledger, alerts, 3, "ok", [], run_ok=True)
        assert announce(ledger, alerts, 4, "aborted", abort, run_ok=False)
    assert len(out.read_text().splitlines()) == 2


def test_a_string_command_is_split_and_never_given_to_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    alerts = AlertsSection(command=f"{sys.executable} -c pass ; touch {marker}", timeout=10)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        problems = problems_of_run(aborted=None, aborted_type=None, command="s", quarantined=[Q1])
        announce(ledger, alerts, 1, "partial", problems, run_ok=True)
    assert not marker.exists()


def test_an_undelivered_alert_is_announced_again_by_the_next_run(tmp_path: Path) -> None:
    failing = AlertsSection(command=[sys.executable, "-c", "import sys; sys.exit(1)"])
    argv, out = recorder(tmp_path)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        problems = problems_of_run(aborted=None, aborted_type=None, command="s", quarantined=[Q1])
        assert announce(ledger, failing, 1, "partial", problems, run_ok=True) == []
        assert (
            len(announce(ledger, AlertsSection(command=argv), 2, "partial", problems, run_ok=True))
            == 1
        )
    assert len(out.read_text().splitlines()) == 1


def test_a_hanging_alert_command_is_stopped_at_its_timeout(tmp_path: Path) -> None:
    hang = AlertsSection(command=[sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.5)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        problems = problems_of_run(aborted=None, aborted_type=None, command="s", quarantined=[Q1])
        assert announce(ledger, hang, 1, "partial", problems, run_ok=True) == []


def test_the_webhook_receives_the_same_json(tmp_path: Path) -> None:
    got: list[dict] = []
    arrived = threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(json.loads(body))
            self.send_response(204)
            self.end_headers()
            arrived.set()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        alerts = AlertsSection(webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
        rejected = SimpleNamespace(
            key="inv:2026-01:C1",
            pending_hash="h",
            content_hash=None,
            last_error_type="INVALID_DATA",
            last_error="bad VAT code",
        )
        problems = problems_of_run(
            aborted=None, aborted_type=None, command="sync", rejected=[rejected]
        )
        with Ledger(tmp_path / "l.sqlite") as ledger:
            assert len(announce(ledger, alerts, 5, "partial", problems, run_ok=True)) == 1
        assert arrived.wait(10)
    finally:
        server.shutdown()
    assert got[0]["problems"][0]["key"] == "inv:2026-01:C1"
    assert got[0]["problems"][0]["problem"] == "rejected"
