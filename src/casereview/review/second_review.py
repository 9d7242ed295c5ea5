"""Blind second review: a seeded share of closed items decided again, independently.

A supervisor draws `review.second_review_share` of their teams' closed items (seeded, so the
draw can be repeated and checked), allocates each to a second reviewer who did not make the
first decision, and that reviewer records an outcome without seeing the first decision
(`item_history` hides it from them until theirs is in). Agreement between first and second
decisions is reported as Cohen's kappa, the usual chance-corrected measure of inter-rater
agreement. Every change is one audit entry in the same transaction, as in `workflow`.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select, update

from casereview.errors import AccessDenied, WorkflowError
from casereview.model.codes import (
    AuditAction,
    DecisionKind,
    DecisionOutcome,
    ReviewStatus,
    UserRole,
)
from casereview.model.tables import decisions, review_items, team_members
from casereview.review.workflow import (
    OBJECT_TYPE,
    _denials_recorded,
    _lock_item,
    _require_text,
    _require_user,
    latest_decision,
)
from casereview.settings import get_settings
from casereview.store import audit
from casereview.store.access import Actor, check_review_item, require_role
from casereview.store.db import reading_on, writing
from casereview.store.runs import utc_now

__all__ = [
    "assign_second_reviewer",
    "cohens_kappa",
    "draw_second_reviews",
    "item_history",
    "second_review",
    "second_review_agreement",
]

_FIRST_DECISION_KINDS = frozenset(
    {DecisionKind.DECISION.value, DecisionKind.SIGN_OFF.value, DecisionKind.RETURN.value}
)


def draw_second_reviews(
    engine: Engine, *, actor: Actor, share: float | None = None, seed: int = 0
) -> list[int]:
    """Mark a seeded random share of the actor's teams' closed items for second review.

    The draw tops up to `share` of the closed items (already drawn items count), so running it
    again after more items close draws only the difference. Returns the newly drawn item ids.
    """
    share = get_settings().review.second_review_share if share is None else share
    if not 0.0 <= share <= 1.0:
        raise WorkflowError(f"second review share must be between 0 and 1, not {share}")
    require_role(actor, UserRole.SUPERVISOR)
    with writing(engine) as conn:
        rows = conn.execute(
            select(review_items.c.id, review_items.c.second_review)
            .where(
                review_items.c.status == ReviewStatus.CLOSED.value,
                review_items.c.team_id.in_(sorted(actor.team_ids)),
            )
            .order_by(review_items.c.id)
        ).all()
        already = sum(1 for r in rows if r.second_review)
        wanted = round(share * len(rows)) - already
        pool = [int(r.id) for r in rows if not r.second_review]
        if wanted <= 0 or not pool:
            return []
        drawn = sorted(random.Random(seed).sample(pool, min(wanted, len(pool))))  # noqa: S311
        now = utc_now()
        for item_id in drawn:
            conn.execute(
                update(review_items)
                .where(review_items.c.id == item_id)
                .values(second_review=True, updated_at=now)
            )
            audit.append(
                conn,
                actor=actor.username,
                action=AuditAction.ALTER,
                object_type=OBJECT_TYPE,
                object_id=item_id,
                client=actor.client,
                details={"transition": "draw_second_review", "seed": seed, "share": share},
            )
        return drawn


def assign_second_reviewer(engine: Engine, item_id: int, *, reviewer_id: int, actor: Actor) -> None:
    """A supervisor of the item's team allocates a drawn item to a different reviewer."""
    with (
        _denials_recorded(engine, actor, item_id, "assign_second_reviewer"),
        writing(engine) as conn,
    ):
        require_role(actor, UserRole.SUPERVISOR)
        check_review_item(conn, actor, item_id)
        item = _lock_item(conn, item_id)
        if not item.second_review:
            raise WorkflowError(f"review item {item_id} was not drawn for second review")
        first = latest_decision(conn, item_id)
        if first is not None and int(first.user_id) == reviewer_id:
            raise WorkflowError("the second reviewer must not be the reviewer who decided first")
        member = conn.execute(
            select(team_members.c.user_id).where(
                team_members.c.team_id == item.team_id, team_members.c.user_id == reviewer_id
            )
        ).first()
        if member is None:
            raise WorkflowError(f"user {reviewer_id} is not a member of team {item.team_id}")
        conn.execute(
            update(review_items)
            .where(review_items.c.id == item_id)
            .values(second_reviewer=reviewer_id, updated_at=utc_now())
        )
        audit.append(
            conn,
            actor=actor.username,
            action=AuditAction.ALTER,
            object_type=OBJECT_TYPE,
            object_id=item_id,
            client=actor.client,
            details={"transition": "assign_second_reviewer", "second_reviewer": reviewer_id},
        )


