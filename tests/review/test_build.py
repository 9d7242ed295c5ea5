"""The review build: explained scores, upserts that never lose human work, no protected inputs.

On the world of tests/review/indicator_world.py, built by the real pipeline; that no protected
characteristic changes a score is tested on a whole pipeline in
tests/test_protected_characteristics.py, and statically here."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

import casereview.review
from casereview.ingest import ingest_mapping
from casereview.model.codes import DecisionOutcome, IndicatorCode, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import (
    audit_log,
    classifications,
    decisions,
    flag_findings,
    groups,
    indicators,
    review_items,
)
from casereview.review import workflow
from casereview.review.build import build_review
from casereview.review.triage import queue
from casereview.settings import get_settings
from casereview.store import audit
from casereview.store.access import load_actor
from casereview.store.db import reading, writing
from casereview.store.users import add_member, create_team, create_user
from export_world import MAPPINGS
from review.indicator_world import World

pytestmark = pytest.mark.slow


def _items(engine: Any) -> dict[tuple[str, int], dict[str, Any]]:
    with reading(engine) as conn:
        rows = conn.execute(select(review_items)).all()
    return {(r.subject_type, r.subject_id): dict(r._mapping) for r in rows}


# A distinct weight for every indicator, no discount for repeats (tested separately below).
FLAT = {
    "indicator_weights": {code.value: float(2 + i) for i, code in enumerate(IndicatorCode)},
    "repeat_indicator_factor": 1.0,
}


def _stored_terms(
    engine: Engine,
) -> tuple[dict[tuple[str, int], set[str]], dict[int, set[str]], dict[int, float]]:
    """What the stages stored: indicators by subject, flag findings and cse_likely strength by
    record."""
    with reading(engine) as conn:
        inds: dict[tuple[str, int], set[str]] = {}
        for c, t_, i in conn.execute(
            select(indicators.c.code, indicators.c.subject_type, indicators.c.subject_id)
        ):
            inds.setdefault((str(t_), int(i)), set()).add(str(c))
        found: dict[int, set[str]] = {}
        for r, c in conn.execute(select(flag_findings.c.record_id, flag_findings.c.code)):
            found.setdefault(int(r), set()).add(str(c))
        strength = {
            int(r): float(s)
            for r, s in conn.execute(
                select(classifications.c.record_id, classifications.c.strength).where(
                    classifications.c.label == "cse_likely"
                )
            )
        }
    return inds, found, strength


def test_score_is_the_weighted_sum_and_is_explained(indicator_store: World, tmp_path: Path) -> None:
    """Every item's priority is the sum of the weights of what the stages stored about its
    subject, each term in its breakdown; the queue lists them by it."""
    engine = indicator_store.copy(tmp_path / "copy.db")
    review = get_settings().review.model_copy(update=FLAT)
    try:
        build_review(engine, actor="test", settings=review)
        items = _items(engine)
        inds, found, strength = _stored_terms(engine)
        with reading(engine) as conn:
            active_groups = {int(g) for g in conn.execute(
                select(groups.c.id).where(groups.c.active.is_(True))).scalars()}  # fmt: skip
        entries = queue(engine, limit=3)
        only = queue(engine, indicator="unlinked_intelligence")
    finally:
        engine.dispose()
    # Items: every record with an indicator, a finding or a cse_likely classification, and
    # every active group.
    records = {i for t_, i in inds if t_ == "record"} | set(found) | set(strength)
    assert set(items) == {("record", r) for r in records} | {("group", g) for g in active_groups}
    assert {v["status"] for v in items.values()} == {"new"}
    for (kind, sid), item in items.items():
        breakdown = from_json(item["score_breakdown"])
        expected = [{"kind": "indicator", "code": c, "points": review.indicator_weights[c]}
                    for c in sorted(inds.get((kind, sid), set()))]  # fmt: skip
        if kind == "record":
            expected += [{"kind": "finding", "code": c,
                          "points": review.finding_weights.get(c, 0.0)}
                         for c in sorted(found.get(sid, set()))]  # fmt: skip
            if strength.get(sid):
                expected.append({"kind": "classification", "code": "cse_likely",
                                 "strength": strength[sid],
                                 "points": round(review.cse_likely_weight * strength[sid], 6)})  # fmt: skip
        terms = [{k: c[k] for k in ("kind", "code", "points", "strength") if k in c}
                 for c in breakdown["contributions"]]  # fmt: skip
        assert terms == expected, (kind, sid)
        assert (
            item["priority"] == breakdown["total"] == round(sum(e["points"] for e in expected), 6)
        )
    # Ezekiel's first crime: four indicators, the finding of an unflagged crime describing
    # grooming, all in its breakdown.
    ezekiel = indicator_store.found.ref["CRIS/9100006/14"]
    assert {c["code"] for c in from_json(items[("record", ezekiel)]["score_breakdown"])[
        "contributions"]} >= {"age_gap_partner", "closed_despite_group_link",
                              "shared_object_across_victims", "unlinked_repeat_suspect",
                              "missing_cse_flag"}  # fmt: skip
    top = sorted((v["priority"] for v in items.values()), reverse=True)[:3]
    assert [e.priority for e in entries] == top
    carrying = {k for k, codes in inds.items() if "unlinked_intelligence" in codes}
    assert {(e.subject_type, e.subject_id) for e in only} == carrying
    assert ("record", indicator_store.found.ref["IR9100000001"]) in carrying


def _rewrite(path: Path, key: str, value: str, **columns: str) -> None:
    """An export file with the row whose `key` column is `value` changed in `columns`."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = list(reader.fieldnames or []), list(reader)
    hit = [r for r in rows if r[key] == value]
    assert hit, (path, key, value)
    for row in hit:
        row.update(columns)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)


