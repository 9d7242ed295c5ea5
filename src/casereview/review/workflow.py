"""The review workflow: assignment, decision, supervisor sign-off, return and reopening.

States (`ReviewStatus`)::

    new ──assign──▶ assigned ──start_review──▶ in_review ──decide──▶ awaiting_sign_off
                       ▲                          ▲   ▲                 │        │
                       │                          │   └────return───────┘     sign_off
    reopened ──assign──┘      reopened ──start_review                            ▼
        ▲                                                                     closed
        └──────────────────────────────reopen─────────────────────────────────┘

Who may do what (checked on every call, against the item's team):

- a supervisor of the item's team (or, for an item not yet allocated, of the target team)
  assigns it to a reviewer or supervisor who is a member of the target team;
- the assignee starts the review and records the decision (outcome and a non-empty rationale);
- a supervisor of the item's team who did not make the decision signs it off or returns it;
- a supervisor of the item's team reopens a closed item, giving a reason.

Every change writes its rows and exactly one audit entry (`AuditAction.ALTER`, object
`review_item`, details naming the transition) in one transaction. A refused call raises
`AccessDenied` (wrong role or team) or `WorkflowError` (not allowed from the current state,
or bad input) and changes nothing; a refusal of access is recorded as one `DENIED` audit
entry, so callers need not write their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from casereview.errors import AccessDenied, NotFound, WorkflowError
from casereview.model.codes import (
    AuditAction,
    DecisionKind,
    DecisionOutcome,
    ReviewStatus,
    UserRole,
)
from casereview.model.tables import decisions, review_items, team_members, users
from casereview.store import audit
from casereview.store.access import Actor, check_review_item, require_role
from casereview.store.db import writing
from casereview.store.runs import utc_now
from casereview.store.users import NOBODY

__all__ = [
    "OBJECT_TYPE",
    "TRANSITIONS",
    "Transition",
    "assign",
    "decide",
    "latest_decision",
    "reopen",
    "return_decision",
    "sign_off",
    "start_review",
]

OBJECT_TYPE = "review_item"

# The states each transition may start from; its target state is fixed.
TRANSITIONS: dict[str, tuple[frozenset[ReviewStatus], ReviewStatus]] = {
    "assign": (
        frozenset(
            {ReviewStatus.NEW, ReviewStatus.ASSIGNED, ReviewStatus.IN_REVIEW, ReviewStatus.REOPENED}
        ),
        ReviewStatus.ASSIGNED,
    ),
    "start_review": (
        frozenset({ReviewStatus.ASSIGNED, ReviewStatus.REOPENED}),
        ReviewStatus.IN_REVIEW,
    ),
    "decide": (frozenset({ReviewStatus.IN_REVIEW}), ReviewStatus.AWAITING_SIGN_OFF),
    "sign_off": (frozenset({ReviewStatus.AWAITING_SIGN_OFF}), ReviewStatus.CLOSED),
    "return": (frozenset({ReviewStatus.AWAITING_SIGN_OFF}), ReviewStatus.IN_REVIEW),
    "reopen": (frozenset({ReviewStatus.CLOSED}), ReviewStatus.REOPENED),
}


@dataclass(frozen=True)
class Transition:
    """What a workflow call did: the item, the transition and the states before and after."""

    item_id: int
    transition: str
    from_status: ReviewStatus
    to_status: ReviewStatus
    decision_id: int | None = None


@contextmanager
def _denials_recorded(
    engine: Engine, actor: Actor, item_id: int, transition: str
) -> Iterator[None]:
    """Record an `AccessDenied` as one DENIED audit entry (its own transaction), then re-raise."""
    try:
        yield
    except AccessDenied as e:
        with writing(engine) as conn:
            audit.append(
                conn,
                actor=actor.username,
                action=AuditAction.DENIED,
                object_type=OBJECT_TYPE,
                object_id=item_id,
                client=actor.client,
                details={"transition": transition, "reason": str(e)},
            )
        raise


def _lock_item(conn: Connection, item_id: int) -> Row[Any]:
    """The item's row, locked against concurrent transitions (PostgreSQL; SQLite is serialised)."""
    query = select(review_items).where(review_items.c.id == item_id)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no review item {item_id}")
    return row


