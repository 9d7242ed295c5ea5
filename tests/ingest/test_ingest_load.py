"""Loading files: quarantine reasons, reconciliation, upsert keeping ids, whole-file errors,
paths that leave the data folder, and a forced database error at commit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from casereview.errors import MappingError, SourceFileError, StoreError
from casereview.ingest import ingest_mapping, parse_mapping
from casereview.ingest.pipeline import parallel_available
from casereview.model.tables import (
    audit_log,
    imports,
    mentions,
    quarantine,
    record_links,
    record_locations,
    record_objects,
    records,
)
from casereview.settings import IngestSettings

MAPPING = """\
source: {name: test_police, kind: police}
codes:
  role:
    values: {V: victim, S: suspect}
    unknown: strict
files:
  - role: crimes
    path: crimes.csv
    records:
      key: {column: ref, prefix: "C-"}
      record_type: {constant: crime}
      occurred_at: {column: date, formats: ["%d/%m/%Y", "%m/%Y", "%Y"]}
      borough: borough
      cse_flag: cse
      links:
        - to: {column: linked, split: ";", prefix: "C-"}
      locations:
        - relation: incident_location
          address: address
          postcode: postcode
  - role: people
    path: people.csv
    persons:
      record_key: {column: ref, prefix: "C-"}
      person:
        key: id
        role: {column: role, codes: role}
        name: name
        dob: {column: dob, formats: ["%d/%m/%Y", "%Y"]}
        age: age
        phones: phone
        objects:
          - kind: vehicle
            value: vrm
