"""Small purpose-made worlds written as source exports and run through the real ingest and stages.

A test lays out its planted facts as rows of the synthetic sources' own export files (the
layouts the mappings in `mappings/` read: met_crime's crimes and nominals, la_csc's referrals),
and `ingest_exports` / `build_store` import them and run the stages: every derived row
(persons, mention_person, findings, groups, review items, runs...) is what the real code wrote.
People carry distinct invented names and dates of birth, so that the tests find their persons
by name (`persons_by_name`) and their records by reference (`record_ids`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.ingest.load import ImportResult, ingest_mapping
from casereview.model.tables import mention_person, mentions, records
from casereview.pipeline import run_pipeline
from casereview.store.db import reading
from casereview.synth.render import HEADERS

__all__ = [
    "CRIME_COLUMNS",
    "MAPPINGS",
    "NOMINAL_COLUMNS",
    "build_store",
    "crime",
    "ingest_exports",
    "intel",
    "nominal",
    "persons_by_name",
    "record_ids",
    "referral",
    "write_exports",
]

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"

# The synthetic sources' own layouts (the headers `casereview synth` writes).
CRIME_COLUMNS = HEADERS["met_crime/crimes.csv"]
INTEL_COLUMNS = HEADERS["met_intel/intel_log.csv"]
NOMINAL_COLUMNS = HEADERS["met_crime/nominals.csv"]


def crime(ref: str, day: str, *, flag: str = "N", borough: str = "Hackney", **column: str) -> dict[str, str]:  # fmt: skip
    """A row of met_crime/crimes.csv committed on `day` (dd/mm/yyyy); `column` sets any other."""
    return {"crime_ref": ref, "committed_date": f"{day} 20:00", "recorded_date": day,
            "borough": borough, "cse_flag": flag, "offence": "Theft from the person", **column}  # fmt: skip


def nominal(
    key: str, ref: str, role: str, person: tuple[str, str, str], **column: str
) -> dict[str, str]:
    """A row of met_crime/nominals.csv: `person` (forename, surname, dob dd/mm/yyyy) named in
    crime `ref` as V, S, W or R; `column` sets any other column."""
    forename, surname, dob = person
    return {"nominal_id": key, "crime_ref": ref, "role": role, "forename": forename,
            "surname": surname, "dob": dob, "sex": "F" if role == "V" else "M", **column}  # fmt: skip


def referral(
    ref: str, day: str, child: tuple[str, str, str], **column: object
) -> dict[str, object]:
    """A line of la_csc/referrals.jsonl received on `day` (yyyy-mm-dd) about `child`."""
    forename, surname, dob = child
    d, m, y = dob.split("/")
    return {"referral_id": ref, "record_type": "referral", "date_received": day,
            "local_authority": "Hackney",
            "child": {"child_id": f"{ref}-C", "name": f"{forename} {surname}",
                      "dob": f"{y}-{m}-{d}", "gender": "Female"},
            "factors": [], "cse_concern": "N", "outcome": "NFA", "associates": [],
            "summary": "", **column}  # fmt: skip


def intel(ref: str, day: str, subject: tuple[str, str, str], **column: str) -> dict[str, str]:
    """A row of met_intel/intel_log.csv reported on `day` (yyyy-mm-dd) about `subject`."""
    forename, surname, dob = subject
    d, m, y = dob.split("/")
    return {"intel_ref": ref, "subject_id": f"{ref}-S1", "report_date": day,
            "borough": "Hackney", "grading": "B2", "subject_name": f"{surname.upper()}, {forename}",
            "subject_dob": f"{y}-{m}-{d}", "subject_sex": "M", **column}  # fmt: skip


def write_exports(
    data: Path,
    *,
    crimes: Iterable[Mapping[str, str]] = (),
    nominals: Iterable[Mapping[str, str]] = (),
    referrals: Iterable[Mapping[str, object]] = (),
    intelligence: Iterable[Mapping[str, str]] = (),
) -> None:
    """The export files of `data` (written afresh): met_crime's when there are crimes, la_csc's
    when there are referrals, met_intel's when there is intelligence."""
    crimes, nominals, referrals = list(crimes), list(nominals), list(referrals)
    intelligence = list(intelligence)
    if crimes:
        (data / "met_crime").mkdir(parents=True, exist_ok=True)
        for name, header, rows in (
            ("crimes", CRIME_COLUMNS, crimes),
            ("nominals", NOMINAL_COLUMNS, nominals),
        ):
            with (data / "met_crime" / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, header, restval="")
                writer.writeheader()
                writer.writerows(rows)
    if intelligence:
        (data / "met_intel").mkdir(parents=True, exist_ok=True)
        with (data / "met_intel" / "intel_log.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, INTEL_COLUMNS, restval="")
            writer.writeheader()
            writer.writerows(intelligence)
    if referrals:
        (data / "la_csc").mkdir(parents=True, exist_ok=True)
        with (data / "la_csc" / "referrals.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(row) + "\n" for row in referrals)


def ingest_exports(engine: Engine, data: Path, actor: str = "pipeline") -> list[ImportResult]:
    """Import every source of `data` (a folder per source) through its mapping of `mappings/`."""
    results: list[ImportResult] = []
    for source in sorted(p.name for p in data.iterdir() if p.is_dir()):
        results += ingest_mapping(engine, MAPPINGS / f"{source}.yaml", data, actor)
    return results


def build_store(engine: Engine, data: Path) -> None:
    """The exports of `data` imported into the (migrated) store of `engine`, then every stage
    after ingest (link, classify, network, review)."""
    ingest_exports(engine, data)
    run_pipeline(engine, actor="pipeline")


def record_ids(engine: Engine) -> dict[str, int]:
    """Record id by source reference."""
    with reading(engine) as conn:
        rows = conn.execute(select(records.c.source_ref, records.c.id)).all()
    return {str(ref): int(rid) for ref, rid in rows}


def persons_by_name(engine: Engine) -> dict[str, int]:
    """The person each name's mentions were resolved to ("Forename Surname"); a name whose
    mentions went to more than one person is an error of the world, not of the test."""
    found: dict[str, set[int]] = {}
    with reading(engine) as conn:
        rows = conn.execute(
            select(mentions.c.forenames, mentions.c.surname, mention_person.c.person_id).join(
                mention_person, mention_person.c.mention_id == mentions.c.id
            )
        ).all()
    for forenames, surname, pid in rows:
        found.setdefault(f"{forenames} {surname}", set()).add(int(pid))
    split = {name: ids for name, ids in found.items() if len(ids) > 1}
    assert not split, f"one name resolved to several persons: {split}"
    return {name: ids.pop() for name, ids in found.items()}
