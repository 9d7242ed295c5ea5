"""Import export files through a mapping: one transaction per file, audited, idempotent.

A file's rows, its quarantine entries, its `imports` row and its audit entry commit together
or not at all. The same bytes imported again (same sha256 for the source) are a reported
no-op; a changed file upserts by source ref and mention key, keeping ids. A row that fails
is quarantined and the load goes on; a file that cannot be used raises SourceFileError and
stores nothing from that file. Rows are read and transformed by `pipeline.ChunkSource`: in
this process, or for large files (`ingest.parallel_min_rows`) in a forked child while this
process checks keys and writes, when other work leaves the second core free
(`ingest.parallel_max_busy_cores`); the transaction is always this process's. There, a
persons file that brings a SQLite source its first mentions comes from the child as rows
ready to insert (`prepared.FreshMentionRows`).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from casereview.errors import SourceFileError, StoreError
from casereview.ingest.bulk import BulkWriter
from casereview.ingest.mapping import FileSpec, Mapping, load_mapping
from casereview.ingest.pipeline import (
    ChunkSource,
    Item,
    OtherLoad,
    Prepare,
    Transformer,
    parallel_available,
)
from casereview.ingest.prepared import FreshMentionRows, PreparedMentions, take_mention
from casereview.ingest.readers import read_rows
from casereview.ingest.transform import MentionOut, RecordOut, RowProblem
from casereview.model.codes import AuditAction, QuarantineReason
from casereview.model.tables import imports, sources
from casereview.settings import IngestSettings, get_settings
from casereview.store import audit
from casereview.store.db import writing

__all__ = ["ImportResult", "ingest_directory", "ingest_file", "ingest_mapping", "resolve_data_path"]

# Test hook for the crash-safety test: "chunk:N", "before_commit" or "after_commit" makes the
# process SIGKILL itself at that point of every file; "during_commit:S" arms a timer just
# before the COMMIT that kills the process S seconds later (while SQLite writes the commit).
CRASH_ENV = "CASEREVIEW_INGEST_CRASH_AT"
_SQLITE_CACHE_KIB = 256 * 1024
# A persons file is prepared in the reader child only while the source's records, and the
# store's places and objects, are at most this many each: their keys are read into memory
# first (about 120 bytes each).
_PREPARED_MAX_KEYS = 2_000_000


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did. rows_read = rows_loaded + rows_quarantined."""

    source: str
    file_role: str
    file_name: str
    sha256: str
    status: str  # "imported" or "unchanged" (the same bytes were imported before)
    import_id: int | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    records_written: int
    mentions_written: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reconciliation(self) -> str:
        """The line printed after every file."""
        if self.status == "unchanged":
            return (
                f"{self.source}/{self.file_role} {self.file_name}: unchanged (same sha256 "
                f"imported before as import {self.import_id}): nothing to do"
            )
        return (
            f"{self.source}/{self.file_role} {self.file_name}: rows read {self.rows_read} = "
            f"loaded {self.rows_loaded} + quarantined {self.rows_quarantined} "
            f"(records written {self.records_written}, mentions written "
            f"{self.mentions_written}; {self.seconds:.1f}s)"
        )


def _crash_point(name: str) -> None:
    point = os.environ.get(CRASH_ENV)
    if point == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif name == "before_commit" and point and point.startswith("during_commit:"):
        delay = float(point.split(":", 1)[1])
        timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL))
        timer.daemon = True
        timer.start()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file loads. Rows, their outputs and the
    per-file sets are freed by reference counting (they hold no cycles), but with millions
    of live objects each automatic collection walks them all: a quarter of the load time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def resolve_data_path(data_dir: Path, entry: str) -> Path:
    """The file named by a mapping entry, which must stay inside the data directory."""
    root = data_dir.resolve()
    if not entry or Path(entry).is_absolute() or "\x00" in entry:
        raise SourceFileError(f"file path {entry!r} must be relative to the data directory")
    path = (root / entry).resolve()
    if not path.is_relative_to(root):
        raise SourceFileError(f"file path {entry!r} leaves the data directory {root}")
    return path