def second_review(
    engine: Engine, item_id: int, *, outcome: DecisionOutcome, rationale: str, actor: Actor
) -> int:
    """The allocated second reviewer records an independent outcome; returns the decision id."""
    with _denials_recorded(engine, actor, item_id, "second_review"), writing(engine) as conn:
        require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR)
        check_review_item(conn, actor, item_id)
        item = _lock_item(conn, item_id)
        if item.second_reviewer is None or int(item.second_reviewer) != actor.user_id:
            raise AccessDenied(
                f"review item {item_id} is not allocated to {actor.username} for second review"
            )
        done = conn.execute(
            select(decisions.c.id).where(
                decisions.c.review_item_id == item_id,
                decisions.c.kind == DecisionKind.SECOND_REVIEW.value,
            )
        ).first()
        if done is not None:
            raise WorkflowError(f"review item {item_id} already has its second review")
        text = _require_text(rationale, "rationale")
        value = DecisionOutcome(outcome).value
        decision_id = int(
            conn.execute(
                insert(decisions)
                .values(
                    review_item_id=item_id,
                    kind=DecisionKind.SECOND_REVIEW.value,
                    outcome=value,
                    rationale=text,
                    user_id=_require_user(actor),
                    created_at=utc_now(),
                )
                .returning(decisions.c.id)
            ).scalar_one()
        )
        audit.append(
            conn,
            actor=actor.username,
            action=AuditAction.ALTER,
            object_type=OBJECT_TYPE,
            object_id=item_id,
            client=actor.client,
            details={"transition": "second_review", "decision_id": decision_id, "outcome": value},
        )
        return decision_id


def item_history(bind: Engine | Connection, item_id: int, *, actor: Actor) -> list[dict[str, Any]]:
    """The item's decisions, oldest first, as the actor may see them.

    A second reviewer who has not yet recorded their outcome sees none of the first decision
    (its outcome, rationale, sign-off or return): that is what makes the second review blind.
    """
    with reading_on(bind) as conn:
        check_review_item(conn, actor, item_id)
        item = conn.execute(select(review_items).where(review_items.c.id == item_id)).one()
        rows = conn.execute(
            select(decisions).where(decisions.c.review_item_id == item_id).order_by(decisions.c.id)
        ).all()
    history = [dict(r._mapping) for r in rows]
    blind = (
        item.second_reviewer is not None
        and int(item.second_reviewer) == actor.user_id
        and not any(h["kind"] == DecisionKind.SECOND_REVIEW.value for h in history)
    )
    if blind:
        history = [h for h in history if h["kind"] not in _FIRST_DECISION_KINDS]
    return history


def cohens_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of paired labels; None without pairs; 1.0 when both raters never vary."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def second_review_agreement(bind: Engine | Connection) -> dict[str, Any]:
    """Agreement of first and blind second decisions: pairs, raw agreement, kappa, matrix."""
    second = decisions.alias("second")
    with reading_on(bind) as conn:
        rows = conn.execute(
            select(second.c.review_item_id, second.c.outcome, second.c.id)
            .where(second.c.kind == DecisionKind.SECOND_REVIEW.value)
            .order_by(second.c.review_item_id)
        ).all()
        pairs: list[tuple[str, str]] = []
        for row in rows:
            first = conn.execute(
                select(decisions.c.outcome)
                .where(
                    and_(
                        decisions.c.review_item_id == row.review_item_id,
                        decisions.c.kind == DecisionKind.DECISION.value,
                        decisions.c.id < row.id,
                    )
                )
                .order_by(decisions.c.id.desc())
                .limit(1)
            ).first()
            if first is not None:
                pairs.append((str(first.outcome), str(row.outcome)))
    matrix: dict[str, dict[str, int]] = {}
    for a, b in pairs:
        matrix.setdefault(a, {}).setdefault(b, 0)
        matrix[a][b] += 1
    agreement = sum(1 for a, b in pairs if a == b) / len(pairs) if pairs else None
    return {
        "pairs": len(pairs),
        "agreement": agreement,
        "kappa": cohens_kappa(pairs),
        "matrix": matrix,
    }
