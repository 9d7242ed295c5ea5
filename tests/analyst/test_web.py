"""The analyst's pages on a pipeline-built store: chronology page and its PDF for the panel,
chart page (server-drawn SVG and tables, the same on two loads), the possible-matches queue
and a judgement by the form; JSON twins agree with the pages; refusals answered 403."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from casereview.model.tables import audit_log, groups, match_judgements, mention_person, mentions
from casereview.settings import WebSettings
from casereview.store.db import reading
from casereview.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from conftest import PASSWORD  # type: ignore[import-not-found]


@pytest.fixture
def client(world) -> Iterator:  # type: ignore[no-untyped-def]
    app = create_app(world.engine, settings=WebSettings())
    opened: list[TestClient] = []

    def make(username: str) -> TestClient:
        c = TestClient(app)
        c.__enter__()
        opened.append(c)
        # The sign-in form carries its own CSRF token (issue 22): filled in as a browser does.
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token is not None
        response = c.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _busiest_person(world) -> int:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        return int(
            conn.execute(
                select(mention_person.c.person_id)
                .join(mentions, mentions.c.id == mention_person.c.mention_id)
                .group_by(mention_person.c.person_id)
                .order_by(mentions.c.id.is_(None), mention_person.c.person_id)
                .limit(1)
            ).scalar_one()
        )


def test_chronology_page_api_and_pdf(world, client) -> None:  # type: ignore[no-untyped-def]
    ana = client("ana")
    person = _busiest_person(world)
    data = ana.get(f"/api/persons/{person}/chronology").json()
    html = ana.get(f"/persons/{person}/chronology").text
    positions = [html.find(f">{e['reference']}</a>") for e in data["entries"]]
    assert data["entries"] and -1 not in positions and positions == sorted(positions)
    pdf = ana.post(
        f"/persons/{person}/chronology/export",
        data={"format": "pdf", "purpose": "review panel meeting", "recipient": "panel chair",
              "csrf_token": ana.headers["X-CSRF-Token"]},
    )  # fmt: skip
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with reading(world.engine) as conn:
        entry = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert (entry.action, entry.purpose, entry.recipient) == (
        "disclose",
        "review panel meeting",
        "panel chair",
    )


def test_chart_page_is_the_same_on_two_loads_and_needs_no_script(world, client) -> None:  # type: ignore[no-untyped-def]
    ana = client("ana")
    with reading(world.engine) as conn:
        gid = int(conn.execute(select(groups.c.id)).scalars().first())
    first, second = ana.get(f"/charts/group/{gid}"), ana.get(f"/charts/group/{gid}")
    assert first.status_code == 200 and first.text == second.text
    api = ana.get(f"/api/charts/group/{gid}").json()
    page = first.text
    assert "<svg" in page and "graph.js" not in page
    for n in api["nodes"]:
        assert f'href="/charts/group/{gid}?expand={n["id"]}"' in page
        assert f'cx="{n["x"]}"' in page or f'x="{n["x"]}"' in page or f"{n['x']},{n['y']}" in page
    assert client("rev_s").get(f"/charts/group/{gid}").status_code == 403


def test_matches_queue_and_judgement_by_form(world, client) -> None:  # type: ignore[no-untyped-def]
    ana = client("ana")
    listing = ana.get("/api/matches").json()
    assert listing["pairs"] and ana.get("/api/matches/counts").json() == listing["counts"]
    pair = listing["pairs"][0]
    a, b = pair["mention_a"], pair["mention_b"]
    assert f"/matches/{a}/{b}" in ana.get("/matches").text
    assert ana.get(f"/matches/{a}/{b}").status_code == 200
    blank = ana.post(f"/api/matches/{a}/{b}/judgement", json={"judgement": "same", "reason": ""})
    assert blank.status_code == 422
    done = ana.post(
        f"/matches/{a}/{b}/judgement",
        data={"judgement": "not_same", "reason": "different dates of birth",
              "csrf_token": ana.headers["X-CSRF-Token"]},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    with reading(world.engine) as conn:
        rows = conn.execute(
            select(
                match_judgements.c.mention_a_id,
                match_judgements.c.mention_b_id,
                match_judgements.c.judgement,
                match_judgements.c.reason,
            )
        ).all()
    assert [tuple(r) for r in rows] == [(a, b, "not_same", "different dates of birth")]
    refused = client("rev_s").post(
        f"/api/matches/{a}/{b}/judgement", json={"judgement": "same", "reason": "x"}
    )
    assert refused.status_code == 403
