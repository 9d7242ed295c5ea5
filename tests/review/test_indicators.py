"""Every indicator rule fires exactly where its definition says, and nowhere else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casereview.model.serial import from_json
from casereview.model.tables import indicators, review_items
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
                "fired": [{"records": sorted([r["C2"], r["C3"]]), "not_linked_to": [r["C3"]]}],
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


def test_a_group_carries_the_indicators_about_its_victims(world: Any) -> None:
    """A group victim's repeat missing is part of the group's case: the group item carries it,
    its records count it at the repeat factor; another child's stays on their own record."""
    adult, kid = "1980-06-01", "2000-01-01"
    for child, suspect in ((31, 30), (33, 34)):
        world.record(
            "met_crime", "crime", "2014-01-10", cse_flag=True, outcome="1",
            people=[{"person": child, "role": "victim", "dob": kid},
                    {"person": suspect, "role": "suspect", "dob": adult}],
        )  # fmt: skip
    world.group(200, offenders=[30, 32], victims=[31])
    last: dict[int, int] = {}
    for child in (31, 33):
        for day in ("2014-02-01", "2014-05-01", "2014-09-01"):
            last[child] = world.record(
                "met_missing", "missing_episode", day,
                people=[{"person": child, "role": "subject"}],
            )  # fmt: skip
    build_review(world.engine, actor="test")
    assert _stored(world.engine) == {
        ("repeat_missing", "record", last[31]),
        ("repeat_missing_no_referral", "record", last[31]),
        ("repeat_missing", "record", last[33]),
        ("repeat_missing_no_referral", "record", last[33]),
        ("repeat_missing", "group", 200),
        ("repeat_missing_no_referral", "group", 200),
    }
    with reading(world.engine) as conn:
        group_evidence = {
            str(c): from_json(e)
            for c, e in conn.execute(
                select(indicators.c.code, indicators.c.evidence).where(
                    indicators.c.subject_type == "group"
                )
            )
        }
        breakdowns = {
            int(i): from_json(b)
            for i, b in conn.execute(
                select(review_items.c.subject_id, review_items.c.score_breakdown).where(
                    review_items.c.subject_type == "record"
                )
            )
        }
    assert group_evidence["repeat_missing"] == {
        "persons": [31], "groups": [200], "fired": [{"record": last[31]}],
    }  # fmt: skip
    on_group = {c["code"]: c.get("also_on") for c in breakdowns[last[31]]["contributions"]}
    assert on_group == {
        "repeat_missing": {"subject_type": "group", "subject_id": 200},
        "repeat_missing_no_referral": {"subject_type": "group", "subject_id": 200},
    }
    own = {c["code"]: c.get("also_on") for c in breakdowns[last[33]]["contributions"]}
    assert own == {"repeat_missing": None, "repeat_missing_no_referral": None}


def test_an_unresolved_police_mention_of_the_same_child_is_a_police_record(world: Any) -> None:
    """la_concern_no_police_record asserts an absence: a police crime naming the child with the
    same name words (in any order) and date of birth counts, even where linkage left it apart;
    the same name with another date of birth does not (one born the same day and month a year
    apart, one digit of the year slipped, now counts as the same: docs/indicators.md)."""
    emily = {"forenames": "Emily", "surname": "Edwards"}
    swapped = {"forenames": "EDWARDS", "surname": "emily"}
    world.record("met_crime", "crime", "2019-01-01", cse_flag=True,
                 people=[{"person": 41, "role": "victim", "dob": "2005-05-06", **swapped}])  # fmt: skip
    same = world.record("la_csc", "referral", "2019-02-01", cse_flag=True,
                        people=[{"person": 40, "role": "subject", "dob": "2005-05-06", **emily}])  # fmt: skip
    other = world.record("la_csc", "referral", "2019-02-01", cse_flag=True,
                         people=[{"person": 42, "role": "subject", "dob": "2006-09-14", **emily}])  # fmt: skip
    build_review(world.engine, actor="test")
    fired = {(c, i) for c, t, i in _stored(world.engine) if c == "la_concern_no_police_record"}
    assert same != other
    assert fired == {("la_concern_no_police_record", other)}
