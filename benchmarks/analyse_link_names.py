"""Where full-name recall is lost on one store, pair by pair, and by what kind of difference.

Runs `predict_persons` on the store's frame (no store write), takes every true pair of
mentions that both carry a full name and that the clustering left apart, and sorts them:

- the stage that lost it: not blocked (no blocking key in common after the skewed-block
  guard), blocked but scored below the near-miss floor, scored between the floor and the
  threshold, or scored at or above the threshold and split by the clusterer's guards;
- the kind of difference between the two mentions, from the world's own record of the noise
  it wrote (truth/mention_noise.csv: typo, transliteration, nickname, swapped fields, middle
  names, initials, date-of-birth noise, a stale address) and from the frame (names agree or
  not, dates of birth, postcodes);
- for the missed pairs, the model's comparison levels: every missed pair is scored again
  with the trained model (record context left out), blocked or not, so that a pair nothing
  blocked says what it would have weighed.

    flock /work/bench/duck1m.lock nice -n 5 .venv/bin/python benchmarks/analyse_link_names.py \\
        --store /work/bench/link_1m/store.db --world /work/bench/link_1m/world \\
        --keep /work/bench/names11/why1m
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import truth_by_mention_id

from casereview.collector import collector_paused
from casereview.link.context import load_record_links
from casereview.link.evaluate import _found_by_key, pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.model import linker_for, open_backend
from casereview.link.score import duckdb_settings_from_saved
from casereview.link.stage import predict_persons
from casereview.model.tables import mentions, sources
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading

NAME_NOISE = (
    "typo",
    "translit",
    "nickname",
    "swap",
    "middle_added",
    "middle_dropped",
    "initials",
    "hyphen_partial",
    "non_latin",
    "alias",
)
DOB_NOISE = ("dob_wrong_year", "dob_swap", "dob_year_only", "dob_age_only", "dob_missing")


def noise_by_mention(engine: Any, world: Path) -> dict[int, frozenset[str]]:
    """mention id -> the noise codes the world wrote it with."""
    with (world / "truth" / "mention_noise.csv").open(newline="") as handle:
        noise = {
            (r["source"], r["mention_key"]): frozenset(c for c in r["noise"].split(";") if c)
            for r in csv.DictReader(handle)
        }
    with reading(engine) as conn:
        rows = conn.execute(
            mentions.select()
            .with_only_columns(mentions.c.id, sources.c.name, mentions.c.mention_key)
            .join_from(mentions, sources, sources.c.id == mentions.c.source_id)
        ).all()
    return {int(i): noise.get((s, k), frozenset()) for i, s, k in rows}


def missed_true_pairs(
    ids: np.ndarray, truth: dict[int, str], labels: dict[int, int]
) -> pd.DataFrame:
    """Every true pair (a < b) of `ids` that the clustering put in two persons."""
    table = pd.DataFrame(
        {"m": ids, "t": [truth.get(int(i)) for i in ids], "p": [labels[int(i)] for i in ids]}
    ).dropna(subset=["t"])
    split = table.groupby("t")["p"].transform("nunique") > 1
    table = table[split]
    joined = table.merge(table, on="t", suffixes=("_a", "_b"))
    joined = joined[(joined["m_a"] < joined["m_b"]) & (joined["p_a"] != joined["p_b"])]
    return joined.rename(columns={"m_a": "unique_id_l", "m_b": "unique_id_r"})[
        ["unique_id_l", "unique_id_r", "t"]
    ].reset_index(drop=True)


def rescored(frame: pd.DataFrame, model_json: dict[str, Any], pairs: pd.DataFrame) -> pd.DataFrame:
    """`pairs` scored with the trained model (record context left out) whatever blocked
    them: each pair gets a key of its own, exploded as a list, on the whole frame (so that
    term frequencies are those of every mention)."""
    from splink import block_on

    keep = [c for c in frame.columns if not c.startswith(("bk_", "bka_")) and c != "context"]
    scoring = frame[keep].copy()
    pos = pd.Series(np.arange(len(frame)), index=frame["unique_id"].to_numpy())
    lists: list[list[int] | None] = [None] * len(frame)
    for n, (a, b) in enumerate(zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)):
        for row in (pos[a], pos[b]):
            if lists[row] is None:
                lists[row] = []
            lists[row].append(n)  # type: ignore[union-attr]
    scoring["bka_pair"] = pd.Series(lists, index=scoring.index, dtype="object")
    saved = dict(model_json)
    saved["comparisons"] = [
        c for c in model_json["comparisons"] if c["output_column_name"] != "context"
    ]
    settings = duckdb_settings_from_saved(scoring, saved)
    settings["blocking_rules_to_generate_predictions"] = [
        block_on("bka_pair", arrays_to_explode=["bka_pair"]).get_blocking_rule("duckdb").as_dict()
    ]
    settings["retain_intermediate_calculation_columns"] = True
    settings["retain_matching_columns"] = True
    with open_backend("duckdb", memory_limit=get_settings().link.duckdb_memory_limit) as api:
        out = linker_for(api, scoring, settings).inference.predict().as_pandas_dataframe()
    return out


def level_labels(model_json: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison -> gamma -> level label."""
    out = {}
    for c in model_json["comparisons"]:
        levels = c["comparison_levels"]
        labels = {}
        for i, lv in enumerate(levels):
            gamma = -1 if lv.get("is_null_level") else len(levels) - 1 - i
            labels[gamma] = lv.get("label_for_charts") or lv["sql_condition"][:40]
        out[c["output_column_name"]] = labels
    return out


