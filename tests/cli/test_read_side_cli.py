"""The command line on the pipeline-built store the web tests use: it lists what the web
app's read side lists (supervisors see the items no team holds yet, in both), and its
workflow commands act on that store as the signed-in user."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.review.queue import QueueFilters, queue_page
from casereview.review.views import item_for_subject
from casereview.store.access import load_actor
from casereview.store.cli_tokens import TOKEN_ENV, issue_token
from casereview.store.db import reading, writing
from casereview.store.views import user_id_by_name
from pipeline_world import copy_store


def _run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--database", url, *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("username", ["sup_n", "rev_n", "sup_s"])
def test_the_cli_queue_lists_what_the_web_queue_lists(
    review_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], username: str
) -> None:
    engine = copy_store(review_store, tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    try:
        code, out = _run(capsys, url, "queue", "--as", username, "--limit", "40", "--json")
        with reading(engine) as conn:
            web = queue_page(conn, load_actor(conn, username), QueueFilters(), 1, 40)
    finally:
        engine.dispose()
    listed = json.loads(out)
    assert code == 0
    assert [e["item_id"] for e in listed] == [i.id for i in web.items]
    no_team = [e["item_id"] for e in listed if e["team"] is None]
    assert bool(no_team) == username.startswith("sup")


def test_decide_on_the_pipeline_store_as_the_signed_in_reviewer(
    review_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = copy_store(review_store, tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    try:
        with writing(engine) as conn:
            token = issue_token(conn, user_id_by_name(conn, "rev_n")).token
        with reading(engine) as conn:
            rev = load_actor(conn, "rev_n")
            item = next(
                i
                for i in queue_page(conn, rev, QueueFilters(scope="mine")).items
                if i.status == "assigned"
            )
        os.environ[TOKEN_ENV] = token
        try:
            code, out = _run(
                capsys,
                url,
                "decide",
                str(item.id),
                "--outcome",
                "safeguarding_referral",
                "--rationale",
                "Refer: the child is still at risk.",
                "--json",
            )
        finally:
            os.environ.pop(TOKEN_ENV, None)
        with reading(engine) as conn:
            view = item_for_subject(conn, rev, item.subject_type, item.subject_id)
    finally:
        engine.dispose()
    assert code == 0 and json.loads(out)["to"] == "awaiting_sign_off"
    assert view is not None and view.last_decision is not None
    assert (view.status, view.last_decision.outcome, view.last_decision.rationale) == (
        "awaiting_sign_off",
        "safeguarding_referral",
        "Refer: the child is still at risk.",
    )


def test_search_and_person_read_what_the_web_reads(
    review_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import asdict

    from casereview.link.search import PersonQuery, search_persons
    from casereview.link.views import person_view

    engine = copy_store(review_store, tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    try:
        with reading(engine) as conn:
            rev = load_actor(conn, "rev_n")
            item = queue_page(conn, rev, QueueFilters(scope="mine")).items[0]
            group_item = item_for_subject(conn, rev, item.subject_type, item.subject_id)
            assert group_item is not None
            found = search_persons(conn, rev, PersonQuery("Khan"), 1)
            person = person_view(conn, rev, found.items[0].person_id) if found.items else None
        code, out = _run(capsys, url, "search", "Khan", "--as", "rev_n", "--json")
        assert code == 0
        listed = json.loads(out)
        assert [h["person_id"] for h in listed["items"]] == [h.person_id for h in found.items]
        if person is not None:
            code, out = _run(capsys, url, "person", str(person.id), "--as", "rev_n", "--json")
            assert code == 0
            assert json.loads(out) == json.loads(json.dumps(asdict(person), default=str))
        code, _ = _run(capsys, url, "person", str(person.id if person else 1), "--as", "aud")
        assert code != 0
    finally:
        engine.dispose()
