"""The Spark driver's Python after scoring, without Spark (issue 20): the lean frame back,
the scored pairs clustered, the record context added, the frame emptied for explaining,
and the names and previous persons read back for the write, with this process's resident
memory and its high-water mark over each step (the mark reset between steps through
/proc/self/clear_refs).

    .venv/bin/python benchmarks/bench_spark_driver_after.py --store COPY_OF_THE_1M_STORE \
        --cache DIR

The child process reads and stages the store as on the cluster
(`spark_prepare.prepare_in_child`); its folder is copied into `--cache` the first time and
copied back on later runs (the child takes minutes at 1M). The scored pairs stand in for
Spark's (the 1M store has never been linked): mentions of one full name and year of birth
chained above the threshold, of one surname and postcode as near misses, and random pairs
below the near-miss floor up to `--pairs` (the pairs scored down to where context could
still lift them); the model is the reference model. Memory, not persons, is measured. Explaining
itself is Spark's (not run); the driver's part before it (`spark_stage._detail`'s lists of
each mention's pairs) is.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from bench_spark_driver_pieces import rss

from casereview.collector import collector_paused
from casereview.link.model import ScoredPairs, TrainedModel
from casereview.link.reference import reference_model
from casereview.link.spark_prepare import Prepared, prepare_in_child
from casereview.link.spark_stage import _pairs_by_mention, _restore, give_back
from casereview.link.stage import Plan, _positions, finish_prediction
from casereview.settings import get_settings
from casereview.store.db import make_engine


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _moved(value: Any, old: str, new: str) -> Any:
    return Path(str(value).replace(old, new, 1)) if value is not None else None


def _prepared(engine: Any, settings: Any, cache: Path) -> Prepared:
    """The child's `Prepared`, from `cache` when a run left it there."""
    saved = cache / "prepared.pickle"
    if not saved.exists():
        prepared = prepare_in_child(engine, settings)
        shutil.copytree(prepared.folder, cache / "folder")
        with open(saved, "wb") as out:
            pickle.dump(prepared, out)
    with open(saved, "rb") as source:
        prepared = pickle.load(source)  # nosec B301 (this script wrote it)
    folder = Path(tempfile.mkdtemp(prefix="bench-after-", dir=settings.link.spark_staging_dir))
    shutil.rmtree(folder)
    shutil.copytree(cache / "folder", folder)
    old, new = str(prepared.folder), str(folder)
    prepared.folder = folder
    prepared.names_file = _moved(prepared.names_file, old, new)
    prepared.previous_file = _moved(prepared.previous_file, old, new)
    ready = prepared.ready
    assert ready is not None
    for name in ("staged", "spilled", "sample_staged", "train_reads"):
        setattr(ready, name, _moved(getattr(ready, name), old, new))
    return prepared


