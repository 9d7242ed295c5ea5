"""The link stage's prediction on Spark: the frame staged once as Parquet, a lean frame kept.

On DuckDB `stage.predict_persons` hands the pandas frame to every backend it opens (training,
scoring, explaining) and keeps it whole for the project's own guards. On Spark the frame is
written once, after the skewed-block guard, as Parquet files into a private folder (mode
0700, inside `link.spark_staging_dir`) that every backend of the run reads, and removed at
the end; the driver then keeps only the columns that the guards, the record context and the
clustering read (`LEAN_COLUMNS`), the others freed in place: the caller's frame is left lean.
The steps, their order and the model are `predict_persons`'s, so the persons are those DuckDB
gives under the same model (tests/link/test_spark_cluster.py compares them).

What else keeps the driver small (issue 20): memory freed by pandas is handed back to the
system at each step (`give_back`); the training sample is staged as Parquet too and released
before Spark trains on it; while Spark trains and scores, the lean frame waits on disk
(`_spill`, `_restore`: pickled column by column into the private folder); the explained
pairs' columns stay in a private Arrow file beside the pairs (`Prediction.detail`, an
`ExplainedPairs`), sorted into the pairs' order on the executors and read and turned into
pandas a write slice at a time, and the lean frame is emptied before they are made (nothing
reads it after); each mention's list of its pairs goes to Spark as an Arrow list built
from numpy offsets; and on a cluster the driver's JVM, idle while the driver's Python works
alone, is stopped after scoring, after the clustering and after explaining
(`stop_driver_jvm`), a new one started for the next Spark step.

The scored pairs stay where the executors wrote them: the well-evidenced pairs, the
no-bridge rule, both clusterings (components, the household guard and the minimum cuts,
`spark_components`) and record context's levels run on Spark (`spark_pairs`), and the
driver reads only the pairs kept, once. What stays on the driver: the placement of lone
mentions and the store write (they read every mention), and the one-to-one rule of two
sources that each list a person once (a greedy pass in pair order: with it the driver
reads every scored pair and clusters them with `stage.finish_prediction`).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import logging
import pickle
import shutil
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from casereview.errors import LinkageError
from casereview.link.cluster import Clustering
from casereview.link.explain import explanation_columns
from casereview.link.model import (
    PRIOR_RULES,
    ScoredPairs,
    TrainedModel,
    _arrow_frame,
    _unused_columns,
    backend_for,
    in_pair_order,
    model_settings,
    read_written_pairs,
    scored_columns,
    train,
    u_pairs,
)
from casereview.link.score import duckdb_settings_from_saved
from casereview.link.spark_components import cluster_on_spark
from casereview.link.spark_pairs import clustered_on_spark
from casereview.link.stage import (
    Plan,
    Prediction,
    Progress,
    _positions,
    _without_term_frequencies,
    explained_prediction,
    finish_prediction,
    plan_prediction,
    scoring_settings,
)
from casereview.settings import Settings

__all__ = [
    "LEAN_COLUMNS",
    "ChunkSpill",
    "ExplainedPairs",
    "Ready",
    "StagedParts",
    "give_back",
    "lean_in_place",
    "predict_persons_on_spark",
    "ready_for_spark",
    "stop_driver_jvm",
    "witness",
]

# What the driver keeps of each mention once the frame is staged: the columns read by the
# household guard, strongest_only's anchors, well_evidenced, attach_bare_names, the record
# context (record mates, linked records, forenames) and the pairs' positions.
LEAN_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "record_id",
    "forename1",
    "forename_std",
    "forename_keys",
    "surname_std",
    "dob",
    "yob_lo",
    "yob_hi",
    "postcode",
    "street_number",
    "address",
    "id_scheme",
    "identifier",
    "strong_id",
    "borough",  # when the frame has it (attach_bare_names reads it there)
    # the phones themselves: attach_bare_names places a lone mention by a phone one person of
    # its company carries, as on DuckDB (the guards only ask whether there is one)
    "phones",
    # the online handles, when the frame has them (text: `spark_prepare._compact` keeps them
    # as Arrow text): attach_bare_names places a lone mention by a handle as by a phone
    "handles",
)

# Rows per Parquet file of the staged frame (as `model._spark_frame` writes a frame).
_PARQUET_ROWS = 200_000
_STAGED = itertools.count(1)
# The columns of the training sample that `model.train` reads from pandas (`prior_recall`,
# `count_rare_u`); Splink reads the sample from its Parquet files.
_TRAIN_READS: tuple[str, ...] = (
    *sorted({c for rule in PRIOR_RULES for c in rule}),
    "phones",
    "id_scheme",
    "identifier",
)
# The column numbering the explained pairs by their row in the kept pairs (`_detail`).
_PAIR_ROW = "casereview_pair_row"
# Rows per record batch of the explained pairs' Arrow file (`ExplainedPairs`): what a
# slice of the write reads beyond the rows it asks for.
_EXPLAINED_BATCH = 50_000


def witness(frame: pd.DataFrame) -> pd.DataFrame:
    """A few rows of `frame` holding a value in every column that has one anywhere, all its
    columns in order: Splink's settings (`model_settings`, `duckdb_settings_from_saved`)
    depend on which columns hold a value, and this answers as the whole frame does."""
    rows = {frame[col].first_valid_index() for col in frame.columns}
    rows.discard(None)
    if not rows:
        return frame.iloc[:1].copy()
    return frame.loc[sorted(rows)].copy()


def lean_in_place(frame: pd.DataFrame) -> None:
    """Keep only `LEAN_COLUMNS` of `frame`, in place, freeing the rest: every kept column is replaced by a copy of its own first, because
    pandas keeps a dropped column of a shared block alive for as long as any column of the
    block is."""
    keep = [c for c in frame.columns if c in LEAN_COLUMNS]
    for col in keep:
        frame[col] = frame[col].copy(deep=True)
    for col in [c for c in frame.columns if c not in keep]:
        del frame[col]


def give_back() -> None:
    """Hand the memory the driver's Python freed back to the system (glibc keeps freed heap
    pages for reuse; between the steps of a run they are only resident memory)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def stop_driver_jvm() -> None:
    """Stop this process's Spark session and the driver JVM that pyspark started for it, so
    that the JVM's memory (its heap, code and threads: 1.5 GB with a 1g heap) is not held
    while the driver's Python works alone; the next Spark session starts a new JVM. Nothing
    of a run lives in the JVM between steps: the frame is staged on disk and each step
    reads its input from there and writes its output as files."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    process = getattr(gateway, "proc", None)
    gateway.shutdown()
    SparkContext._gateway = None
    SparkContext._jvm = None
    if process is not None:
        # The JVM exits when its standard input closes (pyspark's gateway server watches it).
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # still running after a minute: end it
            process.kill()
            process.wait()


def _on_cluster(link: Any) -> bool:
    return not str(link.spark_master).startswith("local")


def _stage(frame: pd.DataFrame, folder: Path) -> Path:
    """`frame` as Parquet files of `_PARQUET_ROWS` rows in a new folder inside `folder`, with
    the types `model._arrow_frame` gives (every column; each linker drops what it skips)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    staged = folder / f"frame-{next(_STAGED)}"
    staged.mkdir(mode=0o700)
    for number, start in enumerate(range(0, max(len(frame), 1), _PARQUET_ROWS)):
        part = _arrow_frame(frame.iloc[start : start + _PARQUET_ROWS], set())
        pq.write_table(part, staged / f"part-{number:05d}.parquet")
        del part
    # Arrow's allocator keeps the slices' buffers for reuse; nothing here needs them again.
    pa.default_memory_pool().release_unused()
    return staged


