"""The read side of the review workflow: an item with its history and what the actor may do
next, and the supervision page (workload, sign-off, allocation, second-review agreement).

Second-review agreement is `review.second_review.second_review_agreement` (one computation
for the page, the command line and the report); an item's history is
`review.second_review.item_history`, which keeps a blind second review blind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from casereview.errors import AccessDenied, NotFound
from casereview.model.codes import ReviewStatus, SubjectType, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import review_items, team_members, teams, users
from casereview.review.evidence import Sentence, priority_reasons
from casereview.review.second_review import item_history, second_review_agreement
from casereview.store.access import Actor, check_review_item, require_role, visible_items
from casereview.store.views import aware, team_names

__all__ = [
    "DecisionView",
    "ItemView",
    "SupervisionView",
    "WorkloadRow",
    "item_for_subject",
    "item_status",
    "item_subject",
    "supervision_view",
]


@dataclass(frozen=True)
class DecisionView:
    id: int
    kind: str
    outcome: str | None
    rationale: str
    user: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ItemView:
    """A review item as its subject's page shows it, with what the actor may do now."""

    item_id: int
    subject_type: str
    subject_id: int
    status: str
    team: str | None
    assigned_to: str | None
    priority: float
    reasons: list[Sentence]
    needs_another_look: bool
    history: list[DecisionView]
    can_start: bool
    can_decide: bool
    can_sign_off: bool
    can_reopen: bool

    @property
    def last_decision(self) -> DecisionView | None:
        decided = [d for d in self.history if d.kind == "decision"]
        return decided[-1] if decided else None


def item_subject(conn: Connection, actor: Actor, item_id: int) -> tuple[str, int]:
    """(subject type, subject id) of an item the actor may see."""
    check_review_item(conn, actor, item_id)
    row = conn.execute(
        select(review_items.c.subject_type, review_items.c.subject_id).where(
            review_items.c.id == item_id
        )
    ).one()
    return str(row.subject_type), int(row.subject_id)


def item_status(conn: Connection, item_id: int) -> str | None:
    """The workflow state of an item (None when there is no such item); the workflow checks
    who may act on it."""
    found = conn.execute(select(review_items.c.status).where(review_items.c.id == item_id))
    status = found.scalar()
    return None if status is None else str(status)


def item_for_subject(
    conn: Connection, actor: Actor, subject_type: SubjectType | str, subject_id: int
) -> ItemView | None:
    """The review item of a record or group when the actor may see it (else None)."""
    if actor.role not in (UserRole.REVIEWER, UserRole.SUPERVISOR):
        return None
    kind = SubjectType(subject_type).value
    item = conn.execute(
        select(review_items, teams.c.name.label("team"), users.c.username.label("assignee"))
        .outerjoin(teams, teams.c.id == review_items.c.team_id)
        .outerjoin(users, users.c.id == review_items.c.assigned_to)
        .where(
            review_items.c.subject_type == kind,
            review_items.c.subject_id == subject_id,
            visible_items(actor),
        )
    ).first()
    if item is None:
        return None
    try:
        raw = item_history(conn, int(item.id), actor=actor)
    except (AccessDenied, NotFound):
        return None
    names = dict(
        conn.execute(
            select(users.c.id, users.c.username).where(
                users.c.id.in_(sorted({int(h["user_id"]) for h in raw}))
            )
        ).all()
    )
    history = [
        DecisionView(
            id=int(h["id"]),
            kind=str(h["kind"]),
            outcome=h["outcome"],
            rationale=str(h["rationale"]),
            user=str(names.get(h["user_id"], "?")),
            created_at=aware(h["created_at"]),
        )
        for h in raw
    ]
    mine = item.assigned_to is not None and int(item.assigned_to) == actor.user_id
    status = ReviewStatus(item.status)
    deciders = {d.user for d in history if d.kind == "decision"}
    supervisor = actor.role == UserRole.SUPERVISOR and item.team_id in actor.team_ids
    breakdown: dict[str, Any] = from_json(item.score_breakdown, {}) or {}
    return ItemView(
        item_id=int(item.id),
        subject_type=kind,
        subject_id=subject_id,
        status=status.value,
        team=item.team,
        assigned_to=item.assignee,
        priority=float(item.priority),
        reasons=priority_reasons(conn, actor, breakdown),
        needs_another_look=bool(item.needs_another_look),
        history=history,
        can_start=mine and status in (ReviewStatus.ASSIGNED, ReviewStatus.REOPENED),
        can_decide=mine and status == ReviewStatus.IN_REVIEW,
        can_sign_off=supervisor
        and status == ReviewStatus.AWAITING_SIGN_OFF
        and (not deciders or deciders != {actor.username}),
        can_reopen=supervisor and status == ReviewStatus.CLOSED,
    )


@dataclass(frozen=True)
class WorkloadRow:
    username: str
    status: str
    items: int


@dataclass(frozen=True)
class PendingItem:
    item_id: int
    subject_type: str
    subject_id: int
    assigned_to: str | None

    @property
    def href(self) -> str:
        return f"/{self.subject_type}s/{self.subject_id}"


@dataclass(frozen=True)
class SupervisionView:
    teams: list[tuple[int, str]]
    members: list[str]
    workload: list[WorkloadRow]
    awaiting_sign_off: list[PendingItem]
    unallocated: int
    second_review: dict[str, Any] = field(default_factory=dict)


def supervision_view(conn: Connection, actor: Actor) -> SupervisionView:
    """What a supervisor's page shows: their teams' workload, decisions awaiting sign-off
    (not their own), how many items wait for allocation (no team or no assignee), and the
    second-review agreement."""
    require_role(actor, UserRole.SUPERVISOR)
    visible = visible_items(actor)
    workload = conn.execute(
        select(users.c.username, review_items.c.status, func.count().label("n"))
        .join(users, users.c.id == review_items.c.assigned_to)
        .where(visible, review_items.c.active.is_(True))
        .group_by(users.c.username, review_items.c.status)
        .order_by(users.c.username, review_items.c.status)
    ).all()
    awaiting = conn.execute(
        select(
            review_items.c.id,
            review_items.c.subject_type,
            review_items.c.subject_id,
            users.c.username,
        )
        .outerjoin(users, users.c.id == review_items.c.assigned_to)
        .where(visible, review_items.c.status == ReviewStatus.AWAITING_SIGN_OFF.value)
        .order_by(review_items.c.priority.desc(), review_items.c.id)
        .limit(200)
    ).all()
    unallocated = conn.execute(
        select(func.count())
        .select_from(review_items)
        .where(visible, review_items.c.active.is_(True), review_items.c.assigned_to.is_(None))
    ).scalar_one()
    members = conn.execute(
        select(users.c.username)
        .distinct()
        .join(team_members, team_members.c.user_id == users.c.id)
        .where(
            team_members.c.team_id.in_(sorted(actor.team_ids)),
            users.c.disabled.is_(False),
            users.c.role.in_([UserRole.REVIEWER.value, UserRole.SUPERVISOR.value]),
        )
        .order_by(users.c.username)
    ).scalars()
    return SupervisionView(
        teams=team_names(conn, actor.team_ids),
        members=list(members),
        workload=[WorkloadRow(w.username, w.status, int(w.n)) for w in workload],
        awaiting_sign_off=[
            PendingItem(int(r.id), r.subject_type, int(r.subject_id), r.username) for r in awaiting
        ],
        unallocated=int(unallocated),
        second_review=second_review_agreement(conn),
    )
