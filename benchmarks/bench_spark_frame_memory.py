"""The driver's Python memory while the linkage frame is read and built, without Spark: the
whole read (`load_mention_rows` + `build_frame`, as on DuckDB) against the chunked read of
`--engine spark` (`staging.read_frame_in_chunks`), then the guard, the Parquet staging and
the lean frame (`spark_stage`). Each line gives the resident memory and its peak since the
line before (the kernel's high-water mark, reset after each line by /proc/self/clear_refs).

    .venv/bin/python benchmarks/bench_spark_frame_memory.py chunks STORE.db
    /work/wt-base/.venv/bin/python benchmarks/bench_spark_frame_memory.py whole STORE.db

`whole` runs on a checkout without `link/staging.py` (main's code before issue 20's step)."""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

from casereview.link.frame import (
    build_frame,
    effective_block_cap,
    guard_blocks,
    load_mention_rows,
    select_blocking_keys,
)
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading


def memory() -> str:
    found: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line[:5]] = int(line.split()[1]) // 1024
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the high-water mark starts again from the current RSS
    return f"rss {found['VmRSS']} MiB, peak since the line before {found['VmHWM']} MiB"


def main() -> None:
    how, store = sys.argv[1], sys.argv[2]
    gc.disable()  # as run_link runs (casereview.collector)
    link = get_settings().link
    engine = make_engine(f"sqlite:///{store}")
    print("start", memory(), flush=True)
    started = time.perf_counter()
    with reading(engine) as conn:
        if how == "whole":
            rows = load_mention_rows(conn)
            print("rows read", memory(), flush=True)
            frame = build_frame(rows)
            print("frame built", memory(), flush=True)
            rows = rows[["mention_id", "forenames", "surname", "name_raw"]].copy()
            gc.collect()
            print("rows narrowed to the names", memory(), flush=True)
        else:
            from casereview.link.staging import read_frame_in_chunks

            rows, frame = read_frame_in_chunks(conn)
            gc.collect()
            print("read and built a chunk at a time", memory(), flush=True)
    print(f"{time.perf_counter() - started:.1f} s, {len(frame)} mentions", flush=True)
    select_blocking_keys(frame, addresses=link.compare_addresses)
    cap = effective_block_cap(link.max_block_size, len(frame), link.block_cap_reference_mentions)
    guard_blocks(frame, cap)
    gc.collect()
    print("guarded", memory(), flush=True)
    if how != "whole":
        from casereview.link.spark_stage import _stage, lean_in_place

        with tempfile.TemporaryDirectory() as folder:
            _stage(frame, Path(folder))
            print("staged as Parquet", memory(), flush=True)
        lean_in_place(frame)
        gc.collect()
        print("lean", memory(), flush=True)
        try:  # as `spark_stage._predict` does after leaning (sixth session on)
            from casereview.link.spark_stage import give_back
        except ImportError:
            return
        give_back()
        print("lean, freed memory given back", memory(), flush=True)


if __name__ == "__main__":
    main()
