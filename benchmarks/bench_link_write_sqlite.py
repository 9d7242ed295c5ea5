"""What SQLite spends writing link's rows at 1M, with and without `stage._write_settings`'
memory map and `stage._indexes_rebuilt`'s dropped indexes (the eighth session, stage8).

On a COPY of an ingested store (its `mentions`, so the foreign keys are looked up as in the
stage), in one transaction that is rolled back: a run row, 549,173 persons, a person for every
mention (`mention_person`) and 1,053,948 random pairs of mentions (`match_pairs`), as the stage
writes them (executemany in slices of 50,000, sorted pairs, a 256 MiB page cache). Prints the
wall and CPU seconds of each variant:

    cp /work/bench/link_1m/store.db /tmp/copy.db
    .venv/bin/python benchmarks/bench_link_write_sqlite.py /tmp/copy.db before after before after

`before` is main's write (page cache only); `after` adds the memory map and drops the two
non-unique indexes first and creates them again from `sqlite_master` after. The rows are
made up (the same in both variants); only the store's mentions are real. Never point it at a
store in use: it writes (and rolls back) in it.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from typing import Any

PERSONS = 549_173
PAIRS = 1_053_948
SLICE = 50_000
LEVELS = "3:0.4150374992788438,2,-1,0,1,2,0:1.2,-1,0,4"
COMPARED = '["Amy", "Smith", null, "born 1990", "E1 6AN"]'


def _insert(con: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    cursor = con.cursor()
    for start in range(0, len(rows), SLICE):
        cursor.executemany(sql, rows[start : start + SLICE])


def run(path: str, variant: str) -> dict[str, float]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA cache_size = -262144")
    if variant == "after":
        con.execute(f"PRAGMA mmap_size = {4 * 1024**3}")
    mentions = [r[0] for r in con.execute("SELECT id FROM mentions ORDER BY id")]
    rng = random.Random(1)
    person_of = [rng.randint(1, PERSONS) for _ in mentions]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < PAIRS:
        a, b = rng.choice(mentions), rng.choice(mentions)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    indexes = [
        (name, sql)
        for name, table, sql in con.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master"
            " WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        )
        if table in ("mention_person", "match_pairs") and not sql.upper().startswith("CREATE UNIQUE")
    ]
    run_id = 1 + (con.execute("SELECT max(id) FROM runs").fetchone()[0] or 0)
    seconds: dict[str, float] = {}
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO runs (id, stage, parameters, software_version, status, started_at)"
            " VALUES (?, 'link', '{}', 'bench', 'running', '2026-12-07')",
            (run_id,),
        )
        wall, cpu = time.perf_counter(), time.process_time()
        if variant == "after":
            for name, _sql in indexes:
                con.execute(f'DROP INDEX "{name}"')
        _insert(
            con,
            "INSERT INTO persons (id, display_name, mention_count, active, first_run_id,"
            " last_run_id) VALUES (?, ?, ?, ?, ?, ?)",
            [(p, f"Person {p}", 2, True, run_id, run_id) for p in range(1, PERSONS + 1)],
        )
        _insert(
            con,
            "INSERT INTO mention_person (mention_id, person_id, match_weight,"
            " match_probability, run_id, compared) VALUES (?, ?, ?, ?, ?, ?)",
            [(m, p, 12.5, 0.999, run_id, COMPARED) for m, p in zip(mentions, person_of, strict=True)],
        )
        _insert(
            con,
            "INSERT INTO match_pairs (mention_a_id, mention_b_id, match_weight,"
            " match_probability, levels, run_id) VALUES (?, ?, ?, ?, ?, ?)",
            [(a, b, 9.5, 0.99, LEVELS, run_id) for a, b in sorted(pairs)],
        )
        if variant == "after":
            for _name, sql in indexes:
                con.execute(sql)
        seconds = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    finally:
        con.execute("ROLLBACK")
        con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="a COPY of an ingested store (written, then rolled back)")
    parser.add_argument("variants", nargs="+", choices=["before", "after"])
    args = parser.parse_args()
    for variant in args.variants:
        seconds = run(args.store, variant)
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        print(
            f"{variant}: write {seconds['wall_s']:.1f} s wall, {seconds['cpu_s']:.1f} s CPU;"
            f" load {' '.join(load)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
