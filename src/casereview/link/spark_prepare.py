"""The Spark driver's whole-data steps in a child process whose heap goes with it (issue 20).

At a million mentions, reading the store and building the frame in pandas takes the
driver's Python to a high-water mark of 1.9 GB and leaves 1.1 GB resident that the
allocator never gives back (RESULTS.md, seventh session): the floor of every later phase,
with the driver JVM beside it. Here a child process (multiprocessing, spawn: a fresh
interpreter, nothing of the parent's heap copied) reads the store, builds the frame a chunk
at a time (`staging.read_frame_in_chunks`), guards the blocks, draws the training sample and
stages both as Parquet (`spark_stage.ready_for_spark`), writes the lean frame, the columns
`model.train` reads, the display names' raw columns and the mentions' previous persons into
the run's private folder (0700), and exits. The driver gets back a small `Prepared` and
reads each piece from the folder when it needs it: the lean frame after scoring, the names
and previous persons when it writes the store.

An error in the child is raised again in the driver with its message (the child's own
exception when it pickles, else a `LinkageError` naming it); a child that dies without
one (killed, out of memory) is a `LinkageError` with its exit code. The child only reads the
store; the folder is removed by the driver at the end of the prediction (`run_link`), or at
once on an error.
DuckDB's path does none of this.
"""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
import tempfile
import traceback
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from casereview.errors import LinkageError
from casereview.link.context import load_record_links
from casereview.link.frame import KEY_READS, add_blocking_keys, add_record_mates
from casereview.link.judgements import active_judgements
from casereview.link.spark_stage import Ready, _restore, _spill, give_back, ready_for_spark
from casereview.link.staging import NAME_COLUMNS, _normalised, mention_chunks
from casereview.model.tables import mention_person
from casereview.settings import Settings

__all__ = ["Prepared", "prepare_in_child"]

_READY = "ready.pickle"
_FAILED = "failed.pickle"


@dataclass
class Prepared:
    """What the child left in `folder` for the driver: `ready` (None: the store has no
    mentions) and the standing judgements in memory; the names and previous persons on disk
    until `names()` and `previous()` read them (each once)."""

    folder: Path
    mentions: int
    ready: Ready | None
    judgements: list[Any]
    names_file: Path | None
    previous_file: Path

    def names(self) -> pd.DataFrame:
        """The raw name columns (`staging.NAME_COLUMNS`) of every mention, in frame order."""
        rows = pd.DataFrame()
        if self.names_file is None:
            return pd.DataFrame({c: pd.Series([], dtype="object") for c in NAME_COLUMNS})
        _restore(rows, self.names_file)
        return rows

    def previous(self) -> dict[int, int]:
        """Each mention's person before this run (`mention_person`)."""
        with open(self.previous_file, "rb") as source:
            mention, person = pickle.load(source)  # noqa: S301  # nosec B301 (0700 folder)
        self.previous_file.unlink()
        return dict(zip(mention.tolist(), person.tolist(), strict=True))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def prepare_in_child(engine: Engine, settings: Settings) -> Prepared:
    """Read, normalise, guard and stage every mention of `engine`'s store in a child process
    (module docstring), into a new private folder in `link.spark_staging_dir`; the caller
    hands `Prepared.ready` and the folder to `predict_persons_on_spark`, reads the names and
    previous persons, and removes the folder (`remove`)."""
    folder = Path(
        tempfile.mkdtemp(prefix="casereview-staged-", dir=settings.link.spark_staging_dir)
    )
    try:
        url = engine.url.render_as_string(hide_password=False)
        child = multiprocessing.get_context("spawn").Process(
            target=_child, args=(url, settings, str(folder)), name="casereview-link-prepare"
        )
        child.start()
        child.join()
        failed = folder / _FAILED
        if failed.exists():
            with open(failed, "rb") as source:
                error, where = pickle.load(source)  # noqa: S301  # nosec B301 (0700 folder)
            if isinstance(error, BaseException):
                raise error from LinkageError(f"in the child process that read the store:\n{where}")
            raise LinkageError(f"reading the store in a child process failed: {error}")
        ready_file = folder / _READY
        if child.exitcode != 0 or not ready_file.exists():
            raise LinkageError(
                "reading the store in a child process failed: it ended with exit code "
                f"{child.exitcode} and no answer (out of memory?)"
            )
        with open(ready_file, "rb") as source:
            prepared: Prepared = pickle.load(source)  # noqa: S301  # nosec B301 (0700 folder)
        ready_file.unlink()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # Should the caller never hand the folder on (an error between), it goes with `prepared`.
    weakref.finalize(prepared, shutil.rmtree, str(folder), True)
    return prepared


