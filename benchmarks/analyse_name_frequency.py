"""Exact full names against a world's truth: is the chance that two mentions of one full name
are one person better told by the product of the forename's and the surname's frequencies
(the model's two term-frequency adjustments) or by the full name's own frequency?

Reads the store's mentions and the world's truth; prints, per predictor, the fit (weighted by
pairs) of the truth's log-odds per name, and the best F1 of ranking the pairs of mentions that
share an exact full name by it.

    .venv/bin/python benchmarks/analyse_name_frequency.py --store /work/bench/link_1m/store.db \\
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


def by_name(frame: pd.DataFrame, truth: dict[int, str]) -> pd.DataFrame:
    """One row per exact full name: the two predictors, same-person and other pairs."""
    f = frame[["unique_id", "forename1", "surname"]].copy()
    f["person"] = f["unique_id"].map(truth)
    f = f[f["forename1"].notna() & f["surname"].notna() & f["person"].notna()]
    n = len(f)
    key = f["forename1"] + "|" + f["surname"]
    rows = pd.DataFrame(
        {
            "key": key,
            "person": f["person"],
            "product": -np.log2(
                f["forename1"].map(f["forename1"].value_counts() / n)
                * f["surname"].map(f["surname"].value_counts() / n)
            ),
            "joint": -np.log2(key.map(key.value_counts() / n)),
        }
    )
    per_person = rows.groupby(["key", "person"]).size()
    names = rows.groupby("key")[["product", "joint"]].first()
    names["same"] = (per_person * (per_person - 1) / 2).groupby(level=0).sum()
    size = rows.groupby("key").size()
    names["other"] = size * (size - 1) / 2 - names["same"]
    names = names[names["same"] + names["other"] > 0]
    names["truth"] = np.log2((names["same"] + 0.5) / (names["other"] + 0.5))
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--world", required=True)
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.store}")
    with collector_paused(), reading(engine) as conn:
        frame = build_frame(load_mention_rows(conn))
    names = by_name(frame, truth_by_mention_id(engine, Path(args.world)))
    pairs = names["same"] + names["other"]
    for predictor in ("product", "joint"):
        slope, intercept = np.polyfit(names[predictor], names["truth"], 1, w=np.sqrt(pairs))
        fitted = slope * names[predictor] + intercept
        spread = float(np.sqrt(np.average((names["truth"] - fitted) ** 2, weights=pairs)))
        ranked = names.sort_values(predictor, ascending=False)
        found = ranked["same"].cumsum()
        precision = found / (found + ranked["other"].cumsum())
        recall = found / ranked["same"].sum()
        f1 = 2 * precision * recall / (precision + recall)
        best = f1.idxmax()
        print(
            f"{predictor:8s} slope {slope:.3f} intercept {intercept:.2f} residual sd "
            f"{spread:.3f} bits; best F1 ranking name-only pairs {f1[best]:.4f} "
            f"(P {precision[best]:.4f} R {recall[best]:.4f})"
        )


if __name__ == "__main__":
    main()
