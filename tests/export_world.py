"""Small purpose-made worlds written as source exports and run through the real ingest and stages.

A test lays out its planted facts as rows of the synthetic sources' own export files (the
layouts the mappings in `mappings/` read: met_crime's crimes and nominals, la_csc's referrals),
and `ingest_exports` / `build_store` import them and run the stages: every derived row
(persons, mention_person, findings, groups, review items, runs...) is what the real code wrote.
People carry distinct invented names and dates of birth, so that the tests find their persons
by name (`persons_by_name`) and their records by reference (`record_ids`).

The same rows, in the positional form the planted cases of the review tests use (`case_crime`,
`case_nominal`, `case_referral`, `case_intel`), are appended to a synthetic world's exports
(`append_csv`, `append_referrals`) and built through every stage by `build_synthetic_store`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.ingest import ingest_directory
from casereview.ingest.load import ImportResult, ingest_mapping
from casereview.model.tables import mention_person, mentions, records
from casereview.pipeline import run_pipeline
from casereview.store.db import make_engine, reading
from casereview.store.migrate import upgrade
from casereview.synth import SynthConfig, generate_world
from casereview.synth.render import HEADERS

__all__ = [
    "CRIME_COLUMNS",
    "CSE_TEXT",
    "MAPPINGS",
    "NOMINAL_COLUMNS",
    "append_csv",
    "append_referrals",
    "build_store",
    "build_synthetic_store",
    "case_crime",
    "case_intel",
    "case_nominal",
    "case_referral",
    "crime",
    "ingest_exports",
    "intel",
    "names_to_persons",
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
    key: str, ref: str, role: str, person: tuple[str, ...], **column: str
) -> dict[str, str]:
    """A row of met_crime/nominals.csv: `person` (forename, surname, dob dd/mm/yyyy, and
    optionally address, postcode, phone) named in crime `ref` as V, S, W or R; `column` sets
    any other column."""
    forename, surname, dob = person[:3]
    where = dict(zip(("address", "postcode", "phone"), person[3:6], strict=False))
    return {"nominal_id": key, "crime_ref": ref, "role": role, "forename": forename,
            "surname": surname, "dob": dob, "sex": "F" if role == "V" else "M", **where,
            **column}  # fmt: skip


def _iso(dob: str) -> str:
    """dd/mm/yyyy as yyyy-mm-dd ("" stays "")."""
    return "-".join(reversed(dob.split("/"))) if dob else ""


def referral(ref: str, day: str, child: tuple[str, ...], **column: object) -> dict[str, object]:
    """A line of la_csc/referrals.jsonl received on `day` (yyyy-mm-dd) about `child`
    (forename, surname, dob dd/mm/yyyy, and optionally address, postcode)."""
    forename, surname, dob = child[:3]
    where: dict[str, object] = {}
    if len(child) > 3:
        where = {"ethnicity": None, "address": child[3], "postcode": child[4]}
    return {"referral_id": ref, "record_type": "referral", "date_received": day,
            "local_authority": "Hackney",
            "child": {"child_id": f"{ref}-C", "name": f"{forename} {surname}",
                      "dob": _iso(dob), "gender": "Female", **where},
            "factors": [], "cse_concern": "N", "outcome": "NFA", "associates": [],
            "summary": "", **column}  # fmt: skip


def intel(ref: str, day: str, subject: tuple[str, str, str], **column: str) -> dict[str, str]:
    """A row of met_intel/intel_log.csv reported on `day` (yyyy-mm-dd) about `subject`."""
    forename, surname, dob = subject
    return {"intel_ref": ref, "subject_id": f"{ref}-S1", "report_date": day,
            "borough": "Hackney", "grading": "B2", "subject_name": f"{surname.upper()}, {forename}",
            "subject_dob": _iso(dob), "subject_sex": "M", **column}  # fmt: skip


# ---------------------------------------------- the planted cases' form, for a synthetic world

CSE_TEXT = ("IP (F, 14) reports an older male gave her alcohol and lifts and took her to a hotel "
            "where sexual activity took place.")  # fmt: skip


def case_crime(ref: str, offence: str, day: str, flag: str, narrative: str, *, outcome: str = "",
               linked: str = "", place: tuple[str, str, str] = ("", "", "")) -> dict[str, str]:  # fmt: skip
    """`crime` with its offence, flag and narrative; `place` is (location type, address,
    postcode)."""
    kind, address, postcode = place
    return crime(ref, day, flag=flag, offence=offence, outcome=outcome, linked_refs=linked,
                 location_type=kind, location_address=address, location_postcode=postcode,
                 narrative=narrative)  # fmt: skip


def case_nominal(
    p: tuple[str, ...], role: str, ref: str, n: int, rel: str = "", vrm: str = "", **column: str
) -> dict[str, str]:
    """`nominal` of person `p` (forename, surname, dob, address, postcode, phone), the `n`th of
    crime `ref`; `column` overrides any of its columns (an age for a dob...)."""
    return nominal(f"NX{ref[-7:-3]}{n}", ref, role, p, relationship_to_victim=rel, vrm=vrm,
                   arrested="N", **column)  # fmt: skip


def case_referral(ref: str, day: str, child: tuple[str, ...], factors: list[str], concern: str,
                  summary: str, associates: list[tuple[tuple[str, ...], str]]) -> dict[str, object]:  # fmt: skip
    """`referral` from a school with an S47 outcome, naming `associates` ((person, relationship):
    name, date of birth, phone)."""
    return referral(ref, day, child, factors=factors, cse_concern=concern,
                    referral_source="School", outcome="S47", summary=summary, associates=[
                        {"associate_id": f"{ref}-A{i}", "name": f"{a[0]} {a[1]}",
                         "relationship": rel, "dob": _iso(a[2]), "phone": a[5]}
                        for i, (a, rel) in enumerate(associates, 1)
                    ])  # fmt: skip


def case_intel(ref: str, day: str, name: str, dob: str) -> dict[str, str]:
    """`intel` on a subject named and born as written (`dob` yyyy-mm-dd or "")."""
    return intel(ref, day, ("", "", ""), subject_name=name, subject_dob=dob,
                 text="Subject seen with young girls near the station.")  # fmt: skip


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


def append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Rows added to an export file in its own header's columns."""
    with path.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with path.open("a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, header, restval="").writerows(rows)


def append_referrals(data: Path, referrals: list[dict[str, object]]) -> None:
    """Referrals added to the council's export (one JSON object per line)."""
    with (data / "la_csc" / "referrals.jsonl").open("a", encoding="utf-8") as f:
        for row in referrals:
            f.write(json.dumps(row) + "\n")


def build_synthetic_store(
    folder: Path, add_cases: Callable[[Path], None], *, seed: int = 11, cases: int = 300
) -> Engine:
    """A synthetic world of `cases` crimes and `seed` with `add_cases` written into its exports,
    through ingest and every stage into a SQLite store in `folder`."""
    data = folder / "data"
    generate_world(SynthConfig(cases=cases, seed=seed), data, workers=1)
    add_cases(data)
    engine = make_engine(f"sqlite:///{folder / 'findings.db'}")
    upgrade(engine)
    ingest_directory(engine, MAPPINGS, data, "pipeline")
    run_pipeline(engine, actor="pipeline")
    return engine


def record_ids(engine: Engine) -> dict[str, int]:
    """Record id by source reference."""
    with reading(engine) as conn:
        rows = conn.execute(select(records.c.source_ref, records.c.id)).all()
    return {str(ref): int(rid) for ref, rid in rows}


def names_to_persons(engine: Engine) -> tuple[dict[str, set[int]], dict[int, int]]:
    """The persons each name's mentions were resolved to ("Forename Surname"), and the person
    of each mention."""
    found: dict[str, set[int]] = {}
    person: dict[int, int] = {}
    with reading(engine) as conn:
        rows = conn.execute(
            select(
                mentions.c.id, mentions.c.forenames, mentions.c.surname, mention_person.c.person_id
            ).join(mention_person, mention_person.c.mention_id == mentions.c.id)
        ).all()
    for mid, forenames, surname, pid in rows:
        found.setdefault(f"{forenames} {surname}", set()).add(int(pid))
        person[int(mid)] = int(pid)
    return found, person


def persons_by_name(engine: Engine) -> dict[str, int]:
    """The person each name's mentions were resolved to ("Forename Surname"); a name whose
    mentions went to more than one person is an error of the world, not of the test."""
    found = names_to_persons(engine)[0]
    split = {name: ids for name, ids in found.items() if len(ids) > 1}
    assert not split, f"one name resolved to several persons: {split}"
    return {name: ids.pop() for name, ids in found.items()}
