"""Analyst pages: report outputs and purpose-stated, audited exports with no identifying fields."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import io

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from casereview.model.codes import AuditAction, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import classifications, records, run_artifacts, runs
from casereview.store.db import reading
from casereview.store.exports import write_csv
from casereview.web.auth import Ctx, csrf_checked, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api", tags=["analyst"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)

# De-identified columns only: no names, dates of birth, addresses, references or narratives.
EXPORT_COLUMNS = ["record_id", "record_type", "year", "borough", "cse_flag", "outcome", "typology"]


class ReportOut(BaseModel):
    run_id: int
    started_at: str
    status: str
    artifacts: list[str]


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(..., min_length=5, max_length=500)
    recipient: str = Field(..., min_length=2, max_length=200)


def _reports(ctx: Ctx) -> list[ReportOut]:
    require(ctx, UserRole.ANALYST, what="reports")
    with reading(ctx.engine) as conn:
        rows = conn.execute(
            select(runs).where(runs.c.stage == "report").order_by(runs.c.id.desc()).limit(20)
        ).all()
        names = conn.execute(
            select(run_artifacts.c.run_id, run_artifacts.c.name).where(
                run_artifacts.c.run_id.in_([r.id for r in rows])
            )
        ).all()
    return [
        ReportOut(
            run_id=r.id,
            started_at=r.started_at.isoformat(),
            status=r.status,
            artifacts=sorted(n.name for n in names if n.run_id == r.id),
        )
        for r in rows
    ]


@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, ctx: Ctx = Depends(signed_in)) -> Response:
    return page(request, "reports.html", {"session": ctx.session, "reports": _reports(ctx)})


@api.get("/reports", response_model=list[ReportOut])
def reports_api(ctx: Ctx = Depends(signed_in)) -> list[ReportOut]:
    """Runs of the report stage and their outputs (analysts)."""
    return _reports(ctx)


def export_csv(ctx: Ctx, body: ExportIn) -> str:
    """Every record, de-identified, as CSV with formula-like cells neutralised; audited as DISCLOSE."""
    require(ctx, UserRole.ANALYST, what="export")
    with reading(ctx.engine) as conn:
        rows = conn.execute(
            select(
                records.c.id,
                records.c.record_type,
                records.c.occurred_at,
                records.c.borough,
                records.c.cse_flag,
                records.c.outcome,
            ).order_by(records.c.id)
        ).all()
        labels: dict[int, list[str]] = {}
        for c in conn.execute(select(classifications.c.record_id, classifications.c.label)):
            labels.setdefault(int(c.record_id), []).append(c.label)
    out = io.StringIO()
    write_csv(
        out,
        EXPORT_COLUMNS,
        (
            [
                r.id,
                r.record_type,
                r.occurred_at.year if r.occurred_at else "",
                r.borough,
                r.cse_flag,
                r.outcome,
                ";".join(sorted(labels.get(int(r.id), []))),
            ]
            for r in rows
        ),
    )
    write_audit(
        ctx,
        AuditAction.DISCLOSE,
        "export",
        "records_deidentified",
        purpose=body.purpose,
        recipient=body.recipient,
        details={"rows": len(rows), "columns": EXPORT_COLUMNS},
    )
    return out.getvalue()


def _csv_response(text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="casereview-export.csv"'},
    )


@router.get("/exports", include_in_schema=False)
def exports_page(request: Request, ctx: Ctx = Depends(signed_in)) -> Response:
    require(ctx, UserRole.ANALYST, what="export")
    return page(request, "exports.html", {"session": ctx.session, "columns": EXPORT_COLUMNS})


@router.post("/exports", include_in_schema=False)
def export_form(
    purpose: str = Form(..., min_length=5, max_length=500),
    recipient: str = Form(..., min_length=2, max_length=200),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    return _csv_response(export_csv(ctx, ExportIn(purpose=purpose, recipient=recipient)))


@api.post("/exports", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_api(body: ExportIn, ctx: Ctx = Depends(csrf_checked)) -> Response:
    """De-identified records as CSV, with a stated purpose and recipient (analysts; audited)."""
    return _csv_response(export_csv(ctx, body))


__all__ = ["EXPORT_COLUMNS", "api", "from_json", "router"]