def _require_state(item: Row[Any], transition: str) -> ReviewStatus:
    allowed, _target = TRANSITIONS[transition]
    current = ReviewStatus(item.status)
    if current not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise WorkflowError(
            f"review item {item.id} is {current.value}: '{transition}' needs it to be {names}"
        )
    return current


def _require_text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise WorkflowError(f"a {what} is required and must not be empty")
    return text


def _require_user(actor: Actor) -> int:
    if actor.user_id is None:
        raise AccessDenied("a system actor takes no part in the review workflow")
    return actor.user_id


def latest_decision(conn: Connection, item_id: int) -> Row[Any] | None:
    """The newest reviewer decision (kind `decision`) on the item, or None."""
    return conn.execute(
        select(decisions)
        .where(
            decisions.c.review_item_id == item_id,
            decisions.c.kind == DecisionKind.DECISION.value,
        )
        .order_by(decisions.c.id.desc())
        .limit(1)
    ).first()


def _record(
    conn: Connection,
    actor: Actor,
    item: Row[Any],
    transition: str,
    current: ReviewStatus,
    *,
    values: Mapping[str, Any] | None = None,
    decision: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> Transition:
    """Apply a transition: update the item, add its decision row, append one audit entry."""
    _allowed, target = TRANSITIONS[transition]
    now = utc_now()
    decision_id: int | None = None
    if decision is not None:
        decision_id = int(
            conn.execute(
                insert(decisions)
                .values(
                    review_item_id=item.id,
                    user_id=_require_user(actor),
                    created_at=now,
                    **decision,
                )
                .returning(decisions.c.id)
            ).scalar_one()
        )
    conn.execute(
        update(review_items)
        .where(review_items.c.id == item.id)
        .values(status=target.value, updated_at=now, **dict(values or {}))
    )
    audit.append(
        conn,
        actor=actor.username,
        action=AuditAction.ALTER,
        object_type=OBJECT_TYPE,
        object_id=item.id,
        client=actor.client,
        details={
            "transition": transition,
            "from": current.value,
            "to": target.value,
            **({"decision_id": decision_id} if decision_id is not None else {}),
            **dict(details or {}),
        },
    )
    return Transition(int(item.id), transition, current, target, decision_id)


def _supervisor_of_item(conn: Connection, actor: Actor, item_id: int) -> None:
    require_role(actor, UserRole.SUPERVISOR)
    check_review_item(conn, actor, item_id)


def _require_assignee(conn: Connection, actor: Actor, item: Row[Any]) -> None:
    require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR)
    check_review_item(conn, actor, int(item.id))
    if item.assigned_to is None or int(item.assigned_to) != actor.user_id:
        raise AccessDenied(f"review item {item.id} is not assigned to {actor.username}")


def assign(
    engine: Engine, item_id: int, *, assignee_id: int, team_id: int | None = None, actor: Actor
) -> Transition:
    """Allocate the item to a reviewer (and a team); only a supervisor of that team may.

    `team_id` defaults to the item's current team. An item with no team yet may be allocated
    by a supervisor of the target team; an item already in a team only by a supervisor of it.
    """
    with _denials_recorded(engine, actor, item_id, "assign"), writing(engine) as conn:
        require_role(actor, UserRole.SUPERVISOR)
        item = _lock_item(conn, item_id)
        if item.team_id is not None:
            check_review_item(conn, actor, item_id)
        target_team = int(team_id if team_id is not None else (item.team_id or 0))
        if not target_team:
            raise WorkflowError(f"review item {item_id} has no team: name the team to assign it to")
        if target_team not in actor.team_ids:
            raise AccessDenied(f"{actor.username} is not a supervisor of team {target_team}")
        current = _require_state(item, "assign")
        assignee = conn.execute(
            select(users.c.role, users.c.disabled).where(users.c.id == assignee_id)
        ).first()
        if assignee is None:
            # NOBODY: a name the supervisor may not give work to (unknown, of another team, not
            # a reviewer), one refusal for all so that it tells nobody which names exist.
            raise NotFound(
                "no reviewer of that name in your teams"
                if assignee_id == NOBODY
                else f"no user {assignee_id}"
            )
        if assignee.disabled or assignee.role not in (
            UserRole.REVIEWER.value,
            UserRole.SUPERVISOR.value,
        ):
            raise WorkflowError(f"user {assignee_id} cannot review (disabled or not a reviewer)")
        member = conn.execute(
            select(team_members.c.user_id).where(
                team_members.c.team_id == target_team, team_members.c.user_id == assignee_id
            )
        ).first()
        if member is None:
            raise WorkflowError(f"user {assignee_id} is not a member of team {target_team}")
        return _record(
            conn,
            actor,
            item,
            "assign",
            current,
            values={"assigned_to": assignee_id, "team_id": target_team},
            details={
                "assignee_id": assignee_id,
                "team_id": target_team,
                "previous_assignee_id": item.assigned_to,
                "previous_team_id": item.team_id,
            },
        )


