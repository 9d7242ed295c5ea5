"""The records extract leaves through the report's disclosure control (issue 22, item 6), on
the reviewed world (tests/report/reviewed_world.py: built by the real pipeline)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.model.tables import audit_log
from casereview.report.extract import EXTRACT_COLUMNS, records_extract, write_records_extract
from casereview.report.statistics import load_records, load_sources
from casereview.store.audit import verify
from casereview.store.db import reading


def test_extract_publishes_no_small_combination(reviewed_store: Engine, tmp_path: Path) -> None:
    engine = reviewed_store
    with reading(engine) as conn:
        recs = load_records(conn, load_sources(conn))
    # What the record-level export gave away: combinations held by one record only.
    combos = Counter((r.record_type, r.year, r.borough, r.cse_flag, r.outcome) for r in recs)
    assert sum(1 for n in combos.values() if n == 1) > 50

    out = tmp_path / "extract.csv"
    result = write_records_extract(
        engine, out, purpose="research", recipient="university", actor="ana"
    )
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == result.rows and rows[0] == list(EXTRACT_COLUMNS)
    assert len(rows) - 1 == result.combinations == len(combos)
    counts = [row[-1] for row in rows[1:]]
    assert all(c == "[c]" or (int(c) >= 10 and int(c) % 5 == 0) for c in counts)
    assert counts.count("[c]") == result.withheld > 0
    # The same combination is published alike in every extract (cell keys).
    assert records_extract(engine).rows == rows
    assert out.stat().st_mode & 0o777 == 0o600
    with reading(engine) as conn:
        entry = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert entry is not None
    assert (entry.actor, entry.action, entry.object_id, entry.purpose, entry.recipient) == (
        "ana", "disclose", "records_extract", "research", "university"
    )  # fmt: skip
    assert json.loads(entry.details)["withheld"] == result.withheld
    assert verify(engine).ok
