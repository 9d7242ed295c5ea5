"""Mentions read from the store and normalised a chunk at a time (issue 20, `--engine spark`).

`frame.load_mention_rows` reads every mention's raw values into one pandas frame and
`frame.build_frame` normalises it whole: at a million mentions the raw frame (seventeen
columns of Python objects) and the frame built from it sat in the driver together. Here
the store is read `chunk` mentions at a time, each chunk normalised by `build_frame`
itself (its per-row normalisation is independent per row) and only its normalised columns
kept; the whole-data steps (blocking-key codes, record mates) then run once on the
concatenated columns, so the frame is the one `build_frame` gives for all the rows at once.
Of the raw values only what the persons' display names need is kept.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Connection

from casereview.link.frame import (
    NARROWINGS,
    add_blocking_keys,
    add_record_mates,
    build_frame,
    mention_query,
    read_columns,
)

__all__ = ["NAME_COLUMNS", "mention_chunks", "read_frame_in_chunks"]

# The raw columns kept beside the frame: what `stage._display_names` reads.
NAME_COLUMNS = ["mention_id", "forenames", "surname", "name_raw"]


def mention_chunks(conn: Connection, *, chunk: int = 50_000) -> Iterator[pd.DataFrame]:
    """The columns of `frame.load_mention_rows`, `chunk` mentions at a time in mention-id
    order (the same query, through the DB-API cursor as plain tuples, into the same columns)."""
    query = mention_query()
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        while batch := cursor.fetchmany(chunk):
            yield read_columns(query, [batch])
    finally:
        cursor.close()


def _normalised(raw: pd.DataFrame) -> pd.DataFrame:
    """`build_frame`'s normalised columns of one chunk, without the whole-data columns
    (blocking keys, the guard's narrowings and record mates), which only mean something
    over every mention."""
    frame = build_frame(raw)
    whole = [c for c in frame.columns if c.startswith(("bk_", "bka_")) or c in NARROWINGS]
    return frame.drop(columns=whole)


def read_frame_in_chunks(
    conn: Connection, *, chunk: int = 50_000
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the raw name columns `NAME_COLUMNS` of every mention, the linkage frame), equal to
    `load_mention_rows` narrowed to those columns and `build_frame` of all of it, with never
    more than `chunk` raw rows in memory."""
    names: list[pd.DataFrame] = []
    parts: list[pd.DataFrame] = []
    for raw in mention_chunks(conn, chunk=chunk):
        names.append(raw[NAME_COLUMNS].copy())
        parts.append(_normalised(raw))
        del raw
    if not parts:  # no mentions: nothing to link (`run_link` says so)
        empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in NAME_COLUMNS})
        return empty, pd.DataFrame({"unique_id": pd.Series([], dtype="int64")})
    rows = pd.concat(names, ignore_index=True)
    normalised = pd.concat(parts, ignore_index=True)
    del names, parts
    # Chunks come in mention-id order, as `build_frame` sorts: the whole-data steps follow.
    return rows, add_record_mates(add_blocking_keys(normalised))
