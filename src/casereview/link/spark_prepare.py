"""The Spark driver's whole-data steps in a child process whose heap goes with it (issue 20).

At a million mentions, reading the store and building the frame in pandas takes the
driver's Python to a high-water mark of 1.9 GB and leaves 1.1 GB resident that the
allocator never gives back (RESULTS.md, seventh session): the floor of every later phase,
with the driver JVM beside it. Here a child process (multiprocessing, spawn: a fresh
interpreter, nothing of the parent's heap copied) reads the store and stages it for Spark,
and exits; the driver gets back a small `Prepared` and reads each piece from the run's
private folder (0700) when it needs it: the lean frame after scoring, the names and
previous persons when it writes the store.

The child never holds the whole frame either (tenth session). Pass one reads the store
`CHUNK` mentions at a time (`staging.mention_chunks`), normalises each chunk
(`staging._normalised`: `build_frame`'s per-row work), spills its display names' raw
columns (`spark_stage.ChunkSpill`) and pickles the chunk into the folder, keeping in memory
only the columns the whole-data steps read (`_WHOLE_READS`: the blocking keys' parts, the
record id, the guard's refinements, the unique id). On those columns of every mention it
then makes the blocking keys and record mates (their codes number values by first
appearance over all mentions, so they need every mention) and runs
`stage.plan_prediction` (the skewed-block guard, which counts each key's blocks over all
mentions; the linked records; record context; the floor; the training sample). Pass two
reads the chunks back one at a time, adds each its rows of the keys, and writes its share
of the staged frame and the training sample (`spark_stage.StagedParts`: the very files
`_stage` writes), its lean columns, its rows of the witness and of the columns
`model.train` reads. The answer is `spark_stage.ready_for_spark`'s on the whole frame,
file for file and value for value (tests/link/test_spark_stage.py compares them, with
chunks of 97 mentions and a cap that makes the guard refine and drop keys).

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
import sys
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
from casereview.link.frame import KEY_READS, REFINEMENTS, add_blocking_keys, add_record_mates
from casereview.link.judgements import active_judgements
from casereview.link.spark_stage import (
    _TRAIN_READS,
    ChunkSpill,
    Ready,
    StagedParts,
    _planned,
    _restore,
    give_back,
    lean_in_place,
)
from casereview.link.stage import plan_prediction
from casereview.link.staging import NAME_COLUMNS, _normalised, mention_chunks
from casereview.model.tables import mention_person
from casereview.settings import Settings

__all__ = ["Prepared", "prepare_in_child"]

_READY = "ready.pickle"
# Mentions read, normalised and staged at a time: what the child holds of the whole frame.
CHUNK = 50_000
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


def prepare_in_child(engine: Engine, settings: Settings, *, chunk: int = CHUNK) -> Prepared:
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
            target=_child, args=(url, settings, str(folder), chunk), name="casereview-link-prepare"
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


def _child(url: str, settings: Settings, folder_name: str, chunk: int) -> None:
    """The child process: `_prepare`, its answer or its error pickled into the folder."""
    folder = Path(folder_name)
    try:
        prepared = _prepare(url, settings, folder, chunk)
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


def _prepare(url: str, settings: Settings, folder: Path, chunk: int) -> Prepared:
    from casereview.store.db import make_engine, reading

    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            chunks = _read_chunks(conn, folder, chunk)
            previous_file = _previous(conn, folder)
            judgements = active_judgements(conn)
            links = load_record_links(conn)
    finally:
        engine.dispose()
    if not chunks.count:
        return Prepared(folder, 0, None, judgements, None, previous_file)
    ready = _ready_in_chunks(chunks, folder, settings.link, links)
    return Prepared(folder, ready.mentions, ready, judgements, chunks.names, previous_file)


def _previous(conn: Any, folder: Path) -> Path:
    """Each mention's person before this run, as two numpy arrays pickled into `folder`."""
    mention: list[np.ndarray] = []
    person: list[np.ndarray] = []
    result = conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id))
    for batch in result.partitions(100_000):
        mention.append(np.array([m for m, _p in batch], dtype=np.int64))
        person.append(np.array([p for _m, p in batch], dtype=np.int64))
    previous_file = folder / "previous.pickle"
    empty = np.zeros(0, dtype=np.int64)
    _write(
        previous_file,
        (np.concatenate([empty, *mention]), np.concatenate([empty, *person])),
    )
    return previous_file


