"""The chronology of a person: the page (a consultation) and its files for the panel (PDF,
HTML, CSV: a disclosure with purpose and recipient, by a form with its CSRF token)."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from casereview.report.chronology import consult_chronology, export_chronology
from casereview.web.auth import Ctx, csrf_checked, signed_in
from casereview.web.render import ErrorOut, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["chronology"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
PersonId = Path(..., ge=1, le=2**62)
_MEDIA = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


@router.get("/persons/{person_id}/chronology", include_in_schema=False)
def chronology_page(
    request: Request, person_id: int = PersonId, ctx: Ctx = Depends(signed_in)
) -> Response:
    chron = consult_chronology(ctx.engine, ctx.actor, person_id)
    return page(request, "chronology.html", {"session": ctx.session, "c": chron})


@api.get("/persons/{person_id}/chronology")
def chronology_api(person_id: int = PersonId, ctx: Ctx = Depends(signed_in)) -> dict[str, Any]:
    """Every record of the person the caller may see, in date order, with findings,
    indicators and turning points (audited as a consultation)."""
    return consult_chronology(ctx.engine, ctx.actor, person_id).as_dict()


@router.post("/persons/{person_id}/chronology/export", include_in_schema=False)
def chronology_export(
    person_id: int = PersonId,
    fmt: str = Form(..., alias="format", pattern="^(pdf|html|csv)$"),
    purpose: str = Form(..., min_length=5, max_length=500),
    recipient: str = Form(..., min_length=2, max_length=200),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    """The chronology as a file for the panel: a disclosure, audited with its purpose."""
    with tempfile.TemporaryDirectory() as folder:
        out = FilePath(folder) / f"chronology-{person_id}.{fmt}"
        export_chronology(
            ctx.engine, ctx.actor, person_id, out, fmt, purpose=purpose, recipient=recipient
        )
        data = out.read_bytes()
    return Response(
        data,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="chronology-{person_id}.{fmt}"'},
    )