def _sha256(path: Path) -> tuple[str, int]:
    """The file's sha256 and its number of line breaks (an estimate of its rows)."""
    digest = hashlib.sha256()
    lines = 0
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                lines += block.count(b"\n")
    except OSError as e:
        raise SourceFileError(f"{path.name}: cannot read: {e.strerror or e}") from e
    return digest.hexdigest(), lines


def _use_parallel(
    settings: IngestSettings,
    file_format: str,
    path: Path,
    lines: int,
    others_busy: Callable[[], float] = lambda: 0.0,
) -> bool:
    """Read and transform in a forked child while this process writes: for files of about
    `parallel_min_rows` rows or more (CSV and JSON lines: their lines; XLSX: one row per
    50 bytes of the compressed file; a JSON array: its lines), when there is a second core
    and other processes leave it free (`parallel_max_busy_cores`; `others_busy()` measures
    how many cores they keep busy): both halves of the pipeline need a core of their own,
    and on a shared core the pipeline is slower than one process."""
    if settings.parallel_min_rows <= 0:
        return False
    rows = path.stat().st_size // 50 if file_format == "xlsx" else lines
    if rows < settings.parallel_min_rows or not parallel_available():
        return False
    limit = settings.parallel_max_busy_cores
    return limit < 0 or others_busy() <= limit


def _source_id(conn: Connection, mapping: Mapping) -> int:
    found = conn.execute(select(sources.c.id).where(sources.c.name == mapping.source.name)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(sources)
            .values(
                name=mapping.source.name,
                kind=mapping.source.kind.value,
                description=mapping.source.description,
                created_at=dt.datetime.now(dt.UTC),
            )
            .returning(sources.c.id)
        ).scalar_one()
    )


class _FileLoad:
    """The state of loading one file inside its transaction: duplicate keys and orphans
    (which depend on the rows before) and the writes, from the transformer's items."""

    def __init__(self, spec: FileSpec, writer: BulkWriter) -> None:
        self.spec, self.writer = spec, writer
        self.repeated_rows = spec.records is not None and spec.records.repeated_rows
        self.seen_refs: set[str] = set()
        self.seen_mentions: set[str] = set()
        self.read = self.loaded = 0
        self.quarantined: list[tuple[int, str | None, str, str, str]] = []
        self.quarantine_total = 0

    def _quarantine(
        self, row_number: int, field: str | None, reason: str, message: str, raw: str
    ) -> None:
        self.quarantined.append((row_number, field, reason, message, raw))

    def _mention_keys_fresh(self, mentions: list[MentionOut]) -> str | None:
        keys = [m.key for m in mentions]
        for key in keys:
            if key in self.seen_mentions or keys.count(key) > 1:
                return key
        return None

    def _record(self, out: RecordOut, row_number: int, records: list[RecordOut],
                persons: list[tuple[int, MentionOut]]) -> None:  # fmt: skip
        repeated = out.ref in self.seen_refs
        if repeated and not self.repeated_rows:
            raise RowProblem(
                QuarantineReason.DUPLICATE_KEY,
                "key",
                f"source ref {out.ref!r} appears twice in the file",
            )
        dup = self._mention_keys_fresh(out.persons)
        if dup is not None:
            raise RowProblem(
                QuarantineReason.DUPLICATE_KEY,
                "persons.key",
                f"mention key {dup!r} appears twice in the file",
            )
        self.seen_mentions.update(m.key for m in out.persons)
        if repeated:
            # A further row of a record already read: it only adds its persons.
            persons.extend((row_number, m) for m in out.persons)
            self.loaded += 0 if out.persons else 1
        else:
            self.seen_refs.add(out.ref)
            records.append(out)

    def apply(self, read: int, items: list[tuple[int, Item]]) -> None:
        """Check one chunk's items for orphans and repeated keys (`take_mention`), then
        write them (and quarantine)."""
        self.read += read
        records: list[RecordOut] = []
        persons: list[tuple[int, MentionOut]] = []  # the nested persons of records
        seen_mentions = self.seen_mentions
        refs = {i.record_ref for _, i in items if isinstance(i, MentionOut) and i.record_ref}
        parents = self.writer.record_ids(refs) if refs else {}
        found: list[tuple[int, MentionOut]] = []  # a persons file's rows, with their record
        for row_number, item in items:
            try:
                if isinstance(item, MentionOut):
                    found.append((take_mention(item, parents, seen_mentions), item))
                elif isinstance(item, RecordOut):
                    self._record(item, row_number, records, persons)
                else:
                    self._quarantine(row_number, *item)
            except RowProblem as problem:
                # The row as the transformer kept it (canonical JSON of the source row).
                self._quarantine(row_number, problem.field, problem.reason.value, problem.message,
                                 item.raw)  # fmt: skip
                continue
        if records:
            self.writer.write_records(records)
            self.loaded += len(records)
        file_rows = len(found)
        if persons:
            # Further rows of records (repeated_rows) add persons to records written in
            # this chunk or an earlier one (a record's first row is written or quarantined
            # before any further row is taken as one): their records exist.
            ids = self.writer.record_ids(m.record_ref for _, m in persons if m.record_ref)
            found += [(ids[m.record_ref or ""], m) for _, m in persons]
            self.loaded += len({row_number for row_number, _ in persons})
        if found:
            self.writer.write_mentions(found)
        self.loaded += file_rows
        self.flush_quarantine()

    def apply_prepared(self, read: int, chunk: PreparedMentions) -> None:
        """Write one chunk that the reader child prepared (`FreshMentionRows`)."""
        self.read += read
        self.writer.insert_prepared(chunk)
        self.loaded += chunk.loaded
        self.quarantined.extend(chunk.quarantine)
        self.flush_quarantine()

    def flush_quarantine(self) -> None:
        if self.quarantined:
            self.writer.quarantine(self.spec.path, self.quarantined)
            self.quarantine_total += len(self.quarantined)
            self.quarantined = []


