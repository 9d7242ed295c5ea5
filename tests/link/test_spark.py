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


def test_spark_trains_on_a_sample_and_scores_every_mention_from_the_staged_frame() -> None:
    """The path of a large store (`train_sample_size` below the mentions): trained on a
    sample handed to Spark, every mention scored and the kept pairs explained from the frame
    staged once as Parquet; the driver's frame is left lean, and every mention has a person."""
    from casereview.link.spark_stage import LEAN_COLUMNS
    from casereview.settings import get_settings

    settings = get_settings()
    settings = settings.model_copy(
        update={"link": settings.link.model_copy(update={"train_sample_size": 200})}
    )
    frame = _frame()
    ids = sorted(frame["unique_id"].tolist())
    spark = predict_persons(frame, engine_name="spark", settings=settings)
    assert set(frame.columns) <= set(LEAN_COLUMNS)  # left lean, in place
    assert sorted(spark.clustering.labels) == ids
    assert any(len(c) > 1 for c in spark.clustering.clusters().values())
    # Explained: the columns kept beside the pairs as Arrow, row for row, every pair scored.
    assert len(spark.pairs) and spark.detail.num_rows == len(spark.pairs)
    assert spark.detail["match_key"].null_count == 0
    assert {"gamma_surname", "mw_surname"} <= set(spark.detail.column_names)


def test_spark_trains_on_every_mention_when_they_are_fewer_than_the_sample() -> None:
    """The path of a store smaller than `train_sample_size` (100,000 mentions by default):
    the model trained on the staged frame itself, with the rare levels' u counted from the
    mentions' real phones and identifiers (main failed here with KeyError 'phones')."""
    from casereview.settings import get_settings

    settings = get_settings()
    settings = settings.model_copy(
        update={"link": settings.link.model_copy(update={"train_sample_size": 10**9})}
    )
    frame = _frame()
    ids = sorted(frame["unique_id"].tolist())
    spark = predict_persons(frame, engine_name="spark", settings=settings)
    assert sorted(spark.clustering.labels) == ids
    assert any(note.startswith("u of phones") for note in spark.notes), spark.notes
    assert len(spark.pairs) and spark.detail.num_rows == len(spark.pairs)