"""

CRIMES = """\
ref,date,borough,cse,linked,address,postcode
1,01/02/2015,TOWER HAMLETS,Y,2,"12 High St",e1 6an
2,03/2015,HT,N,,,
3,not a date,Hackney,Y,,,
,01/01/2015,Hackney,N,,,
1,01/02/2015,Hackney,N,,,
4,2016,LB Camden,maybe,,,
"""
PEOPLE = """\
id,ref,role,name,dob,age,phone,vrm
P1,1,V,SMITH Jane,01/02/2001,,07700 900123,
P2,1,S,John Doe,,34,,ab12 cde
P3,2,X,Ann Other,,,,
P4,9,V,Orphan Person,,,,
P5,2,V,Ann Other,1999,,not a phone,
P6,2,V,Kid Age,,fourteen,,
"""


def _write(folder: Path, crimes: str = CRIMES, people: str = PEOPLE) -> Path:
    (folder / "crimes.csv").write_text(crimes, encoding="utf-8")
    (folder / "people.csv").write_text(people, encoding="utf-8")
    mapping = folder / "test.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def test_rows_load_or_go_to_quarantine_with_a_reason(fresh_store: Engine, tmp_path: Path) -> None:
    mapping = _write(tmp_path)
    results = ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    assert [(r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results] == [
        (6, 2, 4),
        (6, 2, 4),
    ]
    with fresh_store.connect() as conn:
        q = conn.execute(
            select(
                quarantine.c.file_name,
                quarantine.c.row_number,
                quarantine.c.field,
                quarantine.c.reason,
            ).order_by(quarantine.c.file_name, quarantine.c.row_number)
        ).all()
        recs = conn.execute(
            select(
                records.c.source_ref,
                records.c.occurred_at,
                records.c.borough,
                records.c.borough_raw,
                records.c.cse_flag,
            ).order_by(records.c.source_ref)
        ).all()
        ments = conn.execute(
            select(
                mentions.c.mention_key,
                mentions.c.role,
                mentions.c.forenames,
                mentions.c.surname,
                mentions.c.dob,
                mentions.c.dob_precision,
                mentions.c.age_at_event,
                mentions.c.phones,
            ).order_by(mentions.c.mention_key)
        ).all()
        links = conn.execute(
            select(record_links.c.to_source_ref, record_links.c.to_record_id.is_not(None))
        ).all()
        n_objects = conn.execute(select(func.count()).select_from(record_objects)).scalar_one()
        n_locations = conn.execute(select(func.count()).select_from(record_locations)).scalar_one()
        audit = conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.details)
        ).all()
    assert q == [
        ("crimes.csv", 4, "occurred_at", "bad_date"),
        ("crimes.csv", 5, "key", "missing_required"),
        ("crimes.csv", 6, "key", "duplicate_key"),
        ("crimes.csv", 7, "cse_flag", "bad_value"),
        ("people.csv", 4, "role", "unknown_code"),
        ("people.csv", 5, "record_key", "orphan"),
        ("people.csv", 6, "phones", "bad_value"),
        ("people.csv", 7, "age", "bad_number"),
    ]
    assert recs == [
        ("C-1", dt.date(2015, 2, 1), "Tower Hamlets", "TOWER HAMLETS", True),
        ("C-2", dt.date(2015, 3, 1), "Tower Hamlets", "HT", False),
    ]
    assert ments == [
        ("P1", "victim", "Jane", "SMITH", dt.date(2001, 2, 1), "day", None, '["+447700900123"]'),
        ("P2", "suspect", "John", "Doe", None, "age", 34, "[]"),
    ]
    assert links == [("C-2", True)]
    assert (n_objects, n_locations) == (1, 1)
    assert [(a, b) for a, b, _ in audit] == [("alice", "collect"), ("alice", "collect")]
    assert json.loads(audit[0][2])["rows_quarantined"] == 4


def test_changed_file_upserts_and_keeps_ids(fresh_store: Engine, tmp_path: Path) -> None:
    mapping = _write(tmp_path)
    ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    with fresh_store.connect() as conn:
        before_r = dict(conn.execute(select(records.c.source_ref, records.c.id)).all())
        before_m = dict(conn.execute(select(mentions.c.mention_key, mentions.c.id)).all())
    again = ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    assert [r.status for r in again] == ["unchanged", "unchanged"]

    crimes = CRIMES.replace("12 High St", "14 High St") + "7,01/01/2017,Brent,N,,,\n"
    people = PEOPLE.replace("John Doe", "Jon Doe") + "P7,7,V,New Person,,,,\n"
    _write(tmp_path, crimes, people)
    changed = ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    assert [(r.status, r.records_written, r.mentions_written) for r in changed] == [
        ("imported", 2, 0),
        ("imported", 0, 2),
    ]
    with fresh_store.connect() as conn:
        after_r = dict(conn.execute(select(records.c.source_ref, records.c.id)).all())
        after_m = dict(conn.execute(select(mentions.c.mention_key, mentions.c.id)).all())
        names = dict(conn.execute(select(mentions.c.mention_key, mentions.c.name_raw)).all())
        n_locations = conn.execute(select(func.count()).select_from(record_locations)).scalar_one()
        n_imports = conn.execute(select(func.count()).select_from(imports)).scalar_one()
    assert {k: after_r[k] for k in before_r} == before_r
    assert {k: after_m[k] for k in before_m} == before_m
    assert sorted(after_r) == ["C-1", "C-2", "C-7"]
    assert sorted(after_m) == ["P1", "P2", "P7"]
    assert names["P2"] == "Jon Doe"
    assert n_locations == 1  # the old address of C-1 was replaced, not added to
    assert n_imports == 4


def test_an_export_sent_again_as_it_was_before_a_change_is_loaded_again(
    fresh_store: Engine, tmp_path: Path
) -> None:
    """v1, then a changed v2, then v1 again (the source withdraws its correction): the third
    load is no "unchanged" no-op; the store holds v1's values again, under v1's import, with
    its quarantine made once; v1 once more is a no-op; each load is audited."""
    mapping = _write(tmp_path)
    first = ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    _write(tmp_path, CRIMES, PEOPLE.replace("John Doe", "Jon Doe"))
    ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    _write(tmp_path)
    back = ingest_mapping(fresh_store, mapping, tmp_path, "bob")
    assert [r.status for r in back] == ["unchanged", "imported"]
    assert back[1].import_id == first[1].import_id
    assert back[1].change.startswith(f"these bytes are import {first[1].import_id}, replaced")
    with fresh_store.connect() as conn:
        names = dict(conn.execute(select(mentions.c.mention_key, mentions.c.name_raw)).all())
        by_import = conn.execute(
            select(mentions.c.import_id).where(mentions.c.mention_key == "P2")
        ).scalar_one()
        who = conn.execute(
            select(imports.c.imported_by).where(imports.c.id == first[1].import_id)
        ).scalar_one()
        n_imports = conn.execute(select(func.count()).select_from(imports)).scalar_one()
        per_import = dict(
            conn.execute(
                select(quarantine.c.import_id, func.count()).group_by(quarantine.c.import_id)
            ).all()
        )
        collected = conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "collect")
        ).scalar_one()
    assert names["P2"] == "John Doe"
    assert (by_import, who, n_imports) == (first[1].import_id, "bob", 3)
    assert [per_import.get(r.import_id, 0) for r in first] == [  # made once, not twice
        r.rows_quarantined + r.items_quarantined for r in first
    ]
    assert collected == 4  # crimes, people; people again; people as it was
    again = ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    assert [r.status for r in again] == ["unchanged", "unchanged"]


def test_missing_column_stops_the_file_and_stores_nothing(
    fresh_store: Engine, tmp_path: Path
) -> None:
    mapping = _write(tmp_path, crimes=CRIMES.replace("borough", "district"))
    with pytest.raises(
        SourceFileError, match=r"crimes.csv: row 1: missing required column\(s\) borough"
    ):
        ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    with fresh_store.connect() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (records, imports, quarantine, audit_log)
        ]
    assert counts == [0, 0, 0, 0]


@pytest.mark.parametrize("entry", ["../outside.csv", "/etc/passwd", "sub/../../x.csv"])
def test_paths_cannot_leave_the_data_folder(
    fresh_store: Engine, tmp_path: Path, entry: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "outside.csv").write_text("ref\n1\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        MAPPING.replace("path: crimes.csv", f"path: {json.dumps(entry)}"), encoding="utf-8"
    )
    with pytest.raises(SourceFileError, match="data directory"):
        ingest_mapping(fresh_store, mapping, data, "alice")


def test_mapping_errors_name_the_key_and_line() -> None:
    bad = MAPPING.replace("      borough: borough\n", "      borugh: borough\n")
    with pytest.raises(MappingError) as caught:
        parse_mapping(bad, "test.yaml")
    assert str(caught.value) == (
        "test.yaml: line 13, key files.0.records.borugh: Extra inputs are not permitted"
    )
    with pytest.raises(MappingError, match="unknown code table"):
        parse_mapping(MAPPING.replace("codes: role}", "codes: roles}"), "test.yaml")
    with pytest.raises(MappingError, match=r"line 1.*key source.kind: Input should be"):
        parse_mapping(MAPPING.replace("kind: police", "kind: polise"), "test.yaml")


def test_database_error_at_commit_leaves_nothing(sqlite_store: Engine, tmp_path: Path) -> None:
    mapping = _write(tmp_path)
    with sqlite_store.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER fail_at_end BEFORE UPDATE OF rows_read ON imports "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        )
    with pytest.raises(StoreError, match="disk is full"):
        ingest_mapping(sqlite_store, mapping, tmp_path, "alice")
    with sqlite_store.connect() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (records, mentions, imports, quarantine, audit_log)
        ]
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert counts == [0, 0, 0, 0, 0]


JSONL_MAPPING = """\
source: {name: test_csc, kind: local_authority}
files:
  - role: referrals
    path: referrals.jsonl
    records:
      key: referral_id
      record_type: {constant: referral}
      occurred_at: date
      persons:
        - key: child_id
          role: {constant: subject}
          name: name
          dob: {column: dob, formats: ["%d/%m/%Y", "%Y"]}
          phones: {column: phones, split: ";", on_invalid: "null"}
