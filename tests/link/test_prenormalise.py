"""The frame's normalisers worked out ahead in a forked child while the store is read
(`link.prenormalise`): the frame is the one built without them, and a child that fails
leaves the frame as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from casereview.link import prenormalise
from casereview.link.frame import Normalised, build_frame, load_mention_rows
from casereview.link.prenormalise import COLUMNS, normalised_ahead
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store


def _read(store: Path, ahead: prenormalise.Ahead | None = None) -> pd.DataFrame:
    engine = make_engine(f"sqlite:///{store}")
    try:
        with reading(engine) as conn:
            return load_mention_rows(conn, chunk=50, feed=ahead.feed if ahead else None)
    finally:
        engine.dispose()


def test_the_child_s_results_give_the_frame_built_without_them(tmp_path: Path) -> None:
    store = build_ingested_store(tmp_path, cases=40, seed=3)
    with normalised_ahead() as ahead:
        assert ahead.process is not None  # two cores and fork: the child is there
        rows = _read(store, ahead)
        normalised = ahead.result()
    # Every chain of every column sent was worked out by the child, chunk after chunk.
    assert set(normalised.tables) >= {
        "_text", "_first_forename", "forename_key", "_surname", "_surname_std", "_postcode",
        "postcode_district", "_street_number", "normalise_address", "_phone_tuple",
        "_identifiers", "name_key", "_word_keys",
    }  # fmt: skip
    assert all(normalised.tables.values())
    assert set(rows["postcode"].dropna()) <= set(normalised.tables["_postcode"])
    assert set(rows["identifiers"].dropna()) <= set(normalised.tables["_identifiers"])
    pd.testing.assert_frame_equal(build_frame(rows, normalised), build_frame(rows))


def test_results_are_looked_up_not_worked_out_again(tmp_path: Path) -> None:
    """A value found in the results is taken from them (a cache that is read), any other is
    worked out: a wrong result planted for one postcode shows in the frame."""
    store = build_ingested_store(tmp_path, cases=12, seed=5)
    rows = _read(store)
    postcode = rows["postcode"].dropna().iloc[0]
    frame = build_frame(rows, Normalised({"_postcode": {postcode: "ZZ1 1ZZ"}}))
    plain = build_frame(rows)
    planted = (rows["postcode"] == postcode).fillna(False).to_numpy(dtype=bool)
    assert set(frame.loc[planted, "postcode"]) == {"ZZ1 1ZZ"}
    pd.testing.assert_series_equal(frame.loc[~planted, "postcode"], plain.loc[~planted, "postcode"])


def test_a_child_that_dies_leaves_the_frame_as_it_was(tmp_path: Path) -> None:
    store = build_ingested_store(tmp_path, cases=12, seed=5)
    with normalised_ahead() as ahead:
        assert ahead.process is not None
        os.kill(ahead.process.pid, 9)  # our own child
        ahead.process.join()
        rows = _read(store, ahead)
        normalised = ahead.result()
    assert normalised.tables == {}
    pd.testing.assert_frame_equal(build_frame(rows, normalised), build_frame(rows))


def test_without_a_child_nothing_is_sent(tmp_path: Path) -> None:
    store = build_ingested_store(tmp_path, cases=12, seed=5)
    with normalised_ahead(enabled=False) as ahead:
        assert ahead.process is None
        rows = _read(store, ahead)
        assert ahead.result().tables == {}
    assert set(COLUMNS) <= set(rows.columns)