def test_rebuild_keeps_human_work_flags_changed_evidence_and_deactivates(
    indicator_store: World, tmp_path: Path
) -> None:
    """The sources are imported again with changes; the review stage runs again: decided work
    is kept, an item whose evidence changed is flagged, one with no evidence left is
    deactivated, and comes back as it was when its evidence does."""
    engine = indicator_store.copy(tmp_path / "copy.db")
    data = (tmp_path / "copy.db").with_suffix(".data")
    ref = indicator_store.found.ref
    intel_id, crime_id = ref["IR9100000001"], ref["CRIS/9100006/14"]
    try:
        with writing(engine) as conn:
            team = create_team(conn, "north")
            for name, role in (("sup", UserRole.SUPERVISOR), ("rev", UserRole.REVIEWER)):
                create_user(conn, name, name, role, "a long test passphrase")
                add_member(conn, team, name)
        with reading(engine) as conn:
            sup, rev = load_actor(conn, "sup"), load_actor(conn, "rev")
        items = _items(engine)
        i1, c6 = items[("record", intel_id)]["id"], items[("record", crime_id)]["id"]
        for item_id in (i1, c6):
            workflow.assign(engine, item_id, assignee_id=rev.user_id, team_id=team, actor=sup)
            workflow.start_review(engine, item_id, actor=rev)
        workflow.decide(
            engine, i1, outcome=DecisionOutcome.FURTHER_INVESTIGATION, rationale="link it",
            actor=rev,
        )  # fmt: skip
        before = _items(engine)
        intel_log = data / "met_intel" / "intel_log.csv"
        original = intel_log.read_bytes()
        # The police now link the report to Ezekiel's crime, and no longer write him as the
        # child's boyfriend: the report has nothing left to raise, the crime one indicator less.
        _rewrite(intel_log, "intel_ref", "IR9100000001", linked_crime_refs="CRIS/9100006/14")
        _rewrite(data / "met_crime" / "nominals.csv", "nominal_id", "NX00062",
                 relationship_to_victim="")  # fmt: skip
        for source in ("met_intel", "met_crime"):
            ingest_mapping(engine, MAPPINGS / f"{source}.yaml", data, "test")
        with reading(engine) as conn:
            seq_before = audit.head(conn)[0]
        result = build_review(engine, actor="test")
        after = _items(engine)
        assert result.counts["items_deactivated"] == 1
        assert after[("record", intel_id)] == {
            **before[("record", intel_id)],
            "active": False,
            "updated_at": after[("record", intel_id)]["updated_at"],
        }
        c6_after = after[("record", crime_id)]
        assert {k: c6_after[k] for k in ("status", "assigned_to", "team_id", "active")} == {
            "status": "in_review", "assigned_to": rev.user_id, "team_id": team, "active": True,
        }  # fmt: skip
        assert c6_after["needs_another_look"] is True
        assert c6_after["evidence_hash"] != before[("record", crime_id)]["evidence_hash"]
        assert "age_gap_partner" not in c6_after["score_breakdown"]
        with reading(engine) as conn:
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
        # The next export withdraws the link (and regrades the report): the item comes back,
        # as it was, with its history.
        intel_log.write_bytes(original)
        _rewrite(intel_log, "intel_ref", "IR9100000001", grading="B3")
        (result,) = ingest_mapping(engine, MAPPINGS / "met_intel.yaml", data, "test")
        assert result.status == "imported"
        build_review(engine, actor="test")
        again = _items(engine)[("record", intel_id)]
        assert again == {**before[("record", intel_id)], "updated_at": again["updated_at"]}
        assert audit.verify(engine).ok
    finally:
        engine.dispose()


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
