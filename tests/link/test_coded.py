"""Columns as codes of their distinct values (link/coded.py) and the read into Arrow columns:
the frame built from them is the frame built from the same rows as plain Python values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.link.coded import Coded, key_codes
from casereview.link.frame import _code, build_frame, load_mention_rows
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store

_VALUES = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "ab", "", " ", "é"])), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=3).filter(lambda p: len({len(x) for x in p}) == 1))
def test_a_key_from_codes_is_the_key_from_values(parts: list[list[str | None]]) -> None:
    """`key_codes` numbers the keys as `_code` numbers them from the values themselves:
    first appearance of the whole tuple of parts, NULL where a part is missing; also when the
    parts' codes come from a mapping of other codes (numbered in another order)."""
    columns = [np.array(p, dtype=object) for p in parts]
    expected = _code(*columns)
    assert key_codes(*[Coded.of(c) for c in columns]).equals(expected)
    # The same values reached through a mapping: codes not numbered by first appearance.
    backwards = [Coded.of(c).map(lambda v: v[::-1]).map(lambda v: v[::-1]) for c in columns]
    assert key_codes(*backwards).equals(expected)


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_arrow_and_pandas_find_the_same_distinct_values(values: list[str | None]) -> None:
    """Text dictionary-encoded by Arrow gives pandas' factorize codes and distinct values,
    whatever carries the column (a list, an object Series, pandas' str dtype, Arrow), and a
    column Arrow cannot hold (mixed types) falls back to pandas."""
    codes, uniques = pd.factorize(pd.Series(values, dtype="object"), use_na_sentinel=True)
    for column in (
        values,
        pd.Series(values, dtype="object"),
        pd.Series(values, dtype="str"),
        pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, type=pa.string()))),
    ):
        coded = Coded.of(column)
        assert coded.codes.tolist() == codes.tolist()
        assert coded.values == uniques.tolist()
    mixed = Coded.of([*values, 1, (2, 3)])
    assert mixed.column().tolist() == [*values, 1, (2, 3)]


def test_a_mapped_column_keeps_missing_and_merges_equal_results() -> None:
    coded = Coded.of(["Ann", None, "ann", "Bob", "ANN"])
    lower = coded.map(lambda v: v.lower() if v != "Bob" else None)
    assert lower.values == ["ann"]
    assert lower.codes.tolist() == [0, -1, 0, -1, 0]
    kept = coded.where(np.array([False, True, True, True, False]))
    assert kept.values == ["ann", "Bob"]
    assert kept.column().tolist() == [None, None, "ann", "Bob", None]
    swapped = coded.replaced(np.array([True, True, False, False, False]), Coded.of(list("xyzab")))
    assert swapped.column().tolist() == ["x", "y", "ann", "Bob", "ANN"]
    assert coded.column(lambda v: [v]).tolist() == [["Ann"], None, ["ann"], ["Bob"], ["ANN"]]


def test_the_read_is_arrow_and_builds_the_frame_the_plain_values_build(tmp_path: Path) -> None:
    """The read keeps text and integers in Arrow (not a million Python strings per column);
    the frame built from it equals, column by column and dtype by dtype, the frame built
    from the same rows as Python values (dicts, the way tests and callers give them)."""
    store = build_ingested_store(tmp_path, cases=60, seed=5)
    engine = make_engine(f"sqlite:///{store}")
    try:
        with reading(engine) as conn:
            rows = load_mention_rows(conn)
    finally:
        engine.dispose()
    assert isinstance(rows["forenames"].dtype, pd.ArrowDtype)
    assert isinstance(rows["postcode"].dtype, pd.ArrowDtype)
    assert rows["mention_id"].dtype == np.int64
    plain = [
        {k: (None if v is pd.NA else v) for k, v in row.items()}
        for row in rows.astype("object").to_dict("records")
    ]
    assert any(r["age_at_event"] is not None for r in plain)
    # Shuffled: the frame is in mention-id order whatever order the rows come in.
    plain = [plain[i] for i in np.random.default_rng(5).permutation(len(plain))]
    frame, expected = build_frame(rows), build_frame(plain)
    assert frame["bka_mates"].notna().any() and frame["bk_name"].notna().any()
    pd.testing.assert_frame_equal(frame, expected)