class StagedParts:
    """`_stage`'s Parquet files made a chunk of rows at a time (`add`): the same files (rows
    of `_PARQUET_ROWS` each, the types `model._arrow_frame` gives), never more than a
    file's rows of Arrow held; `close` gives the folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / f"frame-{next(_STAGED)}"
        self.folder.mkdir(mode=0o700)
        self._held: list[Any] = []
        self._rows = 0
        self._files = 0

    def add(self, chunk: pd.DataFrame) -> None:
        if not len(chunk):
            return
        table = _arrow_frame(chunk, set())
        self._held.append(table)
        self._rows += table.num_rows
        while self._rows >= _PARQUET_ROWS:
            self._write(_PARQUET_ROWS)

    def _write(self, rows: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        whole = pa.concat_tables(self._held).combine_chunks()
        self._held = [whole.slice(rows)] if whole.num_rows > rows else []
        self._rows = whole.num_rows - rows
        pq.write_table(whole.slice(0, rows), self.folder / f"part-{self._files:05d}.parquet")
        self._files += 1
        del whole
        pa.default_memory_pool().release_unused()

    def close(self, empty: pd.DataFrame) -> Path:
        """The folder, the last rows written; `empty`: the frame's columns, written as one
        empty file when no row came (as `_stage` writes an empty frame)."""
        if self._rows:
            self._write(self._rows)
        elif not self._files:
            self._held = [_arrow_frame(empty.iloc[:0], set())]
            self._write(0)
        return self.folder


def _spill(frame: pd.DataFrame, folder: Path) -> Path:
    """Every column of `frame` pickled into a file in `folder` (each column on its own, so
    that the pickler's memo of objects stays a column's), then removed from `frame` in place;
    `_restore` puts them back, the same values and types, in the same order."""
    spilled = folder / f"lean-{next(_STAGED)}.pickle"
    with open(spilled, "xb") as out:
        pickle.dump(list(frame.columns), out, protocol=pickle.HIGHEST_PROTOCOL)
        for col in list(frame.columns):
            pickle.dump(frame[col], out, protocol=pickle.HIGHEST_PROTOCOL)
            del frame[col]
    spilled.chmod(0o600)
    return spilled


class ChunkSpill:
    """A frame written into `folder` a chunk of rows at a time (`add`), for `_restore` to
    read back whole: what `_spill` writes, made without ever holding the whole frame. Each
    column goes to a file of its own (its chunks pickled one after another), so that
    `_restore` puts one column together at a time. The chunks carry their rows' index (the
    positions in the whole frame) and come in order."""

    _MARK = "casereview-chunks"

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}-{next(_STAGED)}.pickle"
        self._columns: list[str] | None = None
        self._files: list[Path] = []

    def add(self, chunk: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = list(chunk.columns)
            self._files = [
                self.path.with_name(f"{self.path.stem}-{n}.pickle")
                for n in range(len(self._columns))
            ]
            for file in self._files:
                file.touch(mode=0o600, exist_ok=False)
        if list(chunk.columns) != self._columns:
            raise LinkageError("a spilled chunk's columns differ from the first chunk's")
        for col, file in zip(self._columns, self._files, strict=True):
            with open(file, "ab") as out:
                pickle.dump(chunk[col], out, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self, columns: list[str] | None = None) -> Path:
        """The file that names the columns' files; `columns`: those of a frame with no rows
        (no chunk added)."""
        if self._columns is None:
            self._columns = list(columns or [])
        with open(self.path, "xb") as out:
            pickle.dump(self._MARK, out, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(
                (self._columns, [file.name for file in self._files]),
                out,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        self.path.chmod(0o600)
        return self.path


def _restore(frame: pd.DataFrame, spilled: Path) -> None:
    """The columns `_spill` (or a `ChunkSpill`) wrote, back into `frame` (emptied by it), and
    the file removed. A chunked file's columns are put together a column at a time."""
    with open(spilled, "rb") as source:
        columns = pickle.load(source)  # noqa: S301  # nosec B301 (this run wrote it, 0700 folder)
        if columns == ChunkSpill._MARK:
            _restore_chunks(frame, source, spilled.parent)
        else:
            for col in columns:
                values = pickle.load(source)  # noqa: S301  # nosec B301
                frame[col] = values
                del values
    spilled.unlink()


