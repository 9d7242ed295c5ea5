"""Groups: the list of detected groups, and one group with its members, graph (with a
legend and a table of ties as text), timeline, recurring places and objects, evidence and
review item. Members the actor may not see are shown without a name."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from dataclasses import asdict, dataclass

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from casereview.model.codes import AuditAction, DecisionOutcome, SubjectType
from casereview.network.views import GroupRow, GroupView, group_view, groups_page
from casereview.review.evidence import SubjectEvidence, subject_evidence
from casereview.review.views import ItemView, item_for_subject
from casereview.store.db import reading
from casereview.store.views import Page
from casereview.web.auth import Ctx, audited, signed_in, write_audit
from casereview.web.render import ErrorOut, page

__all__ = ["GroupPage", "api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["groups"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
GroupId = Path(..., ge=1, le=2**62)


@dataclass(frozen=True)
class GroupPage:
    group: GroupView
    evidence: SubjectEvidence
    review: ItemView | None


def _groups(ctx: Ctx, page_number: int) -> Page[GroupRow]:
    with audited(ctx, "function", "groups"), reading(ctx.engine) as conn:
        result = groups_page(conn, ctx.actor, page_number)
    write_audit(ctx, AuditAction.CONSULT, "groups", None, details={"groups": len(result.items)})
    return result


@router.get("/groups", include_in_schema=False)
def groups_list(
    request: Request,
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
    ctx: Ctx = Depends(signed_in),
) -> Response:
    return page(
        request, "groups.html", {"session": ctx.session, "groups": _groups(ctx, page_number)}
    )


@api.get("/groups", response_model=Page[GroupRow])
def groups_api(
    page_number: int = Query(1, alias="page", ge=1, le=100_000), ctx: Ctx = Depends(signed_in)
) -> Page[GroupRow]:
    """The detected groups you may open, largest first, paged."""
    return _groups(ctx, page_number)


def _group(ctx: Ctx, group_id: int) -> GroupPage:
    with audited(ctx, "group", group_id), reading(ctx.engine) as conn:
        result = GroupPage(
            group=group_view(conn, ctx.actor, group_id),
            evidence=subject_evidence(conn, ctx.actor, SubjectType.GROUP, group_id),
            review=item_for_subject(conn, ctx.actor, SubjectType.GROUP, group_id),
        )
    # The entry lists the records the page showed, not a count (issue 22, item 13).
    shown = sorted({e.record_id for e in result.group.timeline})
    write_audit(ctx, AuditAction.CONSULT, "group", group_id, details={"records": shown})
    return result


@router.get("/groups/{group_id}", include_in_schema=False)
def group_page(
    request: Request, group_id: int = GroupId, ctx: Ctx = Depends(signed_in)
) -> Response:
    result = _group(ctx, group_id)
    graph = {
        "members": [asdict(m) for m in result.group.members],
        "edges": [asdict(e) for e in result.group.edges],
    }
    return page(
        request,
        "group.html",
        {
            "session": ctx.session,
            "group": result.group,
            "evidence": result.evidence,
            "review": result.review,
            "graph": graph,
            "outcomes": list(DecisionOutcome),
            "saved": request.query_params.get("saved"),
        },
    )


@api.get("/groups/{group_id}", response_model=GroupPage)
def group_api(group_id: int = GroupId, ctx: Ctx = Depends(signed_in)) -> GroupPage:
    """A detected group: members, ties, timeline, recurring places and objects (audited)."""
    return _group(ctx, group_id)
