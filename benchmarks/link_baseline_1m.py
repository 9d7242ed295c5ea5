"""A generic Splink/DuckDB setup on the 1M frame, as a careful user would write it from
Splink's documentation: the library's comparisons, five blocking rules, u by random
sampling, m by EM on two rules, predict at probability 0.9 and cluster at 0.95.

    /usr/bin/time -v .venv/bin/python benchmarks/link_baseline_1m.py --store /tmp/link_1m/store.db \\
        --world /tmp/link_1m/world
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import duckdb
import splink.comparison_library as cl
from link_synth_eval import truth_by_mention_id
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.store.db import make_engine, reading


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="/tmp/link_1m/store.db")
    parser.add_argument("--world", default="/tmp/link_1m/world")
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.store}")
    with reading(engine) as conn:
        frame = build_frame(load_mention_rows(conn))
    cols = ["unique_id", "forename1", "surname", "dob", "sex", "postcode", "yob_hi"]
    df = frame[cols].rename(columns={"forename1": "first_name"}).copy()
    df["yob"] = df.pop("yob_hi").astype("string")
    del frame
    truth = truth_by_mention_id(engine, Path(args.world))
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.PostcodeComparison("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("dob"),
            block_on("surname", "yob"),
            block_on("first_name", "yob"),
            block_on("postcode", "substr(first_name, 1, 1)"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(df, table_name="people"), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    ).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    labels = dict(zip(clusters["unique_id"].tolist(), clusters["cluster_id"].tolist(), strict=True))
    s = pairwise(labels, truth)
    print(
        f"baseline: {len(df)} mentions, train + predict + cluster {seconds:.1f} s, peak RSS "
        f"{peak:.0f} MiB; pairwise P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f}"
    )


if __name__ == "__main__":
    main()
