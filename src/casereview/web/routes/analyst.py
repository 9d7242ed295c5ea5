"""Analyst pages: report outputs and purpose-stated, audited exports with no identifying fields."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import io

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from casereview.classify.views import DEIDENTIFIED_COLUMNS, deidentified_rows
from casereview.model.codes import AuditAction, UserRole
from casereview.store.db import reading
from casereview.store.exports import write_csv
from casereview.store.views import ReportView, published_file, reports_view
from casereview.web.auth import Ctx, csrf_checked, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page
from casereview.web.security import DOCUMENT_CSP

router = APIRouter()
api = APIRouter(
    prefix="/api", tags=["analyst"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)

# De-identified columns only: no names, dates of birth, addresses, references or narratives.
EXPORT_COLUMNS = DEIDENTIFIED_COLUMNS


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(..., min_length=5, max_length=500)
    recipient: str = Field(..., min_length=2, max_length=200)


def _reports(ctx: Ctx) -> list[ReportView]:
    require(ctx, UserRole.ANALYST, what="reports")
    with reading(ctx.engine) as conn:
        return reports_view(conn, ctx.actor, ctx.web.report_dir)


@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, ctx: Ctx = Depends(signed_in)) -> Response:
    return page(
        request,
        "reports.html",
        {"session": ctx.session, "reports": _reports(ctx), "folder": ctx.web.report_dir},
    )


@api.get("/reports", response_model=list[ReportView])
def reports_api(ctx: Ctx = Depends(signed_in)) -> list[ReportView]:
    """Runs of the report stage and the files each published (analysts)."""
    return _reports(ctx)


@router.get("/reports/files/{name:path}", include_in_schema=False)
def report_file(name: str, ctx: Ctx = Depends(signed_in)) -> Response:
    """One file the last report run published, unchanged since (audited as a consultation)."""
    require(ctx, UserRole.ANALYST, what="reports")
    with reading(ctx.engine) as conn:
        path = published_file(conn, ctx.actor, ctx.web.report_dir, name)
    write_audit(ctx, AuditAction.CONSULT, "report_file", name)
    return FileResponse(path, headers={"Content-Security-Policy": DOCUMENT_CSP})


def export_csv(ctx: Ctx, body: ExportIn) -> str:
    """Every record, de-identified, as CSV with formula-like cells neutralised; audited as DISCLOSE."""
    require(ctx, UserRole.ANALYST, what="export")
    with reading(ctx.engine) as conn:
        rows = deidentified_rows(conn, ctx.actor)
    out = io.StringIO()
    write_csv(out, EXPORT_COLUMNS, rows)
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


__all__ = ["EXPORT_COLUMNS", "api", "router"]