def _restore_chunks(frame: pd.DataFrame, source: Any, folder: Path) -> None:
    columns, names = pickle.load(source)  # noqa: S301  # nosec B301 (this run wrote it, 0700 folder)
    if not names:  # no rows
        for col in columns:
            frame[col] = pd.Series([], dtype="object")
        return
    for col, name in zip(columns, names, strict=True):
        parts: list[pd.Series] = []
        file = folder / name
        with open(file, "rb") as pieces:
            while True:
                try:
                    parts.append(pickle.load(pieces))  # noqa: S301  # nosec B301
                except EOFError:
                    break
        frame[col] = parts[0] if len(parts) == 1 else pd.concat(parts)
        del parts
        file.unlink()


def _staged_linker(db_api: Any, table: Any, settings: Any) -> Any:
    """A Splink linker over a Spark DataFrame `table` (the staged frame), without the columns
    the model does not read (as `model.linker_for` leaves them out)."""
    from splink import Linker

    skip = [c for c in _unused_columns(settings) if c in table.columns]
    registered = db_api.register(table.drop(*skip) if skip else table)
    return Linker(registered, settings, log_level=logging.ERROR)


def _prior_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns `model.prior_recall` reads, as True/None (it counts values, no more)."""
    columns = sorted({c for rule in PRIOR_RULES for c in rule})
    return pd.DataFrame({c: _marker(frame[c]) for c in columns}, index=frame.index)


def _marker(values: pd.Series) -> np.ndarray:
    """True where `values` holds a value, None where it is missing."""
    out = np.full(len(values), None, dtype=object)
    out[values.notna().to_numpy()] = True
    return out


class ExplainedPairs:
    """`Prediction.detail` on Spark: the explanation columns of the kept pairs, row i
    explaining the pairs' row i, kept in a private Arrow file (mode 0600, in
    `link.spark_staging_dir`) rather than in the driver's memory (at a million mentions
    they are hundreds of megabytes, held through the whole store write). The write asks
    for a slice at a time with `take`, as it would of an Arrow table, and reads only the
    record batches that hold it. The file is removed with this object (or at exit), or by
    `remove`."""

    def __init__(self, path: Path, starts: list[int], rows: int) -> None:
        self.path = path
        self.num_rows = rows
        self._starts = np.asarray(starts, dtype=np.int64)
        self._finalizer = weakref.finalize(self, _unlink, str(path))

    def _reader(self, source: Any) -> Any:
        import pyarrow as pa

        return pa.ipc.open_file(source)

    @property
    def schema(self) -> Any:
        import pyarrow as pa

        with pa.OSFile(str(self.path)) as source:
            return self._reader(source).schema

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    def take(self, indices: Any) -> Any:
        """Rows `indices` (an Arrow or numpy array of row numbers) as an Arrow table."""
        import pyarrow as pa

        at = np.asarray(
            indices.to_numpy() if hasattr(indices, "to_numpy") else indices, dtype=np.int64
        )
        # The file memory-mapped: the batches are read in place and `take` copies only the
        # rows asked for (the write asks for a slice of mentions' pairs, which lie all over
        # the file: reading every batch between them would read most of it each time).
        with pa.memory_map(str(self.path)) as source:
            reader = self._reader(source)
            if not len(at):
                return reader.schema.empty_table()
            if at.min() < 0 or at.max() >= self.num_rows:
                raise IndexError("explained pair rows out of range")
            first = int(np.searchsorted(self._starts, at.min(), side="right")) - 1
            last = int(np.searchsorted(self._starts, at.max(), side="right")) - 1
            table = pa.Table.from_batches(
                [reader.get_batch(i) for i in range(first, last + 1)], schema=reader.schema
            )
            taken = table.take(pa.array(at - self._starts[first], type=pa.int64()))
            del table, reader
        return taken

    def __getitem__(self, column: str) -> Any:
        """One column of every row, as an Arrow chunked array."""
        import pyarrow as pa

        with pa.OSFile(str(self.path)) as source:
            reader = self._reader(source)
            return pa.chunked_array(
                [reader.get_batch(i).column(column) for i in range(reader.num_record_batches)],
                type=reader.schema.field(column).type,
            )

    def remove(self) -> None:
        self._finalizer()


def _unlink(path: str) -> None:
    Path(path).unlink(missing_ok=True)


@dataclass
class Ready:
    """A frame guarded, staged and put on disk for Spark (`ready_for_spark`): what scoring
    needs of it, the driver's own copy of the lean frame waiting in `spilled` until the
    scored pairs are clustered. Made in the driver itself, or in a child process whose heap
    goes with it (`link/spark_prepare.py`); everything in it but `frame` pickles small.
    `plan` is `stage.plan_prediction`'s answer without its frame and sample (on disk)."""

    mentions: int
    staged: Path
    spilled: Path
    shape: pd.DataFrame
    plan: Plan
    on_all: bool
    # The training sample's Parquet files and its size (None: a model was given, or on all).
    sample_staged: Path | None = None
    sampled: int = 0
    # What `model.train` reads from pandas, pickled (None: no training).
    train_reads: Path | None = None
    # The emptied frame `_spill` left (in the driver only; a child leaves it out).
    frame: pd.DataFrame | None = None


