"""The console's pages where a person decides: the review queue and the quarantine.

Owns ``/review`` (held work, what was decided and by whom; ``POST`` approves or rejects through
``connector.psop.loop.decide``, exactly ``connector review approve/reject``, with the console
user audited) and ``/quarantine`` (quarantined records, rejected and undecided objects; ``POST
/quarantine/retry`` marks a record for checking again or plans a rejected object again, both
audited). Mixed into :class:`connector.console.web.Console`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from connector.console import views
from connector.console.common import Company, Session, period_param
from connector.core.logging import get_logger

log = get_logger("console")


class DecisionRoutes:
    """Review and quarantine (mixed into the console's application)."""

    async def review(self, request: Request, session: Session, company: Company) -> Response:
        from connector.psop.loop import review_entries

        period = period_param(request.query_params.get("period"))

        def load(ledger: Any) -> tuple[list[Any], list[Any], list[dict[str, Any]]]:
            held = review_entries(ledger, period)
            done = views.decided(ledger, period)
            subjects = {e.item.item_id for e in held} | {d.item_id for d in done}
            return held, done, ledger.audit(subjects=subjects)

        held, done, audit = await self.read(company, load)
        return self.render(
            request,
            "review.html",
            session,
            company,
            held=held,
            decided=done,
            audit=audit,
            period=period,
        )

    async def decide(
        self, request: Request, session: Session, company: Company, form: Any
    ) -> Response:
        """``connector review approve/reject`` from a form: the same ``decide``, with the user."""
        from connector.psop.loop import decide
        from connector.psop.reconcile import APPROVE, REJECT

        act = str(form.get("act") or "")
        decision, _, one = act.partition(":")
        ids = [one] if one else [str(i) for i in form.getlist("ids")]
        note = str(form.get("note") or "").strip()[:500] or None
        back = self.url(company, "/review", period=period_param(form.get("period")))
        if decision not in (APPROVE, REJECT) or not ids:
            session.flash.append(("error", self.t("console.review.nothing")))
            return RedirectResponse(back, status_code=303)
        outcome = await self.read(
            company,
            lambda ledger: decide(
                ledger,
                ids,
                decision,
                note=note,
                rejected_review=company.config.connector.rejected_review,
                decided_by=session.user.name,
            ),
        )
        log.info("console_decision", decision=decision, decided=len(outcome.decided))
        for item in outcome.decided:
            session.flash.append(
                ("ok", self.t(f"console.review.{decision.rstrip('e')}ed", item=item))
            )
        for item in outcome.already:
            session.flash.append(("warn", self.t("console.review.already", item=item)))
        for item in outcome.unknown:
            session.flash.append(("error", self.t("console.review.unknown", item=item)))
        if outcome.decided:
            session.flash.append(("ok", self.t("console.review.next_sync")))
        return RedirectResponse(back, status_code=303)

    async def quarantine(self, request: Request, session: Session, company: Company) -> Response:
        from connector.ledger import EDIT_UNCLEAR

        def load(ledger: Any) -> dict[str, Any]:
            entries = ledger.quarantine()
            rejected = ledger.objects(states=["rejected"])
            held = [
                o for o in ledger.objects(states=["unknown"]) if o.last_error_type == EDIT_UNCLEAR
            ]
            subjects = {f"quarantine:{q.id}" for q in entries} | {o.key for o in rejected}
            return {
                "entries": entries,
                "rejected": rejected,
                "held": held,
                "audit": ledger.audit(subjects=subjects),
            }

        data = await self.read(company, load)
        checks = {}
        for row in data["audit"]:
            checks.setdefault(row["subject"], row)
        return self.render(request, "quarantine.html", session, company, checks=checks, **data)

    async def retry(
        self, request: Request, session: Session, company: Company, form: Any
    ) -> Response:
        """ "Check again": a rejected object is planned again (``quarantine retry KEY``'s own
        ledger change); a quarantined record is marked, and the next sync re-checks it."""
        target = str(form.get("target") or "")
        note = str(form.get("note") or "").strip()[:500] or None

        def work(ledger: Any) -> str:
            if target.startswith("quarantine:") and target.removeprefix("quarantine:").isdigit():
                if not ledger.quarantine(ids=[int(target.removeprefix("quarantine:"))]):
                    return "unknown"
                ledger.record_audit(session.user.name, "quarantine:check", [target], note)
                return "marked"
            if target and ledger.replan_rejected([target]):
                ledger.record_audit(session.user.name, "quarantine:retry", [target], note)
                return "replanned"
            return "unknown"

        result = await self.read(company, work)
        log.info("console_retry", result=result)
        level = "error" if result == "unknown" else "ok"
        session.flash.append((level, self.t(f"console.quarantine.{result}", target=target)))
        return RedirectResponse(self.url(company, "/quarantine"), status_code=303)
