"""Stateful test of the review workflow (SECURITY-TESTS item 22).

Several users (reviewers of two teams, supervisors) assign, start, decide, sign off, return
and reopen items while the review build re-runs. Invariants: no decision is lost, every
successful change is audited exactly once, refused calls change nothing, the audit chain
verifies, and a reviewer never sees (or acts on) an item outside their teams.

The items are those the review stage built from the small indicator world, each example on its
own copy of the store: four record items whose records name no member of a group (a group's
item would also show its members' records, which this model does not follow).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from casereview.errors import AccessDenied, NotFound, WorkflowError
from casereview.model.codes import DecisionOutcome, UserRole
from casereview.model.tables import (
    audit_log,
    decisions,
    group_members,
    mention_person,
    mentions,
    records,
    review_items,
)
from casereview.review import workflow
from casereview.review.build import build_review
from casereview.store import audit
from casereview.store.access import check_review_item, visible_records
from casereview.store.db import reading
from review.conftest import Staff  # type: ignore[import-not-found]
from review.indicator_world import World  # type: ignore[import-not-found]

USERS = ["rev_n1", "rev_n2", "rev_s1", "sup_n1", "sup_n2", "sup_s1"]
OUTCOMES = list(DecisionOutcome)


class WorkflowMachine(RuleBasedStateMachine):
    """Random sequences of workflow calls by random users, against a model of the history."""

    tmp: Path
    world: World

    @initialize()
    def setup(self) -> None:
        self.folder = Path(WorkflowMachine.tmp) / f"m{id(self)}_{dt.datetime.now().timestamp()}"
        self.folder.mkdir(parents=True)
        self.engine = WorkflowMachine.world.copy(self.folder / "store.db")
        w = Staff(self.engine)
        north, south = w.team("north"), w.team("south")
        self.team_of = {
            "rev_n1": {north}, "rev_n2": {north}, "rev_s1": {south},
            "sup_n1": {north}, "sup_n2": {north}, "sup_s1": {south},
        }  # fmt: skip
        self.actors = {
            name: w.user(name, UserRole.SUPERVISOR if name.startswith("sup") else UserRole.REVIEWER,
                         *self.team_of[name])
            for name in USERS
        }  # fmt: skip
        self.teams = {"north": north, "south": south}
        in_a_group = (
            select(mentions.c.record_id)
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            .join(group_members, group_members.c.person_id == mention_person.c.person_id)
        )
        with reading(self.engine) as conn:
            self.items = list(
                conn.execute(
                    select(review_items.c.id)
                    .where(
                        review_items.c.subject_type == "record",
                        review_items.c.subject_id.not_in(in_a_group),
                    )
                    .order_by(review_items.c.id)
                    .limit(4)
                ).scalars()
            )
            untouched = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
        assert len(self.items) == 4 and untouched == 0
        self.expected_decisions: list[tuple[int, str, str]] = []
        self.expected_alters = 0
        self.builds = 1

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> bool:
        before = self._state()
        try:
            fn(self.engine, *args, **kwargs)
        except (AccessDenied, WorkflowError, NotFound):
            assert self._state() == before, "a refused call changed something"
            return False
        self.expected_alters += 1
        return True

    def _state(self) -> list[tuple[Any, ...]]:
        with reading(self.engine) as conn:
            return [tuple(r) for r in conn.execute(
                select(review_items.c.id, review_items.c.status, review_items.c.assigned_to,
                       review_items.c.team_id).order_by(review_items.c.id))]  # fmt: skip

    @rule(item=st.integers(0, 3), sup=st.sampled_from(USERS), rev=st.sampled_from(USERS),
          team=st.sampled_from(["north", "south"]))  # fmt: skip
    def assign(self, item: int, sup: str, rev: str, team: str) -> None:
        self._call(workflow.assign, self.items[item], assignee_id=self.actors[rev].user_id,
                   team_id=self.teams[team], actor=self.actors[sup])  # fmt: skip

    @rule(item=st.integers(0, 3), user=st.sampled_from(USERS))
    def start(self, item: int, user: str) -> None:
        self._call(workflow.start_review, self.items[item], actor=self.actors[user])

    @rule(item=st.integers(0, 3), user=st.sampled_from(USERS), outcome=st.sampled_from(OUTCOMES),
          rationale=st.sampled_from(["", "  ", "seen the intel", "new line of enquiry"]))  # fmt: skip
    def decide(self, item: int, user: str, outcome: DecisionOutcome, rationale: str) -> None:
        if self._call(workflow.decide, self.items[item], outcome=outcome, rationale=rationale,
                      actor=self.actors[user]):  # fmt: skip
            self.expected_decisions.append((self.items[item], "decision", rationale.strip()))

    @rule(item=st.integers(0, 3), user=st.sampled_from(USERS))
    def sign_off(self, item: int, user: str) -> None:
        if self._call(workflow.sign_off, self.items[item], actor=self.actors[user]):
            self.expected_decisions.append((self.items[item], "sign_off", ""))

    @rule(item=st.integers(0, 3), user=st.sampled_from(USERS))
    def give_back(self, item: int, user: str) -> None:
        if self._call(workflow.return_decision, self.items[item], reason="more work",
                      actor=self.actors[user]):  # fmt: skip
            self.expected_decisions.append((self.items[item], "return", "more work"))

    @rule(item=st.integers(0, 3), user=st.sampled_from(USERS))
    def reopen(self, item: int, user: str) -> None:
        if self._call(
            workflow.reopen, self.items[item], reason="new evidence", actor=self.actors[user]
        ):
            self.expected_decisions.append((self.items[item], "note", "reopened: new evidence"))

    @rule()
    def rebuild(self) -> None:
        before = self._state()
        build_review(self.engine, actor="test")
        self.builds += 1
        assert self._state() == before, "a re-run of the build changed human work"

    @invariant()
    def no_decision_lost(self) -> None:
        if not hasattr(self, "engine"):
            return
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(decisions.c.review_item_id, decisions.c.kind, decisions.c.rationale)
                .order_by(decisions.c.id)
            ).all()  # fmt: skip
        assert [tuple(r) for r in rows] == self.expected_decisions

    @invariant()
    def each_change_audited_once_and_chain_verifies(self) -> None:
        if not hasattr(self, "engine"):
            return
        with reading(self.engine) as conn:
            alters = conn.execute(
                select(func.count()).select_from(audit_log).where(
                    audit_log.c.object_type == "review_item", audit_log.c.action == "alter")
            ).scalar_one()  # fmt: skip
        assert alters == self.expected_alters
        assert audit.verify(self.engine).ok

    @invariant()
    def reviewers_see_only_their_teams(self) -> None:
        if not hasattr(self, "engine"):
            return
        with reading(self.engine) as conn:
            mine_only = review_items.c.id.in_(self.items)
            team_of_item = dict(
                conn.execute(select(review_items.c.id, review_items.c.team_id).where(mine_only)).all()
            )
            subject = dict(
                conn.execute(
                    select(review_items.c.id, review_items.c.subject_id).where(mine_only)
                ).all()
            )
            for name, actor in self.actors.items():
                seen = set(
                    conn.execute(select(records.c.id).where(visible_records(actor))).scalars()
                )
                for item_id, team_id in team_of_item.items():
                    # A supervisor also sees the items no team holds yet, to allocate them.
                    unallocated = team_id is None and actor.role == UserRole.SUPERVISOR
                    mine = unallocated or (team_id is not None and team_id in self.team_of[name])
                    assert (subject[item_id] in seen) == mine
                    try:
                        check_review_item(conn, actor, item_id)
                        allowed = True
                    except AccessDenied:
                        allowed = False
                    assert allowed == mine

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()


@pytest.mark.slow
def test_workflow_state_machine(tmp_path: Path, small_indicator_store: World) -> None:
    WorkflowMachine.tmp = tmp_path
    WorkflowMachine.world = small_indicator_store
    run = WorkflowMachine.TestCase
    run.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run().runTest()
