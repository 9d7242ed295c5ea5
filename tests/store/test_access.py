"""The access policy: which role and team sees which record, person, group and review item.

The world is written as met_crime exports and run through the real ingest and every stage
(tests/export_world.py): persons, groups and review items are what the stages made. Teams,
users and who holds which item are inputs, made through `casereview.store.users` and
`casereview.review.workflow.assign`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, select

from casereview.errors import AccessDenied, NotFound
from casereview.model.codes import UserRole
from casereview.model.tables import group_members, mentions, records, review_items, team_members
from casereview.review import workflow
from casereview.store import users as accounts
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
from casereview.store.db import make_engine, reading, writing
from casereview.store.views import team_id_by_name, user_id_by_name
from export_world import build_store, crime, nominal, persons_by_name, record_ids, write_exports

CSE = "Driven to a hotel by older males; sexual activity disclosed."
# Children (victims) and adults (suspects, and two of them witnesses elsewhere).
PEOPLE = {
    "VA": ("Ottoline", "Fenwright", "11/09/2006"), "VB": ("Perpetua", "Hollowmere", "21/02/2007"),
    "VX": ("Clementine", "Abernathy", "01/02/2006"), "VY": ("Henrietta", "Bramblecote", "02/03/2006"),
    "VZ": ("Philippa", "Wainscott", "15/02/2006"),
    "X1": ("Ignatius", "Falconbridge", "05/05/1990"), "X2": ("Peregrine", "Thistlewood", "06/06/1991"),
    "Y1": ("Barnaby", "Crumhorn", "17/08/1984"), "Y2": ("Thaddeus", "Grimwold", "02/12/1988"),
    "Z1": ("Lucius", "Brackenbury", "14/03/1979"), "Z2": ("Cornelius", "Wetherstone", "23/10/1986"),
}  # fmt: skip
PASSWORD = "lantern-harbour-violet-42"
# username -> (role, team): teams A and B as the matrix reads them; team C holds every other item.
STAFF = {
    "rev_a": ("reviewer", "A"), "sup_a": ("supervisor", "A"), "rev_b": ("reviewer", "B"),
    "sup_b": ("supervisor", "B"), "rev_c": ("reviewer", "C"), "sup_c": ("supervisor", "C"),
    "ana": ("analyst", None), "aud": ("auditor", None), "adm": ("admin", None),
    "loner": ("reviewer", None), "gone": ("reviewer", "A"),
}  # fmt: skip


def _exports(data: Path) -> None:
    """Three groups, each two men suspects together in a crime of a child (GX, GY, GZ); and two
    crimes of children that read as CSE (so the review stage queues them) in which men of the
    groups were witnesses: Z1 in R1 and R2, Y1 in R2."""
    crimes, nominals = [], []

    def add(ref: str, day: str, flag: str, **roles: str) -> None:
        crimes.append(crime(ref, day, flag=flag, offence="Sexual activity with a child",
                            narrative=CSE))  # fmt: skip
        nominals.extend(
            nominal(f"{ref}-{who}", ref, role, PEOPLE[who]) for who, role in roles.items()
        )

    add("GX", "01/03/2020", "Y", VX="V", X1="S", X2="S")
    add("GY", "02/04/2020", "Y", VY="V", Y1="S", Y2="S")
    add("GZ", "03/05/2020", "Y", VZ="V", Z1="S", Z2="S")
    add("R1", "04/06/2021", "N", VA="V", Z1="W")
    add("R2", "05/07/2021", "N", VB="V", Z1="W", Y1="W")
    write_exports(data, crimes=crimes, nominals=nominals)


@dataclass(frozen=True)
class World:
    """The store, and the ids the stages gave: records by reference, persons by planted
    name, groups by the planted man in them, review items by subject ("R1", "G1")."""

    engine: Engine
    record: dict[str, int]
    person: dict[str, int]
    group: dict[str, int]
    item: dict[str, int]
    user: dict[str, int]
    team: dict[str, int]


def _staff(engine: Engine) -> None:
    """Teams, users, and the supervisors' allocation: team A holds R1 and G1 (the group of
    X1), team B holds R2, team C every other item; `gone` of team A is disabled."""
    with writing(engine) as conn:
        for team in ("A", "B", "C"):
            accounts.create_team(conn, team)
        for name, (role, team) in STAFF.items():
            accounts.create_user(conn, name, name, role, PASSWORD)
            if team:
                accounts.add_member(conn, team, name)
        accounts.disable_user(conn, "gone")


def _build(engine: Engine, data: Path) -> World:
    _exports(data)
    build_store(engine, data)
    real_hasher = accounts._hasher
    # Argon2id still, at test cost.
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        _staff(engine)
    finally:
        accounts._hasher = real_hasher
    rec, person = record_ids(engine), persons_by_name(engine)
    pid = {who: person[f"{p[0]} {p[1]}"] for who, p in PEOPLE.items()}
    with reading(engine) as conn:
        members = conn.execute(select(group_members.c.group_id, group_members.c.person_id)).all()
        items = conn.execute(
            select(review_items.c.id, review_items.c.subject_type, review_items.c.subject_id)
        ).all()
        user = {n: user_id_by_name(conn, n) for n in STAFF}
        team = {n: team_id_by_name(conn, n) for n in ("A", "B", "C")}
        sups = {n: load_actor(conn, f"sup_{n.lower()}") for n in ("A", "B", "C")}
    group = {who: gid for gid, p in members for who in ("X1", "Y1", "Z1") if p == pid[who]}
    assert len(set(group.values())) == 3  # the network made three groups, one per crime
    by_subject = {(str(s), int(sid)): int(i) for i, s, sid in items}
    item = {"R1": by_subject[("record", rec["R1"])], "R2": by_subject[("record", rec["R2"])],
            "G1": by_subject[("group", group["X1"])]}  # fmt: skip
    holder = {item["R1"]: "A", item["G1"]: "A", item["R2"]: "B"}
    for item_id in by_subject.values():
        team_name = holder.get(item_id, "C")
        workflow.assign(engine, item_id, assignee_id=user[f"rev_{team_name.lower()}"],
                        team_id=team[team_name], actor=sups[team_name])  # fmt: skip
    return World(engine, rec, pid, group, item, user, team)


@pytest.fixture(scope="module")
def world(module_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    engine = make_engine(module_store_url)
    yield _build(engine, tmp_path_factory.mktemp("access") / "data")
    engine.dispose()


def _actor(world: World, name: str) -> Actor:
    with reading(world.engine) as conn:
        return load_actor(conn, name, client="10.0.0.1")


def _outcome(check, conn: Connection, actor: Actor, object_id: int) -> str:  # type: ignore[no-untyped-def]
    try:
        check(conn, actor, object_id)
    except AccessDenied:
        return "denied"
    except NotFound:
        return "missing"
    return "ok"


def test_the_stages_made_the_planted_world(world: World) -> None:
    """Each group is its crime's two men and child; the witnesses joined no group; every item
    the review stage made went to a team."""
    p = world.person
    with reading(world.engine) as conn:
        members = conn.execute(select(group_members.c.group_id, group_members.c.person_id)).all()
        unallocated = conn.execute(
            select(review_items.c.id).where(review_items.c.team_id.is_(None))
        ).all()
    got = {(gid, pid) for gid, pid in members}
    assert got == {
        (world.group[man[0] + "1"], p[who])
        for man in ("X", "Y", "Z")
        for who in (f"{man}1", f"{man}2", f"V{man}")
    }
    assert unallocated == []


def test_load_actor_reads_role_and_teams(world: World) -> None:
    assert _actor(world, "sup_a") == Actor(
        world.user["sup_a"], "sup_a", UserRole.SUPERVISOR, frozenset({world.team["A"]}), "10.0.0.1"
    )
    assert _actor(world, "loner") == Actor(
        world.user["loner"], "loner", UserRole.REVIEWER, frozenset(), "10.0.0.1"
    )
    with pytest.raises(NotFound):
        _actor(world, "nobody")
    with pytest.raises(AccessDenied):
        _actor(world, "gone")


def test_require_role() -> None:
    actor = Actor(1, "x", UserRole.REVIEWER, frozenset())
    require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR)
    with pytest.raises(AccessDenied):
        require_role(actor, UserRole.SUPERVISOR)


# What each user may open, by planted name; MISSING is an id nothing has.
RECORDS = ["R1", "R2", "GX", "GY"]
PERSONS = ["Z1", "Y1", "X1", "VY"]
GROUPS = ["X1", "Y1", "Z1"]  # the groups of GX, GY and GZ, by their first man
ITEMS = ["R1", "R2", "G1"]
MISSING = 10**6
TEAM_A = (
    "ok denied ok denied missing",
    "ok denied ok denied missing",
    "ok denied ok missing",
    "ok denied ok missing",
)
TEAM_B = (
    "denied ok denied denied missing",
    "ok ok denied denied missing",
    "denied ok ok missing",
    "denied ok denied missing",
)
EXPECTED = {
    # user: (records R1 R2 GX GY and a missing one, persons Z1 Y1 X1 VY, groups of X1 Y1 Z1,
    # items of R1 R2 and the group of X1)
    "rev_a": TEAM_A,
    "sup_a": TEAM_A,
    "rev_b": TEAM_B,
    "sup_b": TEAM_B,
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
def test_access_matrix(world: World, username: str) -> None:
    """Team A holds R1 and the group of X1 (so GX too); team B holds R2. Z1 is a witness in R1
    and R2, so both teams see him and his group, through their own record; Y1 is a witness in
    R2 only, so team A sees neither him nor his group."""
    actor = _actor(world, username)
    w = world
    with reading(w.engine) as conn:
        got = (
            " ".join(_outcome(check_record, conn, actor, i)
                     for i in [*(w.record[r] for r in RECORDS), MISSING]),
            " ".join(_outcome(check_person, conn, actor, i)
                     for i in [*(w.person[p] for p in PERSONS), MISSING]),
            " ".join(_outcome(check_group, conn, actor, i)
                     for i in [*(w.group[g] for g in GROUPS), MISSING]),
            " ".join(_outcome(check_review_item, conn, actor, i)
                     for i in [*(w.item[s] for s in ITEMS), MISSING]),
        )  # fmt: skip
    assert got == EXPECTED[username]


@pytest.mark.parametrize(
    ("username", "refs"),
    [("rev_a", ["R1", "GX"]), ("rev_b", ["R2"]), ("ana", ["GX", "GY", "GZ", "R1", "R2"]),
     ("aud", []), ("loner", [])],
)  # fmt: skip
def test_visible_records_clause(world: World, username: str, refs: list[str]) -> None:
    actor = _actor(world, username)
    ids = sorted(world.record[r] for r in refs)
    with reading(world.engine) as conn:
        got = conn.execute(
            select(records.c.id).where(visible_records(actor)).order_by(records.c.id)
        )
        assert list(got.scalars()) == ids
        via_mentions = conn.execute(
            select(mentions.c.id)
            .where(visible_records(actor, mentions.c.record_id))
            .order_by(mentions.c.id)
        )
        in_records = conn.execute(
            select(mentions.c.id).where(mentions.c.record_id.in_(ids)).order_by(mentions.c.id)
        )
        assert list(via_mentions.scalars()) == list(in_records.scalars())


def test_removal_from_team_takes_effect_on_next_load(world: World) -> None:
    with writing(world.engine) as conn:
        conn.execute(team_members.delete().where(team_members.c.user_id == world.user["rev_a"]))
    try:
        actor = _actor(world, "rev_a")
        with reading(world.engine) as conn:
            assert _outcome(check_record, conn, actor, world.record["R1"]) == "denied"
    finally:  # the module's other tests share the world
        with writing(world.engine) as conn:
            accounts.add_member(conn, "A", "rev_a")


def test_system_actor_reads_like_an_analyst(world: World) -> None:
    actor = system_actor("link")
    assert (actor.user_id, actor.is_system, actor.role) == (None, True, UserRole.ANALYST)
    with reading(world.engine) as conn:
        assert _outcome(check_record, conn, actor, world.record["GY"]) == "ok"