def _child(url: str, settings: Settings, folder_name: str) -> None:
    """The child process: `_prepare`, its answer or its error pickled into the folder."""
    folder = Path(folder_name)
    try:
        prepared = _prepare(url, settings, folder)
        _write(folder / _READY, prepared)
    except BaseException as error:  # every error goes back to the driver
        where = traceback.format_exc()
        try:
            pickle.loads(pickle.dumps(error))  # noqa: S301  # nosec B301 (our own bytes)
            answer: Any = error
        except Exception:  # an exception that does not pickle: its text
            answer = f"{type(error).__name__}: {error}"
        _write(folder / _FAILED, (answer, where))
        raise SystemExit(1) from None


def _write(path: Path, value: Any) -> None:
    """`value` pickled into `path`, whole or not at all (written aside, then renamed)."""
    part = path.with_suffix(".part")
    with open(part, "xb") as out:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
    part.chmod(0o600)
    part.rename(path)


def _prepare(url: str, settings: Settings, folder: Path) -> Prepared:
    from casereview.store.db import make_engine, reading

    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            rows, frame = _read_frame(conn)
            previous = conn.execute(
                select(mention_person.c.mention_id, mention_person.c.person_id)
            ).all()
            judgements = active_judgements(conn)
            links = load_record_links(conn)
    finally:
        engine.dispose()
    previous_file = folder / "previous.pickle"
    _write(
        previous_file,
        (
            np.array([m for m, _p in previous], dtype=np.int64),
            np.array([p for _m, p in previous], dtype=np.int64),
        ),
    )
    del previous
    if rows.empty:
        return Prepared(folder, 0, None, judgements, None, previous_file)
    names_file = _spill(rows, folder)
    del rows
    give_back()
    ready = ready_for_spark(frame, folder, settings.link, None, links, lambda _m: None)
    ready.frame = None  # the emptied frame stays here
    return Prepared(folder, ready.mentions, ready, judgements, names_file, previous_file)


def _read_frame(conn: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`staging.read_frame_in_chunks`, with less at its peak: the chunks are put together a
    column at a time, each chunk's column freed as it goes (not the whole frame beside its
    chunks), and the blocking keys built on the columns they read (`KEY_READS`), added to
    the frame in place."""
    names: list[pd.DataFrame] = []
    parts: list[pd.DataFrame] = []
    for raw in mention_chunks(conn):
        names.append(raw[NAME_COLUMNS].copy())
        parts.append(_normalised(raw))
        del raw
    if not parts:
        empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in NAME_COLUMNS})
        return empty, pd.DataFrame({"unique_id": pd.Series([], dtype="int64")})
    rows = pd.concat(names, ignore_index=True)
    del names
    columns: dict[str, pd.Series] = {}
    for col in list(parts[0].columns):
        columns[col] = pd.concat([part.pop(col) for part in parts], ignore_index=True)
    del parts
    frame = pd.DataFrame(columns, copy=False)
    del columns
    # add_blocking_keys copies the frame it is given: given only the columns it reads (not the
    # 35 of the frame, a gigabyte of references at 1M) the copy is small and the keys the same
    # (tests/link/test_spark_stage.py compares the staged frames)
    keyed = add_blocking_keys(frame[[c for c in KEY_READS if c in frame.columns]])
    for col in keyed.columns:
        if col not in frame.columns:
            frame[col] = keyed[col]
    del keyed
    give_back()
    return rows, add_record_mates(frame)
