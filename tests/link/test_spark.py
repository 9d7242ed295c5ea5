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


@pytest.mark.slow
def test_spark_gives_the_same_clusters_as_duckdb() -> None:
    duck = predict_persons(_frame(), engine_name="duckdb")
    spark = predict_persons(_frame(), engine_name="spark")
    assert sorted(map(tuple, spark.clustering.clusters().values())) == sorted(
        map(tuple, duck.clustering.clusters().values())
    )
    assert len(spark.pairs) == len(duck.pairs)
