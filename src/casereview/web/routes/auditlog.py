"""The audit log for auditors: filters over the log and chain verification. No case content."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from casereview.model.codes import AuditAction, UserRole
from casereview.model.tables import audit_log
from casereview.store import audit
from casereview.store.db import reading
from casereview.web.auth import Ctx, csrf_checked, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api/audit",
    tags=["audit"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


class EntryOut(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    recipient: str | None
    client: str | None
    details: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    first_bad_seq: int | None
    problem: str | None


class AuditFilters(BaseModel):
    actor: str | None = None
    action: AuditAction | None = None
    object_type: str | None = None
    object_id: str | None = None
    before_seq: int | None = None


def _filters(
    actor: str | None = Query(None, max_length=64),
    action: AuditAction | None = None,
    object_type: str | None = Query(None, max_length=32),
    object_id: str | None = Query(None, max_length=200),
    before_seq: int | None = Query(None, ge=1, le=2**62),
) -> AuditFilters:
    return AuditFilters(
        actor=actor or None,
        action=action,
        object_type=object_type or None,
        object_id=object_id or None,
        before_seq=before_seq,
    )


def _entries(ctx: Ctx, f: AuditFilters) -> list[EntryOut]:
    require(ctx, UserRole.AUDITOR, what="audit_log")
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(200)
    if f.actor:
        query = query.where(audit_log.c.actor == f.actor)
    if f.action:
        query = query.where(audit_log.c.action == f.action.value)
    if f.object_type:
        query = query.where(audit_log.c.object_type == f.object_type)
    if f.object_id:
        query = query.where(audit_log.c.object_id == f.object_id)
    if f.before_seq:
        query = query.where(audit_log.c.seq < f.before_seq)
    with reading(ctx.engine) as conn:
        rows = conn.execute(query).all()
    return [EntryOut(**{k: getattr(r, k) for k in EntryOut.model_fields}) for r in rows]


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request, ctx: Ctx = Depends(signed_in), f: AuditFilters = Depends(_filters)
) -> Response:
    return page(
        request,
        "audit.html",
        {
            "session": ctx.session,
            "entries": _entries(ctx, f),
            "f": f,
            "actions": list(AuditAction),
            "verify": None,
        },
    )


@api.get("", response_model=list[EntryOut])
def audit_api(ctx: Ctx = Depends(signed_in), f: AuditFilters = Depends(_filters)) -> list[EntryOut]:
    """The newest 200 audit entries matching the filters (auditors only)."""
    return _entries(ctx, f)


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
    result = _verify(ctx)
    return page(
        request,
        "audit.html",
        {
            "session": ctx.session,
            "entries": _entries(ctx, AuditFilters()),
            "f": AuditFilters(),
            "actions": list(AuditAction),
            "verify": result,
        },
    )


@api.post("/verify", response_model=VerifyOut)
def verify_api(ctx: Ctx = Depends(csrf_checked)) -> VerifyOut:
    """Walk the hash chain and name the first broken entry (auditors only; audited)."""
    return _verify(ctx)


__all__ = ["api", "router"]
