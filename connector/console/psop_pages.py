"""The console's PSOP pages: each organiser's month, the event export and a report's import.

Owns ``/psop`` (the organisers' months, the differences and PSOP states of a month, the imported
reports), ``/psop/export`` (the month's events as CSV or XLSX, as ``connector psop export``)
and ``POST /psop/import`` (an uploaded report imported exactly as ``connector psop import``
does, its refusals shown, the import audited by the console user). Mixed into
:class:`connector.console.web.Console`.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from connector.console import views
from connector.console.common import Company, Session, period_param
from connector.core.logging import get_logger

log = get_logger("console")


class PsopRoutes:
    """The PSOP pages (mixed into the console's application)."""

    async def psop(self, request: Request, session: Session, company: Company) -> Response:
        from connector.psop.loop import reconciliation
        from connector.psop.organiser_status import organiser_months

        def load(ledger: Any) -> dict[str, Any]:
            periods = views.known_periods(ledger)
            period = period_param(request.query_params.get("period")) or (
                periods[0] if periods else None
            )
            months = organiser_months(ledger, {period}) if period else []
            result = reconciliation(ledger, period) if period else None
            counts: dict[str, int] = {}
            for s in result.states if result else ():
                counts[s.state.value] = counts.get(s.state.value, 0) + 1
            return {
                "periods": periods,
                "period": period,
                "months": months,
                "differences": list(result.differences) if result else [],
                "state_counts": counts,
                "pending": list(result.pending_review) if result else [],
                "reports": [
                    {k: v for k, v in r.items() if k != "rows"} | {"row_count": len(r["rows"])}
                    for r in ledger.psop_reports()
                ],
                "events": len(ledger.psop_events(period)) if period else 0,
            }

        data = await self.read(company, load)
        return self.render(request, "psop.html", session, company, **data)

    async def psop_export(self, request: Request, session: Session, company: Company) -> Response:
        from connector.psop import events_csv, events_xlsx
        from connector.psop.loop import export_rows

        period = period_param(request.query_params.get("period"))
        fmt = request.query_params.get("format", "csv")
        if period is None or fmt not in ("csv", "xlsx"):
            return PlainTextResponse(self.t("console.psop.bad_export"), status_code=400)
        rows = await self.read(company, export_rows, period)
        data = events_xlsx(rows) if fmt == "xlsx" else events_csv(rows)
        media = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "text/csv; charset=utf-8"
        )
        name = f"psop-tapahtumat-{period}.{fmt}"
        return Response(
            data,
            media_type=media,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    async def psop_import(
        self, request: Request, session: Session, company: Company, form: Any
    ) -> Response:
        """``connector psop import`` from an upload: the same import, its refusals shown."""
        upload = form.get("report")
        back = self.url(company, "/psop", period=period_param(form.get("period")))
        if not isinstance(upload, UploadFile) or not upload.filename:
            session.flash.append(("error", self.t("console.psop.no_file")))
            return RedirectResponse(back, status_code=303)
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            session.flash.append(("error", self.t("console.psop.bad_suffix")))
            return RedirectResponse(back, status_code=303)
        data = await upload.read()
        try:
            report_date = (
                date.fromisoformat(str(form.get("report_date") or ""))
                if form.get("report_date")
                else self.settings.today()
            )
        except ValueError:
            session.flash.append(("error", self.t("console.psop.bad_date")))
            return RedirectResponse(back, status_code=303)
        outcome, problems = await run_in_threadpool(
            self._import, company, data, suffix, report_date, session.user.name
        )
        if problems:
            session.flash.append(("error", self.t("console.psop.refused")))
            session.flash.extend(("error", p) for p in problems)
        elif outcome.already_imported:
            session.flash.append(("warn", self.t("console.psop.already")))
        else:
            session.flash.append(
                ("ok", self.t("console.psop.imported", rows=outcome.rows, states=outcome.states))
            )
            for item in outcome.approved:
                session.flash.append(("ok", self.t("console.psop.approved", item=item)))
            for item in outcome.rejected:
                session.flash.append(("warn", self.t("console.psop.rejected", item=item)))
            for conflict in outcome.conflicts:
                session.flash.append(("warn", conflict))
            if outcome.approved or outcome.rejected:
                session.flash.append(("ok", self.t("console.review.next_sync")))
        return RedirectResponse(back, status_code=303)

    def _import(
        self, company: Company, data: bytes, suffix: str, report_date: date, user: str
    ) -> tuple[Any, list[str]]:
        from connector.core.errors import ConfigError
        from connector.psop import ReportError
        from connector.psop.report_import import company_import, file_sha256

        try:
            import_report = company_import(company.config)
        except ConfigError as exc:
            return None, [str(p) for p in exc.problems]
        with tempfile.TemporaryDirectory(prefix="connector-console-") as folder:
            path = Path(folder) / f"psop-report{suffix}"
            path.write_bytes(data)
            with self._ledger(company) as ledger:
                try:
                    outcome = import_report(ledger, path, report_date=report_date)
                except ReportError as exc:
                    log.info("console_import_refused", problems=len(exc.problems))
                    return None, [str(p) for p in exc.problems] or [exc.message]
                if not outcome.already_imported:
                    subject = f"psop-report:{file_sha256(path)[:16]}"
                    ledger.record_audit(user, "psop:import", [subject])
        log.info("console_import", rows=outcome.rows, already=outcome.already_imported)
        return outcome, []
