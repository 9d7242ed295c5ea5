"""Supervision: workload per reviewer, decisions awaiting sign-off, how much is waiting for
allocation (allocated from the team queue by filter), and second-review agreement."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from casereview.link.matches import match_counts
from casereview.model.codes import AuditAction, UserRole
from casereview.review.views import SupervisionView, supervision_view
from casereview.store.db import reading
from casereview.web.auth import Ctx, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["supervision"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


def _supervision(ctx: Ctx) -> SupervisionView:
    require(ctx, UserRole.SUPERVISOR, what="supervision")
    with reading(ctx.engine) as conn:
        result = supervision_view(conn, ctx.actor)
    write_audit(
        ctx,
        AuditAction.CONSULT,
        "supervision",
        None,
        details={"awaiting": len(result.awaiting_sign_off), "unallocated": result.unallocated},
    )
    return result


@router.get("/supervisor", include_in_schema=False)
def supervision_page(request: Request, ctx: Ctx = Depends(signed_in)) -> Response:
    s = _supervision(ctx)
    with reading(ctx.engine) as conn:
        matches = match_counts(conn, ctx.actor)  # the possible-matches queue (issue 18)
    return page(request, "supervisor.html", {"session": ctx.session, "s": s, "matches": matches})


@api.get("/supervisor", response_model=SupervisionView)
def supervision_api(ctx: Ctx = Depends(signed_in)) -> SupervisionView:
    """Workload, sign-off queue, items to allocate and second-review agreement."""
    return _supervision(ctx)