def ingest_file(
    engine: Engine,
    mapping: Mapping,
    mapping_name: str,
    mapping_sha: str,
    spec: FileSpec,
    data_dir: Path,
    actor: str,
    settings: IngestSettings | None = None,
) -> ImportResult:
    """Import one file of a mapping in one transaction; SourceFileError stores nothing."""
    settings = settings or get_settings().ingest
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    path = resolve_data_path(data_dir, spec.path)
    if not path.is_file():
        raise SourceFileError(f"{spec.path}: no such file in {data_dir}")
    others = OtherLoad()
    others.start()  # measured while this process hashes the file (one core's work)
    sha, lines = _sha256(path)
    crash_chunk = os.environ.get(CRASH_ENV, "")
    dbapi_error: type[Exception] = getattr(engine.dialect.loaded_dbapi, "Error", SQLAlchemyError)
    try:
        with _gc_paused():
            return _load_file(engine, mapping, mapping_name, mapping_sha, spec, path, sha,
                              lines, others, actor, settings, crash_chunk, started,
                              started_at)  # fmt: skip
    except (SQLAlchemyError, dbapi_error) as e:
        cause = getattr(e, "orig", None) or e
        raise StoreError(
            f"{spec.path}: database write failed, nothing from this file was stored: {cause}"
        ) from e


