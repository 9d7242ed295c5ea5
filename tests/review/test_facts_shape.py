"""The stored rows the rule tests build (tests/review/facts.py) are what the real ingest stores.

A few people are written into the four sources' export files in each source's own layout and
imported through the project's mappings; `load_context` reads them back. Each must come out as
the same facts as `facts.stored` builds for it: the name split into the same forenames and
surname (so the same name words and forename words), the same date of birth and precision, the
same written age, relationship and council child id, and the same words taken for given names.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from casereview.ingest import ingest_directory
from casereview.review import context as context_module
from casereview.review.context import MentionFacts, ReviewContext, StoredMention, load_context
from casereview.store.db import make_engine, reading
from casereview.store.migrate import upgrade
from casereview.synth import SynthConfig, generate_world
from export_world import (
    MAPPINGS,
    case_crime,
)
from review.facts import context, record, stored


def _rewrite_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """The file's header (the synthetic world's layout of that export) and these rows only."""
    with path.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, header, restval="")
        out.writeheader()
        out.writerows(rows)


def _nominal(n: int, role: str, forename: str, surname: str, dob: str = "", age: str = "",
             rel: str = "") -> dict[str, str]:  # fmt: skip
    return {"nominal_id": f"NF{n:04d}", "crime_ref": "CRIS/9300001/21", "role": role,
            "surname": surname, "forename": forename, "dob": dob, "age": age, "sex": "",
            "relationship_to_victim": rel, "arrested": "N"}  # fmt: skip


def _write_sources(data: Path) -> None:
    generate_world(SynthConfig(cases=5, seed=3), data, workers=1)
    _rewrite_csv(data / "met_crime" / "crimes.csv", [
        case_crime("CRIS/9300001/21", "Sexual activity with a child", "01/03/2021", "Y", "Seen."),
    ])  # fmt: skip
    _rewrite_csv(data / "met_crime" / "nominals.csv", [
        _nominal(1, "V", "Chantelle", ""),
        _nominal(2, "S", "Guy", "FISHER", age="18"),
        _nominal(3, "V", "Merve Mujde", "AKÇA", dob="05/06/2004"),
        _nominal(4, "R", "Tia", "MCDANIEL", rel="mother"),
    ])  # fmt: skip
    _rewrite_csv(data / "met_intel" / "intel_log.csv", [
        {"intel_ref": "IR9300000001", "subject_id": "IR9300000001-S1",
         "report_date": "2021-04-01", "borough": "Hackney", "grading": "B2",
         "subject_name": "TIWAA, Kweku", "subject_dob": "1994-12-12", "subject_sex": "M",
         "text": "Subject seen near the station."},
    ])  # fmt: skip
    _rewrite_csv(data / "met_missing" / "missing_episodes.csv", [
        {"episode_id": "ME9300000001", "person_id": "ME9300000001-C",
         "child_name": "Zephyrine", "dob": "", "age": "14", "sex": "F",
         "reported_missing": "2021-05-01 18:00", "returned": "02/05/2021 10:00",
         "borough": "Hackney", "risk": "Medium", "referral_made": "N",
         "narrative": "Stayed with a friend.", "council_child_id": "HK00000001"},
    ])  # fmt: skip
    referral = {
        "referral_id": "CSC9300000001", "record_type": "referral",
        "date_received": "2021-06-01", "local_authority": "Hackney",
        "child": {"child_id": "CSC9300000001-C", "council_child_id": "HK00000002",
                  "name": "Chantelle Mcdaniel", "dob": "2007-01-01", "gender": "Female"},
        "factors": ["CSE"], "cse_concern": "Y", "referral_source": "School", "outcome": "S47",
        "associates": [
            {"associate_id": f"CSC9300000001-A{i}", "name": name, "relationship": rel,
             "dob": None, "phone": None, "online": None}
            for i, (name, rel) in enumerate(
                [("Guy", "older male friend"), ("Oliver Dunn Miah", "older male friend"),
                 ("Tia MCDANIEL", "mother")], 1)
        ],
        "summary": "Child names an older male friend.",
    }  # fmt: skip
    (data / "la_csc" / "referrals.jsonl").write_text(json.dumps(referral) + "\n", "utf-8")


# What each person above is, written as the rule tests write it: (record id, its source's
# record of the day, then `stored`'s arguments). The ids are not compared.
EXPECTED: list[tuple[tuple[str, str, str], dict[str, Any]]] = [
    (("police", "crime", "2021-03-01"), {"role": "victim", "name": "Chantelle"}),
    (("police", "crime", "2021-03-01"), {"role": "suspect", "name": "Guy FISHER", "age": 18}),
    (("police", "crime", "2021-03-01"),
     {"role": "victim", "name": "Merve Mujde AKÇA", "dob": "2004-06-05"}),
    (("police", "crime", "2021-03-01"),
     {"role": "reporter", "name": "Tia MCDANIEL", "relationship": "mother"}),
    (("police", "intelligence", "2021-04-01"),
     {"role": "subject", "name": "TIWAA, Kweku", "dob": "1994-12-12"}),
    (("police", "missing_episode", "2021-05-01"),
     {"role": "subject", "name": "Zephyrine", "age": 14, "council_id": "HK00000001"}),
    (("local_authority", "referral", "2021-06-01"),
     {"role": "subject", "name": "Chantelle Mcdaniel", "dob": "2007-01-01",
      "council_id": "HK00000002"}),
    (("local_authority", "referral", "2021-06-01"),
     {"role": "associate", "name": "Guy", "relationship": "older male friend"}),
    (("local_authority", "referral", "2021-06-01"),
     {"role": "associate", "name": "Oliver Dunn Miah", "relationship": "older male friend"}),
    (("local_authority", "referral", "2021-06-01"),
     {"role": "parent_carer", "name": "Tia MCDANIEL", "relationship": "mother"}),
]  # fmt: skip


def _compared(m: MentionFacts) -> tuple[Any, ...]:
    return (m.role, sorted(m.name_key), sorted(m.forename_key), str(m.dob), m.dob_precision,
            m.written_age or -1, m.relationship or "", m.council_id or "")  # fmt: skip


def test_the_rule_tests_rows_are_what_ingest_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    _write_sources(data)
    engine = make_engine(f"sqlite:///{tmp_path / 'shape.db'}")
    upgrade(engine)
    ingest_directory(engine, MAPPINGS, data, "pipeline")
    read: list[Any] = []
    loaders_own = context_module.add_mentions

    def add_mentions(ctx: ReviewContext, rows: Sequence[Any], *more: Any) -> None:
        read.extend(rows)
        loaders_own(ctx, rows, *more)

    monkeypatch.setattr(context_module, "add_mentions", add_mentions)
    with reading(engine) as conn:
        real = load_context(conn)
    # the loader reads the columns a rule test's row has, no more, no fewer
    assert {tuple(row._fields) for row in read} == {StoredMention._fields}
    records, rows = [], []
    for n, ((kind, record_type, day), args) in enumerate(EXPECTED, 1):
        records.append(record(n, kind, record_type, day))
        rows.append(stored(n, n, person=None, **args))
    built = context(records, rows)
    got = sorted(_compared(m) for ms in real.mentions_of.values() for m in ms)
    want = sorted(_compared(m) for ms in built.mentions_of.values() for m in ms)
    assert got == want
    assert real.given_names == built.given_names
    assert {"guy", "merve", "mujde", "tia", "kweku"} <= real.given_names

