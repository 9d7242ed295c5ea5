"""The report tests' world: the indicator world (tests/review/indicator_world.py: its planted
cases in a synthetic world of `CASES` crimes, through ingest and every stage) after a review
team worked part of the queue the review stage built, through the workflow: allocated, started,
decided, signed off, some drawn for a blind second review. Nothing derived is written by hand; the teams and
users are inputs, and everything they did went through `casereview.review`.

The planted people carry names no synthetic person does (`PLANTED_WORDS`): a report that
printed a person would show one of them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import Engine, insert, select

from casereview.model.codes import DecisionOutcome, ReviewStatus, UserRole
from casereview.model.tables import review_items, team_members, teams, users
from casereview.review import workflow
from casereview.review.queue import QueueFilters, allocate
from casereview.review.second_review import (
    assign_second_reviewer,
    draw_second_reviews,
    second_review,
)
from casereview.store.access import load_actor
from casereview.store.db import make_engine, reading, writing
from pipeline_world import built_once
from review import indicator_world as planted
from review.indicator_world import World, build_indicator_world

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
# Crimes of the synthetic world: a few hundred records, as many as the hand-written fixture
# world had (the records extract's disclosure control takes minutes on the 300-case world).
CASES = 100
# username -> (role, team)
STAFF = {
    "rev_n": (UserRole.REVIEWER, "North"),
    "rev_n2": (UserRole.REVIEWER, "North"),
    "sup_n": (UserRole.SUPERVISOR, "North"),
    "sup_n2": (UserRole.SUPERVISOR, "North"),
}
# How far the team got: of the items allocated, how many were started, decided, signed off.
ALLOCATED, STARTED, DECIDED, SIGNED_OFF = 52, 40, 34, 30
OUTCOMES = [
    DecisionOutcome.FURTHER_INVESTIGATION,
    DecisionOutcome.NO_FURTHER_ACTION,
    DecisionOutcome.SAFEGUARDING_REFERRAL,
]
# Every forename and surname of a planted person: none may reach a report.
PLANTED = [*planted.MEN, planted.SERA, planted.TAMS, planted.TOBI, planted.OTTI, planted.HORA,
           planted.EZEK, planted.IMOG, planted.JUNP, planted.LEOP, planted.ROSM, planted.PHLM,
           planted.GWEN, planted.PERD]  # fmt: skip
PLANTED_WORDS = sorted({word for person in PLANTED for word in (person[0], person[1])})


def work_the_queue(engine: Engine) -> None:
    """Team North's supervisors allocate the top of the queue to a reviewer, who starts and
    decides part of it; the other supervisor signs most decisions off; half the closed items
    are drawn for a blind second review by the other reviewer, who mostly agrees."""
    with writing(engine) as conn:
        north = conn.execute(
            insert(teams).values(name="North", created_at=NOW).returning(teams.c.id)
        ).scalar_one()
        for name, (role, _) in STAFF.items():
            uid = conn.execute(
                insert(users)
                .values(username=name, display_name=name, role=role.value, created_at=NOW)
                .returning(users.c.id)
            ).scalar_one()
            conn.execute(insert(team_members).values(team_id=north, user_id=uid, added_at=NOW))
    with reading(engine) as conn:
        rev, rev2, sup, sup2 = (load_actor(conn, name) for name in STAFF)
    assert rev.user_id is not None and rev2.user_id is not None
    done = allocate(engine, sup, QueueFilters(sort="priority"), assignee_id=rev.user_id,
                    team_id=north, limit=ALLOCATED)  # fmt: skip
    assert len(done.assigned) == ALLOCATED and not done.refused, done
    for k, item in enumerate(done.assigned[:STARTED]):
        workflow.start_review(engine, item, actor=rev)
        if k < DECIDED:
            workflow.decide(engine, item, outcome=OUTCOMES[k % 3], rationale="seen", actor=rev)
        if k < SIGNED_OFF:
            workflow.sign_off(engine, item, actor=sup2)
    for k, item in enumerate(draw_second_reviews(engine, actor=sup, share=0.5, seed=7)):
        assign_second_reviewer(engine, item, reviewer_id=rev2.user_id, actor=sup)
        first = OUTCOMES[done.assigned.index(item) % 3]
        outcome = first if k % 4 else OUTCOMES[(OUTCOMES.index(first) + 1) % 3]
        second_review(engine, item, outcome=outcome, rationale="second look", actor=rev2)
    with reading(engine) as conn:
        closed = conn.execute(
            select(review_items.c.id).where(review_items.c.status == ReviewStatus.CLOSED.value)
        ).all()
    assert len(closed) == SIGNED_OFF


def build_reviewed_world(folder: Path) -> World:
    """The world, built once per test run (`built_once`; in `folder` when builds are not
    shared): never change it, `copy()` it."""
    (folder / "indicators").mkdir(parents=True, exist_ok=True)
    indicators = build_indicator_world(folder / "indicators", cases=CASES)

    def build(target: Path) -> Path:
        store = target / "reviewed.db"
        shutil.copyfile(indicators.store, store)
        engine = make_engine(f"sqlite:///{store}")
        try:
            work_the_queue(engine)
        finally:
            engine.dispose()
        return store

    store = built_once(f"reviewed_world_{CASES}", build) or build(folder)
    return World(indicators.found, store, indicators.data)
