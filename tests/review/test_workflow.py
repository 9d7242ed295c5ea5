"""The review workflow: transitions, who may make them, one audit entry each.

The items moved are those the review stage built from the small indicator world (each test on
its own copy of the store, on each backend: `workflow_store` in tests/review/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from casereview.errors import AccessDenied, WorkflowError
from casereview.model.codes import DecisionOutcome, ReviewStatus, UserRole
from casereview.model.tables import audit_log, decisions, review_items
from casereview.review import workflow
from casereview.review.second_review import (
    assign_second_reviewer,
    cohens_kappa,
    draw_second_reviews,
    item_history,
    second_review,
    second_review_agreement,
)
from casereview.review.triage import queue
from casereview.review.workflow import Transition
from casereview.store import audit
from casereview.store.db import reading
from review.conftest import Staff  # type: ignore[import-not-found]

FNI = DecisionOutcome.FURTHER_INVESTIGATION
NFA = DecisionOutcome.NO_FURTHER_ACTION


@pytest.fixture
def team_world(workflow_store: Engine) -> Any:
    """Two teams and their people on a copy of the store; `items` the queue the review stage
    built (none yet allocated, assigned or decided), `item_id` the first."""
    staff = Staff(workflow_store)
    w = SimpleNamespace(engine=workflow_store)
    w.north = staff.team("north")
    w.south = staff.team("south")
    w.rev = staff.user("rev", UserRole.REVIEWER, w.north)
    w.rev2 = staff.user("rev2", UserRole.REVIEWER, w.north)
    w.outsider = staff.user("outsider", UserRole.REVIEWER, w.south)
    w.sup = staff.user("sup", UserRole.SUPERVISOR, w.north)
    w.sup2 = staff.user("sup2", UserRole.SUPERVISOR, w.north)
    w.south_sup = staff.user("south_sup", UserRole.SUPERVISOR, w.south)
    w.analyst = staff.user("ana", UserRole.ANALYST)
    built = queue(workflow_store, limit=None)
    assert len(built) >= 4, "the small indicator world has items to work on"
    assert {(e.status, e.team, e.assigned_to) for e in built} == {("new", None, None)}
    w.items = [e.item_id for e in built]
    w.item_id = w.items[0]
    with reading(workflow_store) as conn:
        w.audit_from = audit.head(conn)[0]  # what the pipeline wrote is not the workflow's
        assert conn.execute(select(decisions.c.id)).first() is None
    return w


def _audit_rows(w: Any) -> list[tuple[str, str, str, str]]:
    """The review-item entries written since the world was made."""
    with reading(w.engine) as conn:
        rows = conn.execute(
            select(
                audit_log.c.actor, audit_log.c.action, audit_log.c.object_id, audit_log.c.details
            )
            .where(audit_log.c.object_type == "review_item", audit_log.c.seq > w.audit_from)
            .order_by(audit_log.c.seq)
        ).all()
    return [tuple(r) for r in rows]


def _item(engine: Any, item_id: int) -> dict[str, Any]:
    with reading(engine) as conn:
        row = conn.execute(
            select(
                review_items.c.status,
                review_items.c.team_id,
                review_items.c.assigned_to,
                review_items.c.needs_another_look,
            ).where(review_items.c.id == item_id)
        ).one()
    return dict(row._mapping)


def test_full_cycle_with_return_and_reopen(team_world: Any) -> None:
    w = team_world
    e, i = w.engine, w.item_id
    steps = [
        workflow.assign(e, i, assignee_id=w.rev.user_id, team_id=w.north, actor=w.sup),
        workflow.start_review(e, i, actor=w.rev),
        workflow.decide(e, i, outcome=FNI, rationale="suspect named twice", actor=w.rev),
        workflow.return_decision(e, i, reason="check the intel log", actor=w.sup),
        workflow.decide(e, i, outcome=NFA, rationale="intel checked", actor=w.rev),
        workflow.sign_off(e, i, actor=w.sup),
        workflow.reopen(e, i, reason="new intelligence", actor=w.sup2),
        workflow.start_review(e, i, actor=w.rev),
    ]
    assert [(s.transition, s.from_status.value, s.to_status.value) for s in steps] == [
        ("assign", "new", "assigned"),
        ("start_review", "assigned", "in_review"),
        ("decide", "in_review", "awaiting_sign_off"),
        ("return", "awaiting_sign_off", "in_review"),
        ("decide", "in_review", "awaiting_sign_off"),
        ("sign_off", "awaiting_sign_off", "closed"),
        ("reopen", "closed", "reopened"),
        ("start_review", "reopened", "in_review"),
    ]
    assert _item(e, i) == {
        "status": "in_review",
        "team_id": w.north,
        "assigned_to": w.rev.user_id,
        "needs_another_look": False,
    }
    with reading(e) as conn:
        history = conn.execute(
            select(
                decisions.c.kind, decisions.c.outcome, decisions.c.rationale, decisions.c.user_id
            )
            .where(decisions.c.review_item_id == i)
            .order_by(decisions.c.id)
        ).all()
    assert [tuple(h) for h in history] == [
        ("decision", "further_investigation", "suspect named twice", w.rev.user_id),
        ("return", None, "check the intel log", w.sup.user_id),
        ("decision", "no_further_action", "intel checked", w.rev.user_id),
        ("sign_off", None, "", w.sup.user_id),
        ("note", None, "reopened: new intelligence", w.sup2.user_id),
    ]
    rows = _audit_rows(w)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("sup", "alter", str(i)),
        ("rev", "alter", str(i)),
        ("rev", "alter", str(i)),
        ("sup", "alter", str(i)),
        ("rev", "alter", str(i)),
        ("sup", "alter", str(i)),
        ("sup2", "alter", str(i)),
        ("rev", "alter", str(i)),
    ]
    assert [r[3].split('"transition":"')[1].split('"')[0] for r in rows] == [
        s.transition for s in steps
    ]
    assert audit.verify(e).ok


def test_refusals_change_nothing_and_denials_are_audited(team_world: Any) -> None:
    w = team_world
    e, i = w.engine, w.item_id
    with pytest.raises(AccessDenied):  # a reviewer cannot allocate
        workflow.assign(e, i, assignee_id=w.rev.user_id, team_id=w.north, actor=w.rev)
    with pytest.raises(AccessDenied):  # a supervisor of another team cannot allocate to north
        workflow.assign(e, i, assignee_id=w.rev.user_id, team_id=w.north, actor=w.south_sup)
    with pytest.raises(WorkflowError):  # the assignee must belong to the team
        workflow.assign(e, i, assignee_id=w.outsider.user_id, team_id=w.north, actor=w.sup)
    with pytest.raises(WorkflowError):  # nothing to start yet
        workflow.assign(e, i, assignee_id=w.rev.user_id, actor=w.sup)
    workflow.assign(e, i, assignee_id=w.rev.user_id, team_id=w.north, actor=w.sup)
    with pytest.raises(AccessDenied):  # only the assignee works on it
        workflow.start_review(e, i, actor=w.rev2)
    with pytest.raises(AccessDenied):  # outside the team
        workflow.start_review(e, i, actor=w.outsider)
    with pytest.raises(AccessDenied):  # analysts take no part
        workflow.start_review(e, i, actor=w.analyst)
    with pytest.raises(WorkflowError):  # decide needs in_review
        workflow.decide(e, i, outcome=FNI, rationale="x", actor=w.rev)
    workflow.start_review(e, i, actor=w.rev)
    with pytest.raises(WorkflowError):  # rationale required
        workflow.decide(e, i, outcome=FNI, rationale="   ", actor=w.rev)
    with pytest.raises(WorkflowError):  # nothing to sign off
        workflow.sign_off(e, i, actor=w.sup)
    with pytest.raises(WorkflowError):  # closed items only
        workflow.reopen(e, i, reason="x", actor=w.sup)
    assert _item(e, i)["status"] == "in_review"
    rows = _audit_rows(w)
    assert [r[1] for r in rows] == [
        "denied",
        "denied",
        "alter",
        "denied",
        "denied",
        "denied",
        "alter",
    ]
    assert audit.verify(e).ok


def test_supervisor_who_decided_cannot_sign_off_own_decision(team_world: Any) -> None:
    w = team_world
    e, i = w.engine, w.item_id
    workflow.assign(e, i, assignee_id=w.sup.user_id, team_id=w.north, actor=w.sup)
    workflow.start_review(e, i, actor=w.sup)
    workflow.decide(e, i, outcome=NFA, rationale="handled", actor=w.sup)
    with pytest.raises(AccessDenied):
        workflow.sign_off(e, i, actor=w.sup)
    with pytest.raises(AccessDenied):
        workflow.sign_off(e, i, actor=w.south_sup)
    done = workflow.sign_off(e, i, actor=w.sup2)
    assert done == Transition(
        i, "sign_off", ReviewStatus.AWAITING_SIGN_OFF, ReviewStatus.CLOSED, done.decision_id
    )
    assert _item(e, i)["status"] == "closed"


def test_blind_second_review_and_kappa(team_world: Any) -> None:
    w = team_world
    e = w.engine
    items = w.items[:4]
    outcomes = [FNI, NFA, NFA, FNI]
    for item_id, outcome in zip(items, outcomes, strict=True):
        workflow.assign(e, item_id, assignee_id=w.rev.user_id, team_id=w.north, actor=w.sup)
        workflow.start_review(e, item_id, actor=w.rev)
        workflow.decide(e, item_id, outcome=outcome, rationale="first", actor=w.rev)
        workflow.sign_off(e, item_id, actor=w.sup)
    drawn = draw_second_reviews(e, actor=w.sup, share=1.0, seed=7)
    assert drawn == sorted(items)
    assert draw_second_reviews(e, actor=w.sup, share=1.0, seed=7) == []
    with pytest.raises(WorkflowError):  # not the first reviewer
        assign_second_reviewer(e, items[0], reviewer_id=w.rev.user_id, actor=w.sup)
    for item_id in items:
        assign_second_reviewer(e, item_id, reviewer_id=w.rev2.user_id, actor=w.sup)
    assert item_history(e, items[0], actor=w.rev2) == []
    with pytest.raises(AccessDenied):
        second_review(e, items[0], outcome=FNI, rationale="mine", actor=w.rev)
    for item_id, outcome in zip(items, [FNI, NFA, FNI, FNI], strict=True):
        second_review(e, item_id, outcome=outcome, rationale="second", actor=w.rev2)
    assert [h["kind"] for h in item_history(e, items[0], actor=w.rev2)] == [
        "decision",
        "sign_off",
        "second_review",
    ]
    result = second_review_agreement(e)
    assert result == {
        "pairs": 4,
        "agreement": 0.75,
        "kappa": pytest.approx(0.5),
        "matrix": {
            "further_investigation": {"further_investigation": 2},
            "no_further_action": {"no_further_action": 1, "further_investigation": 1},
        },
    }
    assert audit.verify(e).ok


def test_cohens_kappa_edges() -> None:
    assert cohens_kappa([]) is None
    assert cohens_kappa([("a", "a"), ("a", "a")]) == 1.0
    assert cohens_kappa([("a", "b"), ("b", "a")]) == pytest.approx(-1.0)