"""


def _jsonl(folder: Path, items: list[dict]) -> Path:
    (folder / "referrals.jsonl").write_text(
        "".join(json.dumps(i) + "\n" for i in items), encoding="utf-8"
    )
    mapping = folder / "csc.yaml"
    mapping.write_text(JSONL_MAPPING, encoding="utf-8")
    return mapping


def test_json_lines_without_a_required_column_store_nothing(
    fresh_store: Engine, tmp_path: Path
) -> None:
    # Every object spells the key "child" instead of "child_id": the mapping does not fit.
    mapping = _jsonl(tmp_path, [{"referral_id": "R1", "child": "C1", "name": "Amy Lee"}] * 2)
    with pytest.raises(
        SourceFileError, match=r"referrals.jsonl: no object has the required column\(s\) child_id"
    ):
        ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    with fresh_store.connect() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (records, mentions, imports, quarantine)
        ]
    assert counts == [0, 0, 0, 0]
    # One object without it is only that row's problem: quarantined, the rest load.
    rows = [
        {"referral_id": "R1", "child_id": "C1", "name": "Amy Lee"},
        {"referral_id": "R2", "name": "No Key"},
    ]
    (result,) = ingest_mapping(fresh_store, _jsonl(tmp_path, rows), tmp_path, "alice")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)


def test_year_only_dates_written_as_first_january_stay_as_written(
    fresh_store: Engine, tmp_path: Path
) -> None:
    rows = [
        {"referral_id": "R1", "child_id": "C1", "name": "A B", "dob": "01/01/2004"},
        {"referral_id": "R2", "child_id": "C2", "name": "C D", "dob": "2004"},
    ]
    ingest_mapping(fresh_store, _jsonl(tmp_path, rows), tmp_path, "alice")
    with fresh_store.connect() as conn:
        got = conn.execute(
            select(mentions.c.mention_key, mentions.c.dob, mentions.c.dob_precision).order_by(
                mentions.c.mention_key
            )
        ).all()
    assert [tuple(r) for r in got] == [
        ("C1", dt.date(2004, 1, 1), "day"),  # not reinterpreted as a year-only date
        ("C2", dt.date(2004, 1, 1), "year"),
    ]


def test_object_raw_value_is_its_own_text_when_an_item_is_dropped(
    fresh_store: Engine, tmp_path: Path
) -> None:
    rows = [
        {"referral_id": "R1", "child_id": "C1", "name": "A B",
         "phones": "not a phone; 07700 900123;0207 946 0018"},
    ]  # fmt: skip
    mapping = tmp_path / "csc.yaml"
    _jsonl(tmp_path, rows)
    mapping.write_text(
        JSONL_MAPPING.replace(
            '          phones: {column: phones, split: ";", on_invalid: "null"}\n',
            "          objects:\n"
            "            - kind: phone\n"
            '              value: {column: phones, split: ";", on_invalid: "null"}\n',
        ),
        encoding="utf-8",
    )
    ingest_mapping(fresh_store, mapping, tmp_path, "alice")
    with fresh_store.connect() as conn:
        got = conn.execute(
            text(
                "SELECT o.value, ro.raw_value FROM record_objects ro "
                "JOIN objects o ON o.id = ro.object_id ORDER BY o.value"
            )
        ).all()
    assert [tuple(r) for r in got] == [
        ("+442079460018", "0207 946 0018"),
        ("+447700900123", "07700 900123"),
    ]


ORPHAN_FIRST = """\
id,ref,role,name,dob,age,phone,vrm
P1,9,V,Orphan Person,,,,
P2,1,V,Ann Other,,,,
P1,1,S,John Doe,,34,,
P2,2,S,Ann Other,,,,
"""


@pytest.mark.parametrize("pipeline", [False, True], ids=["one process", "pipeline"])
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_an_orphan_never_takes_its_key_wherever_chunks_end(
    fresh_store: Engine, tmp_path: Path, chunk_rows: int, pipeline: bool
) -> None:
    """Row 2 is an orphan with key P1: row 4's P1 loads, in the same chunk or a later one;
    row 5 repeats P2 and is a duplicate. The same result for every chunk size, in one
    process and on the two-core pipeline (on SQLite its child prepares the rows)."""
    if pipeline and not parallel_available():
        pytest.skip("needs fork and two cores")
    mapping = _write(tmp_path, people=ORPHAN_FIRST)
    settings = IngestSettings(chunk_rows=chunk_rows, parallel_min_rows=1 if pipeline else 0,
                              parallel_max_busy_cores=-1)  # fmt: skip
    results = ingest_mapping(fresh_store, mapping, tmp_path, "tester", settings=settings)
    people = results[1]
    assert (people.rows_read, people.rows_loaded, people.rows_quarantined) == (4, 2, 2)
    with fresh_store.connect() as conn:
        loaded = conn.execute(
            select(mentions.c.mention_key, mentions.c.name_raw).order_by(mentions.c.mention_key)
        ).all()
        held = conn.execute(
            select(quarantine.c.row_number, quarantine.c.reason)
            .where(quarantine.c.import_id == people.import_id)
            .order_by(quarantine.c.id)
        ).all()
    assert [tuple(r) for r in loaded] == [("P1", "John Doe"), ("P2", "Ann Other")]
    assert [tuple(r) for r in held] == [(2, "orphan"), (5, "duplicate_key")]
