"""Every indicator rule fires on its planted record, and not on the near miss beside it, in a
world the real pipeline built (tests/review/indicator_world.py): the persons, groups,
classifications and findings the rules read are the stages' own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casereview.model.serial import from_json
from casereview.model.tables import indicators, review_items
from casereview.review.build import build_review
from casereview.settings import get_settings
from casereview.store.db import reading
from review.findings_world import Found
from review.indicator_world import GROUP_CRIMES, MEN, World

pytestmark = pytest.mark.slow


def _record_indicators(found: Found, ref: str) -> set[str]:
    rid = found.ref[ref]
    return {c for r, c in found.indicators if r == rid}


# Each planted record and the indicators it carries; the near misses carry none.
EXPECTED = {
    # The group's crimes: G1 closed (21) while Alaric is of the group; his car on Seraphina's
    # and Tamsin's crimes; Alaric named in G1 and G4, never linked; Tamsin unknown to the council.
    GROUP_CRIMES[0]: {
        "closed_despite_group_link",
        "shared_object_across_victims",
        "unlinked_repeat_suspect",
    },
    GROUP_CRIMES[1]: {"shared_object_across_victims"},  # Benedikt's: the car, still open
    GROUP_CRIMES[2]: {"police_concern_no_la_record"},  # Casimir's: no car; Tamsin unknown
    GROUP_CRIMES[3]: {
        "police_concern_no_la_record",
        "shared_object_across_victims",
        "unlinked_repeat_suspect",
    },
    # Horatio's crime: the car Ezekiel's crime records too, another victim.
    "CRIS/9100005/14": {"police_concern_no_la_record", "shared_object_across_victims"},
    # Ezekiel's: the "Boyfriend" of a 14-year-old, named again a year later (closed 15), not
    # linked; his car on Horatio's crime and his phone on both of his own.
    "CRIS/9100006/14": {
        "age_gap_partner",
        "closed_despite_group_link",
        "shared_object_across_victims",
        "unlinked_repeat_suspect",
    },
    "CRIS/9100007/15": {"shared_object_across_victims", "unlinked_repeat_suspect"},
    # Leopold's: the source linked them; he is 15; his victims' shared phone is theirs.
    "CRIS/9100008/14": set(),
    "CRIS/9100009/15": set(),
    # Seraphina, a group's victim in July, named as a suspect in October.
    "CRIS/9100010/14": {"victim_treated_as_suspect"},
    "CRIS/9100011/19": set(),
    # Perdita: a council concern no police record names; Seraphina's is named by the group's.
    "CSCX91001": {"la_concern_no_police_record"},
    "CSCX91002": set(),
    # The same Emily (her police crime writes her name the other way round) and another one.
    "CSCX91003": set(),
    "CSCX91004": {"la_concern_no_police_record"},
    # Intelligence on Ezekiel linked to none of his crimes; on Leopold linked to one.
    "IR9100000001": {"unlinked_intelligence"},
    "IR9100000002": set(),
    # Missing three times within a year: Seraphina and Ottilie (exploited) on the third
    # episode; Tobias, of whom no record shows a concern, never.
    **{f"ME91000{i}{n}": set() for i in (1, 2, 3) for n in (1, 2)},
    "ME9100013": {"repeat_missing", "repeat_missing_no_referral"},
    "ME9100023": set(),
    "ME9100033": {"repeat_missing", "repeat_missing_no_referral"},
}


def test_each_indicator_fires_on_its_planted_record_and_not_the_near_miss(
    indicator_store: World,
) -> None:
    fired = {ref: _record_indicators(indicator_store.found, ref) for ref in EXPECTED}
    assert fired == EXPECTED


def test_the_group_is_the_one_the_network_stage_found(indicator_store: World) -> None:
    found = indicator_store.found
    men = {found.one(f"{m[0]} {m[1]}") for m in MEN}
    (group,) = [g for g in found.groups.values() if g.get("offender", set()) & men]
    kids = {found.one("Seraphina Gallowglass"), found.one("Tamsin Blackthorne")}
    assert group == {"offender": men, "victim": kids}


def test_evidence_names_the_records_and_values(indicator_store: World) -> None:
    found = indicator_store.found
    first, later = found.ref["CRIS/9100006/14"], found.ref["CRIS/9100007/15"]
    horatio = found.ref["CRIS/9100005/14"]
    ezekiel = found.one("Ezekiel Morrowgate")
    imogen = found.one("Imogen Sallowby")
    evidence = {c: e for (r, c), e in found.indicators.items() if r == first}
    assert evidence["age_gap_partner"] == {
        "persons": [ezekiel], "groups": [],
        "fired": [{"partner_mention": evidence["age_gap_partner"]["fired"][0]["partner_mention"],
                   "relationship": "boyfriend", "partner_age": 33, "child_ages": [14]}],
    }  # fmt: skip
    assert evidence["closed_despite_group_link"] == {
        "persons": [ezekiel], "groups": [],
        "fired": [{"outcome": "15", "groups": [], "later_records": [later]}],
    }  # fmt: skip
    assert evidence["unlinked_repeat_suspect"] == {
        "persons": [ezekiel], "groups": [],
        "fired": [{"records": sorted([first, later]), "not_linked_to": [later]}],
    }  # fmt: skip
    shared = evidence["shared_object_across_victims"]
    assert shared["persons"] == [imogen]
    assert sorted(shared["fired"], key=lambda f: f["object"]) == [
        {"object": "phone:+447700900405", "records": sorted([first, later]),
         "victims": sorted([imogen, found.one("Juniper Cavendale")])},
        {"object": "vehicle:AB12CDE", "records": sorted([first, horatio]),
         "victims": sorted([imogen, found.one("Ottilie Fairbrass")])},
    ]  # fmt: skip


def test_thresholds_come_from_settings(indicator_store: World, tmp_path: Path) -> None:
    engine = indicator_store.copy(tmp_path / "copy.db")
    settings = get_settings().review.model_copy(
        update={"repeat_missing_count": 4, "partner_words": ["husband"]}
    )
    try:
        build_review(engine, actor="test", settings=settings)
        with reading(engine) as conn:
            codes = {
                (str(c), int(r))
                for c, r in conn.execute(
                    select(indicators.c.code, indicators.c.record_id).where(
                        indicators.c.subject_type == "record"
                    )
                )
            }
    finally:
        engine.dispose()
    ref = indicator_store.found.ref
    assert not {c for c, r in codes if r in (ref["ME9100013"], ref["ME9100033"])}
    assert ("age_gap_partner", ref["CRIS/9100006/14"]) not in codes
    assert ("unlinked_intelligence", ref["IR9100000001"]) in codes


def test_a_group_carries_the_indicators_about_its_victims(indicator_store: World) -> None:
    """A group victim's repeat missing is part of the group's case: the group item carries it,
    its records count it at the repeat factor; another child's stays on her own record."""
    found = indicator_store.found
    seraphina, third = found.one("Seraphina Gallowglass"), found.ref["ME9100013"]
    (group_id,) = [g for g, m in found.groups.items() if seraphina in m.get("victim", set())]
    engine = indicator_store.open()
    try:
        with reading(engine) as conn:
            on_group: dict[str, Any] = {
                str(c): from_json(e)
                for c, e in conn.execute(
                    select(indicators.c.code, indicators.c.evidence).where(
                        indicators.c.subject_type == "group", indicators.c.subject_id == group_id
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
    finally:
        engine.dispose()
    for code in ("repeat_missing", "repeat_missing_no_referral"):
        assert on_group[code] == {
            "persons": [seraphina], "groups": [group_id], "fired": [{"record": third}],
        }  # fmt: skip
    also_on = {c["code"]: c.get("also_on") for c in breakdowns[third]["contributions"]}
    assert also_on == {
        "repeat_missing": {"subject_type": "group", "subject_id": group_id},
        "repeat_missing_no_referral": {"subject_type": "group", "subject_id": group_id},
    }
    own = {c["code"]: c.get("also_on") for c in breakdowns[found.ref["ME9100033"]]["contributions"]}
    assert own == {"repeat_missing": None, "repeat_missing_no_referral": None}
