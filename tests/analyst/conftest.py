"""A store built by the real pipeline (synth, ingest, link, classify, network, review) once
per session, copied for each test, with an analyst, a reviewer of a team that holds one
review item (allocated by its supervisor through the workflow) and a reviewer of a team with
none; each user signed in on the command line as `casereview login` would."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from casereview.cli import main
from casereview.model.tables import mention_person, mentions, review_items
from casereview.review import workflow
from casereview.settings import reset_settings
from casereview.store.access import load_actor
from casereview.store.cli_tokens import TOKEN_ENV, issue_token
from casereview.store.db import reading, writing
from casereview.store.users import add_member, create_team, create_user
from pipeline_world import build_pipeline_store, copy_store

PASSWORD = "lantern-harbour-violet-42"
USERS = {
    "ana": ("analyst", None),
    "sup_n": ("supervisor", "North"),
    "rev_n": ("reviewer", "North"),
    "rev_s": ("reviewer", "South"),
}


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class AnalystWorld:
    """A private copy of the pipeline store, its users and the North team's one record."""

    url: str
    engine: Engine
    tokens: dict[str, str]
    north_record: int
    capsys: pytest.CaptureFixture[str]

    def run(self, user: str, *args: str) -> Run:
        """Run a command signed in as `user`."""
        self.capsys.readouterr()
        os.environ[TOKEN_ENV] = self.tokens[user]
        try:
            code = main(["--database", self.url, *args])
        finally:
            os.environ.pop(TOKEN_ENV, None)
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def run_json(self, user: str, *args: str) -> Any:
        result = self.run(user, *args, "--json")
        assert (result.code, result.err) == (0, ""), result
        return json.loads(result.out)

    def actor(self, user: str) -> Any:
        with reading(self.engine) as conn:
            return load_actor(conn, user)


@pytest.fixture(scope="session")
def pipeline_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pipeline_store(tmp_path_factory.mktemp("analyst"))


@pytest.fixture
def world(
    pipeline_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[AnalystWorld]:
    reset_settings()
    engine = copy_store(pipeline_store, tmp_path / "store.db")
    tokens: dict[str, str] = {}
    with writing(engine) as conn:
        create_team(conn, "North")
        create_team(conn, "South")
        for name, (role, team) in USERS.items():
            uid = create_user(conn, name, name, role, PASSWORD)
            if team:
                add_member(conn, team, name)
            tokens[name] = issue_token(conn, uid).token
    # North's supervisor allocates the review item of one record to North's reviewer.
    with reading(engine) as conn:
        item, record = conn.execute(
            select(review_items.c.id, review_items.c.subject_id)
            .where(review_items.c.subject_type == "record")
            .where(
                review_items.c.subject_id.in_(
                    select(mentions.c.record_id).join(
                        mention_person, mention_person.c.mention_id == mentions.c.id
                    )
                )
            )
            .order_by(review_items.c.id)
            .limit(1)
        ).one()
        supervisor = load_actor(conn, "sup_n")
        north_id = next(iter(supervisor.team_ids))
        reviewer_id = load_actor(conn, "rev_n").user_id
    assert reviewer_id is not None
    workflow.assign(engine, item, assignee_id=reviewer_id, team_id=north_id, actor=supervisor)
    try:
        yield AnalystWorld(
            f"sqlite:///{tmp_path / 'store.db'}", engine, tokens, int(record), capsys
        )
    finally:
        engine.dispose()
        reset_settings()
