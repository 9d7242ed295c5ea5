"""What the Spark driver's Python holds for every mention, structure by structure, without
Spark (issue 20): the lean frame column by column (`spark_stage.LEAN_COLUMNS`, pandas'
deep memory), the record mates (`frame.record_mates`) and the record context's padded
matrix (`frame.context_matrix`, with every mention its own first-pass person: the widest
it can be) and the persons' labels (`cluster.Clustering.labels`, a dict of every mention;
its values here are its keys, so the labels' own ints are not counted), each with its bytes per mention, to see how each grows with mentions.

    .venv/bin/python benchmarks/bench_spark_driver_structures.py STORE.db [STORE.db ...]
"""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

import numpy as np

from casereview.link.frame import context_matrix, record_mates
from casereview.link.spark_stage import _stage, lean_in_place
from casereview.link.stage import plan_prediction
from casereview.link.staging import read_frame_in_chunks
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading


def held(values: object) -> int:
    """Bytes a column holds: its array, and each distinct object it points to once (pandas'
    deep memory counts a string shared by many rows once per row)."""
    array = np.asarray(values)
    if array.dtype != object:
        return int(array.nbytes)
    seen: dict[int, int] = {}
    for value in array:
        if id(value) not in seen:
            size = sys.getsizeof(value)
            if isinstance(value, list):
                size += sum(sys.getsizeof(v) for v in value)
            seen[id(value)] = size
    return int(array.nbytes) + sum(seen.values())


def mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def one(store: str) -> None:
    gc.disable()
    link = get_settings().link
    with reading(make_engine(f"sqlite:///{store}")) as conn:
        _rows, frame = read_frame_in_chunks(conn)
    del _rows
    plan = plan_prediction(frame, link, None, None, lambda _m: None)
    frame = plan.frame
    plan.sample = None
    with tempfile.TemporaryDirectory() as folder:
        _stage(frame, Path(folder))
    lean_in_place(frame)
    gc.collect()
    n = len(frame)
    print(f"{store}: {n:,} mentions")
    deep = frame.memory_usage(deep=True, index=True)
    usage = {col: held(frame[col].to_numpy()) for col in frame.columns}
    total = sum(usage.values())
    for col, size in sorted(usage.items(), key=lambda kv: -kv[1]):
        print(
            f"  lean frame {col:<18} {mib(size):>12}  {size / n:7.1f} B/mention"
            f" (pandas deep: {deep[col] / n:.1f})"
        )
    print(
        f"  lean frame, whole         {mib(total):>12}  {total / n:7.1f} B/mention"
        f" (pandas deep: {deep.sum() / n:.1f})"
    )
    pos, other = record_mates(frame)
    mates = pos.nbytes + other.nbytes
    print(f"  record mates ({len(pos):,} pairs) {mib(mates):>12}  {mates / n:7.1f} B/mention")
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    labels = dict(zip(ids.tolist(), ids.tolist(), strict=True))
    dict_bytes = sys.getsizeof(labels) + sum(sys.getsizeof(k) for k in labels)
    print(
        f"  persons' labels (a dict, Clustering.labels) {mib(dict_bytes):>12}"
        f"  {dict_bytes / n:7.1f} B/mention"
    )
    matrix = context_matrix(frame, labels, None)
    live = int((matrix >= 0).sum())
    print(
        f"  context matrix {matrix.shape[0]:,} x {matrix.shape[1]} {mib(matrix.nbytes):>12}"
        f"  {matrix.nbytes / n:7.1f} B/mention ({live:,} cells used,"
        f" {live * matrix.itemsize / n:.1f} B/mention if ragged)"
    )


if __name__ == "__main__":
    for store in sys.argv[1:]:
        one(store)
