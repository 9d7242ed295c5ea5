"""The classify stage on a store: every finding code, whole tables, invariance, refusal.

The world is written as source exports and run through the real ingest and link stages
(tests/export_world.py): persons and their mentions are what link wrote."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from casereview.classify import RULES_VERSION, run_classify
from casereview.errors import StageError
from casereview.link.stage import run_link
from casereview.model.tables import classifications, flag_findings, mentions
from casereview.store.db import reading, writing
from export_world import (
    crime,
    ingest_exports,
    intel,
    nominal,
    persons_by_name,
    record_ids,
    referral,
    write_exports,
)

CSE_TEXT = "Driven to a hotel by an older male; sexual activity disclosed."
CCE_TEXT = "Arrested with wraps of class A; believed to be running a county line."
# People: (forename, surname, dob); ages are those on 1 March 2020.
CHILD = ("Victorine", "Ashgrove", "10/01/2006")  # 14
ADULT = ("Bartholomew", "Cranleigh", "05/05/1990")  # 29
TEEN = ("Oswin", "Ferncastle", "07/07/2004")  # 15
YOUNG = ("Perdita", "Gallowmere", "03/03/2007")  # 13
OLDER = ("Mortimer", "Hazelrigg", "04/04/1980")  # 39
LA_ONLY = ("Rowena", "Inchbold", "06/06/2005")  # 14
GROWN = ("Tabitha", "Juniperwell", "08/08/1980")  # 39


def _world(engine: Engine, data: Path, *, link: bool = True) -> dict[str, int]:
    """Records by reference: C1-C4 crimes, L1-L2 council referrals, I1 intelligence."""
    write_exports(
        data,
        crimes=[
            # C1: CSE crime not flagged (missing_cse_flag); a council concern within the window.
            crime("C1", "01/03/2020", flag="N", offence="", narrative=CSE_TEXT),
            # C2: CCE crime flagged CSE (wrong_cse_flag).
            crime("C2", "01/03/2020", flag="Y", narrative=CCE_TEXT,
                  offence="Possession with intent to supply class A"),
            # C3: flagged CSE, a child victim the council holds no record of (no mismatch).
            crime("C3", "01/03/2020", flag="Y", offence="", narrative=CSE_TEXT),
            # C4: ordinary crime, flag N: nothing.
            crime("C4", "01/03/2020", flag="N", offence="", narrative="Theft of a bicycle."),
        ],
        nominals=[
            nominal("N1", "C1", "V", CHILD), nominal("N2", "C1", "S", ADULT),
            nominal("N3", "C2", "S", TEEN), nominal("N4", "C3", "V", YOUNG),
            nominal("N5", "C3", "S", OLDER), nominal("N6", "C4", "V", GROWN),
        ],
        referrals=[
            referral("L1", "2020-03-21", CHILD, factors=["CSE"], cse_concern="Y"),
            # L2: a concern about a child the police hold no record of (no mismatch).
            referral("L2", "2020-03-01", LA_ONLY, factors=["CSE", "MISS"], cse_concern="Y",
                     summary="Concerns about an older 'boyfriend' buying gifts."),
        ],
        # Intelligence carries no flag: never a flag finding.
        intelligence=[intel("I1", "2020-03-01", ADULT, text=CSE_TEXT)],
    )  # fmt: skip
    ingest_exports(engine, data)
    if link:
        run_link(engine)
    return record_ids(engine)


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


def test_every_finding_code(fresh_store: Engine, tmp_path: Path) -> None:
    ref = _world(fresh_store, tmp_path / "data")
    person = persons_by_name(fresh_store)
    child, teen = person["Victorine Ashgrove"], person["Oswin Ferncastle"]
    result = run_classify(fresh_store, actor="tester")
    assert (result.records, result.classified) == (7, 5)
    labels, findings = _rows(fresh_store)
    assert sorted((r[0], r[1], r[3]) for r in labels) == sorted([
        (ref["C1"], "cse_likely", '["T-CSE-03"]'),
        (ref["C1"], "lone_offender", '["T-LONE-01"]'),
        (ref["L1"], "cse_likely", '["T-CSE-01","T-CSE-04"]'),
        (ref["L1"], "lone_offender", '["T-CTX-01"]'),
        (ref["C3"], "cse_likely", '["T-CSE-03"]'),
        (ref["C3"], "lone_offender", '["T-LONE-01"]'),
        (ref["L2"], "cse_likely", '["T-CSE-01","T-CSE-03"]'),
        (ref["I1"], "cse_likely", '["T-CSE-03"]'),
        (ref["I1"], "lone_offender", '["T-LONE-01"]'),
    ])  # fmt: skip
    assert {r[5] for r in labels} == {RULES_VERSION}
    assert sorted((r[0], r[1], r[2]) for r in findings) == sorted([
        (ref["C1"], "missing_cse_flag", child),
        (ref["C1"], "police_la_mismatch", child),  # the police side of the pair, naming the LA record
        (ref["L1"], "police_la_mismatch", child),  # the LA concern; the child's police crime not flagged
        (ref["C2"], "wrong_cse_flag", teen),
    ])  # fmt: skip
    # C3 (a flagged crime of a child the council never recorded) and L2 (a council concern
    # about a child the police never recorded) are review indicators, not mismatches.
    evidence = {(r[0], r[1]): r[3] for r in findings}
    assert evidence[(ref["L1"], "police_la_mismatch")] == (
        f'{{"child":{child},"records":[{{"child":{child},"concern_here":true,'
        f'"other_agency_records":[{ref["C1"]}]}}],"rule":"F-PLA-01","window_days":365}}'
    )
    # A re-run replaces the stage's tables with the same content.
    run_classify(fresh_store, actor="tester")
    assert _rows(fresh_store) == (labels, findings)


def test_protected_characteristics_change_nothing(fresh_store: Engine, tmp_path: Path) -> None:
    _world(fresh_store, tmp_path / "data")
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


def test_refuses_to_run_before_link(fresh_store: Engine, tmp_path: Path) -> None:
    _world(fresh_store, tmp_path / "data", link=False)
    with pytest.raises(StageError, match="run `casereview link`"):
        run_classify(fresh_store)


@pytest.mark.parametrize("package", ["classify", "network"])
def test_code_never_reads_protected_characteristics(package: str) -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "casereview" / package
    words = re.compile(r"ethnic|nationalit|religio", re.IGNORECASE)
    offenders = [p.name for p in sorted(root.glob("*.py")) if words.search(p.read_text())]
    assert offenders == []
