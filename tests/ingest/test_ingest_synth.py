"""The mappings in mappings/ load a whole synthetic world: counts reconcile, every truth
mention is loaded, and loading again is a no-op."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, func, select

from casereview.ingest import ingest_directory
from casereview.model.tables import audit_log, imports, mentions, quarantine, records, sources
from casereview.synth import SynthConfig, generate_world

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def test_synthetic_world_loads_through_the_mappings(fresh_store: Engine, tmp_path: Path) -> None:
    out = tmp_path / "world"
    generate_world(SynthConfig(cases=120, seed=3), out, workers=1)
    results = ingest_directory(fresh_store, MAPPINGS, out, "tester")

    assert sorted((r.source, r.file_role) for r in results) == [
        ("la_csc", "referrals"),
        ("met_crime", "crimes"),
        ("met_crime", "nominals"),
        ("met_intel", "intel_log"),
        ("met_missing", "missing_episodes"),
    ]
    for r in results:
        assert r.status == "imported"
        assert r.rows_read == r.rows_loaded + r.rows_quarantined
        assert r.rows_quarantined == 0, r
        assert r.rows_read > 0

    with (out / "truth" / "mentions.csv").open(newline="", encoding="utf-8") as handle:
        truth = {(row["source"], row["mention_key"]) for row in csv.DictReader(handle)}
    with fresh_store.connect() as conn:
        loaded = set(
            conn.execute(
                select(sources.c.name, mentions.c.mention_key).join(
                    sources, sources.c.id == mentions.c.source_id
                )
            ).all()
        )
        db_imports = conn.execute(
            select(imports.c.file_role, imports.c.rows_read, imports.c.rows_loaded).order_by(
                imports.c.id
            )
        ).all()
        collects = conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "collect")
        ).scalar_one()
        quarantined = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
        record_count = conn.execute(select(func.count()).select_from(records)).scalar_one()
    assert loaded == truth
    assert [(f, n, n) for f, n, _ in db_imports] == [
        (r.file_role, r.rows_read, r.rows_loaded) for r in results
    ]
    assert collects == len(results)
    assert quarantined == 0
    assert record_count == sum(r.records_written for r in results)

    again = ingest_directory(fresh_store, MAPPINGS, out, "tester")
    assert [r.status for r in again] == ["unchanged"] * len(results)
    with fresh_store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(mentions)).scalar_one() == len(truth)
        assert conn.execute(select(func.count()).select_from(imports)).scalar_one() == len(results)
