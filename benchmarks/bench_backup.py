"""Backup of a large SQLite store while the application keeps committing (issue 19).

A store is built with the real schema and filled to `--size-gb` (records with long narrative
text, written straight into SQLite: the backup copies pages, whatever they hold). Then, while
a thread appends audit entries at `--commits-per-second` through the real audit function
(each a short write transaction), `casereview`'s `backup_store` copies it. Printed: the store
size, the backup's wall time, the copy's integrity check, the commits made during the backup
and the slowest commit (a writer must never wait for the whole backup).

Target: a 2 GB store under 20 commits per second backed up in at most 60 s.

    .venv/bin/python benchmarks/bench_backup.py --size-gb 2 --commits-per-second 20

The store and the copy are written under a temporary folder (or `--folder`) and removed at
the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from casereview.model.codes import AuditAction
from casereview.store import audit
from casereview.store.backup import backup_store, sqlite_integrity_check
from casereview.store.db import make_engine, writing
from casereview.store.migrate import upgrade

ROW_TEXT = 8_000  # bytes of narrative per filler row


def fill(path: Path, size_bytes: int) -> int:
    """Add filler rows to the store at `path` until it holds `size_bytes`; returns the rows."""
    con = sqlite3.connect(path)
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS bench_filler (id INTEGER PRIMARY KEY, narrative TEXT)"
        )
        block = "Case note: the child was seen with an adult at a fast-food outlet. " * (
            ROW_TEXT // 70
        )
        rows = 0
        while path.stat().st_size < size_bytes:
            con.executemany(
                "INSERT INTO bench_filler (narrative) VALUES (?)",
                ((f"{rows + i} {block}",) for i in range(5_000)),
            )
            con.commit()
            rows += 5_000
        return rows
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--commits-per-second", type=float, default=20.0)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench_backup_"))
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "store.db"
    url = f"sqlite:///{store}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        rows = fill(store, int(args.size_gb * 1024**3))
        print(f"store: {store.stat().st_size / 1024**3:.2f} GiB ({rows:,} filler rows, "
              f"built in {time.perf_counter() - started:.0f} s)")  # fmt: skip

        stop = threading.Event()
        commits: list[float] = []  # seconds each commit took

        def keep_committing() -> None:
            gap = 1.0 / args.commits_per_second
            while not stop.is_set():
                t0 = time.perf_counter()
                with writing(engine) as conn:
                    audit.append(conn, actor="bench", action=AuditAction.CONSULT,
                                 object_type="record", object_id=1)  # fmt: skip
                took = time.perf_counter() - t0
                commits.append(took)
                stop.wait(max(0.0, gap - took))

        writer = threading.Thread(target=keep_committing)
        writer.start()
        time.sleep(2)  # the writer is running before the backup starts
        before = len(commits)
        out = folder / "copy.db"
        t0 = time.perf_counter()
        try:
            result = backup_store(engine, out, actor="bench", purpose="benchmark")
        finally:
            backup_seconds = time.perf_counter() - t0
            stop.set()
            writer.join()
        during = commits[before:]
        print(f"backup: {backup_seconds:.1f} s for {result.bytes / 1024**3:.2f} GiB "
              f"(target 60 s); integrity: {sqlite_integrity_check(out)}")  # fmt: skip
        print(f"writer: {len(during)} commits during the backup "
              f"({len(during) / backup_seconds:.1f}/s, asked {args.commits_per_second:g}/s), "
              f"slowest {max(during, default=0.0) * 1000:.0f} ms")  # fmt: skip
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        engine.dispose()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