# What the whole-data steps read of every mention: the blocking keys (`KEY_READS`), record
# mates (the name keys, `record_id`), the skewed-block guard's refinements (`REFINEMENTS`),
# the linked records and record context (`record_id`) and the training sample (its size and
# `unique_id`). The frame's other columns are only ever in memory a chunk at a time.
_WHOLE_READS: tuple[str, ...] = tuple(
    dict.fromkeys(("unique_id", "record_id", *KEY_READS, *REFINEMENTS))
)
# What is left of those once the keys and record mates are made (the guard's, the linked
# records', record context's and the sample's).
_PLAN_READS: tuple[str, ...] = ("unique_id", "record_id", *REFINEMENTS)
# What record mates read besides those.
_MATES_READS: tuple[str, ...] = ("forename_std", "surname_std")


@dataclass
class _Chunks:
    """The store read a chunk at a time: each chunk's normalised frame pickled in `files`
    (rows `bounds[i]:bounds[i+1]` of the whole frame), the raw name columns spilled in
    `names`, and `whole`: `_WHOLE_READS` of every mention (one frame, in mention-id order)."""

    files: list[Path]
    bounds: list[int]
    names: Path
    whole: pd.DataFrame

    @property
    def count(self) -> int:
        return self.bounds[-1]

    def load(self, number: int) -> pd.DataFrame:
        with open(self.files[number], "rb") as source:
            chunk: pd.DataFrame = pickle.load(source)  # noqa: S301  # nosec B301 (0700 folder)
        self.files[number].unlink()
        return chunk


def _read_chunks(conn: Any, folder: Path, chunk: int) -> _Chunks:
    """Pass one over the store: each chunk of mentions normalised (`staging._normalised`,
    `build_frame`'s per-row work) and put on disk, keeping only `_WHOLE_READS` of it; the
    columns put together a column at a time (as `staging.read_frame_in_chunks` does)."""
    names = ChunkSpill(folder, "names")
    files: list[Path] = []
    bounds = [0]
    kept: list[pd.DataFrame] = []
    for raw in mention_chunks(conn, chunk=chunk):
        lo, hi = bounds[-1], bounds[-1] + len(raw)
        rows = raw[NAME_COLUMNS].copy()
        rows.index = pd.RangeIndex(lo, hi)
        names.add(rows)
        del rows
        part = _normalised(raw)
        del raw
        part.index = pd.RangeIndex(lo, hi)
        kept.append(_compact(part[[c for c in _WHOLE_READS if c in part.columns]]))
        path = folder / f"chunk-{len(files):05d}.pickle"
        _write(path, part)
        del part
        files.append(path)
        bounds.append(hi)
    names_file = names.close(NAME_COLUMNS)
    _forget_normalised()
    if not kept:
        return _Chunks(files, bounds, names_file, pd.DataFrame())
    columns: dict[str, pd.Series] = {}
    for col in list(kept[0].columns):
        columns[col] = pd.concat([part.pop(col) for part in kept])
    del kept
    whole = pd.DataFrame(columns, copy=False)
    del columns
    give_back()
    return _Chunks(files, bounds, names_file, whole)


