"""Postcode and borough of record as joint evidence, measured against a world's truth.

For every pair of one true person's mentions (at most 30 mentions a person) and for random
pairs of mentions, the share at each joint state (postcode: same, same district, other, none
on one side; borough: same, other, none), the joint weight log2(m/u), and each comparison's
own weight as if the two were independent. Where the sum of the two marginal weights differs
from the joint one the model double counts (docs/linkage.md, "borough").

    .venv/bin/python benchmarks/analyse_place_evidence.py --store /work/bench/link_1m/store.db \\
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
from casereview.link.frame import build_frame, load_mention_rows
from casereview.store.db import make_engine, reading


def _states(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray) -> pd.DataFrame:
    pc = frame["postcode"].to_numpy(dtype=object)
    district = frame["postcode_district"].to_numpy(dtype=object)
    borough = frame["borough"].to_numpy(dtype=object)
    place = np.where(
        pd.isna(pc[a]) | pd.isna(pc[b]),
        "no postcode on one side",
        np.where(
            pc[a] == pc[b],
            "same postcode",
            np.where(district[a] == district[b], "same district", "other postcode"),
        ),
    )
    where = np.where(
        pd.isna(borough[a]) | pd.isna(borough[b]),
        "no borough",
        np.where(borough[a] == borough[b], "same borough", "other borough"),
    )
    return pd.DataFrame({"postcode": place, "borough": where})


def _weights(m: pd.Series, u: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"m": m, "u": u}).fillna(0.0)
    with np.errstate(divide="ignore"):  # a state never met by a true pair weighs -inf
        out["weight"] = np.log2(out["m"] / out["u"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--world", required=True)
    parser.add_argument("--random-pairs", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.store}")
    with collector_paused(), reading(engine) as conn:
        frame = build_frame(load_mention_rows(conn))
    truth = truth_by_mention_id(engine, Path(args.world))
    person = frame["unique_id"].map(truth)
    frame = frame[person.notna().to_numpy()].reset_index(drop=True)
    person = person[person.notna()].to_numpy()
    left, right = [], []
    for rows in pd.Series(np.arange(len(frame))).groupby(person).indices.values():
        rows = rows[:30]
        for i in range(len(rows)):
            left.extend([rows[i]] * (len(rows) - i - 1))
            right.extend(rows[i + 1 :])
    true_a, true_b = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    rng = np.random.default_rng(args.seed)
    rand_a = rng.integers(0, len(frame), args.random_pairs)
    rand_b = rng.integers(0, len(frame), args.random_pairs)
    keep = rand_a != rand_b
    matched = _states(frame, true_a, true_b)
    chance = _states(frame, rand_a[keep], rand_b[keep])
    print(f"{len(frame)} mentions, {len(true_a)} true pairs, {int(keep.sum())} random pairs")
    joint_m = (matched["postcode"] + " | " + matched["borough"]).value_counts(normalize=True)
    joint_u = (chance["postcode"] + " | " + chance["borough"]).value_counts(normalize=True)
    print("joint (postcode | borough):")
    print(_weights(joint_m, joint_u).sort_index().to_string(float_format="{:.6g}".format))
    for column, null in (("postcode", "no postcode on one side"), ("borough", "no borough")):
        m = matched.loc[matched[column] != null, column].value_counts(normalize=True)
        u = chance.loc[chance[column] != null, column].value_counts(normalize=True)
        print(f"{column} alone (both given):")
        print(_weights(m, u).sort_index().to_string(float_format="{:.6g}".format))


if __name__ == "__main__":
    main()
