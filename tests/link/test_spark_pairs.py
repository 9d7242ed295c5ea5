"""The scored pairs' steps on Spark (local[2]) give exactly what `stage.finish_prediction`
gives on DuckDB: the same well-evidenced pairs, the same pairs strongest-only keeps, the
same record context (levels, estimate, forename check), the same persons, the same pairs
kept with the same weights and context columns, the same model and notes, on mentions of
a store built by the real pipeline; the driver reads only the pairs kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from casereview.link.cluster import Judgement, strongest_only, well_evidenced
from casereview.link.context import (
    COMMON,
    ELSE,
    context_levels,
    linked_mates,
    load_record_links,
    record_ids,
)
from casereview.link.frame import (
    build_frame,
    context_matrix,
    effective_block_cap,
    guard_blocks,
    load_mention_rows,
    select_blocking_keys,
    unanchored,
)
from casereview.link.model import ScoredPairs, TrainedModel, open_backend
from casereview.link.reference import reference_model
from casereview.link.spark_stage import _stage, lean_in_place
from casereview.link.stage import Plan, Prediction, explained_prediction, finish_prediction
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store

pytest.importorskip("pyspark")

LINK = get_settings().link
THRESHOLD = LINK.match_weight_threshold


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with open_backend("spark", spark_master="local[2]", spark_driver_memory="1g") as db_api:
        yield db_api.spark


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, np.ndarray]:
    store = build_ingested_store(tmp_path_factory.mktemp("store"), cases=60, seed=4)
    engine = make_engine(f"sqlite:///{store}")
    try:
        with reading(engine) as conn:
            whole = build_frame(load_mention_rows(conn))
            links = load_record_links(conn)
    finally:
        engine.dispose()
    whole = select_blocking_keys(whole, addresses=False)
    guard_blocks(whole, effective_block_cap(8, len(whole), 50))
    return whole, links


def _scored(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Scored pairs as Spark writes them: mentions joined into groups of 40 consecutive
    ids (a chain through each, random pairs within), every pair of one full name and full
    date of birth (well-evidenced), weights on both sides of the threshold and of the
    near-miss floor, sorted by their ids."""
    rng = np.random.default_rng(seed)
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    left: list[int] = []
    right: list[int] = []
    for start in range(0, len(ids), 40):
        group = ids[start : start + 40]
        left += group[:-1].tolist()
        right += group[1:].tolist()
        a, b = rng.choice(group, size=len(group)), rng.choice(group, size=len(group))
        keep = a != b
        left += np.minimum(a, b)[keep].tolist()
        right += np.maximum(a, b)[keep].tolist()
    named = frame.dropna(subset=["dob", "surname_std"])
    for _, same in named.groupby(["dob", "surname_std"])["unique_id"]:
        found = same.to_numpy(dtype=np.int64)
        left += found[:-1].tolist()
        right += found[1:].tolist()
    pairs = pd.DataFrame({"unique_id_l": left, "unique_id_r": right})
    pairs = pairs.drop_duplicates().sort_values(["unique_id_l", "unique_id_r"])
    weight = rng.uniform(THRESHOLD - 8, THRESHOLD + 10, len(pairs))
    pairs = pairs.assign(match_weight=weight, match_probability=1.0 / (1.0 + np.exp2(-weight)))
    return pairs.reset_index(drop=True)


def _judgements(pairs: pd.DataFrame, ids: np.ndarray) -> list[Judgement]:
    strong = pairs[pairs["match_weight"] >= THRESHOLD]
    out = [
        Judgement(int(a), int(b), "not_same")
        for a, b in strong[["unique_id_l", "unique_id_r"]].to_numpy()[::23][:4]
    ]
    out.append(Judgement(int(ids[5]), int(ids[45]), "same"))
    out.append(Judgement(int(ids[7]), int(ids[8]), "unsure"))
    return out


def _written(pairs: pd.DataFrame, folder: Path) -> Path:
    """`pairs` as the executors write the scored pairs: Parquet files in no pair order."""
    files = folder / f"scored-{time.monotonic_ns()}"
    files.mkdir()
    shuffled = pairs.sample(frac=1.0, random_state=3).reset_index(drop=True)
    for number, part in enumerate(np.array_split(np.arange(len(shuffled)), 3)):
        table = pa.Table.from_pandas(shuffled.iloc[part], preserve_index=False)
        pq.write_table(table, files / f"part-{number:05d}.parquet")
    return files


def _on_duckdb(
    frame: pd.DataFrame, pairs: pd.DataFrame, plan: Plan, judged: list[Judgement]
) -> Prediction:
    return finish_prediction(
        frame, ScoredPairs(pairs=pairs.copy(), model=TrainedModel(reference_model())),
        TrainedModel(reference_model()), plan, LINK, judged, True, "spark", lambda _m: None,
        {}, lambda _f, kept, _s: kept,
    )  # fmt: skip