def name_kind(codes: frozenset[str], names_agree: bool) -> str:
    """The kind of name difference of a pair, from the noise codes of its two mentions."""
    if names_agree:
        return "names agree"
    found = [c for c in NAME_NOISE if c in codes]
    return "+".join(found) if found else "names differ, no name noise"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--world", required=True)
    parser.add_argument("--keep", type=Path, required=True, help="folder for the CSV files")
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    link = get_settings().link
    engine = make_engine(f"sqlite:///{args.store}")
    t0 = time.perf_counter()
    with collector_paused(), reading(engine) as conn:
        rows = load_mention_rows(conn)
        links = load_record_links(conn)
    fore = rows["forenames"].fillna("").astype(str).str.strip() != ""
    sur = rows["surname"].fillna("").astype(str).str.strip() != ""
    full = rows.loc[fore & sur, "mention_id"].to_numpy(dtype=np.int64)
    frame = build_frame(rows)
    del rows
    truth = truth_by_mention_id(engine, Path(args.world))
    noise = noise_by_mention(engine, Path(args.world))
    prediction = predict_persons(frame, detail=False, record_links=links)
    print(f"predicted in {time.perf_counter() - t0:.0f} s")
    labels = prediction.clustering.labels
    named = {k: truth[k] for k in full.tolist() if k in truth}
    score = pairwise(labels, named)
    print(f"full names: P {score.precision:.4f} R {score.recall:.4f} F1 {score.f1:.4f}")
    true_total = int(
        (pd.Series(list(named.values())).value_counts().pipe(lambda n: n * (n - 1) // 2)).sum()
    )
    missed = missed_true_pairs(full, truth, labels)
    print(f"true full-name pairs {true_total}, missed {len(missed)}")
    gframe = prediction.frame
    found = _found_by_key(gframe, missed)
    blocked = np.zeros(len(missed), dtype=bool)
    for key, hit in found.items():
        blocked |= hit
        print(f"  missed pairs sharing {key}: {int(hit.sum())}")
    missed["blocked"] = blocked
    weights = prediction.pairs.set_index(["unique_id_l", "unique_id_r"])["match_weight"]
    idx = pd.MultiIndex.from_arrays([missed["unique_id_l"], missed["unique_id_r"]])
    missed["weight"] = weights.reindex(idx).to_numpy()
    threshold = link.match_weight_threshold
    missed["stage"] = np.select(
        [~missed["blocked"], missed["weight"].isna(), missed["weight"] < threshold],
        ["not blocked", "blocked, below the floor", "scored under the threshold"],
        "at the threshold, split by the clusterer",
    )
    # The kinds of difference, from the frame and the world's noise.
    fi = gframe.set_index("unique_id")
    a, b = fi.loc[missed["unique_id_l"]], fi.loc[missed["unique_id_r"]]
    fk = [
        isinstance(x, list) and isinstance(y, list) and not set(x).isdisjoint(y)
        for x, y in zip(a["forename_keys"], b["forename_keys"], strict=True)
    ]
    same_s = a["surname_std"].to_numpy() == b["surname_std"].to_numpy()
    missed["forename_agrees"] = fk
    missed["surname_agrees"] = same_s
    codes = [
        noise[x] | noise[y]
        for x, y in zip(missed["unique_id_l"], missed["unique_id_r"], strict=True)
    ]
    missed["name_kind"] = [name_kind(c, f and s) for c, f, s in zip(codes, fk, same_s, strict=True)]
    missed["dob_kind"] = ["+".join(x for x in DOB_NOISE if x in c) or "-" for c in codes]
    dob_a, dob_b = a["dob"].to_numpy(), b["dob"].to_numpy()
    missed["dob"] = np.where(
        pd.isna(dob_a) | pd.isna(dob_b), "missing", np.where(dob_a == dob_b, "same", "differs")
    )
    pc_a, pc_b = a["postcode"].to_numpy(), b["postcode"].to_numpy()
    missed["postcode"] = np.where(
        pd.isna(pc_a) | pd.isna(pc_b), "missing", np.where(pc_a == pc_b, "same", "differs")
    )
    missed["moved"] = ["address_stale" in c for c in codes]
    print("\nmissed full-name pairs by stage:")
    print(missed["stage"].value_counts().to_string())
    print("\nby kind of name difference and stage (pairs):")
    table = missed.pivot_table(
        index="name_kind", columns="stage", values="t", aggfunc="size", fill_value=0
    )
    table["all"] = table.sum(axis=1)
    print(table.sort_values("all", ascending=False).head(25).to_string())
    print("\nnames agree: by date of birth / postcode and stage:")
    agree = missed[missed["name_kind"] == "names agree"]
    t2 = agree.pivot_table(
        index=["dob", "postcode"], columns="stage", values="t", aggfunc="size", fill_value=0
    )
    print(t2.to_string())
    print("\ndob noise of the missed pairs (top):")
    print(missed["dob_kind"].value_counts().head(10).to_string())
    t1 = time.perf_counter()
    scored = rescored(gframe, prediction.model_json, missed)
    print(f"\nrescored {len(scored)} missed pairs in {time.perf_counter() - t1:.0f} s")
    names = level_labels(prediction.model_json)
    for comp in ("forename", "surname", "dob"):
        scored[f"{comp}_level"] = scored[f"gamma_{comp}"].map(names[comp])
    merged = missed.merge(
        scored[
            [
                "unique_id_l",
                "unique_id_r",
                "match_weight",
                "forename_level",
                "surname_level",
                "dob_level",
            ]
        ],
        on=["unique_id_l", "unique_id_r"],
        how="left",
    )
    merged.to_csv(args.keep / "missed.csv", index=False)
    below = merged[merged["stage"] != "at the threshold, split by the clusterer"]
    print(f"\nmissed pairs below the threshold or not blocked: {len(below)}; rescored weight:")
    print(
        pd.cut(below["match_weight"], [-200, -10, 0, 4, threshold, 200]).value_counts().to_string()
    )
    print("\ntheir (forename, surname) levels, top 25:")
    print(
        below.groupby(["forename_level", "surname_level"], dropna=False)
        .agg(pairs=("t", "size"), weight=("match_weight", "median"))
        .sort_values("pairs", ascending=False)
        .head(25)
        .to_string()
    )
    print("\ntheir date-of-birth levels:")
    print(
        below.groupby("dob_level", dropna=False)
        .agg(pairs=("t", "size"), weight=("match_weight", "median"))
        .sort_values("pairs", ascending=False)
        .to_string()
    )


if __name__ == "__main__":
    main()