def _planned(plan: Plan) -> Plan:
    """`plan` without its frame and training sample (staged, on disk): what `Ready` keeps."""
    plan.frame, plan.sample = pd.DataFrame(), None
    return plan


def ready_for_spark(
    frame: pd.DataFrame,
    folder: Path,
    link: Any,
    trained: dict[str, Any] | None,
    record_links: np.ndarray | None,
    say: Progress,
) -> Ready:
    """`stage.plan_prediction` on `frame` (the skewed-block guard, the training sample, the
    floor, record mates), then the frame and the sample staged as Parquet in `folder`, the
    columns `model.train` reads and the lean frame pickled there; `frame` is left empty."""
    plan = plan_prediction(frame, link, trained, record_links, say)
    frame = plan.frame
    sample = plan.sample
    on_all = sample is not None and sample is frame
    mentions = len(frame)
    shape = witness(frame)
    # What `model.train` reads from pandas: the real values (`count_rare_u` counts equal
    # phones and identifiers; True/None markers fail it), of every mention when it trains on
    # all of them.
    train_reads = None
    source = frame if on_all else sample
    if source is not None:
        train_reads = folder / f"train-reads-{next(_STAGED)}.pickle"
        with open(train_reads, "xb") as out:
            pickle.dump(
                source[[c for c in _TRAIN_READS if c in source.columns]],
                out,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        train_reads.chmod(0o600)
    say(f"staging {mentions} mentions as Parquet for Spark")
    staged = _stage(frame, folder)
    sample_staged, sampled = None, 0
    if sample is not None and not on_all:
        # The sample staged as Parquet like the frame, and released before Spark starts.
        sample_staged, sampled = _stage(sample, folder), len(sample)
    del sample, source
    plan.sample = None
    lean_in_place(frame)
    # While Spark trains and scores (the driver JVM beside this process) the lean frame waits
    # on disk: nothing reads it until the scored pairs are clustered.
    spilled = _spill(frame, folder)
    give_back()
    return Ready(
        mentions=mentions,
        staged=staged,
        spilled=spilled,
        shape=shape,
        plan=_planned(plan),
        on_all=on_all,
        sample_staged=sample_staged,
        sampled=sampled,
        train_reads=train_reads,
        frame=frame,
    )


def predict_persons_on_spark(
    frame: pd.DataFrame,
    *,
    settings: Settings,
    judgements: list[Any] | None = None,
    detail: bool = True,
    progress: Progress | None = None,
    trained: dict[str, Any] | None = None,
    record_links: np.ndarray | None = None,
    ready: Ready | None = None,
    folder: Path | None = None,
) -> Prediction:
    """`stage.predict_persons` on Spark (same arguments), the frame staged once (module
    docstring). `frame` is left lean (`lean_in_place`), and with only its `unique_id` once
    the kept pairs are explained (nothing reads it after); the prediction's frame is it.
    With `ready` (made in `folder` by a child process, `spark_prepare.prepare_in_child`),
    `frame` is an empty frame that the lean frame is read back into after scoring, and
    `trained` and `record_links` were the child's to use; the caller removes `folder`."""
    link = settings.link
    own = folder is None
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="casereview-staged-", dir=link.spark_staging_dir))
    say = progress or (lambda _m: None)
    try:
        if ready is None:
            ready = ready_for_spark(frame, folder, link, trained, record_links, say)
            frame = ready.frame if ready.frame is not None else frame
        return _predict(frame, ready, link, judgements, detail, say)
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
        else:  # the caller's folder (it removes it): the staged frame goes now
            shutil.rmtree(ready.staged if ready is not None else folder / "-", ignore_errors=True)
        if _on_cluster(link):
            stop_driver_jvm()
        give_back()