def _chained(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each mention paired with the next of the same `keys` (in unique id order)."""
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    code = frame.groupby(keys, dropna=True, sort=False).ngroup().to_numpy()
    order = np.lexsort((ids, code))
    code, ids = code[order], ids[order]
    same = (code[1:] == code[:-1]) & (code[1:] >= 0)
    return ids[:-1][same], ids[1:][same]


def _scored(frame: pd.DataFrame, total: int, threshold: float, below: float, floor: float) -> pd.DataFrame:
    """Stand-ins for the scored pairs: mentions of one full name and year of birth chained
    above `threshold`, of one surname and postcode as near misses (between `below` and
    `threshold`), and random pairs up to `total` below `below` (down to `floor`)."""
    rng = np.random.default_rng(1)
    strong = _chained(frame, ["forename_std", "surname_std", "yob_lo"])
    near = _chained(frame, ["surname_std", "postcode"])
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    extra = max(total - len(strong[0]) - len(near[0]), 0)
    a = ids[rng.integers(0, len(ids), size=extra)]
    b = ids[rng.integers(0, len(ids), size=extra)]
    left = np.concatenate([strong[0], near[0], np.minimum(a, b)])
    right = np.concatenate([strong[1], near[1], np.maximum(a, b)])
    weight = np.concatenate(
        [
            rng.uniform(threshold, threshold + 15, size=len(strong[0])),
            rng.uniform(below, threshold, size=len(near[0])),
            rng.uniform(floor, below, size=extra),
        ]
    )
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    pairs = pd.DataFrame({"unique_id_l": lo, "unique_id_r": hi, "match_weight": weight})
    pairs = pairs[pairs["unique_id_l"] != pairs["unique_id_r"]]
    pairs = pairs.drop_duplicates(["unique_id_l", "unique_id_r"])
    pairs["match_probability"] = 1.0 / (1.0 + np.exp2(-pairs["match_weight"].to_numpy()))
    return pairs.sort_values(["unique_id_l", "unique_id_r"], kind="stable").reset_index(drop=True)


def _watch_steps() -> None:
    """Print the memory after each step of clustering and record context (wrapped where
    `stage` and `cluster` call them)."""
    import functools

    from casereview.link import cluster, stage

    def wrapped(module: Any, name: str) -> None:
        original = getattr(module, name)

        @functools.wraps(original)
        def step(*args: Any, **kwargs: Any) -> Any:
            before = rss()
            out = original(*args, **kwargs)
            print(f"      {name}: before {before}; after {rss()}", flush=True)
            return out

        setattr(module, name, step)

    for name in (
        "unanchored",
        "household_guard",
        "one_to_one",
        "well_evidenced",
        "strongest_only",
        "cluster_mentions",
        "context_matrix",
        "record_ids",
        "context_levels",
        "estimate_context",
        "Forenames",
        "apply_context",
        "context_lists",
        "attach_bare_names",
    ):
        if hasattr(stage, name):
            wrapped(stage, name)
    wrapped(cluster, "components")


@collector_paused(collect_after=True)
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--cache", required=True, type=Path)
    parser.add_argument("--pairs", type=int, default=2_994_093)
    parser.add_argument(
        "--dump", type=Path, help="pickle the persons and the pairs kept here (to compare runs)"
    )
    parser.add_argument(
        "--steps", action="store_true", help="the memory after each function of clustering too"
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    settings = get_settings()
    link = settings.link
    engine = make_engine(f"sqlite:///{args.store}")
    t0 = time.perf_counter()

    def say(what: str) -> None:
        give_back()
        print(f"{time.perf_counter() - t0:7.1f}s {rss()}  {what}", flush=True)
        _reset_peak()

    if args.steps:
        _watch_steps()
    prepared = _prepared(engine, settings, args.cache)
    ready = prepared.ready
    assert ready is not None
    ready.train_reads = None
    say(f"child's Prepared ({prepared.mentions:,} mentions)")
    frame = pd.DataFrame()
    _restore(frame, ready.spilled)
    plan = Plan(
        frame, [], None, False, ready.plan.floor, ready.plan.use_context, ready.plan.mates, None
    )
    say(f"the lean frame back ({len(frame.columns)} columns)")
    below = link.match_weight_threshold - link.near_miss_margin
    pairs = _scored(frame, args.pairs, link.match_weight_threshold, below, ready.plan.floor)
    gc.collect()
    say(f"{len(pairs):,} scored pairs (stand-ins) held, as Spark's scoring leaves them")
    model = TrainedModel(reference_model())
    scored = ScoredPairs(pairs=pairs, model=model)
    del pairs
    held: dict[str, Any] = {}

    def explain(frame: pd.DataFrame, pairs: pd.DataFrame, trained: dict[str, Any]) -> pd.DataFrame:
        say("clustered, context added: the explaining JVM would start now")
        left, right = _positions(frame, pairs)
        ids = frame["unique_id"].to_numpy(dtype=np.int64)
        for col in [c for c in frame.columns if c != "unique_id"]:
            del frame[col]
        give_back()
        held["listed"] = _pairs_by_mention(left, right, ids)
        say(f"frame emptied, each mention's pairs listed ({len(pairs):,} pairs kept)")
        return pairs

    prediction = finish_prediction(
        frame,
        scored,
        model,
        plan,
        link,
        prepared.judgements,
        True,
        "spark",
        lambda m: say(m),
        {},
        explain,
    )
    del scored
    held.clear()
    say(f"prediction made: {len(prediction.pairs):,} pairs (detail not made: Spark's)")
    if args.dump:
        with open(args.dump, "wb") as out:
            pickle.dump((prediction.clustering.labels, prediction.pairs, prediction.notes), out)
        say(f"persons and pairs dumped to {args.dump}")
    rows, previous = prepared.names(), prepared.previous()
    say(f"+ names ({len(rows):,}) and previous persons: entering the write")
    del rows, previous, prediction, frame
    prepared.remove()
    engine.dispose()
    say("done")


if __name__ == "__main__":
    main()
