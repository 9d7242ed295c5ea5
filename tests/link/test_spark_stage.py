"""What the Spark path keeps on the driver: the lean frame answers every guard as the whole
frame does, it comes back from disk as it went, the witness rows give the settings the whole
frame gives, and each mention's pairs are listed as before (no Spark needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from casereview.errors import LinkageError
from casereview.link.cluster import (
    Clustering,
    Forenames,
    household_guard,
    well_evidenced,
)
from casereview.link.context import load_record_links, record_ids
from casereview.link.frame import (
    build_frame,
    context_matrix,
    effective_block_cap,
    guard_blocks,
    lists_by_position,
    load_mention_rows,
    record_mates,
    select_blocking_keys,
    unanchored,
)
from casereview.link.model import (
    ScoredPairs,
    TrainedModel,
    _unused_columns,
    model_settings,
    prior_recall,
)
from casereview.link.placement import attach_bare_names
from casereview.link.reference import reference_model
from casereview.link.score import duckdb_settings_from_saved
from casereview.link.spark_prepare import CHUNK, _compact, prepare_in_child
from casereview.link.spark_stage import (
    _EXPLAINED_BATCH,
    _PAIR_ROW,
    LEAN_COLUMNS,
    ExplainedPairs,
    _explained_on_disk,
    _pairs_by_mention,
    _prior_frame,
    _restore,
    _spill,
    lean_in_place,
    ready_for_spark,
    witness,
)
from casereview.link.stage import Plan, Prediction, finish_prediction
from casereview.link.staging import read_frame_in_chunks
from casereview.settings import get_settings
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store


def _guarded_frame(tmp_path: Path) -> pd.DataFrame:
    store = build_ingested_store(tmp_path, cases=60, seed=4)
    engine = make_engine(f"sqlite:///{store}")
    try:
        with reading(engine) as conn:
            frame = build_frame(load_mention_rows(conn))
    finally:
        engine.dispose()
    frame = select_blocking_keys(frame, addresses=False)
    guard_blocks(frame, effective_block_cap(8, len(frame), 50))  # a small cap: refined keys
    return frame


def test_the_lean_frame_answers_the_guards_as_the_whole_frame(tmp_path: Path) -> None:
    whole = _guarded_frame(tmp_path)
    lean = whole.copy(deep=True)
    lean_in_place(lean)
    assert set(lean.columns) == {c for c in LEAN_COLUMNS if c in whole.columns}
    # the phones themselves, as the whole frame holds them (the placement reads them)
    assert lean["phones"].tolist() == whole["phones"].tolist()
    ids = whole["unique_id"].to_numpy(dtype=np.int64)
    np.testing.assert_array_equal(unanchored(lean), unanchored(whole))
    np.testing.assert_array_equal(record_ids(lean), record_ids(whole))
    for got, want in zip(record_mates(lean), record_mates(whole), strict=True):
        np.testing.assert_array_equal(got, want)
    # Every mention one person, then each mention with the next: the guard's every question.
    membership = np.zeros(len(ids), dtype=np.int64)
    assert household_guard(lean)(ids, membership) == household_guard(whole)(ids, membership)
    assert household_guard(whole)(ids, membership)  # it had something to say
    pairs = pd.DataFrame({"unique_id_l": ids[:-1], "unique_id_r": ids[1:], "match_weight": 1.0})
    np.testing.assert_array_equal(well_evidenced(lean, pairs), well_evidenced(whole, pairs))
    names_lean, names_whole = Forenames(lean), Forenames(whole)
    assert [names_lean.differ(i, i + 1) for i in range(len(ids) - 1)] == [
        names_whole.differ(i, i + 1) for i in range(len(ids) - 1)
    ]
    labels = {int(m): int(m) for m in ids}  # nobody joined: bare names may attach
    np.testing.assert_array_equal(context_matrix(lean, labels), context_matrix(whole, labels))
    attached_lean, attached_whole = Clustering(dict(labels)), Clustering(dict(labels))
    assert attach_bare_names(lean, attached_lean, min_mentions=1) == attach_bare_names(
        whole, attached_whole, min_mentions=1
    )
    assert attached_lean.labels == attached_whole.labels
    assert prior_recall(_prior_frame(whole)) == prior_recall(whole)


def test_the_lean_frame_keeps_the_online_handles(tmp_path: Path) -> None:
    """The placement reads each lone mention's online handles (the frame's `handles` text, as
    the store read gives them): the driver's lean frame keeps them, as Arrow text once the
    child has compacted its chunk, and they come back from disk as they went."""
    whole = _guarded_frame(tmp_path)
    handles = [None if pd.isna(v) else v for v in whole["handles"]]
    assert any(handles)  # the world's children name some associates by a handle
    lean = _compact(whole)
    lean_in_place(lean)
    assert "handles" in lean.columns
    assert [None if pd.isna(v) else v for v in lean["handles"]] == handles
    folder = tmp_path / "staged"
    folder.mkdir()
    _restore(lean, _spill(lean, folder))
    assert [None if pd.isna(v) else v for v in lean["handles"]] == handles


def test_the_witness_gives_the_settings_of_the_whole_frame(tmp_path: Path) -> None:
    whole = _guarded_frame(tmp_path)
    shape = witness(whole)
    assert len(shape) <= len(whole.columns) and list(shape.columns) == list(whole.columns)
    for addresses in (False, True):
        want = model_settings(whole, addresses=addresses).get_settings("spark").as_dict()
        got = model_settings(shape, addresses=addresses).get_settings("spark").as_dict()
        assert got == want
    assert _unused_columns(model_settings(shape)) == _unused_columns(model_settings(whole))
    saved = reference_model()
    assert duckdb_settings_from_saved(shape, saved, "spark", partial=True) == (
        duckdb_settings_from_saved(whole, saved, "spark", partial=True)
    )
    # A column holding no value anywhere holds none in the witness either.
    whole["sex"] = None
    assert witness(whole)["sex"].isna().all()


def test_the_lean_frame_comes_back_from_disk_as_it_was(tmp_path: Path) -> None:
    frame = _guarded_frame(tmp_path)
    lean_in_place(frame)
    before = frame.copy(deep=True)
    folder = tmp_path / "staged"
    folder.mkdir()
    spilled = _spill(frame, folder)
    assert list(frame.columns) == [] and len(frame) == len(before)
    _restore(frame, spilled)
    assert not spilled.exists()
    pd.testing.assert_frame_equal(frame, before)
    for col in before.columns:  # the very values: lists stay lists, dates stay dates
        assert [type(v) for v in frame[col]] == [type(v) for v in before[col]]


def test_each_mentions_pairs_are_listed_as_lists_by_position_gives(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 500
    ids = np.sort(rng.choice(10_000, size=n, replace=False)).astype(np.int64)
    left = rng.integers(0, n - 50, size=2_000)
    right = left + rng.integers(1, 49, size=2_000)  # never a mention with itself
    listed = _pairs_by_mention(left, right, ids)
    number = np.arange(len(left), dtype=np.int64)
    want = lists_by_position(np.concatenate([left, right]), np.concatenate([number, number]), n)
    inside = [i for i, v in enumerate(want) if v is not None]
    assert listed["unique_id"].to_pylist() == ids[inside].tolist()
    assert listed["bka_pair"].to_pylist() == [want[i] for i in inside]
    assert inside[-1] < n - 1  # the last mention is in no pair, and is not listed


def test_scored_pairs_handed_over_in_a_list_cluster_as_when_held(tmp_path: Path) -> None:
    """Spark's driver hands the scored pairs to `finish_prediction` in a list it empties,
    so that nothing else holds them once record context has kept its pairs; the persons,
    pairs and notes are those it gives when the caller keeps them."""
    frame = _guarded_frame(tmp_path)
    link = get_settings().link
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    rng = np.random.default_rng(4)
    left, right = ids[:-1], ids[1:]
    weight = rng.uniform(link.match_weight_threshold - 12, link.match_weight_threshold + 8, len(left))
    pairs = pd.DataFrame({"unique_id_l": left, "unique_id_r": right, "match_weight": weight})
    pairs["match_probability"] = 1.0 / (1.0 + np.exp2(-weight))
    model = TrainedModel(reference_model())

    def predicted(scored: ScoredPairs | list[ScoredPairs]) -> Prediction:
        plan = Plan(frame.copy(), [], None, False, -20.0, True, None, None)
        return finish_prediction(
            plan.frame, scored, model, plan, link, [], True, "spark", lambda _m: None, {},
            lambda _f, kept, _s: kept,
        )  # fmt: skip

    held = predicted(ScoredPairs(pairs=pairs.copy(), model=model))
    handed = [ScoredPairs(pairs=pairs.copy(), model=model)]
    got = predicted(handed)
    assert handed == []
    assert got.clustering.labels == held.clustering.labels
    assert any(n.startswith("record context added") for n in got.notes)
    assert got.notes == held.notes
    pd.testing.assert_frame_equal(got.pairs, held.pairs)


def _explained(n: int) -> pa.Table:
    """Explained pairs as Spark writes them: ids, pair numbers, a match key, a gamma, a
    weight, compared values with missing ones, and a year of birth with NULLs."""
    rng = np.random.default_rng(3)
    left = np.sort(rng.choice(10 * n, size=n, replace=False)).astype(np.int64)
    return pa.table(
        {
            "unique_id_l": left,
            "unique_id_r": left + 1,
            "match_key": pa.array(["0"] * n),
            "gamma_surname": pa.array(rng.integers(-1, 3, size=n), type=pa.int32()),
            "mw_surname": rng.normal(size=n),
            "surname_std_l": pa.array([None if i % 7 == 0 else f"name{i}" for i in range(n)]),
            "yob_l": pa.array([None if i % 5 == 0 else 1950 + i % 60 for i in range(n)]),
            _PAIR_ROW: np.arange(n, dtype=np.int64),
        }
    )


def _written(table: pa.Table, folder: Path, sizes: list[int]) -> Path:
    files = folder / "explained"
    files.mkdir()
    at = 0
    for number, size in enumerate(sizes):
        pq.write_table(table.slice(at, size), files / f"part-{number:05d}.parquet")
        at += size
    return files


def test_the_explained_pairs_are_kept_on_disk_and_read_a_slice_at_a_time(
    tmp_path: Path,
) -> None:
    """`Prediction.detail` on Spark: the explained pairs checked a file at a time and kept
    in a private Arrow file; any rows asked for come back as the whole table gives them
    (and as pandas, as the write turns them), the file goes with `remove`."""
    link = get_settings().link.model_copy(update={"spark_staging_dir": str(tmp_path)})
    n = 2 * _EXPLAINED_BATCH + 123
    table = _explained(n)
    want_l, want_r = table["unique_id_l"].to_numpy(), table["unique_id_r"].to_numpy()
    files = _written(table, tmp_path, [0, _EXPLAINED_BATCH - 7, n - _EXPLAINED_BATCH + 7])
    detail = _explained_on_disk(files, want_l, want_r, link)
    assert isinstance(detail, ExplainedPairs) and detail.num_rows == n
    assert detail.path.parent == tmp_path and detail.path.stat().st_mode & 0o777 == 0o600
    whole = table.drop_columns(["unique_id_l", "unique_id_r", _PAIR_ROW])
    assert detail.column_names == whole.column_names
    assert detail["yob_l"].to_pylist() == whole["yob_l"].to_pylist()
    rng = np.random.default_rng(5)
    for rows in (
        np.arange(0, 10),
        np.arange(_EXPLAINED_BATCH - 5, _EXPLAINED_BATCH + 5),  # across two batches
        np.sort(rng.choice(n, size=500, replace=False)),
        np.array([n - 1, 0]),
        np.zeros(0, dtype=np.int64),
    ):
        got = detail.take(pa.array(rows, type=pa.int64()))
        assert got.equals(whole.take(pa.array(rows, type=pa.int64())))
        pd.testing.assert_frame_equal(
            got.to_pandas(integer_object_nulls=True),
            whole.take(pa.array(rows, type=pa.int64())).to_pandas(integer_object_nulls=True),
        )
    with pytest.raises(IndexError):
        detail.take(pa.array([n], type=pa.int64()))
    detail.remove()
    assert not detail.path.exists()


def test_explained_files_out_of_order_are_put_in_order_and_a_missing_pair_is_an_error(
    tmp_path: Path,
) -> None:
    link = get_settings().link.model_copy(update={"spark_staging_dir": str(tmp_path / "s")})
    (tmp_path / "s").mkdir()
    n = 1_000
    table = _explained(n)
    want_l, want_r = table["unique_id_l"].to_numpy(), table["unique_id_r"].to_numpy()
    # The second half written first: the files are not each a run of rows in order.
    files = tmp_path / "explained"
    files.mkdir()
    pq.write_table(table.slice(500), files / "part-00000.parquet")
    pq.write_table(table.slice(0, 500), files / "part-00001.parquet")
    detail = _explained_on_disk(files, want_l, want_r, link)
    whole = table.drop_columns(["unique_id_l", "unique_id_r", _PAIR_ROW])
    assert detail.take(pa.array(np.arange(n))).equals(whole)
    detail.remove()
    # A pair explained that was not kept, or one kept never explained: an error, no file.
    with pytest.raises(LinkageError):
        _explained_on_disk(files, want_l[::-1], want_r, link)
    with pytest.raises(LinkageError):
        _explained_on_disk(files, np.append(want_l, 1), np.append(want_r, 2), link)
    assert not list((tmp_path / "s").iterdir())


@pytest.mark.slow  # a child process: a fresh interpreter imports casereview
@pytest.mark.parametrize(
    ("chunk", "guard"),
    [(CHUNK, {}), (97, {"max_block_size": 4, "block_cap_reference_mentions": 0})],
    ids=["one-chunk", "chunks-of-97-small-cap"],
)
def test_the_child_process_stages_what_the_driver_would_and_leaves_it_on_disk(
    tmp_path: Path, chunk: int, guard: dict[str, int]
) -> None:
    """The store read, guarded and staged in a child process (`prepare_in_child`) gives the
    driver what doing it itself gives (`ready_for_spark`): the same lean frame, staged
    Parquet, training sample, columns `model.train` reads, plan, names and previous persons.
    The child never holds the whole frame: read a few mentions at a time (a chunk of 97),
    with a cap small enough that the skewed-block guard refines and drops keys and the
    training sample takes rows of every chunk, the answer is the same."""
    store = build_ingested_store(tmp_path, cases=60, seed=4)
    staging = tmp_path / "staging"
    staging.mkdir()
    link = get_settings().link.model_copy(
        update={"spark_staging_dir": str(staging), "train_sample_size": 150, **guard}
    )
    settings = get_settings().model_copy(update={"link": link})
    engine = make_engine(f"sqlite:///{store}")
    try:
        prepared = prepare_in_child(engine, settings, chunk=chunk)
        with reading(engine) as conn:
            rows, frame = read_frame_in_chunks(conn)
            links = load_record_links(conn)
    finally:
        engine.dispose()
    mine = tmp_path / "mine"
    mine.mkdir()
    want = ready_for_spark(frame, mine, link, None, links, lambda _m: None)
    got = prepared.ready
    assert got is not None and got.frame is None and prepared.folder.parent == staging
    assert prepared.mentions == want.mentions == len(rows) > link.train_sample_size
    for name in ("on_all", "sampled"):
        assert getattr(got, name) == getattr(want, name), name
    for name in ("notes", "trained", "partial", "floor", "use_context"):
        assert getattr(got.plan, name) == getattr(want.plan, name), name
    assert got.plan.frame.empty and got.plan.sample is None
    if guard:  # the small cap refined some keys and dropped others
        assert any("refined" in note for note in got.plan.notes)
        assert any("dropped" in note for note in got.plan.notes)
    assert (got.plan.mates is None) == (want.plan.mates is None)
    if got.plan.mates is not None and want.plan.mates is not None:
        for theirs, ours in zip(got.plan.mates, want.plan.mates, strict=True):
            np.testing.assert_array_equal(theirs, ours)
    pd.testing.assert_frame_equal(got.shape, want.shape)
    assert got.sample_staged is not None and want.sample_staged is not None
    for theirs, ours in ((got.staged, want.staged), (got.sample_staged, want.sample_staged)):
        assert pq.read_table(theirs).equals(pq.read_table(ours))
    assert got.train_reads is not None and want.train_reads is not None
    pd.testing.assert_frame_equal(
        pd.read_pickle(got.train_reads), pd.read_pickle(want.train_reads)
    )
    lean = pd.DataFrame()
    _restore(lean, got.spilled)
    assert want.frame is not None
    _restore(want.frame, want.spilled)
    pd.testing.assert_frame_equal(lean, want.frame)
    for col in lean.columns:  # the very values: lists stay lists, dates stay dates
        assert [type(v) for v in lean[col]] == [type(v) for v in want.frame[col]]
    pd.testing.assert_frame_equal(prepared.names(), rows)
    assert prepared.previous() == {}  # never linked
    prepared.remove()
    assert list(staging.iterdir()) == []


@pytest.mark.slow  # a child process: a fresh interpreter imports casereview
def test_an_error_in_the_child_process_is_raised_in_the_driver_and_its_files_removed(
    tmp_path: Path,
) -> None:
    not_a_store = tmp_path / "empty.db"
    staging = tmp_path / "staging"
    staging.mkdir()
    link = get_settings().link.model_copy(update={"spark_staging_dir": str(staging)})
    settings = get_settings().model_copy(update={"link": link})
    engine = make_engine(f"sqlite:///{not_a_store}")
    try:
        with pytest.raises(Exception, match="no such table: mentions") as raised:
            prepare_in_child(engine, settings)
    finally:
        engine.dispose()
    # The child's traceback comes with it.
    assert isinstance(raised.value.__cause__, LinkageError)
    assert "mention_chunks" in str(raised.value.__cause__)
    assert list(staging.iterdir()) == []
