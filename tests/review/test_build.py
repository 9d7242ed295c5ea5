"""The review build: explained scores, upserts that never lose human work, no protected inputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

import casereview.review
from casereview.model.codes import DecisionOutcome, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import audit_log, decisions, mentions, record_links, review_items
from casereview.review import workflow
from casereview.review.build import build_review
from casereview.review.triage import queue
from casereview.settings import get_settings
from casereview.store import audit
from casereview.store.db import reading, writing


def _items(engine: Any) -> dict[tuple[str, int], dict[str, Any]]:
    with reading(engine) as conn:
        rows = conn.execute(select(review_items)).all()
    return {(r.subject_type, r.subject_id): dict(r._mapping) for r in rows}


# The weights this test was written with; no discount for repeats (tested separately below).
FLAT = {
    "indicator_weights": {
        "repeat_missing": 2.0,
        "repeat_missing_no_referral": 3.0,
        "unlinked_repeat_suspect": 5.0,
        "closed_despite_group_link": 5.0,
        "age_gap_partner": 4.0,
        "victim_treated_as_suspect": 4.0,
        "shared_object_across_victims": 3.0,
        "unlinked_intelligence": 3.0,
        "la_concern_no_police_record": 3.0,
    },
    "repeat_indicator_factor": 1.0,
}


def test_score_is_the_weighted_sum_and_is_explained(world: Any, planted: dict[str, int]) -> None:
    r = planted
    world.classify(r["C2"], strength=0.5)
    world.finding(r["C2"], "missing_cse_flag")
    world.finding(r["L2"], "police_la_mismatch")
    build_review(world.engine, actor="test", settings=get_settings().review.model_copy(update=FLAT))
    items = _items(world.engine)
    c2 = items[("record", r["C2"])]
    assert c2["priority"] == 4.0 + 5.0 + 3.0 + 5.0 + 2.0 + 0.5
    assert from_json(c2["score_breakdown"]) == {
        "total": 19.5,
        "contributions": [
            {"kind": "indicator", "code": "age_gap_partner", "points": 4.0},
            {"kind": "indicator", "code": "closed_despite_group_link", "points": 5.0},
            {"kind": "indicator", "code": "shared_object_across_victims", "points": 3.0},
            {"kind": "indicator", "code": "unlinked_repeat_suspect", "points": 5.0},
            {"kind": "finding", "code": "missing_cse_flag", "points": 2.0},
            {"kind": "classification", "code": "cse_likely", "strength": 0.5, "points": 0.5},
        ],
    }
    # Items: every record with an indicator or a finding, and every active group.
    assert set(items) == {
        *(("record", r[k]) for k in ("C1", "C2", "C3", "C6", "M3", "I1", "L1", "L2")),
        ("group", 100),
    }
    assert {k: (v["status"], v["team_id"], v["active"]) for k, v in items.items()} == {
        k: ("new", None, True) for k in items
    }
    entries = queue(world.engine, limit=3)
    assert [(e.subject_type, e.subject_id, e.priority) for e in entries] == [
        ("record", r["C2"], 19.5),
        ("record", r["C1"], 8.0),
        ("group", 100, 8.0),
    ]
    only = queue(world.engine, indicator="unlinked_intelligence")
    assert [(e.subject_id, e.indicators) for e in only] == [(r["I1"], ["unlinked_intelligence"])]


def test_rebuild_keeps_human_work_flags_changed_evidence_and_deactivates(
    world: Any, planted: dict[str, int]
) -> None:
    r = planted
    team = world.team("north")
    sup = world.user("sup", UserRole.SUPERVISOR, team)
    rev = world.user("rev", UserRole.REVIEWER, team)
    build_review(world.engine, actor="test")
    items = _items(world.engine)
    i1, c6 = items[("record", r["I1"])]["id"], items[("record", r["C6"])]["id"]
    for item_id in (i1, c6):
        workflow.assign(world.engine, item_id, assignee_id=rev.user_id, team_id=team, actor=sup)
        workflow.start_review(world.engine, item_id, actor=rev)
    workflow.decide(
        world.engine, i1, outcome=DecisionOutcome.FURTHER_INVESTIGATION, rationale="link it",
        actor=rev,
    )  # fmt: skip
    before = _items(world.engine)
    # The source now links the intelligence to a crime; child 1 is no longer a suspect in C6.
    world.link(r["I1"], r["C2"])
    with writing(world.engine) as conn:
        conn.execute(update(mentions).where(mentions.c.record_id == r["C6"]).values(role="witness"))
    world.finding(r["C6"], "missing_cse_flag")
    with reading(world.engine) as conn:
        seq_before = audit.head(conn)[0]
    result = build_review(world.engine, actor="test")
    after = _items(world.engine)
    assert result.counts["items_deactivated"] == 1
    assert after[("record", r["I1"])] == {
        **before[("record", r["I1"])],
        "active": False,
        "updated_at": after[("record", r["I1"])]["updated_at"],
    }
    c6_after = after[("record", r["C6"])]
    assert {k: c6_after[k] for k in ("status", "assigned_to", "team_id", "active")} == {
        "status": "in_review",
        "assigned_to": rev.user_id,
        "team_id": team,
        "active": True,  # it still has a flag finding, now instead of its indicator
    }
    assert c6_after["needs_another_look"] is True
    assert c6_after["evidence_hash"] != before[("record", r["C6"])]["evidence_hash"]
    with reading(world.engine) as conn:
        kept = conn.execute(select(decisions.c.rationale)).scalars().all()
        rows = conn.execute(
            select(audit_log.c.object_id, audit_log.c.details)
            .where(audit_log.c.seq > seq_before, audit_log.c.object_type == "review_item")
            .order_by(audit_log.c.seq)
        ).all()
    assert kept == ["link it"]
    assert [(int(o), from_json(d)["transition"]) for o, d in rows] == [
        (c6, "evidence_changed"),
        (i1, "deactivated"),
    ]
    # The link is removed again: the item comes back, as it was, with its history.
    with writing(world.engine) as conn:
        conn.execute(delete(record_links).where(record_links.c.record_id == r["I1"]))
    build_review(world.engine, actor="test")
    again = _items(world.engine)[("record", r["I1"])]
    assert again == {**before[("record", r["I1"])], "updated_at": again["updated_at"]}
    assert audit.verify(world.engine).ok


def test_protected_characteristics_change_no_score(world: Any, planted: dict[str, int]) -> None:
    r = planted
    world.classify(r["C1"], strength=0.8)
    build_review(world.engine, actor="test")
    first = {
        k: (v["priority"], v["score_breakdown"], v["evidence_hash"])
        for k, v in _items(world.engine).items()
    }
    with writing(world.engine) as conn:
        for i, mid in enumerate(conn.execute(select(mentions.c.id)).scalars().all()):
            conn.execute(
                update(mentions)
                .where(mentions.c.id == mid)
                .values(
                    ethnicity=["white", "asian", "black", "mixed", "other"][i % 5],
                    ethnicity_raw=["W1", "A2", "B3", "Muslim", "Sikh"][i % 5],
                    nationality=["British", "Pakistani", "Romanian"][i % 3],
                )
            )
    build_review(world.engine, actor="test")
    second = {
        k: (v["priority"], v["score_breakdown"], v["evidence_hash"])
        for k, v in _items(world.engine).items()
    }
    assert second == first


def test_review_code_never_reads_protected_columns() -> None:
    """Static check: no module of review/ names a protected column or reads whole mention rows."""
    folder = Path(casereview.review.__file__).parent
    protected = re.compile(r"ethnic|nationality|religio|faith|sexual_orientation|disability", re.I)
    whole_rows = re.compile(r"select\(\s*mentions\s*\)")
    offenders = []
    for path in sorted(folder.glob("*.py")):
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        # The docstrings that state the rule may name it; code may not.
        code = re.sub(r'"""(.|\n)*?"""', "", code)
        if protected.search(code) or whole_rows.search(code):
            offenders.append(path.name)
    assert offenders == []
    assert get_settings().review.indicator_weights  # weights exist for every indicator
    assert set(get_settings().review.indicator_weights) == {
        c.value
        for c in __import__("casereview.model.codes", fromlist=["IndicatorCode"]).IndicatorCode
    }
