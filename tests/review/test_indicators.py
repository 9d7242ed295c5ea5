"""Every indicator rule fires exactly where its definition says, and nowhere else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casereview.model.serial import from_json
from casereview.model.tables import indicators
from casereview.review.build import build_review
from casereview.store.db import reading


def _stored(engine: Any) -> set[tuple[str, str, int]]:
    with reading(engine) as conn:
        rows = conn.execute(
            select(indicators.c.code, indicators.c.subject_type, indicators.c.subject_id)
        ).all()
    return {(str(c), str(t), int(i)) for c, t, i in rows}


def test_each_indicator_fires_on_its_planted_record_only(
    world: Any, planted: dict[str, int]
) -> None:
    r = planted
    result = build_review(world.engine, actor="test")
    rec = "record"
    assert _stored(world.engine) == {
        ("repeat_missing", rec, r["M3"]),
        ("repeat_missing_no_referral", rec, r["M3"]),
        ("unlinked_repeat_suspect", rec, r["C2"]),
        ("unlinked_repeat_suspect", rec, r["C3"]),
        ("closed_despite_group_link", rec, r["C1"]),
        ("closed_despite_group_link", rec, r["C2"]),
        ("age_gap_partner", rec, r["C2"]),
        ("victim_treated_as_suspect", rec, r["C6"]),
        ("shared_object_across_victims", rec, r["C1"]),
        ("shared_object_across_victims", rec, r["C2"]),
        ("unlinked_intelligence", rec, r["I1"]),
        ("la_concern_no_police_record", rec, r["L1"]),
        # Group 100's offender 12 is the suspect of C1: the group carries C1's indicators.
        ("closed_despite_group_link", "group", 100),
        ("shared_object_across_victims", "group", 100),
    }
    assert result.indicators == {
        "age_gap_partner": 1,
        "closed_despite_group_link": 2,
        "la_concern_no_police_record": 1,
        "repeat_missing": 1,
        "repeat_missing_no_referral": 1,
        "shared_object_across_victims": 2,
        "unlinked_intelligence": 1,
        "unlinked_repeat_suspect": 2,
        "victim_treated_as_suspect": 1,
    }


def test_evidence_names_the_records_and_values(world: Any, planted: dict[str, int]) -> None:
    r = planted
    build_review(world.engine, actor="test")
    with reading(world.engine) as conn:
        rows = conn.execute(
            select(indicators.c.code, indicators.c.person_id, indicators.c.evidence).where(
                indicators.c.record_id == r["C2"], indicators.c.subject_type == "record"
            )
        ).all()
    evidence = {str(c): (p, from_json(e)) for c, p, e in rows}
    assert evidence == {
        "age_gap_partner": (
            10,
            {
                "persons": [10],
                "groups": [],
                "fired": [
                    {
                        "partner_mention": evidence["age_gap_partner"][1]["fired"][0][
                            "partner_mention"
                        ],
                        "relationship": "boyfriend",
                        "partner_age": 33,
                        "child_ages": [14],
                    }
                ],
            },
        ),
        "closed_despite_group_link": (
            10,
            {
                "persons": [10],
                "groups": [],
                "fired": [{"outcome": "15", "groups": [], "later_records": [r["C3"]]}],
            },
        ),
        "shared_object_across_victims": (
            3,
            {
                "persons": [3],
                "groups": [],
                "fired": [
                    {
                        "object": "vehicle:AB12CDE",
                        "records": sorted([r["C1"], r["C2"]]),
                        "victims": [1, 3],
                    }
                ],
            },
        ),
        "unlinked_repeat_suspect": (
            10,
            {
                "persons": [10],
                "groups": [],
                "fired": [
                    {"closed_records": sorted([r["C2"], r["C3"]]), "not_linked_to": [r["C3"]]}
                ],
            },
        ),
    }


def test_thresholds_come_from_settings(world: Any, planted: dict[str, int]) -> None:
    r = planted
    from casereview.settings import get_settings

    settings = get_settings().review.model_copy(
        update={"repeat_missing_count": 4, "partner_words": ["husband"]}
    )
    build_review(world.engine, actor="test", settings=settings)
    codes = {c for c, _t, _i in _stored(world.engine)}
    assert "repeat_missing" not in codes
    assert "age_gap_partner" not in codes
    assert ("unlinked_intelligence", "record", r["I1"]) in _stored(world.engine)