def _forget_normalised() -> None:
    """Empty the normalisers' caches (`casereview.values`, `functools.lru_cache`: up to a
    few hundred thousand names and postcodes each, bounded but a few hundred megabytes at a
    million mentions): nothing in this process normalises again once the chunks are read."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("casereview.values") or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
    give_back()


def _compact(part: pd.DataFrame) -> pd.DataFrame:
    """`part` with its text columns held as Arrow text (a few bytes a row, not a pointer
    and a Python string: and no Python object of a chunk outlives it, to keep the heap's
    pages pinned) and `phones` as an Arrow list of text (`add_blocking_keys` reads the
    first; `attach_bare_names` every one, on the lean frame): `coded.Coded` codes Arrow
    text as it codes the same Python strings, and the guard refines with the same values,
    so the keys are the same. A column that is not all text
    stays as it is."""
    import pyarrow as pa

    out = pd.DataFrame(index=part.index)
    for col in part.columns:
        values = part[col]
        if col != "phones" and values.dtype == object:
            try:
                text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            except (pa.ArrowException, TypeError, ValueError):
                text = None
            if text is not None:
                values = pd.Series(pd.arrays.ArrowExtensionArray(text), index=part.index)
        elif col == "phones":
            every = [list(p) if isinstance(p, list | tuple) and len(p) else None for p in values]
            try:
                phones = pa.array(every, type=pa.list_(pa.string()))
            except (pa.ArrowException, TypeError, ValueError):
                phones = None
            if phones is not None:
                values = pd.Series(pd.arrays.ArrowExtensionArray(phones), index=part.index)
        out[col] = values
    return out


def _ready_in_chunks(chunks: _Chunks, folder: Path, link: Any, links: np.ndarray) -> Ready:
    """`spark_stage.ready_for_spark` on the frame the chunks make, without ever making it:
    the whole-data steps (blocking keys, record mates, `stage.plan_prediction`: the guard,
    the floor, record context, the training sample) run on `_WHOLE_READS` of every mention,
    and pass two over the chunks adds their keys to each and stages it, its sampled rows,
    its lean columns, the rows of the witness and the columns `model.train` reads. The
    files, values and types are `ready_for_spark`'s (tests/link/test_spark_stage.py)."""
    whole = chunks.whole
    # add_blocking_keys copies the frame it is given: only the columns it reads
    keyed = add_blocking_keys(whole[[c for c in KEY_READS if c in whole.columns]])
    for col in keyed.columns:
        if col not in whole.columns:
            whole[col] = keyed[col]
    del keyed
    for col in [c for c in whole.columns if c in KEY_READS and c not in _MATES_READS]:
        del whole[col]
    give_back()
    add_record_mates(whole)
    for col in [c for c in whole.columns if c in KEY_READS and c not in _PLAN_READS]:
        del whole[col]
    give_back()
    plan = plan_prediction(whole, link, None, links, lambda _m: None)
    sample, on_all = plan.sample, plan.sample is whole
    sampled = (
        np.zeros(0, dtype=np.int64)
        if sample is None or on_all
        else np.sort(sample.index.to_numpy(dtype=np.int64))
    )
    plan.sample = sample = None
    keys = [c for c in whole.columns if c.startswith(("bk_", "bka_"))]
    staged, sample_parts = StagedParts(folder), StagedParts(folder)
    lean = ChunkSpill(folder, "lean")
    reads: list[pd.DataFrame] = []
    found: set[str] = set()
    witnessed: list[pd.DataFrame] = []
    for number in range(len(chunks.files)):
        lo, hi = chunks.bounds[number], chunks.bounds[number + 1]
        chunk = chunks.load(number)
        for col in keys:
            chunk[col] = whole[col].iloc[lo:hi]
        columns = list(chunk.columns)
        first = {col: chunk[col].first_valid_index() for col in columns if col not in found}
        rows = [at for at in first.values() if at is not None]
        found.update(col for col, at in first.items() if at is not None)
        if rows:
            witnessed.append(chunk.loc[sorted(set(rows))].copy())
        staged.add(chunk)
        picked = sampled[(sampled >= lo) & (sampled < hi)]
        source = chunk if on_all else chunk.loc[picked]
        if len(picked):
            sample_parts.add(source)
        if on_all or len(picked):
            reads.append(source[[c for c in _TRAIN_READS if c in source.columns]].copy())
        del source
        lean_in_place(chunk)
        lean.add(chunk)
        del chunk
        give_back()
    del whole
    chunks.whole = pd.DataFrame()
    shape = pd.concat(witnessed).sort_index()
    shape = shape.loc[~shape.index.duplicated()]
    del witnessed
    train_reads = None
    if on_all or len(sampled):
        train_reads = folder / f"train-reads-{len(chunks.files)}.pickle"
        _write(train_reads, pd.concat(reads) if len(reads) > 1 else reads[0])
    del reads
    give_back()
    return Ready(
        mentions=chunks.count,
        staged=staged.close(shape.iloc[:0]),
        spilled=lean.close(),
        shape=shape,
        plan=_planned(plan),
        on_all=on_all,
        sample_staged=sample_parts.close(shape.iloc[:0]) if len(sampled) else None,
        sampled=len(sampled),
        train_reads=train_reads,
        frame=None,
    )