def _on_spark(
    spark: Any,
    lean: pd.DataFrame,
    pairs: pd.DataFrame,
    plan: Plan,
    judged: list[Judgement],
    staged: Path,
    folder: Path,
) -> Prediction:
    from casereview.link.spark_pairs import clustered_on_spark

    model = TrainedModel(reference_model())
    timings: dict[str, float] = {}
    scored, clustering = clustered_on_spark(
        spark,
        (_written(pairs, folder), list(pairs.columns)),
        lean,
        model,
        plan,
        LINK,
        judged,
        True,
        lambda _m: None,
        timings,
        staged,
    )
    return explained_prediction(
        lean, scored, clustering, model, plan.notes, judged, True, lambda _m: None, timings,
        lambda _f, kept, _s: kept, time.perf_counter(), threshold=LINK.match_weight_threshold,
    )  # fmt: skip


@pytest.mark.slow  # Spark in local mode
@pytest.mark.parametrize("seed", [1, 2])
def test_the_pairs_clustered_and_given_context_on_spark_are_the_drivers(
    spark: Any, world: tuple[pd.DataFrame, np.ndarray], tmp_path: Path, seed: int
) -> None:
    frame, links = world
    pairs = _scored(frame, seed)
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    judged = _judgements(pairs, ids)
    mates = linked_mates(frame, links)
    floor = THRESHOLD - LINK.near_miss_margin - LINK.context_max_weight

    # The world and pairs make each step act: pairs well evidenced, pairs strongest-only
    # drops, pairs of each context level, pairs in common whose forenames differ.
    sure = well_evidenced(frame, pairs)
    assert sure[pairs["match_weight"].to_numpy() >= THRESHOLD].any()
    assert len(strongest_only(pairs, unanchored(frame), THRESHOLD, sure)) < len(pairs)
    first = _on_duckdb(frame.copy(), pairs, Plan(frame, [], None, False, floor, False, None, None),
                       judged)  # fmt: skip
    matrix = context_matrix(frame, first.clustering.labels, mates)
    left = np.searchsorted(ids, pairs["unique_id_l"].to_numpy(dtype=np.int64))
    right = np.searchsorted(ids, pairs["unique_id_r"].to_numpy(dtype=np.int64))
    level = context_levels(left, right, record_ids(frame), matrix)
    assert {ELSE, COMMON} <= set(level.tolist())

    want = _on_duckdb(
        frame.copy(), pairs, Plan(frame, [], None, False, floor, True, mates, None), judged
    )
    lean = frame.copy()
    staged = _stage(frame, tmp_path)  # as the Spark path stages the guarded frame
    lean_in_place(lean)
    work = tmp_path / "work"
    work.mkdir()
    got = _on_spark(
        spark, lean, pairs, Plan(lean, [], None, False, floor, True, mates, None), judged,
        staged, work,
    )  # fmt: skip
    assert any(n.startswith("record context added") for n in want.notes)
    assert got.clustering.labels == want.clustering.labels
    assert (got.clustering.guard_cuts, got.clustering.edges_cut) == (
        want.clustering.guard_cuts,
        want.clustering.edges_cut,
    )
    assert got.notes == want.notes
    assert got.model_json == want.model_json
    assert "gamma_context" in want.pairs.columns and "context_l" in want.pairs.columns
    pd.testing.assert_frame_equal(got.pairs, want.pairs)
    # Every step's files removed, the scored pairs' too: only the staged frame is left.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([staged.name, "work"])
    assert list(work.iterdir()) == []


@pytest.mark.slow
def test_the_pairs_on_spark_without_record_context(
    spark: Any, world: tuple[pd.DataFrame, np.ndarray], tmp_path: Path
) -> None:
    """No record context: one clustering, every scored pair kept, read once."""
    frame, _links = world
    pairs = _scored(frame, 3)
    judged = _judgements(pairs, frame["unique_id"].to_numpy(dtype=np.int64))
    floor = THRESHOLD - LINK.near_miss_margin
    want = _on_duckdb(frame.copy(), pairs, Plan(frame, [], None, False, floor, False, None, None),
                      judged)  # fmt: skip
    lean = frame.copy()
    staged = _stage(frame, tmp_path)
    lean_in_place(lean)
    work = tmp_path / "work"
    work.mkdir()
    got = _on_spark(
        spark, lean, pairs, Plan(lean, [], None, False, floor, False, None, None), judged,
        staged, work,
    )  # fmt: skip
    assert got.clustering.labels == want.clustering.labels
    assert got.notes == want.notes
    pd.testing.assert_frame_equal(got.pairs, want.pairs)
