"""Offender groups on a planted world: two groups, a mega-place, stable ids, stability."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, delete, select, update
from worlds import DAY, World

from casereview.classify import run_classify
from casereview.errors import StageError
from casereview.model.tables import group_members, groups, mentions, records
from casereview.network import run_network
from casereview.settings import Settings, get_settings
from casereview.store.db import reading, writing

CSE = "Driven to a hotel by older males; sexual activity disclosed."


def settings() -> Settings:
    base = get_settings()
    return base.model_copy(
        update={"network": base.network.model_copy(update={"max_place_degree": 4})}
    )


def planted() -> World:
    w = World()
    station = ("station", "transport")

    def crime(
        ref: str, victim: int, *suspects: int, days: int = 0, place: tuple[str, str] = station
    ) -> int:
        rid = w.record(ref, narrative=CSE, on=DAY + dt.timedelta(days=days), place=place)
        w.mention(rid, "victim", victim, age=14)
        for s in suspects:
            w.mention(rid, "suspect", s, age=30)
        return rid

    r1 = crime("A1", 1, 101, 102)
    r2 = crime("A2", 2, 102, 103, days=10)
    crime("A3", 1, 103, days=20, place=("hotel", "hotel"))
    w.link(r2, r1)
    crime("B1", 3, 201, 202, days=5)
    crime("B2", 4, 202, days=40)
    crime("L1", 5, 301, days=50)  # a lone offender at the same station: not a group
    m8 = w.record("C1", narrative=CSE, on=DAY)
    w.mention(m8, "victim", 8, age=14)
    a = w.mention(m8, "suspect", 501, age=30)
    w.mention(m8, "suspect", 502, age=30)
    m9 = w.record("C2", narrative=CSE, on=DAY)
    w.mention(m9, "victim", 9, age=14)
    b = w.mention(m9, "suspect", 501, age=30)
    w.mention(m9, "suspect", 503, age=30)
    w.pair(a, b, 7.0)  # merged below the strict threshold (12)
    return w


def _groups(engine: Engine) -> list[tuple]:
    with reading(engine) as conn:
        rows = conn.execute(
            select(
                groups.c.id,
                groups.c.size,
                groups.c.victim_count,
                groups.c.record_count,
                groups.c.first_seen,
                groups.c.last_seen,
                groups.c.boroughs,
                groups.c.stable,
                groups.c.stability,
                groups.c.source_linked,
                groups.c.active,
            ).order_by(groups.c.id)
        ).all()
    return [tuple(r) for r in rows]


def _members(engine: Engine) -> list[tuple]:
    with reading(engine) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    group_members.c.group_id, group_members.c.person_id, group_members.c.role
                ).order_by(
                    group_members.c.group_id, group_members.c.role, group_members.c.person_id
                )
            ).all()
        ]


def test_planted_groups_are_found_and_the_mega_place_glues_nothing(fresh_store: Engine) -> None:
    planted().save(fresh_store)
    run_classify(fresh_store)
    result = run_network(fresh_store, settings=settings())
    assert (result.groups, result.retired, result.stable) == (3, 0, 3)
    d = DAY
    assert _groups(fresh_store) == [
        (1, 3, 2, 3, d, d + dt.timedelta(days=20), '["Hackney"]', True, 1.0, 0.333333, True),
        (
            2,
            2,
            2,
            2,
            d + dt.timedelta(days=5),
            d + dt.timedelta(days=40),
            '["Hackney"]',
            True,
            1.0,
            0.0,
            True,
        ),
        (3, 3, 2, 2, d, d, '["Hackney"]', True, 0.666667, 0.0, True),
    ]
    assert _members(fresh_store) == [
        (1, 101, "offender"),
        (1, 102, "offender"),
        (1, 103, "offender"),
        (1, 1, "victim"),
        (1, 2, "victim"),
        (2, 201, "offender"),
        (2, 202, "offender"),
        (2, 3, "victim"),
        (2, 4, "victim"),
        (3, 501, "offender"),
        (3, 502, "offender"),
        (3, 503, "offender"),
        (3, 8, "victim"),
        (3, 9, "victim"),
    ]
    with reading(fresh_store) as conn:
        measures = conn.execute(
            select(
                group_members.c.person_id,
                group_members.c.degree,
                group_members.c.betweenness,
                group_members.c.eigenvector,
            )
            .where(group_members.c.group_id == 3)
            .order_by(group_members.c.person_id)
        ).all()
    # 501 bridges the two halves of group 3: highest on all three, each kept separately.
    assert [tuple(m) for m in measures] == [
        (8, 0.5, 0.0, 0.640388),
        (9, 0.5, 0.0, 0.640388),
        (501, 1.0, 0.666667, 1.0),
        (502, 0.5, 0.0, 0.640388),
        (503, 0.5, 0.0, 0.640388),
    ]


def test_group_ids_are_stable_and_retired_groups_kept(fresh_store: Engine) -> None:
    planted().save(fresh_store)
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
    assert (2, 201, "offender") in _members(fresh_store)


def test_protected_characteristics_do_not_change_groups(fresh_store: Engine) -> None:
    planted().save(fresh_store)
    run_classify(fresh_store)
    run_network(fresh_store, settings=settings())
    before = (_groups(fresh_store), _members(fresh_store))
    with writing(fresh_store) as conn:
        conn.execute(update(mentions).values(ethnicity="B1", ethnicity_raw="x", nationality="y"))
    run_classify(fresh_store)
    run_network(fresh_store, settings=settings())
    assert (_groups(fresh_store), _members(fresh_store)) == before


def test_network_needs_classify(fresh_store: Engine) -> None:
    planted().save(fresh_store)
    with pytest.raises(StageError, match="run `casereview classify`"):
        run_network(fresh_store)