def _load_file(
    engine: Engine,
    mapping: Mapping,
    mapping_name: str,
    mapping_sha: str,
    spec: FileSpec,
    path: Path,
    sha: str,
    lines: int,
    others: OtherLoad,
    actor: str,
    settings: IngestSettings,
    crash_chunk: str,
    started: float,
    started_at: dt.datetime,
) -> ImportResult:
    with writing(engine) as conn:
        source_id = _source_id(conn, mapping)
        previous = conn.execute(
            select(imports.c.id).where(imports.c.source_id == source_id, imports.c.sha256 == sha)
        ).scalar()
        if previous is not None:
            return ImportResult(
                mapping.source.name, spec.role, spec.path, sha, "unchanged", int(previous),
                0, 0, 0, 0, 0, time.monotonic() - started,
            )  # fmt: skip
        import_id = int(
            conn.execute(
                insert(imports)
                .values(
                    source_id=source_id, file_name=spec.path, file_role=spec.role, sha256=sha,
                    mapping_name=mapping_name, mapping_sha256=mapping_sha, rows_read=0,
                    rows_loaded=0, rows_quarantined=0, imported_by=actor,
                    started_at=started_at, finished_at=started_at,
                )
                .returning(imports.c.id)
            ).scalar_one()
        )  # fmt: skip
        if conn.dialect.name == "sqlite":
            # A bigger page cache for this connection while it loads (indexes of a million
            # rows); journal and synchronous settings are left as they are (crash safety).
            conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
        writer = BulkWriter(conn, source_id=source_id, import_id=import_id)
        load = _FileLoad(spec, writer)
        transformer = Transformer(spec, mapping, mapping_sha, iso_dates=writer.sqlite)
        rows = read_rows(
            path,
            spec.file_format,
            encoding=spec.encoding,
            delimiter=spec.delimiter,
            sheet=spec.sheet,
            max_file_bytes=settings.max_file_bytes,
            max_xlsx_uncompressed=settings.max_xlsx_uncompressed_bytes,
            max_xlsx_ratio=settings.max_xlsx_compression_ratio,
        )
        parallel = _use_parallel(settings, spec.file_format, path, lines, others.busy_cores)
        # With a reader child, a persons file's first load into a source is prepared there
        # down to the INSERT rows (this process, the writer, is the pipeline's bottleneck).
        prepare: Prepare | None = None
        if parallel and spec.persons is not None and writer.prepares_mentions():
            known = writer.known_ids(_PREPARED_MAX_KEYS)
            if known is not None:
                prepare = FreshMentionRows(source_id, known)
        source = ChunkSource(rows, transformer, settings.chunk_rows, parallel=parallel,
                             prepare=prepare, crash_point=crash_chunk)  # fmt: skip
        with source as chunks:
            for n, (read, payload) in enumerate(chunks, start=1):
                if prepare is None:
                    load.apply(read, payload)
                else:
                    load.apply_prepared(read, payload)
                if crash_chunk == f"chunk:{n}":
                    _crash_point(crash_chunk)
        all_sources = conn.execute(select(sources.c.id).order_by(sources.c.id)).scalars().all()
        writer.resolve_links([int(s) for s in all_sources])
        assert load.read == load.loaded + load.quarantine_total
        conn.execute(
            update(imports)
            .where(imports.c.id == import_id)
            .values(
                rows_read=load.read,
                rows_loaded=load.loaded,
                rows_quarantined=load.quarantine_total,
                finished_at=dt.datetime.now(dt.UTC),
            )
        )
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.COLLECT,
            object_type="import",
            object_id=import_id,
            details={
                "source": mapping.source.name,
                "file": spec.path,
                "file_role": spec.role,
                "sha256": sha,
                "mapping": mapping_name,
                "mapping_sha256": mapping_sha,
                "rows_read": load.read,
                "rows_loaded": load.loaded,
                "rows_quarantined": load.quarantine_total,
                "records_written": writer.records_written,
                "mentions_written": writer.mentions_written,
            },
        )
        _crash_point("before_commit")
    _crash_point("after_commit")
    return ImportResult(
        mapping.source.name, spec.role, spec.path, sha, "imported", import_id, load.read,
        load.loaded, load.quarantine_total, writer.records_written, writer.mentions_written,
        time.monotonic() - started,
    )  # fmt: skip


def ingest_mapping(
    engine: Engine,
    mapping_path: Path,
    data_dir: Path,
    actor: str,
    *,
    settings: IngestSettings | None = None,
    on_file: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Import every file of a mapping, in the order the mapping lists them.

    Files already committed stay committed if a later file fails (each file is its own
    transaction); the failing file's error is raised.
    """
    mapping, mapping_sha = load_mapping(mapping_path)
    results = []
    for spec in mapping.files:
        result = ingest_file(
            engine, mapping, mapping_path.name, mapping_sha, spec, data_dir, actor, settings
        )
        results.append(result)
        if on_file is not None:
            on_file(result)
    return results


def ingest_directory(
    engine: Engine,
    mappings_dir: Path,
    data_dir: Path,
    actor: str,
    *,
    settings: IngestSettings | None = None,
    on_file: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Import every `*.yaml` mapping of a folder (sorted by name) against one data folder."""
    results: list[ImportResult] = []
    for mapping_path in sorted(mappings_dir.glob("*.yaml")):
        results.extend(
            ingest_mapping(
                engine, mapping_path, data_dir, actor, settings=settings, on_file=on_file
            )
        )
    return results
