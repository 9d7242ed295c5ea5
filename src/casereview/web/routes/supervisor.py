"""Supervision: workload per reviewer, decisions awaiting sign-off, second-review agreement."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection, and_, func, select

from casereview.model.codes import AuditAction, DecisionKind, ReviewStatus, UserRole
from casereview.model.tables import decisions, review_items, team_members, users
from casereview.store.db import reading
from casereview.web.auth import Ctx, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["supervision"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


class WorkloadOut(BaseModel):
    username: str
    status: str
    items: int


class PendingOut(BaseModel):
    item_id: int
    subject_type: str
    subject_id: int
    assigned_to: str | None


class SupervisionOut(BaseModel):
    workload: list[WorkloadOut]
    awaiting_sign_off: list[PendingOut]
    unassigned: list[PendingOut]
    members: list[str]
    second_reviews: int
    second_review_agreement: float | None


def load_supervision(conn: Connection, ctx: Ctx) -> SupervisionOut:
    teams = sorted(ctx.actor.team_ids)
    mine = review_items.c.team_id.in_(teams)
    workload = conn.execute(
        select(users.c.username, review_items.c.status, func.count().label("n"))
        .join(users, users.c.id == review_items.c.assigned_to)
        .where(mine)
        .group_by(users.c.username, review_items.c.status)
        .order_by(users.c.username, review_items.c.status)
    ).all()

    def items(*statuses: ReviewStatus) -> list[PendingOut]:
        rows = conn.execute(
            select(
                review_items.c.id,
                review_items.c.subject_type,
                review_items.c.subject_id,
                users.c.username,
            )
            .outerjoin(users, users.c.id == review_items.c.assigned_to)
            .where(mine, review_items.c.status.in_([s.value for s in statuses]))
            .order_by(review_items.c.priority.desc(), review_items.c.id)
            .limit(200)
        ).all()
        return [
            PendingOut(
                item_id=r.id,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                assigned_to=r.username,
            )
            for r in rows
        ]

    members = (
        conn.execute(
            select(users.c.username)
            .distinct()
            .join(team_members, team_members.c.user_id == users.c.id)
            .where(team_members.c.team_id.in_(teams), users.c.disabled.is_(False))
            .order_by(users.c.username)
        )
        .scalars()
        .all()
    )
    # Agreement: items whose blind second review reached the same outcome as the decision.
    first = decisions.alias("first")
    second = decisions.alias("second")
    pairs = conn.execute(
        select(first.c.outcome, second.c.outcome.label("second_outcome"))
        .join(
            second,
            and_(
                second.c.review_item_id == first.c.review_item_id,
                second.c.kind == DecisionKind.SECOND_REVIEW.value,
            ),
        )
        .join(review_items, review_items.c.id == first.c.review_item_id)
        .where(first.c.kind == DecisionKind.DECISION.value, mine)
    ).all()
    agree = sum(1 for p in pairs if p.outcome == p.second_outcome)
    return SupervisionOut(
        workload=[WorkloadOut(username=w.username, status=w.status, items=w.n) for w in workload],
        awaiting_sign_off=items(ReviewStatus.AWAITING_SIGN_OFF),
        unassigned=items(ReviewStatus.NEW, ReviewStatus.REOPENED),
        members=list(members),
        second_reviews=len(pairs),
        second_review_agreement=(agree / len(pairs)) if pairs else None,
    )


def _supervision(ctx: Ctx) -> SupervisionOut:
    require(ctx, UserRole.SUPERVISOR, what="supervision")
    with reading(ctx.engine) as conn:
        result = load_supervision(conn, ctx)
    write_audit(
        ctx,
        AuditAction.CONSULT,
        "supervision",
        None,
        details={"awaiting": len(result.awaiting_sign_off)},
    )
    return result


@router.get("/supervisor", include_in_schema=False)
def supervision_page(request: Request, ctx: Ctx = Depends(signed_in)) -> Response:
    return page(request, "supervisor.html", {"session": ctx.session, "s": _supervision(ctx)})


@api.get("/supervisor", response_model=SupervisionOut)
def supervision_api(ctx: Ctx = Depends(signed_in)) -> SupervisionOut:
    """Workload, sign-off queue and second-review agreement of the supervisor's teams."""
    return _supervision(ctx)


__all__ = ["api", "router"]
