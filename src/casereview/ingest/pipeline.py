"""Reading and transforming a file's rows, chunk by chunk: in this process, or in a forked
child process while this process writes (two cores).

A `Transformer` turns a chunk of source rows into *items*, one per row in row order: a
`RecordOut` or a `MentionOut`, or a `Problem` for a row that cannot load. It is pure per
row (no database, no state that depends on other rows except the header and JSON-column
checks), so it may run in another process; everything that depends on the rows before
(duplicate keys, orphans) and every write stay with the loader, in the file's one
transaction, in this process.

`ChunkSource` gives the loader `(rows read, items)` per chunk, or `(rows read, prepared)`
when given a `prepare` step (items -> rows ready to insert, `prepared.FreshMentionRows`),
which then runs where the transform runs. In parallel mode it forks a
child (multiprocessing, fork context) that reads and transforms and sends each chunk through
a one-way pipe; a pipe holds 64 KiB, so the child blocks on a chunk until the parent takes
it: at most one chunk waits while the parent writes another (bounded memory). The child
never touches the database (it exits with os._exit, so the connection it inherited is never
closed or finalised there). A child that dies (killed, out of memory) ends the parent's
read with EOFError, which becomes a `CaseReviewError`: the transaction is rolled back and
nothing from the file is stored. An error the child raises (SourceFileError, ...) is sent
to the parent and raised there. Pickle only ever carries what our own forked child wrote to
a pipe that only it and this process hold (hence the `nosec` marks).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle  # nosec B403
import queue
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, NamedTuple

from casereview.errors import CaseReviewError, SourceFileError
from casereview.ingest.fields import Context, ShapeError, compile_value, dumps, text_row_json
from casereview.ingest.lookups import LookupTable, apply_lookups, compile_lookups
from casereview.ingest.mapping import FileSpec, Mapping
from casereview.ingest.notes import Notes
from casereview.ingest.rows import Malformed, NotedRow, Row, text_of
from casereview.ingest.transform import (
    MentionOut,
    RecordOut,
    RowProblem,
    compile_person,
    compile_record,
    referenced_columns,
    required_columns,
)
from casereview.model.codes import IngestNote

__all__ = [
    "CHILD_CRASH_PREFIX",
    "ChunkSource",
    "ChunkTimeout",
    "Item",
    "OtherLoad",
    "Prepare",
    "Problem",
    "Transformer",
    "parallel_available",
]

_QUEUED_CHUNKS = 2  # chunks received ahead of the writer (besides the pipe's own buffer)
_PIPE_BYTES = 1 << 20  # asked for the pipe (F_SETPIPE_SZ; Linux allows up to 1 MiB unprivileged)
_F_SETPIPE_SZ = 1031

# Test hook (with load.CRASH_ENV): "child_chunk:N" makes the forked child SIGKILL itself
# after transforming its N-th chunk, before sending it.
CHILD_CRASH_PREFIX = "child_chunk:"


class Problem(NamedTuple):
    """A row that cannot load: its quarantine entry without the row number. `key`: the
    row's record ref (a records file) or mention key (a persons file) when it could be read:
    the record or mention is in the export, only not loadable, so it is not withdrawn."""

    field: str | None
    reason: str
    message: str
    raw: str
    key: str | None = None


Item = RecordOut | MentionOut | Problem
# (rows read, (row number, item) per row or what `prepare` made of them, notes)
Chunk = tuple[int, Any, Counter[tuple[str, str]]]
Prepare = Callable[[list[tuple[int, Item]]], Any]


class ChunkTimeout(SourceFileError):
    """A chunk took longer than `ingest.chunk_seconds`: the file stops, nothing is stored."""


class Transformer:
    """A file spec compiled into row -> item, with the header and JSON-column checks, the
    lookups and the time budget of a chunk."""

    def __init__(
        self,
        spec: FileSpec,
        mapping: Mapping,
        digest: str,
        *,
        iso_dates: bool = False,
        lookups: dict[str, LookupTable] | None = None,
        notes: Notes | None = None,
        chunk_seconds: float = 0.0,
    ) -> None:
        self.path = spec.path
        self.ctx = Context(mapping, notes or Notes(), iso_dates)
        salt = digest + "|" + spec.role
        self.record: Callable[[dict[str, Any], str | None], RecordOut] | None = None
        self.person: Callable[[dict[str, Any], str | None, str | None], MentionOut] | None = None
        # A CSV row's canonical JSON, built faster from its header (all its values are text).
        self.row_json: Callable[[dict[str, Any]], str] | None = None
        self.lookups = compile_lookups(spec.lookups, lookups or {}, self.ctx)
        into = {lk.into for lk in spec.lookups}
        if spec.records is not None:
            self.record = compile_record(spec.records, self.ctx, salt)
            self.key_of = self.record.key  # type: ignore[attr-defined]
            self.columns = referenced_columns(spec.records, spec.lookups)
            self.required = required_columns(spec.records) - into
        else:
            assert spec.persons is not None
            self.person = compile_person(spec.persons.person, self.ctx, salt)
            self.key_of = self.person.key  # type: ignore[attr-defined]
            self.record_key = compile_value(
                spec.persons.record_key.model_copy(update={"required": True}), "record_key",
                self.ctx,
            )  # fmt: skip
            self.columns = referenced_columns(spec.persons, spec.lookups)
            self.required = (
                required_columns(spec.persons.person) | referenced_columns(spec.persons.record_key)
            ) - into
        self.into = into
        self.check_header = spec.file_format in ("csv", "xlsx", "xls", "ods")
        self.text_rows = spec.file_format == "csv"
        # JSON has no header: the columns seen are collected until every required one was.
        self.json_columns: set[str] | None = (
            set() if not self.check_header and self.required else None
        )
        self.chunk_seconds = chunk_seconds
        self.read = 0
        self.objects = False  # a JSON object was read (not only malformed lines)

    def _header(self, row: dict[str, Any], row_number: int) -> None:
        missing = sorted(self.columns - row.keys())
        if missing:
            raise SourceFileError(
                f"{self.path}: row 1: missing required column(s) {', '.join(missing)} "
                f"(row {row_number} has {', '.join(sorted(row)) or 'none'})"
            )
        clash = sorted(self.into & row.keys())
        if clash:
            raise SourceFileError(
                f"{self.path}: row 1: the file has a column named {', '.join(clash)}, the name "
                "a lookup puts its row under (into): choose another name"
            )

    def _key(self, row: dict[str, Any]) -> str | None:
        try:
            key = self.key_of(row)
        except (RowProblem, ShapeError):
            return None
        return key if isinstance(key, str) else None

    def transform(self, chunk: list[tuple[int, Row]]) -> list[tuple[int, Item]]:
        """One item per row of the chunk, in row order; SourceFileError if the header does
        not fit the mapping, a value's shape does not either, or the chunk takes longer than
        its time budget."""
        if self.check_header:
            first = next((r for _, r in chunk if isinstance(r, dict)), None)
            if first is not None:
                self._header(first, chunk[0][0])
                self.check_header = False
                if self.text_rows:
                    self.row_json = text_row_json(list(first))
        seen = self.json_columns
        if seen is not None and not self.required <= seen:
            for _, r in chunk:
                if isinstance(r, dict):
                    seen.update(r)
                    self.objects = True
        self.read += len(chunk)
        items: list[tuple[int, Item]] = []
        record, person, row_json, lookups = self.record, self.person, self.row_json, self.lookups
        notes = self.ctx.notes
        deadline = time.monotonic() + self.chunk_seconds if self.chunk_seconds else 0.0
        for n, (row_number, row) in enumerate(chunk):
            if deadline and not n & 31 and time.monotonic() > deadline:
                self._timeout(chunk, row_number)
            if isinstance(row, Malformed):
                items.append((row_number, Problem(None, row.reason.value, row.message, row.raw)))
                continue
            try:
                if row.__class__ is NotedRow:
                    raw: str | None = row.raw
                    for column, message in row.notes:
                        notes.row = row_number
                        notes.add(IngestNote.CONTROL_CHARACTERS, column, "", message)
                else:
                    raw = row_json(row) if row_json is not None else None
                if lookups:
                    raw = raw or dumps(row)
                    apply_lookups(row, lookups, self.ctx)
                if record is not None:
                    items.append((row_number, record(row, raw)))
                else:
                    assert person is not None
                    items.append((row_number, person(row, self.record_key(row), raw)))
            except RowProblem as p:
                items.append((row_number, Problem(p.field, p.reason.value, p.message,
                                                  text_of(row), self._key(row))))  # fmt: skip
            except ShapeError as e:
                raise SourceFileError(f"{self.path}: row {row_number}: {e}") from e
        if deadline and time.monotonic() > deadline:
            self._timeout(chunk, chunk[-1][0])
        return items

    def _timeout(self, chunk: list[tuple[int, Row]], at: int) -> None:
        raise ChunkTimeout(
            f"{self.path}: rows {chunk[0][0]}-{chunk[-1][0]} were still being read at row {at} "
            f"after {self.chunk_seconds:g} s, the time budget of a chunk (ingest.chunk_seconds): "
            "stopped, nothing from this file was stored"
        )

    def finish(self) -> None:
        """After the last chunk: a required column that no JSON object had means the mapping
        does not fit the file (SourceFileError)."""
        seen = self.json_columns
        if seen is None or not self.objects:
            return  # no object at all: every row is quarantined for what it is
        missing = sorted(self.required - seen)
        if missing:
            raise SourceFileError(
                f"{self.path}: no object has the required column(s) {', '.join(missing)} "
                f"(columns seen: {', '.join(sorted(seen)) or 'none'})"
            )


def _our_cpus() -> set[int] | None:
    try:
        return os.sched_getaffinity(0)
    except AttributeError:  # pragma: no cover - not Linux
        return None


def parallel_available() -> bool:
    """Forking is possible and this process may run on two cores or more."""
    cpus = _our_cpus()
    cores = len(cpus) if cpus is not None else (os.cpu_count() or 1)
    return cores >= 2 and "fork" in multiprocessing.get_all_start_methods()


class OtherLoad:
    """How many of our CPUs other processes keep busy, measured over a stretch of this
    process's own work (the file's hashing): `start()` before it, `busy_cores()` after.

    Read from the per-CPU lines of /proc/stat for the CPUs this process may use, minus this
    process's own CPU time; a stretch shorter than `_MIN_WINDOW_S` is lengthened by waiting.
    Without /proc/stat (not Linux), the 1-minute load average stands in (it lags by about
    a minute and counts this process too, so it is the cruder measure)."""

    _MIN_WINDOW_S = 0.25

    def __init__(self) -> None:
        self.cpus = _our_cpus()
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.first: tuple[float, float, float] | None = None

    def _sample(self) -> tuple[float, float, float] | None:
        """(monotonic seconds, busy seconds of our CPUs, this process's CPU seconds)."""
        if self.cpus is None:
            return None
        busy = 0
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                for line in stat:
                    if not line.startswith("cpu"):
                        break
                    name, *fields = line.split()
                    if name == "cpu" or int(name[3:]) not in self.cpus:
                        continue
                    # user nice system idle iowait irq softirq steal (guest is within user)
                    ticks = [int(f) for f in fields[:8]]
                    busy += sum(ticks) - ticks[3] - ticks[4]
        except (OSError, ValueError):
            return None
        own = os.times()
        return time.monotonic(), busy / self.tick, own.user + own.system

    def start(self) -> None:
        self.first = self._sample()

    def busy_cores(self) -> float:
        first = self.first
        if first is None:
            return os.getloadavg()[0]
        waited = time.monotonic() - first[0]
        if waited < self._MIN_WINDOW_S:
            time.sleep(self._MIN_WINDOW_S - waited)
        last = self._sample()
        if last is None:
            return os.getloadavg()[0]
        wall = last[0] - first[0]
        return max(0.0, ((last[1] - first[1]) - (last[2] - first[2])) / wall)


class _Sender:
    """The child's side of the pipe: a thread writes pickled messages (a blocking write
    releases the GIL), so the child reads and transforms the next chunk meanwhile."""

    def __init__(self, out: Connection) -> None:
        self.out = out
        self.pending: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUED_CHUNKS)
        self.broken = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (data := self.pending.get()) is not None:
                self.out.send_bytes(data)
        except OSError:
            self.broken.set()  # the parent is gone or gave up: nobody reads any more

    def send(self, message: tuple[str, Any], *, flat: bool = False) -> None:
        """`flat`: the message is a tree of plain values that shares no object worth sharing
        (rows prepared for insert): pickled without the memo, which writes about 40% faster
        (the parent reads it a little slower; the child is the slower side)."""
        if flat:
            buffer = io.BytesIO()
            pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
            pickler.fast = True  # no memo (and no cycles: a cycle would recurse to an error)
            pickler.dump(message)
            data = buffer.getvalue()
        else:
            data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        while not self.broken.is_set():
            try:
                self.pending.put(data, timeout=0.1)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("the ingest process stopped reading")

    def close(self) -> None:
        if not self.broken.is_set():
            self.pending.put(None)
            self.thread.join()
        self.out.close()


