"""Crash safety: an import of 100,000 rows SIGKILLed at 20+ points (after chunks, just before
and just after COMMIT, during COMMIT, random moments) leaves the file wholly present or wholly
absent, an intact database, and a rerun that gives exact counts with no duplicates. The
imports use the two-core pipeline (a forked child reads and transforms, the killed process is
the writing parent); a further test kills the child instead.

The input and an empty migrated store are built once; every kill runs on its own copy of the
store (a file copy), and the independent kill runs go two at a time.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from casereview.ingest.load import CRASH_ENV
from casereview.ingest.pipeline import parallel_available
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade

ROWS = 100_000
CHUNK_ROWS = 5000  # 20 chunks
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
    "r = ingest_mapping(engine, Path(sys.argv[2]), Path(sys.argv[3]), 'crash-test')[0]\n"
    "print(r.status, r.rows_read, r.records_written, r.mentions_written)\n"
)
EMPTY = (0, 0, 0, "ok")
FULL = (1, ROWS, ROWS, "ok")
# After chunks (nothing committed yet), just before and after COMMIT, during COMMIT (a timer
# armed just before it), and two seeded random moments.
_rng = random.Random(17)
POINTS: list[str | float] = [
    *(f"chunk:{n}" for n in (1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 19)),
    "before_commit",
    "after_commit",
    *(f"during_commit:{s}" for s in (0.0, 0.01, 0.05, 0.15)),
    *(round(_rng.uniform(0.3, 3.0), 2) for _ in range(3)),
]


def _state(db: Path) -> tuple[int, int, int, str]:
    with sqlite3.connect(db) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("imports", "records", "mentions")
        ]
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return counts[0], counts[1], counts[2], check


@pytest.fixture(scope="module")
def crash_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 100,000-row file, its mapping and an empty migrated store, built once."""
    folder = tmp_path_factory.mktemp("crash")
    with (folder / "reports.csv").open("w", encoding="utf-8") as handle:
        handle.write("ref,date,name,postcode\n")
        handle.writelines(
            f"R{i},2015-01-{i % 28 + 1:02d},Person{i % 977} SURNAME{i % 313},E1 {i % 9}AB\n"
            for i in range(ROWS)
        )
    (folder / "crash.yaml").write_text(MAPPING, encoding="utf-8")
    engine = make_engine(f"sqlite:///{folder / 'empty.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return folder


def _import(
    folder: Path, db: Path, point: str | float | None, chunk_rows: int = CHUNK_ROWS
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", IMPORT, f"sqlite:///{db}", str(folder / "crash.yaml"),
               str(folder)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEREVIEW_")}
    env["CASEREVIEW_INGEST__CHUNK_ROWS"] = str(chunk_rows)
    env["CASEREVIEW_INGEST__PARALLEL_MIN_ROWS"] = "1000"  # the two-core pipeline,
    env["CASEREVIEW_INGEST__PARALLEL_MAX_BUSY_CORES"] = "-1"  # also on a busy machine
    if isinstance(point, str):
        env[CRASH_ENV] = point
    if not isinstance(point, float):
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    running = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = running.communicate(timeout=point)
    except subprocess.TimeoutExpired:
        running.kill()
        out, err = running.communicate()
    return subprocess.CompletedProcess(command, running.returncode, out.decode(), err.decode())


def _kill_run(folder: Path, index: int, point: str | float) -> tuple[Path, int, tuple]:
    db = folder / f"kill_{index}.db"
    shutil.copyfile(folder / "empty.db", db)
    proc = _import(folder, db, point)
    return db, proc.returncode, _state(db)


@pytest.mark.slow
def test_sigkill_at_many_points_leaves_all_or_nothing(crash_input: Path) -> None:
    assert len(POINTS) >= 20
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda a: _kill_run(crash_input, *a), enumerate(POINTS)))

    for point, (_, returncode, state) in zip(POINTS, runs, strict=True):
        assert state in {EMPTY, FULL}, (point, state)
        if isinstance(point, str) and not point.startswith("during_commit"):
            assert returncode == -9, (point, returncode)
            assert state == (FULL if point == "after_commit" else EMPTY), (point, state)
    outcomes = {state for _, _, state in runs}
    assert outcomes == {EMPTY, FULL}  # kills landed both before and after the commit

    # Rerun on the stores left by a kill after the last chunk, during the commit, and after
    # it: each ends with exactly one import of every row, and a second rerun is a no-op.
    rerun = [runs[POINTS.index("chunk:19")][0], runs[POINTS.index("after_commit")][0]]
    rerun += [
        db for p, (db, _, _) in zip(POINTS, runs, strict=True) if str(p).startswith("during")
    ][:1]

    def finish(db: Path) -> tuple[str, str, tuple]:
        first = _import(crash_input, db, None)
        second = _import(crash_input, db, None)
        assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
        return first.stdout.split()[0], second.stdout.split()[0], _state(db)

    with ThreadPoolExecutor(max_workers=2) as pool:
        finished = list(pool.map(finish, rerun))
    assert finished[0] == ("imported", "unchanged", FULL)
    assert finished[1] == ("unchanged", "unchanged", FULL)
    assert finished[2][1:] == ("unchanged", FULL)
    for db in rerun:
        with sqlite3.connect(db) as conn:
            keys = conn.execute("SELECT count(DISTINCT mention_key) FROM mentions").fetchone()[0]
            refs = conn.execute("SELECT count(DISTINCT source_ref) FROM records").fetchone()[0]
        assert keys == refs == ROWS