def start_review(engine: Engine, item_id: int, *, actor: Actor) -> Transition:
    """The assignee starts work on an assigned (or reopened) item."""
    with _denials_recorded(engine, actor, item_id, "start_review"), writing(engine) as conn:
        item = _lock_item(conn, item_id)
        _require_assignee(conn, actor, item)
        current = _require_state(item, "start_review")
        return _record(conn, actor, item, "start_review", current)


def decide(
    engine: Engine, item_id: int, *, outcome: DecisionOutcome, rationale: str, actor: Actor
) -> Transition:
    """The assignee records a decision with its rationale; it then awaits a supervisor.

    Recording a decision also clears `needs_another_look`: the reviewer has seen the evidence
    as it now stands.
    """
    with _denials_recorded(engine, actor, item_id, "decide"), writing(engine) as conn:
        item = _lock_item(conn, item_id)
        _require_assignee(conn, actor, item)
        current = _require_state(item, "decide")
        text = _require_text(rationale, "rationale")
        value = DecisionOutcome(outcome).value
        return _record(
            conn,
            actor,
            item,
            "decide",
            current,
            values={"needs_another_look": False},
            decision={"kind": DecisionKind.DECISION.value, "outcome": value, "rationale": text},
            details={"outcome": value},
        )


def _require_other_supervisor(conn: Connection, actor: Actor, item: Row[Any]) -> None:
    _supervisor_of_item(conn, actor, int(item.id))
    last = latest_decision(conn, int(item.id))
    if last is not None and int(last.user_id) == actor.user_id:
        raise AccessDenied(f"{actor.username} made the decision and cannot also sign it off")


def sign_off(engine: Engine, item_id: int, *, actor: Actor, comment: str = "") -> Transition:
    """A supervisor of the item's team, not the decider, signs the decision off: closed."""
    with _denials_recorded(engine, actor, item_id, "sign_off"), writing(engine) as conn:
        item = _lock_item(conn, item_id)
        _require_other_supervisor(conn, actor, item)
        current = _require_state(item, "sign_off")
        return _record(
            conn,
            actor,
            item,
            "sign_off",
            current,
            decision={"kind": DecisionKind.SIGN_OFF.value, "rationale": comment.strip()},
        )


def return_decision(engine: Engine, item_id: int, *, reason: str, actor: Actor) -> Transition:
    """A supervisor of the item's team, not the decider, returns the decision to the reviewer."""
    with _denials_recorded(engine, actor, item_id, "return"), writing(engine) as conn:
        item = _lock_item(conn, item_id)
        _require_other_supervisor(conn, actor, item)
        current = _require_state(item, "return")
        text = _require_text(reason, "reason")
        return _record(
            conn,
            actor,
            item,
            "return",
            current,
            decision={"kind": DecisionKind.RETURN.value, "rationale": text},
        )


def reopen(engine: Engine, item_id: int, *, reason: str, actor: Actor) -> Transition:
    """A supervisor of the item's team reopens a closed item (new evidence, a request)."""
    with _denials_recorded(engine, actor, item_id, "reopen"), writing(engine) as conn:
        item = _lock_item(conn, item_id)
        _supervisor_of_item(conn, actor, item_id)
        current = _require_state(item, "reopen")
        text = _require_text(reason, "reason")
        return _record(
            conn,
            actor,
            item,
            "reopen",
            current,
            decision={"kind": DecisionKind.NOTE.value, "rationale": f"reopened: {text}"},
        )