def _child(
    out: Connection,
    parent_end: Connection,
    chunks: Iterator[list[tuple[int, Row]]],
    transformer: Transformer,
    prepare: Prepare | None,
    crash_after: int,
) -> None:
    """The forked child: read, transform (and prepare) and send every chunk, then
    ("end", None)."""
    # The fork copied the parent's read end: closed, so that when the parent is gone (or
    # killed) no reader is left and a write fails (EPIPE) instead of blocking for ever.
    parent_end.close()
    sender = _Sender(out)
    try:
        notes = transformer.ctx.notes
        for n, chunk in enumerate(chunks, start=1):
            items = transformer.transform(chunk)
            if n == crash_after:
                os.kill(os.getpid(), signal.SIGKILL)
            if prepare is None:
                sender.send(("chunk", (len(chunk), items, notes.take())))
            else:
                sender.send(("chunk", (len(chunk), prepare(items), notes.take())), flat=True)
        transformer.finish()
        sender.send(("end", None))
    except BrokenPipeError:
        pass  # the parent no longer reads: nothing to report to
    except BaseException as e:  # every failure is reported to the parent
        try:
            sender.send(("error", e))
        except BrokenPipeError:
            pass
        except Exception:  # the exception itself could not be pickled
            sender.send(("error", CaseReviewError(f"{type(e).__name__}: {e}")))
    finally:
        sender.close()


