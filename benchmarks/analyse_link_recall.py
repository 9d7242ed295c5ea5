"""Where linkage recall goes on one store: blocking, the skewed-block guard, or scoring.

Reads the store's mentions and the world's truth, then prints recall ceilings
(`link.evaluate.recall_ceiling`: the pairwise recall of the clustering that joins the given
true pairs and every pair they chain together), step by step:

1. true pairs sharing any blocking key with every block compared whole (no guard), per key;
2. the same after the skewed-block guard at the cap the data's size gives, per key, with
   what the ceiling would be without each key;
3. true pairs the model scored (at or above the near-miss floor, record context included),
   and those at or above 4, 5, 6 and the threshold;
4. the clustering's own pairwise scores, over all mentions and over mentions with a full name.

    .venv/bin/python benchmarks/analyse_link_recall.py --store /work/bench/link_1m/store.db \\
        --world /work/bench/link_1m/world
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import truth_by_mention_id

from casereview.collector import collector_paused
from casereview.link.evaluate import blocking_recall_by_key, pairwise, recall_ceiling
from casereview.link.frame import (
    build_frame,
    effective_block_cap,
    guard_blocks,
    load_mention_rows,
    select_blocking_keys,
)
from casereview.link.stage import predict_persons
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading


def _keys(title: str, frame: pd.DataFrame, truth: dict[int, str]) -> None:
    recall, ceiling, keys = blocking_recall_by_key(frame, truth)
    print(f"{title}: true pairs sharing a key {recall:.4f}, ceiling {ceiling:.4f}")
    for k in keys:
        print(
            f"  {k.key:42s} recall {k.recall:.4f}  found by no other key {k.only:7d}  "
            f"ceiling without it {k.ceiling_without:.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--world", required=True)
    args = parser.parse_args()
    link = get_settings().link
    engine = make_engine(f"sqlite:///{args.store}")
    with collector_paused(), reading(engine) as conn:
        rows = load_mention_rows(conn)
        frame = build_frame(rows)
    fore = rows["forenames"].fillna("").astype(str).str.strip() != ""
    sur = rows["surname"].fillna("").astype(str).str.strip() != ""
    full_name = rows.loc[fore & sur, "mention_id"].to_numpy(dtype=np.int64)
    del rows
    truth = truth_by_mention_id(engine, Path(args.world))
    frame = select_blocking_keys(frame, addresses=link.compare_addresses)
    _keys("no guard (every block compared whole)", frame, truth)
    guarded = frame.copy()
    cap = effective_block_cap(link.max_block_size, len(frame), link.block_cap_reference_mentions)
    guard_blocks(guarded, cap)
    _keys(f"after the skewed-block guard (cap {cap} mentions)", guarded, truth)
    del guarded
    prediction = predict_persons(frame, detail=False)
    pairs = prediction.pairs
    left = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    same = np.array(
        [truth.get(a) == truth.get(b) is not None for a, b in zip(left, right, strict=True)]
    )
    weight = pairs["match_weight"].to_numpy(dtype=float)
    floor = link.match_weight_threshold - link.near_miss_margin
    for at in (floor, 5.0, 6.0, link.match_weight_threshold):
        kept = same & (weight >= at)
        print(
            f"true pairs scored >= {at:g}: {int(kept.sum())}, ceiling {recall_ceiling(truth, left[kept], right[kept]):.4f}"
        )
    labels = prediction.clustering.labels
    pw = pairwise(labels, truth)
    named = pairwise(labels, {k: truth[k] for k in full_name.tolist() if k in truth})
    print(
        f"clustering: P {pw.precision:.4f} R {pw.recall:.4f} F1 {pw.f1:.4f}; full names P "
        f"{named.precision:.4f} R {named.recall:.4f} F1 {named.f1:.4f}"
    )


if __name__ == "__main__":
    main()
