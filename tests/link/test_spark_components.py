"""Clustering on Spark (local[2]) gives exactly what the driver's `cluster_mentions` gives:
the same components, the same household-guard and "not same" cuts, the same labels, counts
and notes, on mentions of a store built by the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from casereview.link.cluster import Judgement, cluster_mentions, components, household_guard
from casereview.link.frame import (
    build_frame,
    effective_block_cap,
    guard_blocks,
    load_mention_rows,
    select_blocking_keys,
)
from casereview.link.model import open_backend
from casereview.link.spark_stage import _stage, lean_in_place
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store

pytest.importorskip("pyspark")

THRESHOLD = get_settings().link.match_weight_threshold


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with open_backend("spark", spark_master="local[2]", spark_driver_memory="1g") as db_api:
        yield db_api.spark


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = build_ingested_store(tmp_path_factory.mktemp("store"), cases=60, seed=4)
    engine = make_engine(f"sqlite:///{store}")
    try:
        with reading(engine) as conn:
            whole = build_frame(load_mention_rows(conn))
    finally:
        engine.dispose()
    whole = select_blocking_keys(whole, addresses=False)
    guard_blocks(whole, effective_block_cap(8, len(whole), 50))
    return whole


def _pairs(ids: np.ndarray, seed: int) -> pd.DataFrame:
    """Scored pairs joining the mentions into groups of 40 consecutive ids: a chain through
    each group (long paths for the labels to travel) and random pairs within it, weights on
    both sides of the threshold, sorted by their ids as the scored pairs come."""
    rng = np.random.default_rng(seed)
    left: list[int] = []
    right: list[int] = []
    for start in range(0, len(ids), 40):
        group = ids[start : start + 40]
        left += group[:-1].tolist()
        right += group[1:].tolist()
        a = rng.choice(group, size=len(group))
        b = rng.choice(group, size=len(group))
        keep = a != b
        left += np.minimum(a, b)[keep].tolist()
        right += np.maximum(a, b)[keep].tolist()
    pairs = pd.DataFrame({"unique_id_l": left, "unique_id_r": right})
    pairs = pairs.drop_duplicates().sort_values(["unique_id_l", "unique_id_r"])
    weight = rng.uniform(THRESHOLD - 6, THRESHOLD + 10, len(pairs))
    return pairs.assign(match_weight=weight).reset_index(drop=True)


def _judgements(pairs: pd.DataFrame, ids: np.ndarray) -> list[Judgement]:
    """Judgements of every kind: "not same" on strong pairs (cut by minimum cuts), "same"
    across groups (joining components), a "same" that a "not same" overrides, and ones
    naming a mention outside the frame, one mention twice, or "unsure" (ignored)."""
    strong = pairs[pairs["match_weight"] >= THRESHOLD]
    out = [
        Judgement(int(a), int(b), "not_same")
        for a, b in strong[["unique_id_l", "unique_id_r"]].to_numpy()[::17][:6]
    ]
    out.append(Judgement(int(ids[5]), int(ids[45]), "same"))
    out.append(Judgement(int(ids[46]), int(ids[90]), "same"))
    out.append(Judgement(int(ids[6]), int(ids[91]), "not_same"))
    out.append(Judgement(int(ids[45]), int(ids[5]), "not_same"))  # only "same" joins them
    out.append(Judgement(int(ids[2]), int(ids[2]), "not_same"))
    out.append(Judgement(int(ids[3]), int(ids.max()) + 100, "same"))
    out.append(Judgement(int(ids[7]), int(ids[8]), "unsure"))
    return out


@pytest.mark.slow  # Spark in local mode
@pytest.mark.parametrize("seed", [1, 2])
def test_spark_clusters_as_the_driver_does(
    spark: Any, frame: pd.DataFrame, tmp_path: Path, seed: int
) -> None:
    from casereview.link.spark_components import cluster_on_spark

    lean = frame.copy()
    staged = _stage(frame, tmp_path)  # as the Spark path stages the guarded frame
    lean_in_place(lean)  # what the driver clustered with
    ids = lean["unique_id"].to_numpy(dtype=np.int64)
    pairs = _pairs(ids, seed)
    judged = _judgements(pairs, ids)
    want = cluster_mentions(ids, pairs, THRESHOLD, judged, guard=household_guard(lean))
    # The world and pairs make every kind of cut happen.
    assert want.guard_cuts > 0 and want.edges_cut > 0
    assert any("overrides a chain of 'same'" in n for n in want.notes)
    got = cluster_on_spark(spark, ids, pairs, THRESHOLD, judged, staged, tmp_path)
    assert got.labels == want.labels
    assert (got.guard_cuts, got.edges_cut) == (want.guard_cuts, want.edges_cut)
    assert got.notes == want.notes
    assert list(tmp_path.glob("clusters-*")) == []  # its files removed


@pytest.mark.slow
def test_spark_clusters_with_no_pair_at_the_threshold(
    spark: Any, frame: pd.DataFrame, tmp_path: Path
) -> None:
    from casereview.link.spark_components import cluster_on_spark

    staged = _stage(frame, tmp_path)
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    pairs = _pairs(ids, 3).assign(match_weight=THRESHOLD - 1)
    got = cluster_on_spark(spark, ids, pairs, THRESHOLD, [], staged, tmp_path)
    assert got.labels == {int(i): int(i) for i in ids}
    assert (got.guard_cuts, got.edges_cut, got.notes) == (0, 0, [])


@pytest.mark.slow
def test_components_on_spark_are_scipys_with_the_smallest_id(spark: Any, tmp_path: Path) -> None:
    """Long paths, a star and isolated pairs: each node labelled with its component's
    smallest id, as `cluster.components` groups them."""
    from casereview.link.spark_components import components_on_spark

    rng = np.random.default_rng(7)
    nodes = rng.permutation(np.arange(10, 3010, dtype=np.int64))
    path = np.column_stack([nodes[:299], nodes[1:300]])  # one path of 300
    star = np.column_stack([np.full(99, nodes[300]), nodes[301:400]])
    loose = rng.choice(nodes[400:], size=(400, 2))
    edges = np.concatenate([path, star, loose])
    got = (
        components_on_spark(
            spark, spark.createDataFrame(pd.DataFrame(edges, columns=["l", "r"])), tmp_path / "c"
        )
        .toPandas()
        .set_index("id")["comp"]
    )
    present = np.unique(edges)
    membership = components(len(present), *np.searchsorted(present, edges).T)
    smallest = pd.Series(present).groupby(membership).transform("min").to_numpy()
    assert got.reindex(present).to_numpy().tolist() == smallest.tolist()
