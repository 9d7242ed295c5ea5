"""The access policy: which role and team sees which record, person, group and review item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, insert, select

from case_world import (
    add_groups,
    add_mentions,
    add_persons,
    add_records,
    add_review_items,
    add_source,
)
from casereview.errors import AccessDenied, NotFound
from casereview.model.codes import UserRole
from casereview.model.tables import mentions, records, team_members, teams, users
from casereview.store.access import (
    Actor,
    check_group,
    check_person,
    check_record,
    check_review_item,
    load_actor,
    require_role,
    system_actor,
    visible_records,
)
from casereview.store.db import reading, writing

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _world(conn: Connection) -> None:
    """Teams A (1) and B (2); records 1-4; persons 1-4; groups 1-3; items on r1 (A), r2 (B), g1 (A)."""
    conn.execute(
        insert(teams), [{"id": i, "name": n, "created_at": NOW} for i, n in [(1, "A"), (2, "B")]]
    )
    conn.execute(
        insert(users),
        [
            {"id": i, "username": n, "display_name": n, "role": r, "disabled": d, "created_at": NOW}
            for i, n, r, d in [
                (1, "rev_a", "reviewer", False),
                (2, "sup_a", "supervisor", False),
                (3, "rev_b", "reviewer", False),
                (4, "ana", "analyst", False),
                (5, "aud", "auditor", False),
                (6, "adm", "admin", False),
                (7, "loner", "reviewer", False),
                (8, "gone", "reviewer", True),
            ]
        ],
    )
    conn.execute(
        insert(team_members),
        [
            {"team_id": t, "user_id": u, "added_at": NOW}
            for t, u in [(1, 1), (1, 2), (2, 3), (1, 8)]
        ],
    )
    add_source(conn, NOW, name="crime", file_name="f", file_role="r", rows_read=4, rows_loaded=4)
    add_records(conn, NOW, [{"id": i} for i in (1, 2, 3, 4)])
    add_persons(conn, (1, 2, 3, 4))
    # (mention id, record, person): p1 in r1 and r2, p2 in r2, p3 in r3, p4 in r4.
    placed = [(1, 1, 1), (2, 2, 1), (3, 2, 2), (4, 3, 3), (5, 4, 4)]
    add_mentions(
        conn, [{"id": m, "record_id": r, "person": p, "role": "suspect"} for m, r, p in placed]
    )
    add_groups(conn, {1: [(3, "offender")], 2: [(2, "offender")], 3: [(1, "offender")]})
    add_review_items(
        conn,
        NOW,
        [
            {"id": i, "subject_type": s, "subject_id": sid, "team_id": t}
            for i, s, sid, t in [(1, "record", 1, 1), (2, "record", 2, 2), (3, "group", 1, 1)]
        ],
    )


@pytest.fixture
def world(fresh_store: Engine) -> Iterator[Engine]:
    with writing(fresh_store) as conn:
        _world(conn)
    yield fresh_store


def _actor(engine: Engine, name: str) -> Actor:
    with reading(engine) as conn:
        return load_actor(conn, name, client="10.0.0.1")


def _outcome(check, conn: Connection, actor: Actor, object_id: int) -> str:  # type: ignore[no-untyped-def]
    try:
        check(conn, actor, object_id)
    except AccessDenied:
        return "denied"
    except NotFound:
        return "missing"
    return "ok"


def test_load_actor_reads_role_and_teams(world: Engine) -> None:
    assert _actor(world, "sup_a") == Actor(
        2, "sup_a", UserRole.SUPERVISOR, frozenset({1}), "10.0.0.1"
    )
    assert _actor(world, "loner") == Actor(7, "loner", UserRole.REVIEWER, frozenset(), "10.0.0.1")
    with pytest.raises(NotFound):
        _actor(world, "nobody")
    with pytest.raises(AccessDenied):
        _actor(world, "gone")


def test_require_role() -> None:
    actor = Actor(1, "x", UserRole.REVIEWER, frozenset())
    require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR)
    with pytest.raises(AccessDenied):
        require_role(actor, UserRole.SUPERVISOR)


EXPECTED = {
    # user: (records 1-4 and 99, persons 1-4 and 99, groups 1-3 and 99, items 1-3 and 99)
    "rev_a": (
        "ok denied ok denied missing",
        "ok denied ok denied missing",
        "ok denied ok missing",
        "ok denied ok missing",
    ),
    "sup_a": (
        "ok denied ok denied missing",
        "ok denied ok denied missing",
        "ok denied ok missing",
        "ok denied ok missing",
    ),
    "rev_b": (
        "denied ok denied denied missing",
        "ok ok denied denied missing",
        "denied ok ok missing",
        "denied ok denied missing",
    ),
    "ana": (
        "ok ok ok ok missing",
        "ok ok ok ok missing",
        "ok ok ok missing",
        "denied denied denied denied",
    ),
    "aud": ("denied denied denied denied denied",) * 2 + ("denied denied denied denied",) * 2,
    "adm": ("denied denied denied denied denied",) * 2 + ("denied denied denied denied",) * 2,
    "loner": (
        "denied denied denied denied missing",
        "denied denied denied denied missing",
        "denied denied denied missing",
        "denied denied denied missing",
    ),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_access_matrix(world: Engine, username: str) -> None:
    """Record 2 is team B's and mentions person 1, so team A sees person 1 through record 1 only."""
    actor = _actor(world, username)
    with reading(world) as conn:
        got = (
            " ".join(_outcome(check_record, conn, actor, i) for i in (1, 2, 3, 4, 99)),
            " ".join(_outcome(check_person, conn, actor, i) for i in (1, 2, 3, 4, 99)),
            " ".join(_outcome(check_group, conn, actor, i) for i in (1, 2, 3, 99)),
            " ".join(_outcome(check_review_item, conn, actor, i) for i in (1, 2, 3, 99)),
        )
    assert got == EXPECTED[username]


@pytest.mark.parametrize(
    ("username", "ids"),
    [("rev_a", [1, 3]), ("rev_b", [2]), ("ana", [1, 2, 3, 4]), ("aud", []), ("loner", [])],
)
def test_visible_records_clause(world: Engine, username: str, ids: list[int]) -> None:
    actor = _actor(world, username)
    with reading(world) as conn:
        got = conn.execute(
            select(records.c.id).where(visible_records(actor)).order_by(records.c.id)
        )
        assert list(got.scalars()) == ids
        via_mentions = conn.execute(
            select(mentions.c.id)
            .where(visible_records(actor, mentions.c.record_id))
            .order_by(mentions.c.id)
        )
        assert list(via_mentions.scalars()) == {
            "rev_a": [1, 4],
            "rev_b": [2, 3],
            "ana": [1, 2, 3, 4, 5],
        }.get(username, [])


def test_removal_from_team_takes_effect_on_next_load(world: Engine) -> None:
    with writing(world) as conn:
        conn.execute(team_members.delete().where(team_members.c.user_id == 1))
    actor = _actor(world, "rev_a")
    with reading(world) as conn:
        assert _outcome(check_record, conn, actor, 1) == "denied"


def test_system_actor_reads_like_an_analyst(world: Engine) -> None:
    actor = system_actor("link")
    assert (actor.user_id, actor.is_system, actor.role) == (None, True, UserRole.ANALYST)
    with reading(world) as conn:
        assert _outcome(check_record, conn, actor, 4) == "ok"
