"""A small review world for the web tests: two teams, six users (one per role), three records,
four persons, two groups, review items; and signed-in TestClients."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert

from case_world import (
    add_groups,
    add_mentions,
    add_persons,
    add_records,
    add_review_items,
    add_source,
)
from casereview.model.serial import canonical_json
from casereview.model.tables import (
    classifications,
    indicators,
    locations,
    match_pairs,
    objects,
    record_locations,
    record_objects,
)
from casereview.settings import WebSettings
from casereview.store.db import writing
from casereview.store.users import add_member, create_team, create_user
from casereview.web.app import create_app

with warnings.catch_warnings():
    # Starlette's TestClient warns that it prefers httpx2; httpx is what this project pins.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "lantern-harbour-violet-42"
T0 = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
USERS = {
    "rev_n": ("reviewer", "North"),
    "sup_n": ("supervisor", "North"),
    "sup_n2": ("supervisor", "North"),
    "rev_s": ("reviewer", "South"),
    "ana": ("analyst", None),
    "aud": ("auditor", None),
    "adm": ("admin", None),
}


@dataclass
class FrozenClock:
    """A clock the tests move by hand."""

    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    engine: Engine
    clock: FrozenClock
    user_ids: dict[str, int] = field(default_factory=dict)


def build_world(conn: Connection) -> dict[str, int]:
    """Teams North and South; r1 (North item), r2 (South item), r3 (seen by North via group 1)."""
    ids: dict[str, int] = {}
    create_team(conn, "North")
    create_team(conn, "South")
    for name, (role, team) in USERS.items():
        ids[name] = create_user(conn, name, name.replace("_", " ").title(), role, PASSWORD)
        if team:
            add_member(conn, team, name)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    add_source(conn, now, rows_read=3, rows_loaded=3)
    narratives = [
        (
            1,
            "CR/1001/14",
            dt.date(2014, 3, 2),
            "Victim seen getting into a silver car outside the takeaway.",
        ),
        (2, "CR/2002/15", dt.date(2015, 7, 9), "South team record narrative."),
        (3, "CR/3003/16", dt.date(2016, 1, 20), "Group-linked record narrative."),
    ]
    add_records(
        conn,
        now,
        [
            {
                "id": rid,
                "source_ref": ref,
                "occurred_at": day,
                "borough": "Northtown",
                "cse_flag": False,
                "source_flags": "{}",
                "factors": '["missing"]',
                "offence": "Sexual activity with a child",
                "outcome": "16",
                "narrative": narrative,
            }
            for rid, ref, day, narrative in narratives
        ],
    )
    names = {1: "Adam SMITH", 2: "Bella JONES", 3: "Carl BROWN", 4: "Dana WHITE"}
    add_persons(conn, names, display_name=names.get, first_run_id=1, last_run_id=1)
    placed = [
        (1, 1, 1, "suspect", "Adam", "SMITH"),
        (2, 2, 1, "suspect", "Adam", "SMYTH"),
        (3, 2, 2, "victim", "Bella", "JONES"),
        (4, 3, 3, "suspect", "Carl", "BROWN"),
        (5, 1, 4, "victim", "Dana", "WHITE"),
    ]
    add_mentions(
        conn,
        [
            {
                "id": mid,
                "record_id": rid,
                "person": pid,
                "role": role,
                "forenames": fore,
                "surname": sur,
                "name_raw": f"{fore} {sur}",
                "dob": dt.date(1980 + mid, 1, 1),
                "postcode": "NT1 1AA",
            }
            for mid, rid, pid, role, fore, sur in placed
        ],
        match_probability=0.97,
        match_weight=9.1,
    )
    comparison = [
        {
            "comparison": "surname",
            "level": "jaro_winkler>0.9",
            "match_weight": 4.2,
            "value_l": "SMITH",
            "value_r": "SMYTH",
        },
        {
            "comparison": "dob",
            "level": "exact",
            "match_weight": 6.5,
            "value_l": "1981-01-01",
            "value_r": "1981-01-01",
        },
        {
            "comparison": "postcode",
            "level": "different",
            "match_weight": -1.6,
            "value_l": "NT1 1AA",
            "value_r": "NT9 9ZZ",
        },
    ]
    conn.execute(
        insert(match_pairs).values(
            mention_a_id=1,
            mention_b_id=2,
            match_weight=9.1,
            match_probability=0.97,
            comparison=canonical_json(comparison),
            run_id=1,
        )
    )
    conn.execute(insert(objects).values(id=1, kind="vehicle", value="AB12CDE"))
    conn.execute(
        insert(record_objects).values(record_id=1, object_id=1, mention_id=1, relation="used_by")
    )
    conn.execute(
        insert(record_objects).values(record_id=3, object_id=1, mention_id=4, relation="used_by")
    )
    conn.execute(
        insert(locations).values(
            id=1,
            location_key="NT1 1AA|1 high st",
            location_type="takeaway",
            address="1 High Street",
            postcode="NT1 1AA",
            borough="Northtown",
        )
    )
    conn.execute(
        insert(record_locations).values(record_id=1, location_id=1, relation="incident_location")
    )
    conn.execute(
        insert(classifications).values(
            record_id=1,
            label="group_based",
            strength=0.8,
            rule_ids='["G1"]',
            evidence='{"offenders": 2}',
            rules_version="1",
            run_id=1,
        )
    )
    conn.execute(
        insert(indicators).values(
            code="closed_despite_group_link",
            subject_type="record",
            subject_id=1,
            record_id=1,
            evidence='{"group_id": 1}',
            run_id=1,
        )
    )
    add_groups(
        conn,
        {1: [(3, "offender"), (4, "victim")], 2: [(2, "victim")]},
        member_columns={"degree": 0.5, "betweenness": 0.1, "eigenvector": 0.3},
        record_count=2,
        first_seen=dt.date(2014, 3, 2),
        last_seen=dt.date(2016, 1, 20),
        boroughs='["Northtown"]',
        stable=True,
        stability=0.9,
        active=True,
    )
    items = [
        (1, "record", 1, 1, "assigned", ids["rev_n"]),
        (2, "record", 2, 2, "new", None),
        (3, "group", 1, 1, "new", None),
    ]
    add_review_items(
        conn,
        now,
        [
            {
                "id": iid,
                "subject_type": stype,
                "subject_id": sid,
                "team_id": team,
                "status": status,
                "assigned_to": who,
                "priority": 10.0 - iid,
                "score_breakdown": '{"closed_despite_group_link": 5.0}',
            }
            for iid, stype, sid, team, status, who in items
        ],
    )
    return ids


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with test-sized cost, so that the many sign-ins stay fast."""
    from argon2 import PasswordHasher

    from casereview.store import users

    monkeypatch.setattr(
        users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def make_world() -> Callable[[Engine], World]:
    def make(engine: Engine) -> World:
        with writing(engine) as conn:
            ids = build_world(conn)
        return World(engine, FrozenClock(), ids)

    return make


@pytest.fixture
def world(sqlite_store: Engine, make_world: Callable[[Engine], World]) -> World:
    return make_world(sqlite_store)


def sign_in_response(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Fill in the sign-in form as a browser does (its CSRF token included) and send it."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/login", data=data, follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the new session."""
    response = sign_in_response(client, username, password)
    assert response.status_code == 303, response.text
    return str(client.get("/api/me").json()["csrf_token"])


@pytest.fixture
def client_for(world: World) -> Iterator[Callable[..., TestClient]]:
    """Signed-in TestClients on the world, sharing its frozen clock."""
    app = create_app(world.engine, settings=WebSettings(), clock=world.clock)
    opened: list[TestClient] = []

    def make(username: str | None = None, **kwargs: object) -> TestClient:
        client = TestClient(app, **kwargs)  # type: ignore[arg-type]
        client.__enter__()
        opened.append(client)
        if username:
            client.headers["X-CSRF-Token"] = sign_in(client, username)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
