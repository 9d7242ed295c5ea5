"""Mentions read and normalised a chunk at a time give the frame read and built whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.staging import NAME_COLUMNS, read_frame_in_chunks
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store


@pytest.mark.parametrize("chunk", [7, 1_000_000])
def test_chunks_give_the_frame_built_whole(tmp_path: Path, chunk: int) -> None:
    """Chunks of 7 mentions split every record's mentions across chunks (record mates and
    blocking keys are whole-data steps, made after the chunks are joined)."""
    store = build_ingested_store(tmp_path, cases=40, seed=3)
    engine = make_engine(f"sqlite:///{store}")
    try:
        with reading(engine) as conn:
            rows = load_mention_rows(conn)
            names, frame = read_frame_in_chunks(conn, chunk=chunk)
    finally:
        engine.dispose()
    assert len(rows) > 3 * 7
    whole = build_frame(rows)
    assert frame["bka_mates"].notna().any()  # records named several people
    pd.testing.assert_frame_equal(frame, whole)
    pd.testing.assert_frame_equal(names, rows[NAME_COLUMNS])


def test_an_empty_store_gives_an_empty_frame(fresh_store) -> None:  # type: ignore[no-untyped-def]
    with reading(fresh_store) as conn:
        names, frame = read_frame_in_chunks(conn)
    assert names.empty and list(names.columns) == NAME_COLUMNS
    assert frame.empty
