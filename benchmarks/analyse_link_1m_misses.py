"""Class breakdown of the true pairs a large run left apart (dump of `link_1m_dump.py`).

    .venv/bin/python benchmarks/analyse_link_1m_misses.py DIR [--threshold 7]

Every true person split by the clustering gives part pairs (two predicted clusters holding
mentions of that person); each part pair misses |A| x |B| true pairs. A part pair is put
under the stage that lost it: "not scored" (no scored pair between the parts: never blocked,
or scored below the floor), "below threshold" (the best pair between them under the
threshold) or "cut" (a pair at or above the threshold between them that the cluster rules,
the strongest-only rule or the household guard did not follow), and under a class by what
the two parts carry (a full name, one word, no name; with a date of birth / postcode or
alone), by the size of the true person, and whether the two parts share a full name. It
also prints how many true persons share the written name of each full name written alone
(namesakes grow with the world). Pairs are weighted by what each split costs pairwise.
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd


def _kind(part: pd.DataFrame) -> str:
    full = (part["fn"] != "") & (part["sn"] != "")
    one = (part["fn"] != "") ^ (part["sn"] != "")
    name = "full" if full.any() else "one-word" if one.any() else "no-name"
    ev = "dob" if part["has_dob"].any() else ("pc" if part["has_pc"].any() else "alone")
    return f"{name}/{ev}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--threshold", type=float, default=7.0)
    parser.add_argument("--examples", type=int, default=15)
    args = parser.parse_args()
    d = Path(args.dir)
    m = pd.read_parquet(d / "mentions.parquet")
    m = m[m["truth"].notna()].copy()
    m["fn"] = m["forenames"].fillna("").str.strip().str.lower()
    m["sn"] = m["surname"].fillna("").str.strip().str.lower()
    m["has_dob"] = m["dob"].notna() & (m["dob"].fillna("") != "")
    m["has_pc"] = m["postcode"].notna() & (m["postcode"].fillna("") != "")
    size = m.groupby("truth")["unique_id"].transform("size")
    m["tsize"] = size
    total_true = int((m.groupby("truth").size() * (m.groupby("truth").size() - 1) // 2).sum())
    parts = m.groupby(["truth", "label"]).size().rename("n").reset_index()
    split = parts[parts.duplicated("truth", keep=False)]
    pairs = pd.read_parquet(d / "pairs.parquet")
    t = m.set_index("unique_id")["truth"]
    lab = m.set_index("unique_id")["label"]
    pairs["tl"], pairs["tr"] = pairs["unique_id_l"].map(t), pairs["unique_id_r"].map(t)
    pairs["ll"], pairs["lr"] = pairs["unique_id_l"].map(lab), pairs["unique_id_r"].map(lab)
    cross = pairs[(pairs["tl"] == pairs["tr"]) & (pairs["ll"] != pairs["lr"])].copy()
    cross["a"] = np.minimum(cross["ll"], cross["lr"])
    cross["b"] = np.maximum(cross["ll"], cross["lr"])
    best = cross.groupby(["tl", "a", "b"])["match_weight"].max().to_dict()
    by_truth_label = {
        k: g for k, g in m[m["truth"].isin(set(split["truth"]))].groupby(["truth", "label"])
    }
    stats: Counter[tuple[str, ...]] = Counter()
    stage_c: Counter[str] = Counter()
    size_c: Counter[str] = Counter()
    examples: list[tuple[int, str]] = []
    missed = 0
    for truth, g in split.groupby("truth"):
        labels_ = g["label"].tolist()
        ns = dict(zip(g["label"], g["n"], strict=True))
        tsize = sum(ns.values())
        bucket = (
            "2"
            if tsize == 2
            else "3-5"
            if tsize <= 5
            else "6-10"
            if tsize <= 10
            else "11-20"
            if tsize <= 20
            else ">20"
        )
        for a, b in itertools.combinations(sorted(labels_), 2):
            w = ns[a] * ns[b]
            missed += w
            bw = best.get((truth, a, b))
            stage = (
                "not scored"
                if bw is None
                else ("below threshold" if bw < args.threshold else "cut")
            )
            pa, pb = by_truth_label[(truth, a)], by_truth_label[(truth, b)]
            ka, kb = sorted([_kind(pa), _kind(pb)])
            names_a = set(zip(pa["fn"], pa["sn"], strict=True)) - {("", "")}
            names_b = set(zip(pb["fn"], pb["sn"], strict=True)) - {("", "")}
            same = "same full name" if (names_a & names_b) else "other names"
            stats[(stage, f"{ka} ~ {kb}", same)] += w
            stage_c[stage] += w
            size_c[bucket] += w
            if len(examples) < 400 and stage == "not scored" and same == "same full name":
                examples.append(
                    (
                        w,
                        f"{truth} {tsize}: A={pa[['fn', 'sn', 'dob', 'postcode', 'record_id']].head(3).values.tolist()} B={pb[['fn', 'sn', 'dob', 'postcode', 'record_id']].head(3).values.tolist()}",
                    )
                )
    # Namesakes: how many true persons share the written full name of a full name alone.
    full = m[(m["fn"] != "") & (m["sn"] != "")]
    persons = full.groupby(["fn", "sn"])["truth"].nunique()
    alone = full[~full["has_dob"] & ~full["has_pc"]]
    owners = pd.Series(alone.set_index(["fn", "sn"]).index.map(persons))
    print(
        f"{len(alone)} full names written alone: the name is one true person's for "
        f"{(owners == 1).mean():.1%}, 2-4 persons' for {owners.between(2, 4).mean():.1%}, "
        f"5 or more persons' for {(owners >= 5).mean():.1%}"
    )
    print(
        f"true pairs {total_true}, missed {missed} ({missed / total_true:.4%}); recall {1 - missed / total_true:.4f}"
    )
    print("by stage:", {k: f"{v} ({v / total_true:.4%})" for k, v in stage_c.most_common()})
    print("by true size:", {k: f"{v} ({v / total_true:.4%})" for k, v in size_c.most_common()})
    for key, v in stats.most_common(30):
        print(f"  {v:8d} {v / total_true:.4%}  {' | '.join(key)}")
    examples.sort(reverse=True)
    for w, e in examples[: args.examples]:
        print(w, e[:400])


if __name__ == "__main__":
    main()
