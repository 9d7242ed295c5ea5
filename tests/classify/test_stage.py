"""The classify stage on a store: every finding code, whole tables, invariance, refusal."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from worlds import DAY, World

from casereview.classify import RULES_VERSION, run_classify
from casereview.errors import StageError
from casereview.model.tables import classifications, flag_findings, mentions
from casereview.store.db import reading, writing

CSE_TEXT = "Driven to a hotel by an older male; sexual activity disclosed."
CCE_TEXT = "Arrested with wraps of class A; believed to be running a county line."


def build() -> World:
    w = World()
    la = {"source": "la_csc", "kind": "local_authority", "record_type": "referral"}
    # 1: CSE crime not flagged (missing_cse_flag); LA concern for the child within the window.
    r1 = w.record("C1", cse_flag=False, narrative=CSE_TEXT)
    w.mention(r1, "victim", 1, age=14)
    w.mention(r1, "suspect", 2, age=30)
    r2 = w.record("L1", **la, cse_flag=True, factors=["cse"], on=DAY + dt.timedelta(days=20))
    w.mention(r2, "subject", 1, age=14)
    # 3: CCE crime flagged CSE (wrong_cse_flag).
    r3 = w.record(
        "C2", cse_flag=True, narrative=CCE_TEXT, offence="Possession with intent to supply class A"
    )
    w.mention(r3, "suspect", 3, age=15)
    # 4: flagged CSE, child victim the council holds no record of (no mismatch).
    r4 = w.record("C3", cse_flag=True, narrative=CSE_TEXT)
    w.mention(r4, "victim", 4, age=13)
    w.mention(r4, "suspect", 5, age=40)
    # 6: LA concern about a child the police hold no record of (no mismatch).
    r6 = w.record(
        "L2",
        **la,
        cse_flag=True,
        factors=["cse", "missing"],
        narrative="Concerns about an older 'boyfriend' buying gifts.",
    )
    w.mention(r6, "subject", 6, age=14)
    # 7: ordinary crime, flag N: nothing.
    r7 = w.record("C4", cse_flag=False, narrative="Theft of a bicycle.")
    w.mention(r7, "victim", 7, age=40)
    # Intelligence carries no flag: never a flag finding.
    r8 = w.record("I1", source="met_intel", record_type="intelligence", narrative=CSE_TEXT)
    w.mention(r8, "subject", 2, ethnicity="W1", nationality="British")
    return w


def _rows(engine: Engine) -> tuple[list[tuple], list[tuple]]:
    with reading(engine) as conn:
        labels = [
            tuple(r)
            for r in conn.execute(
                select(
                    classifications.c.record_id,
                    classifications.c.label,
                    classifications.c.strength,
                    classifications.c.rule_ids,
                    classifications.c.evidence,
                    classifications.c.rules_version,
                ).order_by(classifications.c.record_id, classifications.c.label)
            )
        ]
        findings = [
            tuple(r)
            for r in conn.execute(
                select(
                    flag_findings.c.record_id,
                    flag_findings.c.code,
                    flag_findings.c.person_id,
                    flag_findings.c.evidence,
                ).order_by(flag_findings.c.record_id, flag_findings.c.code)
            )
        ]
    return labels, findings


def test_every_finding_code(fresh_store: Engine) -> None:
    build().save(fresh_store)
    result = run_classify(fresh_store, actor="tester")
    assert (result.records, result.classified) == (7, 5)
    labels, findings = _rows(fresh_store)
    assert [(r[0], r[1], r[3]) for r in labels] == [
        (1, "cse_likely", '["T-CSE-03"]'),
        (1, "lone_offender", '["T-LONE-01"]'),
        (2, "cse_likely", '["T-CSE-01","T-CSE-04"]'),
        (2, "lone_offender", '["T-CTX-01"]'),
        (4, "cse_likely", '["T-CSE-03"]'),
        (4, "lone_offender", '["T-LONE-01"]'),
        (5, "cse_likely", '["T-CSE-01","T-CSE-03"]'),
        (7, "cse_likely", '["T-CSE-03"]'),
        (7, "lone_offender", '["T-LONE-01"]'),
    ]
    assert {r[5] for r in labels} == {RULES_VERSION}
    assert [(r[0], r[1], r[2]) for r in findings] == [
        (1, "missing_cse_flag", 1),
        (1, "police_la_mismatch", 1),  # the police side of the pair, naming the LA record
        (2, "police_la_mismatch", 1),  # the LA concern; the child's police crime not flagged
        (3, "wrong_cse_flag", 3),
    ]
    # 4 (a flagged crime of a child the council never recorded) and 5 (a council concern about
    # a child the police never recorded) are review indicators, not mismatches.
    assert findings[2][3] == (
        '{"child":1,"records":[{"child":1,"concern_here":true,"other_agency_records":[1]}],'
        '"rule":"F-PLA-01","window_days":365}'
    )
    # A re-run replaces the stage's tables with the same content.
    run_classify(fresh_store, actor="tester")
    assert _rows(fresh_store) == (labels, findings)


def test_protected_characteristics_change_nothing(fresh_store: Engine) -> None:
    build().save(fresh_store)
    run_classify(fresh_store)
    before = _rows(fresh_store)
    with writing(fresh_store) as conn:
        conn.execute(
            update(mentions).values(
                ethnicity="A2", ethnicity_raw="Pakistani", nationality="Elsewhere"
            )
        )
    run_classify(fresh_store)
    assert _rows(fresh_store) == before


def test_refuses_to_run_before_link(fresh_store: Engine) -> None:
    w = build()
    for m in w.mentions:
        m["person"] = None
    w.save(fresh_store)
    with pytest.raises(StageError, match="run `casereview link`"):
        run_classify(fresh_store)


@pytest.mark.parametrize("package", ["classify", "network"])
def test_code_never_reads_protected_characteristics(package: str) -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "casereview" / package
    words = re.compile(r"ethnic|nationalit|religio", re.IGNORECASE)
    offenders = [p.name for p in sorted(root.glob("*.py")) if words.search(p.read_text())]
    assert offenders == []
