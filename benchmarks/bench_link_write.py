"""The link stage's store write at 1M alone, on the stage's own inputs: time, memory, rows.

`capture` runs `run_link` on a copy of a store (as `bench_link_1m.py --whole-stage` does) up
to its write and saves what the write is given (the names read, the prediction with its
frame's columns dropped, the stable ids) as a pickle, then stops (the copy is rolled back
and removed):

    .venv/bin/python benchmarks/bench_link_write.py capture --store /work/bench/link_1m/store.db \\
        --inputs /tmp/write_inputs.pkl

`replay` writes those inputs into a store (a COPY of the same store: it writes, then rolls
back) exactly as `run_link` writes them (`_write_settings`, `_indexes_rebuilt` when the code
has it, `_write`), in a stage run that is rolled back, and prints the write's wall and CPU
seconds, the process's RSS before the write and its peak inside it (the write's own
increment; the kernel's peak mark is reset before), and a digest of every row written
(persons, person_lineage, mention_person, match_pairs, the legend), so that two codes'
writes can be compared on the same inputs:

    cp /work/bench/link_1m/store.db /tmp/copy.db
    .venv/bin/python benchmarks/bench_link_write.py replay --store /tmp/copy.db \\
        --inputs /tmp/write_inputs.pkl
    /work/wt-base/.venv/bin/python benchmarks/bench_link_write.py replay ...   # main's write

`--without mmap,cache,rebuild,fork` leaves out the memory map, the large page cache or the
dropped and rebuilt indexes of the write (as far as the code has them), or the forked child
that works out the display names and compared values (as on Spark, where it is off). `--profile FILE` writes a cProfile of the write; `--tracemalloc` also prints the peak of Python's own allocations inside the write (slower).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import ctypes
import gc
import hashlib
import pickle
import resource
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from casereview.store.db import make_engine


class _Captured(Exception):
    """Raised inside the stage once the write's inputs are saved (rolls the run back)."""


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def capture(store: str, inputs: str) -> None:
    from casereview.link import stage
    from casereview.link.stage import run_link

    def saving(conn: Any, run_id: int, rows: Any, prediction: Any, ids: Any, *rest: Any) -> Any:
        started = time.perf_counter()
        # What the write reads of the prediction (the clustering holds the backend).
        pairs = prediction.pairs
        pairs.attrs = {}
        kept = SimpleNamespace(
            pairs=pairs,
            detail=prediction.detail,
            model_json=prediction.model_json,
            clustering=SimpleNamespace(labels=dict(prediction.clustering.labels)),
        )
        with open(inputs, "wb") as out:
            pickle.dump(
                {"rows": rows, "prediction": kept, "ids": ids, "rest": rest[:2]}, out, protocol=5
            )
        print(f"inputs saved in {time.perf_counter() - started:.1f} s; RSS {_rss_mib():.0f} MiB")
        raise _Captured

    stage._write = saving  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(dir=Path(store).parent) as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copyfile(store, copy)
        engine = make_engine(f"sqlite:///{copy}")
        from casereview.store.migrate import upgrade

        upgrade(engine)
        with contextlib.suppress(_Captured):
            run_link(engine, progress=lambda m: print(f"  {time.strftime('%X')} {m}", flush=True))
        engine.dispose()


_DIGESTED = {
    "persons": "SELECT id, display_name, mention_count, active, first_run_id = last_run_id FROM persons"
    " ORDER BY id",
    "person_lineage": "SELECT old_person_id, new_person_id, change, overlap FROM person_lineage"
    " ORDER BY old_person_id, new_person_id, change",
    "mention_person": "SELECT mention_id, person_id, match_weight, match_probability, compared"
    " FROM mention_person ORDER BY mention_id",
    "match_pairs": "SELECT mention_a_id, mention_b_id, match_weight, match_probability, levels"
    " FROM match_pairs ORDER BY mention_a_id, mention_b_id",
}


