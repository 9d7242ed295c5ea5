"""What the linkage misses and merges wrongly on one synthetic world, mention by mention.

Builds (or reuses) a store of one profile and seed with `link_synth_eval.synth_and_ingest`,
runs `predict_persons` on its frame (no store write) and classifies, over the mentions that
carry a full name:

- stranded mentions: a mention outside its true person's largest predicted cluster, by role,
  source and what it carries (name only, date of birth, postcode, phone), and the missed
  pairs they account for;
- false pairs: pairs of mentions put together that are two true persons, by the roles of
  the two.

    .venv/bin/python benchmarks/analyse_link_misses.py --profile sparse --cases 3000 --seed 1 \
        --work /tmp/sparse-world
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import mention_facts, synth_and_ingest, truth_by_mention_id

from casereview.link.context import load_record_links
from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import Prediction, predict_persons
from casereview.store.db import make_engine, reading


def carries(row: pd.Series) -> str:
    """What a frame row carries besides its name, as a short tag."""
    parts = []
    if pd.notna(row["dob"]):
        parts.append("dob")
    elif pd.notna(row["yob_lo"]):
        parts.append("yob")
    if pd.notna(row["postcode"]) or pd.notna(row["address"]):
        parts.append("pc")
    if isinstance(row["phones"], list | tuple) and row["phones"]:
        parts.append("ph")
    if pd.notna(row["identifier"]) or pd.notna(row["strong_id"]):
        parts.append("id")
    return "+".join(parts) or "name-only"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="sparse")
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, required=True, help="folder kept between runs")
    parser.add_argument("--examples", type=int, default=0, help="print this many stranded")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    world, db = args.work / "world", args.work / "store.db"
    if not db.exists():
        world, db = synth_and_ingest(
            args.work, cases=args.cases, seed=args.seed, profile=args.profile
        )
    engine = make_engine(f"sqlite:///{db}")
    truth = truth_by_mention_id(engine, world)
    facts = mention_facts(engine)
    with reading(engine) as conn:
        rows = load_mention_rows(conn)
        links = load_record_links(conn)
    frame = build_frame(rows)
    prediction = predict_persons(frame, detail=False, record_links=links)
    for note in prediction.notes:
        print("note:", note)
    pred = prediction.clustering.labels
    named = {k: v for k, v in truth.items() if k in facts.full_name}
    score = pairwise(pred, named)
    print(f"full name: P {score.precision:.4f} R {score.recall:.4f} F1 {score.f1:.4f}")
    df = frame.set_index("unique_id")
    keys = sorted(named)
    table = pd.DataFrame(
        {
            "m": keys,
            "t": [named[k] for k in keys],
            "p": [pred[k] for k in keys],
            "role": [facts.role[k] for k in keys],
            "source": df.loc[keys, "source"].to_numpy(),
            "carries": [carries(df.loc[k]) for k in keys],
        }
    )
    # Each true person's main cluster: the predicted cluster holding most of its mentions.
    cell = table.groupby(["t", "p"]).size().rename("n").reset_index()
    main_p = cell.sort_values(["t", "n", "p"], ascending=[True, False, True]).drop_duplicates("t")
    table = table.merge(main_p[["t", "p"]].rename(columns={"p": "main"}), on="t")
    t_size = table.groupby("t")["m"].transform("size")
    cell_size = table.groupby(["t", "p"])["m"].transform("size")
    table["missed_pairs"] = t_size - cell_size  # pairs of this mention with its person, missed
    table.to_csv(args.work / "mentions.csv", index=False)
    prediction.pairs[["unique_id_l", "unique_id_r", "match_weight"]].to_csv(
        args.work / "pairs.csv", index=False
    )
    stranded = table[table["p"] != table["main"]]
    lost = table[table["missed_pairs"] > 0]
    print(f"mentions not with every other mention of their person: {len(lost)}")
    print("\nstranded mentions (outside the person's main cluster) by role / source / carries:")
    print(
        stranded.groupby(["role", "source", "carries"])
        .agg(mentions=("m", "size"), missed=("missed_pairs", "sum"))
        .sort_values("missed", ascending=False)
        .head(40)
        .to_string()
    )
    # False pairs: predicted clusters holding several true persons.
    fp: Counter[tuple[str, str]] = Counter()
    for _, grp in table.groupby("p"):
        if grp["t"].nunique() < 2:
            continue
        rows_ = grp.to_dict("records")
        for i, a in enumerate(rows_):
            for b in rows_[i + 1 :]:
                if a["t"] != b["t"]:
                    key = tuple(
                        sorted((f"{a['role']}:{a['carries']}", f"{b['role']}:{b['carries']}"))
                    )
                    fp[key] += 1  # type: ignore[index]
    print(f"\nfalse pairs: {sum(fp.values())}")
    for key, n in fp.most_common(25):
        print(f"  {n:5d}  {key[0]}  ~  {key[1]}")
    missed = missed_pairs(frame, table, prediction)
    missed.to_csv(args.work / "missed.csv", index=False)
    print(f"\nmissed pairs: {len(missed)}; scored: {missed['weight'].notna().sum()}")
    missed["scored"] = pd.cut(missed["weight"].fillna(-99), [-100, -98, 0, 4, 7, 100])
    print(
        missed.groupby(["bare", "same_name", "context", "scored"], observed=True)
        .size()
        .rename("pairs")
        .reset_index()
        .sort_values("pairs", ascending=False)
        .head(30)
        .to_string()
    )
    if args.examples:
        cols = [
            "forename1",
            "surname",
            "dob",
            "yob_lo",
            "postcode",
            "phones",
            "record_id",
            "source",
        ]
        for _, s in stranded.head(args.examples).iterrows():
            print("\n--", s["role"], s["carries"], "true", s["t"])
            mates = table[table["t"] == s["t"]]
            for _, o in mates.iterrows():
                print(
                    f"   {'*' if o['m'] == s['m'] else ' '} {o['m']:6d} p={o['p']:6d} {o['role']:12}",
                    df.loc[o["m"], cols].to_dict(),
                )


def missed_pairs(frame: pd.DataFrame, table: pd.DataFrame, prediction: Prediction) -> pd.DataFrame:
    """Every missed true pair of full-name mentions with what it carries: names alike, which
    sides carry only a name, whether their records name a (final) person in common, and the
    pair's weight when it was scored."""
    from casereview.link.context import context_levels, record_ids
    from casereview.link.frame import context_matrix

    ids = frame["unique_id"].to_numpy()
    pos = {int(u): i for i, u in enumerate(ids)}
    labels = prediction.clustering.labels
    matrix = context_matrix(frame, labels)
    record = record_ids(frame)
    weights = {
        (int(a), int(b)): float(w)
        for a, b, w in zip(
            prediction.pairs["unique_id_l"],
            prediction.pairs["unique_id_r"],
            prediction.pairs["match_weight"],
            strict=True,
        )
    }
    rows = []
    by_t = table.groupby("t")
    for _, grp in by_t:
        if grp["p"].nunique() < 2:
            continue
        recs = grp.to_dict("records")
        for i, a in enumerate(recs):
            for b in recs[i + 1 :]:
                if a["p"] == b["p"]:
                    continue
                x, y = sorted((int(a["m"]), int(b["m"])))
                px, py = pos[x], pos[y]
                fx, fy = frame.iloc[px], frame.iloc[py]
                kx, ky = fx["forename_keys"], fy["forename_keys"]
                same_name = (
                    isinstance(kx, list)
                    and isinstance(ky, list)
                    and bool(set(kx) & set(ky))
                    and fx["surname_std"] == fy["surname_std"]
                )
                lvl = int(context_levels(np.array([px]), np.array([py]), record, matrix)[0])
                rows.append(
                    {
                        "a": x,
                        "b": y,
                        "roles": "~".join(sorted((a["role"], b["role"]))),
                        "carries": "~".join(sorted((a["carries"], b["carries"]))),
                        "bare": int(a["carries"] == "name-only") + int(b["carries"] == "name-only"),
                        "same_name": same_name,
                        "context": {-1: "none", 0: "else", 1: "common", 2: "same-record"}[lvl],
                        "weight": weights.get((x, y)),
                    }
                )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
