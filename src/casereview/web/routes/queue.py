"""The queue: "My queue" (items assigned to me) and "Team queue" (every item my teams hold,
and for a supervisor the items no team holds yet), filtered, sorted and paged; and a
supervisor's allocation of every item a filter selects (one audited transition per item)."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from casereview.model.codes import AuditAction, IndicatorCode, ReviewStatus, UserRole
from casereview.review.queue import (
    SORTS,
    QueueFilters,
    QueueRow,
    Scope,
    SortKey,
    allocate,
    queue_page,
)
from casereview.store.db import reading
from casereview.store.users import assignee_or_nobody
from casereview.store.views import Page, team_names
from casereview.web.auth import Ctx, csrf_checked, require, signed_in, write_audit
from casereview.web.render import ErrorOut, filters_query, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api", tags=["queue"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)


def _filters(
    scope: Scope = "team",
    team: int | None = Query(None, ge=1, le=2**62),
    status: ReviewStatus | None = None,
    indicator: IndicatorCode | None = None,
    borough: str | None = Query(None, max_length=64),
    group: int | None = Query(None, ge=1, le=2**62),
    year: int | None = Query(None, ge=1900, le=2100),
    unallocated: bool = False,
    sort: SortKey = "priority",
) -> QueueFilters:
    return QueueFilters(
        scope=scope,
        team=team,
        status=status,
        indicator=indicator,
        borough=borough or None,
        group=group,
        year=year,
        unallocated=unallocated,
        sort=sort,
    )


def _queue(
    ctx: Ctx, f: QueueFilters, page_number: int
) -> tuple[Page[QueueRow], list[tuple[int, str]]]:
    require(ctx, UserRole.REVIEWER, UserRole.SUPERVISOR, what="queue")
    with reading(ctx.engine) as conn:
        result = queue_page(conn, ctx.actor, f, page_number)
        teams = team_names(conn, ctx.actor.team_ids)
    write_audit(
        ctx,
        AuditAction.CONSULT,
        "queue",
        None,
        details={
            "scope": f.scope,
            "items": len(result.items),
            "total": result.total,
            "page": page_number,
        },
    )
    return result, teams


@router.get("/queue", include_in_schema=False)
def queue_view(
    request: Request,
    ctx: Ctx = Depends(signed_in),
    f: QueueFilters = Depends(_filters),
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
) -> Response:
    result, teams = _queue(ctx, f, page_number)
    members: list[str] = []
    if ctx.actor.role == UserRole.SUPERVISOR:
        from casereview.review.views import supervision_view

        with reading(ctx.engine) as conn:
            members = supervision_view(conn, ctx.actor).members
    template = "queue_table.html" if request.headers.get("HX-Request") else "queue.html"
    return page(
        request,
        template,
        {
            "session": ctx.session,
            "queue": result,
            "f": f,
            "query": filters_query(f),
            "teams": teams,
            "members": members,
            "statuses": list(ReviewStatus),
            "indicator_codes": list(IndicatorCode),
            "sorts": list(SORTS),
            "allocated": request.query_params.get("allocated"),
            "refused": request.query_params.get("refused"),
        },
    )


@api.get("/queue", response_model=Page[QueueRow])
def queue_api(
    ctx: Ctx = Depends(signed_in),
    f: QueueFilters = Depends(_filters),
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
) -> Page[QueueRow]:
    """The queue the user may see: scope "mine" (assigned to me) or "team" (reviewers and
    supervisors; supervisors also see items no team holds yet), filtered and paged."""
    return _queue(ctx, f, page_number)[0]


class AllocationOut(BaseModel):
    assigned: list[int]
    refused: list[tuple[int, str]]


def _allocate(ctx: Ctx, f: QueueFilters, assignee: str, team: int) -> AllocationOut:
    require(ctx, UserRole.SUPERVISOR, what="allocate")
    with reading(ctx.engine) as conn:
        # Any name the supervisor may not give work to is refused alike.
        assignee_id = assignee_or_nobody(conn, assignee, ctx.actor.team_ids)
    done = allocate(ctx.engine, ctx.actor, f, assignee_id=assignee_id, team_id=team)
    return AllocationOut(assigned=done.assigned, refused=done.refused)


@router.post("/queue/allocate", include_in_schema=False)
def allocate_form(
    f: QueueFilters = Depends(_filters),
    assignee: str = Form(..., min_length=1, max_length=64),
    to_team: int = Form(..., ge=1, le=2**62),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    done = _allocate(ctx, f, assignee, to_team)
    target = filters_query(
        f, allocated=len(done.assigned), refused=len(done.refused), assignee=assignee
    )
    return RedirectResponse(f"/queue?{target}", status_code=303)


@api.post("/queue/allocate", response_model=AllocationOut, responses={404: {"model": ErrorOut}})
def allocate_api(
    f: QueueFilters = Depends(_filters),
    assignee: str = Query(..., min_length=1, max_length=64),
    to_team: int = Query(..., ge=1, le=2**62),
    ctx: Ctx = Depends(csrf_checked),
) -> AllocationOut:
    """Assign every unallocated item the filters select to `assignee` in team `to_team`
    (supervisors of that team); each item is one audited workflow transition."""
    return _allocate(ctx, f, assignee, to_team)