def replay(
    store: str,
    inputs: str,
    use_tracemalloc: bool,
    digest: bool,
    profile: str | None,
    without: set[str],
) -> None:
    from casereview.link import stage
    from casereview.settings import get_settings
    from casereview.store.runs import stage_run

    gc.disable()  # as `run_link` pauses the collector (`casereview.collector`)
    with open(inputs, "rb") as f:
        given = pickle.load(f)  # nosec B301 - our own file
    rows, prediction, ids = given["rows"], given["prediction"], given["ids"]
    del given
    link = get_settings().link
    if "mmap" in without:
        # The write's SQLite settings without the memory map (the page cache kept).
        stage._WRITE_MMAP_BYTES = 0
    if "cache" in without:
        stage._WRITE_CACHE_KIB = 2_000  # SQLite's default page cache
    if "fork" in without and hasattr(stage, "Forked"):
        # As on Spark (`Prediction.detail` kept apart): the rows' names and compared values
        # worked out in this process, not in a forked child.
        forked = stage.Forked
        stage.Forked = lambda fn, **_kw: forked(fn, enabled=False)  # type: ignore[misc]
    if "rebuild" in without and hasattr(stage, "_indexes_rebuilt"):
        stage._indexes_rebuilt = lambda conn: contextlib.nullcontext()
    engine = make_engine(f"sqlite:///{store}")
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    artifacts: dict[str, str] = {}
    with contextlib.suppress(_Captured), stage_run(engine, "link", {}) as run:
        conn = run.conn
        before = _rss_mib()
        Path("/proc/self/clear_refs").write_text("5")
        if use_tracemalloc:
            import tracemalloc

            tracemalloc.start()
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        write_phase = getattr(stage, "_write_phase", None)
        if write_phase is not None:
            written = write_phase(conn, run.run_id, rows, prediction, ids, link, artifacts.__setitem__)
        else:
            with stage._write_settings(conn):
                rebuilt = getattr(stage, "_indexes_rebuilt", None)
                with rebuilt(conn) if rebuilt else contextlib.nullcontext():
                    written = stage._write(
                        conn, run.run_id, rows, prediction, ids,
                        link.match_weight_threshold, link.near_miss_margin,
                        artifacts.__setitem__,
                    )  # fmt: skip
        seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        peak = _hwm_mib()
        traced = ""
        if use_tracemalloc:
            import tracemalloc

            traced = f"; Python's allocations peak {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB"
            tracemalloc.stop()
        cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
        print(
            f"write: {written} in {seconds:.1f} s wall, {cpu:.1f} s CPU; RSS before "
            f"{before:.0f} MiB, peak inside {peak:.0f} MiB (+{peak - before:.0f}){traced}; "
            f"load {_load()}",
            flush=True,
        )
        if digest:
            for table, sql in _DIGESTED.items():
                h = hashlib.sha256()
                n = 0
                for row in conn.execute(text(sql)):
                    h.update(repr(tuple(row)).encode())
                    n += 1
                print(f"  {table}: {n} rows, sha256 {h.hexdigest()[:16]}")
            for name, content in sorted(artifacts.items()):
                print(f"  artifact {name}: sha256 {hashlib.sha256(content.encode()).hexdigest()[:16]}")
        raise _Captured
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["capture", "replay"])
    parser.add_argument("--store", required=True)
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--no-digest", action="store_true")
    parser.add_argument(
        "--without",
        default="",
        help="comma-separated: mmap, cache, rebuild (the write's SQLite settings left out),"
        " fork (the names and compared values worked out in the process, as on Spark)",
    )
    parser.add_argument("--profile", default=None, help="cProfile output of the write")
    args = parser.parse_args()
    if args.mode == "capture":
        capture(args.store, args.inputs)
    else:
        replay(args.store, args.inputs, args.tracemalloc, not args.no_digest, args.profile,
            set(filter(None, args.without.split(","))),
        )


if __name__ == "__main__":
    main()
