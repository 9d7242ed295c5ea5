"""Re-imports: a changed mapping re-derives the same bytes (and says so); rows removed from a
full re-export are counted, their records and persons kept and marked withdrawn, and brought
back when an export has them again; an incremental export withdraws nothing; the review
stage flags the items of withdrawn records for another look; the migration keeps every row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import Engine, select, text

from casereview.ingest import ingest_mapping
from casereview.model.tables import audit_log, imports, mentions, records, review_items

MAPPING = """\
source: {name: force, kind: police}
files:
  - role: crimes
    path: crimes.csv
    EXPORT
    records:
      key: ref
      record_type: {constant: crime}
      offence: offence
      cse_flag: cse
      persons:
        - key: {column: ref, prefix: "V-"}
          role: {constant: victim}
          name: victim
"""
CRIMES = (
    "ref,offence,victim,cse\n1,Theft,Amy LEE,N\n2,Abduction,Ben COLE,N\n3,Grooming,Cara DAY,Y\n"
)


def _write(folder: Path, crimes: str, mapping: str = MAPPING, export: str = "") -> Path:
    (folder / "crimes.csv").write_text(crimes, encoding="utf-8")
    path = folder / "m.yaml"
    path.write_text(mapping.replace("EXPORT", export), encoding="utf-8")
    return path


def _state(store: Engine) -> list[tuple]:
    with store.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT r.source_ref, r.offence, r.withdrawn_at IS NOT NULL, "
                    "m.withdrawn_at IS NOT NULL FROM records r JOIN mentions m "
                    "ON m.record_id = r.id ORDER BY r.source_ref"
                )
            ).all()
        ]


def test_a_changed_mapping_re_derives_the_same_bytes(fresh_store: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, CRIMES)
    (first,) = ingest_mapping(fresh_store, path, tmp_path, "tester")
    with fresh_store.connect() as conn:
        ids = dict(conn.execute(select(records.c.source_ref, records.c.id)).all())
    # A comment or another file's entry does not change how this file is derived.
    path.write_text("# a comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    (same,) = ingest_mapping(fresh_store, path, tmp_path, "tester")
    assert (same.status, same.import_id) == ("unchanged", first.import_id)
    # The offence upper-cased: the same bytes are read again, records upserted, ids kept.
    path.write_text(
        path.read_text(encoding="utf-8").replace("offence: offence",
                                                 "offence: {column: offence, normalise: upper}"),
        encoding="utf-8",
    )  # fmt: skip
    (again,) = ingest_mapping(fresh_store, path, tmp_path, "tester")
    assert again.status == "imported"
    assert again.change == (
        f"mapping changed since import {first.import_id} of these bytes: re-derived, rows upserted"
    )
    assert (again.rows_read, again.records_written, again.mentions_written) == (3, 3, 3)
    assert f"; mapping changed since import {first.import_id}" in again.reconciliation
    assert _state(fresh_store) == [("1", "THEFT", False, False), ("2", "ABDUCTION", False, False),
                                   ("3", "GROOMING", False, False)]  # fmt: skip
    with fresh_store.connect() as conn:
        assert dict(conn.execute(select(records.c.source_ref, records.c.id)).all()) == ids
        rows = conn.execute(
            select(imports.c.sha256, imports.c.mapping_digest).order_by(imports.c.id)
        ).all()
        details = json.loads(
            conn.execute(select(audit_log.c.details).order_by(audit_log.c.seq.desc())).scalar()
        )
    assert rows[0][0] == rows[1][0] and rows[0][1] != rows[1][1]  # same bytes, two digests
    assert details["change"] == again.change and details["mapping_digest"] == rows[1][1]


def test_rows_removed_from_a_full_export_are_withdrawn_then_reinstated(
    fresh_store: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, CRIMES)
    ingest_mapping(fresh_store, path, tmp_path, "tester")
    # Crime 2 is gone from the re-export; crime 3 comes back unreadable (still present).
    _write(tmp_path, "ref,offence,victim,cse\n1,Theft,Amy LEE,N\n3,Grooming,Cara DAY,Y,extra\n")
    (result,) = ingest_mapping(fresh_store, path, tmp_path, "tester")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    # Crime 3's malformed row has no readable key: it cannot be told present, so it is
    # withdrawn too (withdrawal marks, never deletes: the next export brings it back).
    assert (result.withdrawn, result.persons_withdrawn) == (2, 2)
    assert result.reconciliation.endswith(
        "; changed file: rows upserted; withdrawn 2 (+ 2 persons): no longer in the export, "
        "kept, marked"
    )
    assert _state(fresh_store) == [("1", "Theft", False, False), ("2", "Abduction", True, True),
                                   ("3", "Grooming", True, True)]  # fmt: skip
    with fresh_store.connect() as conn:
        assert (
            conn.execute(select(imports.c.rows_withdrawn).order_by(imports.c.id.desc())).scalar()
            == 2
        )
        by = conn.execute(
            select(records.c.withdrawn_import_id).where(records.c.source_ref == "2")
        ).scalar()
    assert by == result.import_id
    # A row quarantined with a readable key is present: its record is kept as it was.
    _write(
        tmp_path,
        "ref,offence,victim,cse\n1,Theft,Amy LEE,N\n2,Abduction,Ben COLE,N\n"
        "3,Grooming,Cara DAY,maybe\n",
    )
    (back,) = ingest_mapping(fresh_store, path, tmp_path, "tester")
    assert (back.rows_loaded, back.rows_quarantined, back.withdrawn, back.reinstated) == (
        2,
        1,
        0,
        4,
    )
    assert _state(fresh_store) == [("1", "Theft", False, False), ("2", "Abduction", False, False),
                                   ("3", "Grooming", False, False)]  # fmt: skip


def test_an_incremental_export_withdraws_nothing(fresh_store: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, CRIMES, export="export: incremental")
    ingest_mapping(fresh_store, path, tmp_path, "tester")
    _write(tmp_path, "ref,offence,victim,cse\n4,Theft,Dan FOX,N\n", export="export: incremental")
    (result,) = ingest_mapping(fresh_store, path, tmp_path, "tester")
    assert (result.withdrawn, result.persons_withdrawn) == (0, 0)
    with fresh_store.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM records WHERE withdrawn_at IS NULL")).scalar()
            == 4
        )


def test_the_review_items_of_withdrawn_records_get_another_look(
    sqlite_store: Engine, tmp_path: Path
) -> None:
    """A small world through the real pipeline; one crime with a review item is dropped from
    the police re-export; after the review stage runs again its item needs another look,
    with the reason audited, and the record is still there."""
    from casereview.pipeline import run_pipeline
    from casereview.review.build import build_review
    from casereview.synth import SynthConfig, generate_world

    mappings = Path(__file__).resolve().parents[2] / "mappings"
    world = tmp_path / "world"
    generate_world(SynthConfig(cases=300, seed=1), world, workers=1)
    run_pipeline(sqlite_store, actor="tester", data=world, mappings=mappings)
    with sqlite_store.connect() as conn:
        item_id, ref = conn.execute(
            select(review_items.c.id, records.c.source_ref)
            .join(records, records.c.id == review_items.c.subject_id)
            .where(review_items.c.subject_type == "record", review_items.c.active.is_(True),
                   records.c.import_id == select(imports.c.id).where(
                       imports.c.file_role == "crimes").scalar_subquery())
            .order_by(review_items.c.id)
        ).first()  # fmt: skip
    crimes = world / "met_crime" / "crimes.csv"
    kept = [line for line in crimes.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith(f"{ref},")]  # fmt: skip
    shutil.copy(crimes, tmp_path / "crimes.before.csv")
    crimes.write_text("".join(kept), encoding="utf-8")
    results = ingest_mapping(sqlite_store, mappings / "met_crime.yaml", world, "tester")
    assert [(r.file_role, r.status, r.withdrawn) for r in results] == [
        ("crimes", "imported", 1), ("nominals", "unchanged", 0)]  # fmt: skip
    build_review(sqlite_store, actor="tester")
    with sqlite_store.connect() as conn:
        flagged, active = conn.execute(
            select(review_items.c.needs_another_look, review_items.c.active)
            .where(review_items.c.id == item_id)
        ).one()  # fmt: skip
        transitions = [json.loads(d)["transition"] for d in conn.execute(
            select(audit_log.c.details).where(audit_log.c.object_type == "review_item",
                                              audit_log.c.object_id == str(item_id))).scalars()]  # fmt: skip
        still = conn.execute(
            select(records.c.withdrawn_at).where(records.c.source_ref == ref)
        ).scalar()
        persons = conn.execute(select(mentions.c.id).join(records).where(
            records.c.source_ref == ref)).all()  # fmt: skip
    assert (flagged, active) == (True, True)
    assert transitions == ["record_withdrawn"]
    assert still is not None and persons  # kept, not deleted