def _score_to_disk(
    linker: Any, floor: float, link: Any, folder: Path, timings: dict[str, float], say: Progress
) -> tuple[Path, list[str]]:
    """`stage.score_timed` on Spark, the scored pairs (`score_frame`'s columns without
    detail) left as the executors' Parquet files in `folder` (the run's private one) for
    the driver to read once its JVM has stopped (`model.read_written_pairs`); the files'
    folder and columns."""
    say("scoring candidate pairs")
    t1 = time.perf_counter()
    columns = scored_columns(link.one_to_one_sources)
    predictions = linker.inference.predict(threshold_match_weight=floor)
    written = folder / f"scored-{next(_STAGED)}"
    predictions.as_spark_dataframe().select(*columns).write.parquet(str(written))
    timings["predict_s"] = time.perf_counter() - t1
    return written, columns


def _train_reads(ready: Ready) -> pd.DataFrame:
    assert ready.train_reads is not None
    with open(ready.train_reads, "rb") as source:
        values = pickle.load(source)  # noqa: S301  # nosec B301 (this run wrote it, 0700 folder)
    ready.train_reads.unlink()
    return values


def _predict(
    frame: pd.DataFrame,
    ready: Ready,
    link: Any,
    judgements: list[Any] | None,
    detail: bool,
    say: Progress,
) -> Prediction:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    dialect = "spark"
    plan = ready.plan
    notes, trained, partial, floor = plan.notes, plan.trained, plan.partial, plan.floor
    mentions, shape, staged = ready.mentions, ready.shape, ready.staged
    if ready.on_all:
        say(f"training the model on all {mentions} mentions (spark)")
        read_by_train = _train_reads(ready)
        with backend_for("spark", link) as db_api:
            table = db_api.spark.read.parquet(str(staged))
            linker = _staged_linker(
                db_api, table, model_settings(shape, addresses=link.compare_addresses)
            )
            model = train(
                linker,
                u_max_pairs=u_pairs(mentions, link.u_pairs_per_mention, link.u_max_pairs),
                seed=link.random_seed,
                em_sample=link.em_record_sample_proportion,
                frame=read_by_train,
            )
            del read_by_train
            notes.extend(model.notes)
            timings["train_s"] = time.perf_counter() - t0
            written = _score_to_disk(linker, floor, link, staged.parent, timings, say)
    else:
        if ready.sample_staged is not None:
            say(f"training the model on {ready.sampled} of {mentions} mentions (spark)")
            # The driver keeps only the columns `model.train` reads itself (the prior's
            # recall, the counted u of phones and identifiers).
            read_by_train = _train_reads(ready)
            with backend_for("spark", link) as train_api:
                table = train_api.spark.read.parquet(str(ready.sample_staged))
                learner = _staged_linker(
                    train_api, table, model_settings(shape, addresses=link.compare_addresses)
                )
                learned = train(
                    learner,
                    u_max_pairs=u_pairs(
                        ready.sampled, link.u_pairs_per_mention, link.u_max_pairs
                    ),
                    seed=link.random_seed,
                    em_sample=link.em_record_sample_proportion,
                    frame=read_by_train,
                )
            del read_by_train, learner, table
            shutil.rmtree(ready.sample_staged, ignore_errors=True)
            notes.extend(learned.notes)
            trained = learned.settings
        assert trained is not None
        with backend_for("spark", link) as db_api:
            settings_dict = scoring_settings(shape, trained, dialect, partial, link)
            table = db_api.spark.read.parquet(str(staged))
            linker = _staged_linker(db_api, table, settings_dict)
            model = TrainedModel(settings_dict)
            timings["train_s"] = time.perf_counter() - t0
            written = _score_to_disk(linker, floor, link, staged.parent, timings, say)
    if _on_cluster(link):
        # The scoring JVM (1.4 GB at a million mentions) goes: clustering starts a small one.
        stop_driver_jvm()
    if not link.one_to_one_sources:
        return _finish_on_spark(frame, ready, written, model, link, judgements, detail, say, timings)
    give_back()
    # One-to-one (two sources, each listing a person once) is a greedy pass in pair order:
    # the scored pairs are read by the driver and clustered as on DuckDB, on Spark.
    # The scored pairs read only now, the driver's JVM gone (at a million mentions 3 million
    # pairs read and sorted, a few hundred megabytes for a moment, beside a 1.4 GB JVM).
    t1 = time.perf_counter()
    scored = ScoredPairs(pairs=in_pair_order(read_written_pairs(*written)), model=model)
    timings["predict_s"] += time.perf_counter() - t1
    give_back()
    _restore(frame, ready.spilled)
    explained: dict[str, Any] = {}

    def explain(frame: pd.DataFrame, pairs: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
        give_back()
        explained["detail"] = _detail(frame, staged, shape, pairs, settings, link)
        return pairs

    def cluster(
        ids: np.ndarray, pairs: pd.DataFrame, threshold: float, judged: list[Any]
    ) -> Clustering:
        # Components and guards on Spark (`spark_components`); on a cluster the JVM started
        # for it is stopped after, before the driver's Python goes on alone.
        give_back()
        try:
            with backend_for("spark", link) as db_api:
                return cluster_on_spark(
                    db_api.spark, ids, pairs, threshold, judged, staged, staged.parent, timings
                )
        finally:
            if _on_cluster(link):
                stop_driver_jvm()

    plan.frame, plan.trained = frame, trained
    # Handed over in a list that `finish_prediction` empties: no name here keeps every
    # scored pair alive once record context has replaced them with the pairs it keeps.
    handed = [scored]
    del scored
    prediction = finish_prediction(
        frame,
        handed,
        model,
        plan,
        link,
        judgements,
        detail,
        dialect,
        say,
        timings,
        explain,
        cluster,
    )
    prediction.detail = explained.get("detail")
    return prediction


def _finish_on_spark(
    frame: pd.DataFrame,
    ready: Ready,
    written: tuple[Path, list[str]],
    model: TrainedModel,
    link: Any,
    judgements: list[Any] | None,
    detail: bool,
    say: Progress,
    timings: dict[str, float],
) -> Prediction:
    """Clustering, record context and the pairs kept on Spark (`spark_pairs`): the driver
    never reads every scored pair. The Spark session that ran scoring goes on (its JVM is
    stopped after, on a cluster, before the driver's Python places lone mentions)."""
    staged = ready.staged
    explained: dict[str, Any] = {}

    def explain(frame: pd.DataFrame, pairs: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
        give_back()
        explained["detail"] = _detail(frame, staged, ready.shape, pairs, settings, link)
        return pairs

    _restore(frame, ready.spilled)
    plan = ready.plan
    plan.frame = frame
    give_back()
    t2 = time.perf_counter()
    try:
        with backend_for("spark", link) as db_api:
            scored, clustering = clustered_on_spark(
                db_api.spark,
                written,
                frame,
                model,
                plan,
                link,
                judgements,
                detail,
                say,
                timings,
                staged,
            )
    finally:
        if _on_cluster(link):
            stop_driver_jvm()
    give_back()
    prediction = explained_prediction(
        frame,
        scored,
        clustering,
        model,
        plan.notes,
        judgements,
        detail,
        say,
        timings,
        explain,
        t2,
        threshold=link.match_weight_threshold,
    )
    prediction.detail = explained.get("detail")
    return prediction


def _detail(
    frame: pd.DataFrame,
    staged: Path,
    shape: pd.DataFrame,
    pairs: pd.DataFrame,
    trained: dict[str, Any],
    link: Any,
) -> Any:
    """`stage._with_detail`'s columns on the staged frame, as an Arrow table whose row i
    explains `pairs`' row i (`Prediction.detail`): each mention's list of the pairs it is in
    (`bka_pair`) goes to Spark as a Parquet file of its own, joined there to the staged
    frame by unique id, never added to a pandas copy of the frame; the explained pairs come
    back as Parquet files, checked a file at a time and kept in a private Arrow file
    (`ExplainedPairs`), never a pandas frame of Python objects (at a million pairs,
    gigabytes on the driver) nor all in memory at once (hundreds of megabytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from splink import block_on

    left, right = _positions(frame, pairs)
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    # Nothing after explaining reads the frame (`run_link` empties it): its columns go now,
    # before the explaining JVM starts beside the explained pairs.
    for col in [c for c in frame.columns if c != "unique_id"]:
        del frame[col]
    give_back()
    listed = staged.parent / f"pairs-of-{staged.name}"
    listed.mkdir(mode=0o700)
    pq.write_table(_pairs_by_mention(left, right, ids), listed / "part-00000.parquet")
    numbered = staged.parent / f"numbers-of-{staged.name}"
    numbered.mkdir(mode=0o700)
    want_l = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    want_r = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    pq.write_table(
        pa.table(
            {
                "unique_id_l": pa.array(want_l, type=pa.int64()),
                "unique_id_r": pa.array(want_r, type=pa.int64()),
                _PAIR_ROW: pa.array(np.arange(len(pairs), dtype=np.int64)),
            }
        ),
        numbered / "part-00000.parquet",
    )
    del left, right
    give_back()
    keyed_shape = shape.copy()
    keyed_shape["bka_pair"] = pd.Series([[0]] * len(shape), index=shape.index, dtype="object")
    settings_dict = duckdb_settings_from_saved(keyed_shape, trained, "spark")
    if not any(
        level.get("tf_adjustment_column")
        for comparison in trained["comparisons"]
        for level in comparison["comparison_levels"]
    ):
        _without_term_frequencies(settings_dict)  # scored by the reference model
    settings_dict["blocking_rules_to_generate_predictions"] = [
        block_on("bka_pair", arrays_to_explode=["bka_pair"]).create_blocking_rule_dict("spark")
    ]
    settings_dict["retain_matching_columns"] = True
    settings_dict["retain_intermediate_calculation_columns"] = True
    ours = {c for c in pairs.columns if c not in ("unique_id_l", "unique_id_r")}
    scored_files = staged.parent / f"explained-{staged.name}"
    with backend_for("spark", link) as db_api:
        spark = db_api.spark
        table = spark.read.parquet(str(staged)).join(
            spark.read.parquet(str(listed)), on="unique_id", how="left"
        )
        linker = _staged_linker(db_api, table, settings_dict)
        predicted = linker.inference.predict()
        quoted = {c.unquote().name: c.quote().name for c in predicted.columns}
        wanted = ["unique_id_l", "unique_id_r", "match_key"]
        wanted += [c for c in explanation_columns(trained, list(quoted)) if c not in ours]
        # Each explained pair numbered with its row in `pairs` and sorted by it on the
        # executors: the files come back in the pairs' order, no sorted copy on the driver.
        (
            predicted.as_spark_dataframe()
            .select(*[quoted[c] for c in wanted])
            .join(spark.read.parquet(str(numbered)), on=["unique_id_l", "unique_id_r"])
            .orderBy(_PAIR_ROW)
            .write.parquet(str(scored_files))
        )
    try:
        detail = _explained_on_disk(scored_files, want_l, want_r, link)
    finally:
        shutil.rmtree(scored_files, ignore_errors=True)
    give_back()
    return detail


def _explained_on_disk(
    scored_files: Path, want_l: np.ndarray, want_r: np.ndarray, link: Any
) -> ExplainedPairs:
    """The explained pairs Spark wrote in `scored_files` (numbered and sorted by
    `_PAIR_ROW`), checked against the kept pairs (`want_l`, `want_r`: every pair explained,
    in their order) and kept in a private Arrow file (`ExplainedPairs`), a Parquet file at
    a time: never all of them in the driver's memory at once."""
    import pyarrow.parquet as pq

    parts = sorted(scored_files.glob("*.parquet"))
    done, in_order = 0, True
    for part in parts:  # Spark's sort gives each file a run of rows, in order
        row = pq.read_table(part, columns=[_PAIR_ROW])[_PAIR_ROW].to_numpy()
        if not np.array_equal(row, np.arange(done, done + len(row))):
            in_order = False
            break
        done += len(row)
    tables = (
        (pq.read_table(part) for part in parts) if in_order else iter([_in_order(scored_files)])
    )
    handle, name = tempfile.mkstemp(prefix="casereview-explained-", dir=link.spark_staging_dir)
    path = Path(name)
    try:
        with open(handle, "wb", closefd=True) as sink:
            starts, done = _write_explained(tables, want_l, want_r, sink)
        if done != len(want_l):
            raise LinkageError("explaining the kept pairs did not score every one of them")
        return ExplainedPairs(path, starts, done)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _in_order(scored_files: Path) -> Any:
    """Every explained pair read at once and put in the pairs' order (one copy): the files
    were not each a run of rows in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    got = pq.read_table(scored_files)
    return got.take(pa.array(np.argsort(got[_PAIR_ROW].to_numpy(), kind="stable")))


def _write_explained(
    tables: Any, want_l: np.ndarray, want_r: np.ndarray, sink: Any
) -> tuple[list[int], int]:
    """Each of `tables` (explained pairs in the pairs' order) checked against the kept
    pairs' ids and written to `sink` as Arrow record batches without the ids and numbers;
    the first row of each batch, and how many rows were written."""
    import pyarrow as pa

    starts: list[int] = []
    done = 0
    writer = None
    for got in tables:
        n = got.num_rows
        if (
            done + n > len(want_l)
            or not np.array_equal(got["unique_id_l"].to_numpy(), want_l[done : done + n])
            or not np.array_equal(got["unique_id_r"].to_numpy(), want_r[done : done + n])
            or got["match_key"].null_count
        ):
            raise LinkageError("explaining the kept pairs did not score every one of them")
        kept = got.drop_columns(["unique_id_l", "unique_id_r", _PAIR_ROW])
        del got
        if writer is None:
            writer = pa.ipc.new_file(sink, kept.schema)
        for batch in kept.to_batches(max_chunksize=_EXPLAINED_BATCH):
            if batch.num_rows:
                starts.append(done)
                writer.write_batch(batch)
                done += batch.num_rows
        del kept
        pa.default_memory_pool().release_unused()
    if writer is not None:
        writer.close()
    return starts, done


def _pairs_by_mention(left: np.ndarray, right: np.ndarray, ids: np.ndarray) -> Any:
    """An Arrow table of each mention that is in a pair (`unique_id`) and the sorted row
    numbers of its pairs (`bka_pair`), as `frame.lists_by_position` gives them, built from
    numpy offsets: no Python list per mention (a million of them at a million mentions)."""
    import pyarrow as pa

    position = np.concatenate([left, right])
    number = np.tile(np.arange(len(left), dtype=np.int64), 2)
    order = np.lexsort((number, position))
    position, number = position[order], number[order]
    keep = np.ones(len(position), dtype=bool)  # distinct (position, number), as lists_by_position
    keep[1:] = (position[1:] != position[:-1]) | (number[1:] != number[:-1])
    position, number = position[keep], number[keep]
    counts = np.bincount(position, minlength=len(ids)).astype(np.int64)
    inside = np.flatnonzero(counts)
    offsets = np.zeros(len(inside) + 1, dtype=np.int32)
    np.cumsum(counts[inside], out=offsets[1:])
    return pa.table(
        {
            "unique_id": pa.array(ids[inside], type=pa.int64()),
            "bka_pair": pa.ListArray.from_arrays(
                pa.array(offsets, type=pa.int32()), pa.array(number, type=pa.int64())
            ),
        }
    )
