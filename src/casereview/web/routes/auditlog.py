"""The audit log for auditors: filters (user, action, object, dates), paging, and chain
verification. No case content."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from casereview.model.codes import AuditAction, UserRole
from casereview.store import audit
from casereview.store.db import reading
from casereview.store.views import AuditEntryView, AuditFilters, Page, audit_page
from casereview.web.auth import Ctx, csrf_checked, require, signed_in, write_audit
from casereview.web.render import ErrorOut, filters_query, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api/audit",
    tags=["audit"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    first_bad_seq: int | None
    problem: str | None


def _filters(
    actor: str | None = Query(None, max_length=64),
    action: AuditAction | None = None,
    object_type: str | None = Query(None, max_length=32),
    object_id: str | None = Query(None, max_length=200),
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> AuditFilters:
    return AuditFilters(
        actor=actor or None,
        action=action,
        object_type=object_type or None,
        object_id=object_id or None,
        since=since,
        until=until,
    )


def _entries(ctx: Ctx, f: AuditFilters, page_number: int) -> Page[AuditEntryView]:
    require(ctx, UserRole.AUDITOR, what="audit_log")
    with reading(ctx.engine) as conn:
        return audit_page(conn, ctx.actor, f, page_number)


def _render(
    request: Request, ctx: Ctx, f: AuditFilters, n: int, verify: VerifyOut | None
) -> Response:
    return page(
        request,
        "audit.html",
        {
            "session": ctx.session,
            "entries": _entries(ctx, f, n),
            "f": f,
            "query": filters_query(f),
            "actions": list(AuditAction),
            "verify": verify,
        },
    )


@router.get("/audit", include_in_schema=False)
def audit_view(
    request: Request,
    ctx: Ctx = Depends(signed_in),
    f: AuditFilters = Depends(_filters),
    page_number: int = Query(1, alias="page", ge=1, le=10_000_000),
) -> Response:
    return _render(request, ctx, f, page_number, None)


@api.get("", response_model=Page[AuditEntryView])
def audit_api(
    ctx: Ctx = Depends(signed_in),
    f: AuditFilters = Depends(_filters),
    page_number: int = Query(1, alias="page", ge=1, le=10_000_000),
) -> Page[AuditEntryView]:
    """Audit entries matching the filters, newest first, paged (auditors only)."""
    return _entries(ctx, f, page_number)


def _verify(ctx: Ctx) -> VerifyOut:
    require(ctx, UserRole.AUDITOR, what="audit_verify")
    result = audit.verify(ctx.engine)
    write_audit(
        ctx,
        AuditAction.VERIFY,
        "audit_log",
        None,
        details={"ok": result.ok, "entries": result.entries},
    )
    return VerifyOut(
        ok=result.ok,
        entries=result.entries,
        head_seq=result.head_seq,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem,
    )


@router.post("/audit/verify", include_in_schema=False)
def verify_page(request: Request, ctx: Ctx = Depends(csrf_checked)) -> Response:
    return _render(request, ctx, AuditFilters(), 1, _verify(ctx))


@api.post("/verify", response_model=VerifyOut)
def verify_api(ctx: Ctx = Depends(csrf_checked)) -> VerifyOut:
    """Walk the hash chain and name the first broken entry (auditors only; audited)."""
    return _verify(ctx)
