"""The same model on Spark (local[2]) gives the same persons as on DuckDB."""

from __future__ import annotations

import pytest
from linkworld import tiny_people

from casereview.link.frame import build_frame
from casereview.link.stage import predict_persons

pytest.importorskip("pyspark")


def _frame():  # type: ignore[no-untyped-def]
    rows = tiny_people(11, 150)
    return build_frame(
        [
            {
                "mention_id": i + 1,
                "source": r["source"],
                "forenames": r["forenames"],
                "surname": r["surname"],
                "dob": r["dob"],
                "dob_precision": "day" if r["dob"] else "none",
                "sex": r["sex"],
                "postcode": r["postcode"],
                "phones": r["phones"],
            }
            for i, r in enumerate(rows)
        ]
    )


def test_spark_gives_the_same_clusters_as_duckdb() -> None:
    """The model trained on DuckDB scores on Spark: same pairs, weights and persons.

    Training itself is not compared: u is estimated from a random sample, and the two
    backends draw different samples from the same seed, so two trainings differ slightly.
    """
    duck = predict_persons(_frame(), engine_name="duckdb")
    spark = predict_persons(_frame(), engine_name="spark", trained=duck.model_json)
    assert sorted(map(tuple, spark.clustering.clusters().values())) == sorted(
        map(tuple, duck.clustering.clusters().values())
    )
    key = ["unique_id_l", "unique_id_r"]
    d = duck.pairs.sort_values(key).reset_index(drop=True)
    s = spark.pairs.sort_values(key).reset_index(drop=True)
    assert d[key].values.tolist() == s[key].values.tolist()
    assert (d["match_weight"] - s["match_weight"]).abs().max() < 1e-6
