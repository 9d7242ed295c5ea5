"""Crash safety: an import of 100,000 rows SIGKILLed at 20+ points (chunks, just before and
after COMMIT, random moments) leaves the file wholly present or wholly absent, an intact
database, and a rerun that gives exact counts with no duplicates."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from casereview.ingest.load import CRASH_ENV
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade

ROWS = 100_000
MAPPING = """\
source: {name: crash_test, kind: police}
files:
  - role: reports
    path: reports.csv
    records:
      key: ref
      record_type: {constant: incident}
      occurred_at: date
      persons:
        - key: {column: ref, prefix: "M-"}
          role: {constant: subject}
          name: name
          postcode: postcode
"""
IMPORT = (
    "import sys\nfrom pathlib import Path\n"
    "from casereview.store.db import make_engine\n"
    "from casereview.ingest import ingest_mapping\n"
    "engine = make_engine(sys.argv[1])\n"
    "ingest_mapping(engine, Path(sys.argv[2]), Path(sys.argv[3]), 'crash-test')\n"
)


def _state(db: Path) -> tuple[int, int, int, str]:
    with sqlite3.connect(db) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("imports", "records", "mentions")
        ]
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return counts[0], counts[1], counts[2], check


@pytest.mark.slow
def test_sigkill_at_many_points_leaves_all_or_nothing(tmp_path: Path) -> None:
    rng = random.Random(17)
    with (tmp_path / "reports.csv").open("w", encoding="utf-8") as handle:
        handle.write("ref,date,name,postcode\n")
        for i in range(ROWS):
            handle.write(
                f"R{i},2015-01-{i % 28 + 1:02d},Person{i % 977} SURNAME{i % 313},E1 {i % 9}AB\n"
            )
    mapping = tmp_path / "crash.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    db = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    command = [sys.executable, "-c", IMPORT, f"sqlite:///{db}", str(mapping), str(tmp_path)]
    env = {**os.environ, "CASEREVIEW_INGEST__CHUNK_ROWS": "5000"}

    points: list[str | float] = [f"chunk:{n}" for n in range(1, 21, 2)]
    points += ["before_commit", "after_commit"]
    points += [rng.uniform(0.3, 4.0) for _ in range(10)]
    outcomes = []
    for point in points:
        if isinstance(point, str):
            proc = subprocess.run(command, env={**env, CRASH_ENV: point}, capture_output=True)
            assert proc.returncode == -9, proc.stderr
        else:
            running = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                running.wait(timeout=point)
            except subprocess.TimeoutExpired:
                running.kill()
                running.wait()
        state = _state(db)
        assert state in {(0, 0, 0, "ok"), (1, ROWS, ROWS, "ok")}, (point, state)
        outcomes.append(state[0])
        if state[0] == 1:  # wholly present: start again from an empty store for the next kill
            with sqlite3.connect(db) as conn:
                conn.execute("PRAGMA foreign_keys = ON")
                for table in ("quarantine", "mentions", "records", "imports"):
                    conn.execute(f"DELETE FROM {table}")
    assert len(points) >= 20
    assert 0 in outcomes and 1 in outcomes  # kills landed both before and after the commit

    subprocess.run(command, env=env, check=True, capture_output=True)
    subprocess.run(command, env=env, check=True, capture_output=True)  # a no-op rerun
    assert _state(db) == (1, ROWS, ROWS, "ok")