@pytest.mark.slow
@pytest.mark.skipif(not parallel_available(), reason="needs fork and two cores")
def test_killing_the_reader_child_aborts_the_file_cleanly(crash_input: Path) -> None:
    db = crash_input / "kill_child.db"
    shutil.copyfile(crash_input / "empty.db", db)
    proc = _import(crash_input, db, "child_chunk:7")
    assert proc.returncode == 1, proc.stderr
    assert "the ingest reader process" in proc.stderr
    assert "was killed by SIGKILL" in proc.stderr
    assert "nothing from this file was stored" in proc.stderr
    assert _state(db) == EMPTY
    rerun = _import(crash_input, db, None)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.split()[0] == "imported"
    assert _state(db) == FULL


PEOPLE_ROWS = 40_000  # 20 chunks of 2,000
RECORDS_MAPPING = """\
source: {name: crash_people, kind: police}
files:
  - role: reports
    path: reports.csv
    records:
      key: ref
      record_type: {constant: incident}
      occurred_at: date
"""
PEOPLE_MAPPING = """\
source: {name: crash_people, kind: police}
files:
  - role: people
    path: people.csv
    persons:
      record_key: ref
      person:
        key: id
        role: {constant: subject}
        name: name
        phones: phone
        locations:
          - relation: home_address
            address: address
            postcode: postcode
"""


def _people_state(db: Path) -> tuple[int, int, int, int, str]:
    """(records, mentions, distinct mention keys, largest mention id or 0, integrity)."""
    with sqlite3.connect(db) as conn:
        records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        mentions, keys, top = conn.execute(
            "SELECT count(*), count(DISTINCT mention_key), coalesce(max(id), 0) FROM mentions"
        ).fetchone()
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return records, mentions, keys, top, check


@pytest.mark.slow
@pytest.mark.skipif(not parallel_available(), reason="needs fork and two cores")
def test_kills_while_a_prepared_persons_file_loads_leave_all_or_nothing(tmp_path: Path) -> None:
    """A persons file that brings its source its first mentions comes from the reader child
    as rows ready to insert; killing the writer (after chunks, before or during COMMIT) or
    the child stores none of it, and a rerun stores every person once, numbered from 1."""
    reports = 2_000
    with (tmp_path / "reports.csv").open("w", encoding="utf-8") as handle:
        handle.write("ref,date\n")
        handle.writelines(f"R{i},2015-01-{i % 28 + 1:02d}\n" for i in range(reports))
    with (tmp_path / "people.csv").open("w", encoding="utf-8") as handle:
        handle.write("id,ref,name,phone,address,postcode\n")
        handle.writelines(
            f"P{i},R{i % reports},Person{i % 977} SURNAME{i % 313},07700 9{i % 100000:05d},"
            f"{i % 300} Church Road,E1 {i % 9}AB\n"
            for i in range(PEOPLE_ROWS)
        )
    (tmp_path / "crash.yaml").write_text(RECORDS_MAPPING, encoding="utf-8")
    base = tmp_path / "records.db"
    engine = make_engine(f"sqlite:///{base}")
    upgrade(engine)
    engine.dispose()
    assert _import(tmp_path, base, None).returncode == 0
    with sqlite3.connect(base) as conn:  # all in the file itself, to copy it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (tmp_path / "crash.yaml").write_text(PEOPLE_MAPPING, encoding="utf-8")
    empty = (reports, 0, 0, 0, "ok")
    full = (reports, PEOPLE_ROWS, PEOPLE_ROWS, PEOPLE_ROWS, "ok")

    def kill(point: str) -> tuple[Path, int, str, tuple]:
        db = tmp_path / f"{point.replace(':', '_')}.db"
        shutil.copyfile(base, db)
        proc = _import(tmp_path, db, point, chunk_rows=2000)
        return db, proc.returncode, proc.stderr, _people_state(db)

    points = ["chunk:1", "chunk:10", "chunk:20", "before_commit", "during_commit:0.01",
              "child_chunk:5"]  # fmt: skip
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(points, pool.map(kill, points), strict=True))
    for point, (_, returncode, _, state) in runs.items():
        assert state in {empty, full}, (point, state)
        if point.startswith(("chunk:", "before_commit")):
            assert (returncode, state) == (-9, empty), point
    _, returncode, stderr, state = runs["child_chunk:5"]
    assert (returncode, state) == (1, empty)
    assert "was killed by SIGKILL" in stderr and "nothing from this file was stored" in stderr

    for point in ("chunk:20", "child_chunk:5", "during_commit:0.01"):
        db = runs[point][0]
        first, second = _import(tmp_path, db, None), _import(tmp_path, db, None)
        assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
        assert second.stdout.split()[0] == "unchanged"
        assert _people_state(db) == full, point