class ChunkSource:
    """`with ChunkSource(...) as chunks: for read, items, notes in chunks: ...` in this
    process, or from a forked child when `parallel` is true (see the module docstring)."""

    def __init__(
        self,
        chunks: Iterator[list[tuple[int, Row]]],
        transformer: Transformer,
        *,
        parallel: bool,
        prepare: Prepare | None = None,
        crash_point: str = "",
    ) -> None:
        self.chunks, self.transformer = chunks, transformer
        self.prepare = prepare
        self.parallel = parallel
        crash_after = 0
        if crash_point.startswith(CHILD_CRASH_PREFIX):
            crash_after = int(crash_point[len(CHILD_CRASH_PREFIX) :])
        self.crash_after = crash_after
        self.process: Any = None
        self.receive: Connection | None = None
        self.pump: threading.Thread | None = None
        self.stop = threading.Event()
        self.received: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=_QUEUED_CHUNKS)

    def __enter__(self) -> Iterator[Chunk]:
        if not self.parallel:
            return self._local()
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        try:
            import fcntl

            fcntl.fcntl(send.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
        except (ImportError, OSError):  # pragma: no cover - not Linux, or over the limit
            pass
        self.process = context.Process(
            target=_child,
            args=(
                send,
                receive,
                self.chunks,
                self.transformer,
                self.prepare,
                self.crash_after,
            ),
            name="casereview-ingest-reader",
            daemon=True,
        )
        self.process.start()
        send.close()  # the child holds the only write end: its death ends our reads (EOF)
        self.receive = receive
        # A thread takes chunks off the pipe (the read releases the GIL) so that the child
        # can run up to _QUEUED_CHUNKS ahead while this thread writes.
        self.pump = threading.Thread(target=self._pump, args=(receive,), daemon=True)
        self.pump.start()
        return self._remote()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop.set()
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()  # our own child, by its pid: the parent has given up
            self.process.join()
        if self.pump is not None:
            self.pump.join()  # it sees EOF (the child is gone) or the stop flag
            self.pump = None
        if self.receive is not None:
            self.receive.close()
            self.receive = None
        if self.process is not None:
            self.process.close()
            self.process = None

    def _pump(self, receive: Connection) -> None:
        """Take messages off the pipe and unpickle them, in a thread: the pipe read and
        SQLite's own work in the writing thread release the GIL, so this mostly overlaps."""
        while not self.stop.is_set():
            message: tuple[str, Any] | None
            try:
                data = receive.recv_bytes()
            except (EOFError, OSError):
                message = None  # the child is gone (after "end", or it died)
            else:
                # Bytes our own forked child pickled, over a pipe only it and we hold.
                message = pickle.loads(data)  # noqa: S301  # nosec B301
                del data
            while True:
                try:
                    self.received.put(message, timeout=0.1)
                    break
                except queue.Full:
                    if self.stop.is_set():
                        return
            if message is None or message[0] != "chunk":
                return

    def _local(self) -> Iterator[Chunk]:
        prepare, notes = self.prepare, self.transformer.ctx.notes
        for chunk in self.chunks:
            items = self.transformer.transform(chunk)
            yield len(chunk), items if prepare is None else prepare(items), notes.take()
        self.transformer.finish()

    def _remote(self) -> Iterator[Chunk]:
        while True:
            message = self.received.get()
            if message is None:
                raise CaseReviewError(self._death())
            kind, payload = message
            if kind == "chunk":
                yield payload
            elif kind == "end":
                return
            else:
                raise payload

    def _death(self) -> str:
        process = self.process
        process.join(5)
        code = process.exitcode
        if code is None:
            how = "stopped sending"
        elif code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code}"
        return (
            f"{self.transformer.path}: the ingest reader process (pid {process.pid}) {how} "
            "before the file was read; nothing from this file was stored"
        )
