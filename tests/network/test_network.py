"""Offender groups on a planted world: two groups, a mega-place, stable ids, stability.

The world is written as met_crime exports and run through the real ingest, link and classify
(tests/export_world.py): persons, mention_person and match pairs are what link wrote."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, update

from casereview.classify import run_classify
from casereview.errors import StageError
from casereview.link.stage import run_link
from casereview.model.tables import group_members, groups, mentions, records
from casereview.network import run_network
from casereview.settings import Settings, get_settings
from casereview.store.db import reading, writing
from export_world import crime, ingest_exports, nominal, persons_by_name, write_exports

CSE = "Driven to a hotel by older males; sexual activity disclosed."
DAY = dt.date(2020, 3, 1)
STATION = {"location_type": "TRANSPORT", "location_name": "Hackney Central Station",
           "location_address": "Amhurst Road", "location_postcode": "E8 1LL"}  # fmt: skip
HOTEL = {"location_type": "HOTEL", "location_name": "Larchmont Hotel",
         "location_address": "200 Mare Street", "location_postcode": "E8 3RH"}  # fmt: skip
# The planted people by the numbers the assertions use: children 1-9, suspects 101 and up.
PEOPLE = {
    1: ("Clementine", "Abernathy", "01/02/2006"), 2: ("Henrietta", "Bramblecote", "02/03/2006"),
    3: ("Philippa", "Wainscott", "15/02/2006"), 4: ("Araminta", "Coldharbour", "21/07/2006"),
    5: ("Marigold", "Tumblethorn", "12/08/2006"), 8: ("Rosalind", "Ashcombe", "09/01/2006"),
    9: ("Wilhelmina", "Sparrowgate", "30/06/2006"),
    101: ("Ignatius", "Falconbridge", "05/05/1990"), 102: ("Peregrine", "Thistlewood", "06/06/1991"),
    103: ("Octavius", "Merriweather", "07/07/1989"), 201: ("Barnaby", "Crumhorn", "17/08/1984"),
    202: ("Thaddeus", "Grimwold", "02/12/1988"), 301: ("Lucius", "Brackenbury", "14/03/1979"),
    501: ("Cornelius", "Wetherstone", "23/10/1986"), 502: ("Fitzgerald", "Oakenshaw", "19/11/1985"),
    503: ("Ambrose", "Kettleworth", "03/03/1980"),
}  # fmt: skip
# 501 as C2 writes him: surname misspelt, no date of birth. The real link merges him with C1's
# 501 below the strict threshold (12), and the two names differ, so no same-name tie rejoins
# the halves when stability undoes that merge.
WEAK_501 = ("Cornelius", "Wetherston", "")


def settings() -> Settings:
    base = get_settings()
    return base.model_copy(update={"network": base.network.model_copy(
        update={"max_place_degree": 4})})


def planted(engine: Engine, data: Path) -> dict[int, int]:
    """The world through ingest and link; the person id link gave each planted number."""
    crimes, nominals = [], []

    def add(ref: str, victim: int, *suspects: int, days: int = 0,
            place: dict[str, str] = STATION, **column: str) -> None:  # fmt: skip
        day = (DAY + dt.timedelta(days=days)).strftime("%d/%m/%Y")
        crimes.append(crime(ref, day, flag="Y", offence="Sexual activity with a child",
                            narrative=CSE, **place, **column))  # fmt: skip
        nominals.append(nominal(f"{ref}-V", ref, "V", PEOPLE[victim]))
        nominals.extend(nominal(f"{ref}-S{s}", ref, "S", PEOPLE[s]) for s in suspects)

    add("A1", 1, 101, 102)
    add("A2", 2, 102, 103, days=10, linked_refs="A1")
    add("A3", 1, 103, days=20, place=HOTEL)
    add("B1", 3, 201, 202, days=5)
    add("B2", 4, 202, days=40)
    add("L1", 5, 301, days=50)  # a lone offender at the same station: not a group
    add("C1", 8, 501, 502, place={})
    add("C2", 9, 503, place={})
    nominals.append(nominal("C2-S501", "C2", "S", WEAK_501))
    write_exports(data, crimes=crimes, nominals=nominals)
    ingest_exports(engine, data)
    run_link(engine)
    by_name = persons_by_name(engine)
    assert by_name["Cornelius Wetherston"] == by_name["Cornelius Wetherstone"]
    return {n: by_name[f"{p[0]} {p[1]}"] for n, p in PEOPLE.items()}


def _groups(engine: Engine) -> list[tuple]:
    with reading(engine) as conn:
        rows = conn.execute(select(groups.c.id, groups.c.size, groups.c.victim_count,
                                   groups.c.record_count, groups.c.first_seen,
                                   groups.c.last_seen, groups.c.boroughs, groups.c.stable,
                                   groups.c.stability, groups.c.source_linked,
                                   groups.c.active).order_by(groups.c.id)).all()
    return [tuple(r) for r in rows]


def _members(engine: Engine) -> list[tuple]:
    with reading(engine) as conn:
        return [tuple(r) for r in conn.execute(select(
            group_members.c.group_id, group_members.c.person_id, group_members.c.role)
            .order_by(group_members.c.group_id, group_members.c.role,
                      group_members.c.person_id)).all()]


def test_planted_groups_are_found_and_the_mega_place_glues_nothing(fresh_store: Engine, tmp_path: Path) -> None:  # fmt: skip
    p = planted(fresh_store, tmp_path / "data")
    run_classify(fresh_store)
    result = run_network(fresh_store, settings=settings())
    assert (result.groups, result.retired, result.stable) == (3, 0, 3)
    d = DAY
    assert _groups(fresh_store) == [
        (1, 3, 2, 3, d, d + dt.timedelta(days=20), '["Hackney"]', True, 1.0, 0.333333, True),
        (2, 2, 2, 2, d + dt.timedelta(days=5), d + dt.timedelta(days=40), '["Hackney"]', True,
         1.0, 0.0, True),
        (3, 3, 2, 2, d, d, '["Hackney"]', True, 0.666667, 0.0, True),
    ]
    members = {
        1: {"offender": [101, 102, 103], "victim": [1, 2]},
        2: {"offender": [201, 202], "victim": [3, 4]},
        3: {"offender": [501, 502, 503], "victim": [8, 9]},
    }
    assert _members(fresh_store) == [
        (g, p[n], role)
        for g, roles in members.items()
        for role in ("offender", "victim")
        for n in sorted(roles[role], key=lambda n: p[n])
    ]
    with reading(fresh_store) as conn:
        measures = conn.execute(select(group_members.c.person_id, group_members.c.degree,
                                       group_members.c.betweenness, group_members.c.eigenvector)
                                .where(group_members.c.group_id == 3)).all()
    # 501 bridges the two halves of group 3: highest on all three, each kept separately.
    name = {pid: n for n, pid in p.items()}
    assert sorted((name[m[0]], *m[1:]) for m in measures) == [
        (8, 0.5, 0.0, 0.640388),
        (9, 0.5, 0.0, 0.640388),
        (501, 1.0, 0.666667, 1.0),
        (502, 0.5, 0.0, 0.640388),
        (503, 0.5, 0.0, 0.640388),
    ]


def test_group_ids_are_stable_and_retired_groups_kept(fresh_store: Engine, tmp_path: Path) -> None:  # fmt: skip
    p = planted(fresh_store, tmp_path / "data")
    run_classify(fresh_store)
    run_network(fresh_store, settings=settings())
    first = _groups(fresh_store)
    run_network(fresh_store, settings=settings())
    assert _groups(fresh_store) == first
    with writing(fresh_store) as conn:  # group 2's records disappear
        conn.execute(delete(records).where(records.c.source_ref.in_(["B1", "B2"])))
    run_classify(fresh_store)
    result = run_network(fresh_store, settings=settings())
    assert (result.groups, result.retired) == (2, 1)
    assert [(g[0], g[-1]) for g in _groups(fresh_store)] == [(1, True), (2, False), (3, True)]
    assert (2, p[201], "offender") in _members(fresh_store)


def test_protected_characteristics_do_not_change_groups(fresh_store: Engine, tmp_path: Path) -> None:  # fmt: skip
    planted(fresh_store, tmp_path / "data")
    run_classify(fresh_store)
    run_network(fresh_store, settings=settings())
    before = (_groups(fresh_store), _members(fresh_store))
    with writing(fresh_store) as conn:
        conn.execute(update(mentions).values(ethnicity="B1", ethnicity_raw="x", nationality="y"))
    run_classify(fresh_store)
    run_network(fresh_store, settings=settings())
    assert (_groups(fresh_store), _members(fresh_store)) == before


def test_network_needs_classify(fresh_store: Engine, tmp_path: Path) -> None:
    planted(fresh_store, tmp_path / "data")
    with pytest.raises(StageError, match="run `casereview classify`"):
        run_network(fresh_store)
