"""My queue: the review items of the user's teams, filtered and sorted from an allow-list."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Connection, and_, exists, extract, func, or_, select

from casereview.model.codes import AuditAction, IndicatorCode, ReviewStatus, SubjectType, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import groups, indicators, records, review_items, teams, users
from casereview.store.db import reading
from casereview.web.auth import Ctx, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api", tags=["queue"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)

SortKey = Literal["priority", "status", "updated", "occurred", "borough", "id"]
# The only columns a user may sort by; never a column named in the request itself.
SORTS = {
    "priority": review_items.c.priority.desc(),
    "status": review_items.c.status.asc(),
    "updated": review_items.c.updated_at.desc(),
    "occurred": records.c.occurred_at.desc(),
    "borough": records.c.borough.asc(),
    "id": review_items.c.id.asc(),
}
PAGE_SIZE = 100


class QueueItemOut(BaseModel):
    id: int
    subject_type: str
    subject_id: int
    subject_ref: str
    team: str | None
    status: str
    assigned_to: str | None
    priority: float
    needs_another_look: bool
    borough: str | None
    occurred_at: str | None
    indicators: list[str]


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    total: int
    page: int
    page_size: int


class QueueFilters(BaseModel):
    team: int | None = None
    status: ReviewStatus | None = None
    indicator: IndicatorCode | None = None
    borough: str | None = None
    year: int | None = None
    mine: bool = False
    sort: SortKey = "priority"
    page: int = 1


def _filters(
    team: int | None = Query(None, ge=1, le=2**62),
    status: ReviewStatus | None = None,
    indicator: IndicatorCode | None = None,
    borough: str | None = Query(None, max_length=64),
    year: int | None = Query(None, ge=1900, le=2100),
    mine: bool = False,
    sort: SortKey = "priority",
    page: int = Query(1, ge=1, le=10_000),
) -> QueueFilters:
    return QueueFilters(
        team=team,
        status=status,
        indicator=indicator,
        borough=borough or None,
        year=year,
        mine=mine,
        sort=sort,
        page=page,
    )


def load_queue(conn: Connection, ctx: Ctx, f: QueueFilters) -> QueueOut:
    """The page of items the actor's teams hold, with each item's indicator codes."""
    team_ids = sorted(ctx.actor.team_ids)
    is_record = review_items.c.subject_type == SubjectType.RECORD.value
    conditions: list[ColumnElement[bool]] = [
        review_items.c.team_id.in_(team_ids),
        review_items.c.active.is_(True),
    ]
    if f.team is not None:
        conditions.append(review_items.c.team_id == f.team)
    if f.status is not None:
        conditions.append(review_items.c.status == f.status.value)
    if f.mine:
        conditions.append(review_items.c.assigned_to == ctx.actor.user_id)
    if f.borough:
        conditions.append(records.c.borough == f.borough)
    if f.year is not None:
        conditions.append(extract("year", records.c.occurred_at) == f.year)
    if f.indicator is not None:
        conditions.append(
            exists().where(
                indicators.c.code == f.indicator.value,
                indicators.c.subject_type == review_items.c.subject_type,
                indicators.c.subject_id == review_items.c.subject_id,
            )
        )
    base = (
        select(
            review_items.c.id,
            review_items.c.subject_type,
            review_items.c.subject_id,
            review_items.c.status,
            review_items.c.priority,
            review_items.c.needs_another_look,
            teams.c.name.label("team"),
            users.c.username.label("assignee"),
            records.c.source_ref,
            records.c.borough,
            records.c.occurred_at,
        )
        .select_from(review_items)
        .outerjoin(records, and_(is_record, records.c.id == review_items.c.subject_id))
        .outerjoin(teams, teams.c.id == review_items.c.team_id)
        .outerjoin(users, users.c.id == review_items.c.assigned_to)
        .where(*conditions)
    )
    # The joins are to primary keys (at most one row each), so the count needs records only
    # when a filter reads them: count over review_items' own indexes otherwise.
    counted = select(func.count()).select_from(review_items)
    if f.borough or f.year is not None:
        counted = counted.outerjoin(
            records, and_(is_record, records.c.id == review_items.c.subject_id)
        )
    total = conn.execute(counted.where(*conditions)).scalar_one()
    rows = conn.execute(
        base.order_by(SORTS[f.sort], review_items.c.id)
        .limit(PAGE_SIZE)
        .offset((f.page - 1) * PAGE_SIZE)
    ).all()
    codes: dict[tuple[str, int], list[str]] = {}
    if rows:
        wanted: dict[str, list[int]] = {}
        for r in rows:
            wanted.setdefault(r.subject_type, []).append(int(r.subject_id))
        # one index-backed look-up per subject type on indicators(subject_type, subject_id)
        for code_row in conn.execute(
            select(indicators.c.subject_type, indicators.c.subject_id, indicators.c.code).where(
                or_(
                    *(
                        and_(indicators.c.subject_type == kind, indicators.c.subject_id.in_(ids))
                        for kind, ids in sorted(wanted.items())
                    )
                )
            )
        ):
            key = (code_row.subject_type, int(code_row.subject_id))
            codes.setdefault(key, []).append(code_row.code)
    items = [
        QueueItemOut(
            id=r.id,
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            subject_ref=r.source_ref if r.subject_type == "record" else f"group {r.subject_id}",
            team=r.team,
            status=r.status,
            assigned_to=r.assignee,
            priority=r.priority,
            needs_another_look=bool(r.needs_another_look),
            borough=r.borough,
            occurred_at=r.occurred_at.isoformat() if r.occurred_at else None,
            indicators=sorted(codes.get((r.subject_type, int(r.subject_id)), [])),
        )
        for r in rows
    ]
    return QueueOut(items=items, total=total, page=f.page, page_size=PAGE_SIZE)


def _queue(ctx: Ctx, f: QueueFilters) -> QueueOut:
    require(ctx, UserRole.REVIEWER, UserRole.SUPERVISOR, what="queue")
    with reading(ctx.engine) as conn:
        result = load_queue(conn, ctx, f)
        my_teams = conn.execute(
            select(teams.c.id, teams.c.name).where(teams.c.id.in_(sorted(ctx.actor.team_ids)))
        ).all()
    ctx.request.state.teams = [(t.id, t.name) for t in my_teams]
    write_audit(
        ctx,
        AuditAction.CONSULT,
        "queue",
        None,
        details={"items": len(result.items), "total": result.total, "page": f.page},
    )
    return result


@router.get("/queue", include_in_schema=False)
def queue_page(
    request: Request,
    ctx: Ctx = Depends(signed_in),
    f: QueueFilters = Depends(_filters),
) -> Response:
    result = _queue(ctx, f)
    template = "queue_table.html" if request.headers.get("HX-Request") else "queue.html"
    return page(
        request,
        template,
        {
            "session": ctx.session,
            "queue": result,
            "f": f,
            "teams": request.state.teams,
            "statuses": list(ReviewStatus),
            "indicator_codes": list(IndicatorCode),
            "sorts": list(SORTS),
            "breakdown": from_json,
        },
    )


@api.get("/queue", response_model=QueueOut)
def queue_api(ctx: Ctx = Depends(signed_in), f: QueueFilters = Depends(_filters)) -> QueueOut:
    """The review items of the user's teams (reviewers and supervisors)."""
    return _queue(ctx, f)


__all__ = ["QueueOut", "api", "groups", "load_queue", "router"]
