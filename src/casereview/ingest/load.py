"""Import export files through a mapping: one transaction per file, audited, idempotent.

A file's rows, its quarantine entries, its `imports` row and its audit entry commit together
or not at all. An import is identified by the file's bytes and the mapping's derivation
digest (`mapping.derivation_digest`): the same bytes under the same mapping as the file's
latest import are a reported no-op; a changed file, the same bytes under a changed mapping,
or bytes imported before and replaced since (loaded again as that import), upsert by
source ref and mention key, keeping ids, and the reconciliation line says which. Records and
mentions an earlier full export of the file had and this one lacks are marked withdrawn
(`withdraw`). A row that fails is quarantined and the load goes on (a nested item that fails
is quarantined alone); a file that cannot be used raises SourceFileError and stores nothing
from that file; a chunk that runs past `ingest.chunk_seconds` stops the file the same way. Rows are read and transformed by `pipeline.ChunkSource`: in
this process, or for large files (`ingest.parallel_min_rows`) in a forked child while this
process checks keys and writes, when other work leaves the second core free
(`ingest.parallel_max_busy_cores`); the transaction is always this process's. There, a
persons file that brings a SQLite source its first mentions comes from the child as rows
ready to insert (`prepared.FreshMentionRows`).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from casereview.collector import collector_paused
from casereview.errors import SourceFileError, StoreError
from casereview.ingest.bulk import BulkWriter
from casereview.ingest.fields import Context, dumps
from casereview.ingest.fileload import FileLoad, WriteBudget
from casereview.ingest.lookups import LookupTable, read_lookup
from casereview.ingest.mapping import FileSpec, Mapping, derivation_digest, load_mapping
from casereview.ingest.notes import Notes, by_note
from casereview.ingest.pipeline import (
    ChunkSource,
    ChunkTimeout,
    OtherLoad,
    Prepare,
    Transformer,
    parallel_available,
)
from casereview.ingest.prepared import FreshMentionRows
from casereview.ingest.readers import ReadOptions, read_chunks
from casereview.ingest.result import ImportResult, Progress
from casereview.ingest.scan import FileScan, scan_file
from casereview.ingest.withdraw import withdraw_missing
from casereview.model.codes import AuditAction, QuarantineScope
from casereview.model.tables import imports, quarantine, sources
from casereview.settings import IngestSettings, get_settings
from casereview.store import audit
from casereview.store.db import writing

__all__ = [
    "ImportResult",
    "Progress",
    "ingest_directory",
    "ingest_file",
    "ingest_mapping",
    "prepare_file",
    "resolve_data_path",
]

ROW, ITEM = QuarantineScope.ROW.value, QuarantineScope.ITEM.value

# Test hook for the crash-safety test: "chunk:N", "before_commit" or "after_commit" makes the
# process SIGKILL itself at that point of every file; "during_commit:S" arms a timer just
# before the COMMIT that kills the process S seconds later (while SQLite writes the commit).
CRASH_ENV = "CASEREVIEW_INGEST_CRASH_AT"
_SQLITE_CACHE_KIB = 256 * 1024
# A persons file is prepared in the reader child only while the source's records, and the
# store's places and objects, are at most this many each: their keys are read into memory
# first (about 120 bytes each).
_PREPARED_MAX_KEYS = 2_000_000


def _crash_point(name: str) -> None:
    point = os.environ.get(CRASH_ENV)
    if point == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif name == "before_commit" and point and point.startswith("during_commit:"):
        delay = float(point.split(":", 1)[1])
        timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL))
        timer.daemon = True
        timer.start()


def resolve_data_path(data_dir: Path, entry: str) -> Path:
    """The file named by a mapping entry, which must stay inside the data directory."""
    root = data_dir.resolve()
    if not entry or Path(entry).is_absolute() or "\x00" in entry:
        raise SourceFileError(f"file path {entry!r} must be relative to the data directory")
    path = (root / entry).resolve()
    if not path.is_relative_to(root):
        raise SourceFileError(f"file path {entry!r} leaves the data directory {root}")
    return path


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


def _read_options(spec: FileSpec, settings: IngestSettings) -> ReadOptions:
    return ReadOptions(
        spec.file_format,
        encoding=spec.encoding,
        delimiter=spec.delimiter,
        sheet=spec.sheet,
        multiline=frozenset(spec.multiline),
        max_file_bytes=settings.max_file_bytes,
        max_field_bytes=settings.max_field_bytes,
        max_xlsx_uncompressed=settings.max_xlsx_uncompressed_bytes,
        max_xlsx_ratio=settings.max_xlsx_compression_ratio,
        chunk_rows=settings.chunk_rows,
        chunk_bytes=settings.chunk_bytes,
    )


@dataclass
class _Prepared:
    """A file ready to load: its scan, the lookups it uses and its derivation digest."""

    spec: FileSpec
    path: Path
    scan: FileScan
    lookups: dict[str, LookupTable]
    digest: str


def prepare_file(
    mapping: Mapping, spec: FileSpec, data_dir: Path, settings: IngestSettings, ctx: Context
) -> _Prepared:
    """Find and scan a file, read the lookup files it uses, and compute its digest."""
    path = resolve_data_path(data_dir, spec.path)
    if not path.is_file():
        raise SourceFileError(f"{spec.path}: no such file in {data_dir}")
    scan = scan_file(path, settings.max_field_bytes)
    tables: dict[str, LookupTable] = {}
    for lk in spec.lookups:
        if lk.file in tables:
            continue
        other = mapping.file(lk.file)
        other_path = resolve_data_path(data_dir, other.path)
        if not other_path.is_file():
            raise SourceFileError(f"{other.path}: no such file in {data_dir} (a lookup of {spec.role})")
        other_scan = scan_file(other_path, settings.max_field_bytes)
        tables[lk.file] = read_lookup(
            other_path, other, _read_options(other, settings), ctx, other_scan.sha256
        )
    digest = derivation_digest(mapping, spec, {r: t.sha256 for r, t in tables.items()})
    return _Prepared(spec, path, scan, tables, digest)


def ingest_file(
    engine: Engine,
    mapping: Mapping,
    mapping_name: str,
    mapping_sha: str,
    spec: FileSpec,
    data_dir: Path,
    actor: str,
    settings: IngestSettings | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> ImportResult:
    """Import one file of a mapping in one transaction; SourceFileError stores nothing."""
    settings = settings or get_settings().ingest
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    others = OtherLoad()
    others.start()  # measured while this process scans the file (one core's work)
    notes = Notes()
    file = prepare_file(mapping, spec, data_dir, settings, Context(mapping, notes))
    crash_chunk = os.environ.get(CRASH_ENV, "")
    dbapi_error: type[Exception] = getattr(engine.dialect.loaded_dbapi, "Error", SQLAlchemyError)
    try:
        with collector_paused():  # millions of row objects, no cycles
            return _load_file(engine, mapping, mapping_name, mapping_sha, file, others, notes,
                              actor, settings, crash_chunk, started, started_at,
                              on_progress)  # fmt: skip
    except (SQLAlchemyError, dbapi_error) as e:
        cause = getattr(e, "orig", None) or e
        if "interrupted" in str(cause):
            raise ChunkTimeout(
                f"{spec.path}: a write took longer than the time budget of a chunk "
                f"({settings.chunk_seconds:g} s, ingest.chunk_seconds): stopped, nothing from "
                "this file was stored"
            ) from e
        raise StoreError(
            f"{spec.path}: database write failed, nothing from this file was stored: {cause}"
        ) from e


@dataclass(frozen=True)
class _Change:
    unchanged: int | None  # the import these bytes under this mapping repeat: nothing to do
    why: str  # why the file is imported ("" for a new file)
    again: int | None = None  # the import of these bytes, replaced since: loaded again


def _change(conn: Connection, source_id: int, file: _Prepared) -> _Change:
    """Whether the file is new, changed or the same as its latest import.

    An import is identified by the file's bytes and the mapping's digest, and only the
    file's latest import is "unchanged": bytes imported before and replaced since (an export
    sent again as it was, after a corrected one was loaded) are that import loaded again, so
    that the store holds what the source sent last."""
    rows = conn.execute(
        select(imports.c.id, imports.c.sha256, imports.c.mapping_digest, imports.c.file_role)
        .where(imports.c.source_id == source_id)
        .where((imports.c.sha256 == file.scan.sha256) | (imports.c.file_role == file.spec.role))
        .order_by(imports.c.finished_at.desc(), imports.c.id.desc())
    ).all()
    latest = next((r for r in rows if r.file_role == file.spec.role), None)
    if latest is not None and (latest.sha256, latest.mapping_digest) == (
        file.scan.sha256,
        file.digest,
    ):
        return _Change(int(latest.id), "")
    same = next(
        (r for r in rows if (r.sha256, r.mapping_digest) == (file.scan.sha256, file.digest)),
        None,
    )
    if same is not None:
        replaced = f" by import {latest.id}" if latest is not None else ""
        return _Change(
            None,
            f"these bytes are import {same.id}, replaced since{replaced}: loaded again, rows "
            "upserted",
            again=int(same.id),
        )
    same_bytes = next((r for r in rows if r.sha256 == file.scan.sha256), None)
    if same_bytes is not None:
        return _Change(
            None,
            f"mapping changed since import {same_bytes.id} of these bytes: re-derived, rows "
            "upserted",
        )
    if rows:
        return _Change(None, "changed file: rows upserted")
    return _Change(None, "")


def _load_file(
    engine: Engine,
    mapping: Mapping,
    mapping_name: str,
    mapping_sha: str,
    file: _Prepared,
    others: OtherLoad,
    notes: Notes,
    actor: str,
    settings: IngestSettings,
    crash_chunk: str,
    started: float,
    started_at: dt.datetime,
    on_progress: Callable[[Progress], None] | None,
) -> ImportResult:
    spec, path, scan = file.spec, file.path, file.scan
    with writing(engine) as conn:
        source_id = _source_id(conn, mapping)
        found = _change(conn, source_id, file)
        change = found.why
        if found.unchanged is not None:
            return ImportResult(
                mapping.source.name, spec.role, spec.path, scan.sha256, "unchanged",
                found.unchanged, 0, 0, 0, 0, 0, time.monotonic() - started,
            )  # fmt: skip
        values = dict(
            source_id=source_id, file_name=spec.path, file_role=spec.role, sha256=scan.sha256,
            mapping_name=mapping_name, mapping_sha256=mapping_sha, mapping_digest=file.digest,
            rows_read=0, rows_loaded=0, rows_quarantined=0, imported_by=actor,
            started_at=started_at, finished_at=started_at,
        )  # fmt: skip
        if found.again is None:
            import_id = int(
                conn.execute(insert(imports).values(**values).returning(imports.c.id)).scalar_one()
            )
        else:
            # The same import loaded again (each load is in the audit log): its quarantine is
            # made again by this load, as the first load made it.
            import_id = found.again
            conn.execute(update(imports).where(imports.c.id == import_id).values(**values))
            conn.execute(delete(quarantine).where(quarantine.c.import_id == import_id))
        budget = WriteBudget(conn, settings.chunk_seconds)
        if conn.dialect.name == "sqlite":
            # A bigger page cache for this connection while it loads (indexes of a million
            # rows); journal and synchronous settings are left as they are (crash safety).
            conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")
        writer = BulkWriter(conn, source_id=source_id, import_id=import_id)
        load = FileLoad(spec, writer)
        transformer = Transformer(spec, mapping, file.digest, iso_dates=writer.sqlite,
                                  lookups=file.lookups, notes=notes,
                                  chunk_seconds=settings.chunk_seconds)  # fmt: skip
        chunks = read_chunks(path, _read_options(spec, settings), scan)
        estimate = scan.lines if spec.file_format in ("csv", "jsonl") else None
        parallel = _use_parallel(settings, spec.file_format, path, scan.lines, others.busy_cores)
        # With a reader child, a persons file's first load into a source is prepared there
        # down to the INSERT rows (this process, the writer, is the pipeline's bottleneck).
        prepare: Prepare | None = None
        if parallel and spec.persons is not None and writer.prepares_mentions():
            known = writer.known_ids(_PREPARED_MAX_KEYS)
            if known is not None:
                prepare = FreshMentionRows(source_id, import_id, known)
        if on_progress is not None:
            on_progress(Progress(spec.path, scan.size, 0, estimate))
        source = ChunkSource(chunks, transformer, parallel=parallel, prepare=prepare,
                             crash_point=crash_chunk)  # fmt: skip
        with source as chunk_iter:
            for n, (read, payload, chunk_notes) in enumerate(chunk_iter, start=1):
                with budget.chunk(spec.path, load.read + 1, load.read + read):
                    if prepare is None:
                        load.apply(read, payload, chunk_notes)
                    else:
                        load.apply_prepared(read, payload, chunk_notes)
                if on_progress is not None:
                    on_progress(Progress(spec.path, scan.size, load.read, estimate))
                if crash_chunk == f"chunk:{n}":
                    _crash_point(crash_chunk)
        budget.close()
        all_sources = conn.execute(select(sources.c.id).order_by(sources.c.id)).scalars().all()
        writer.resolve_links([int(s) for s in all_sources])
        withdrawal = withdraw_missing(writer, spec.role, load.seen_refs, load.seen_mentions,
                                      load.present, full=spec.export == "full")  # fmt: skip
        assert load.read == load.loaded + load.quarantine_total
        withdrawn = withdrawal.records if spec.records is not None else withdrawal.mentions
        persons_withdrawn = withdrawal.mentions if spec.records is not None else 0
        noted = by_note(load.notes)
        conn.execute(
            update(imports)
            .where(imports.c.id == import_id)
            .values(
                rows_read=load.read,
                rows_loaded=load.loaded,
                rows_quarantined=load.quarantine_total,
                rows_withdrawn=withdrawn,
                notes=dumps(noted),
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
                "sha256": scan.sha256,
                "mapping": mapping_name,
                "mapping_sha256": mapping_sha,
                "mapping_digest": file.digest,
                "change": change,
                "rows_read": load.read,
                "rows_loaded": load.loaded,
                "rows_quarantined": load.quarantine_total,
                "items_quarantined": load.items_total,
                "rows_withdrawn": withdrawn,
                "persons_withdrawn": persons_withdrawn,
                "reinstated": withdrawal.reinstated,
                "notes": noted,
                "records_written": writer.records_written,
                "mentions_written": writer.mentions_written,
            },
        )
        _crash_point("before_commit")
    _crash_point("after_commit")
    return ImportResult(
        mapping.source.name, spec.role, spec.path, scan.sha256, "imported", import_id,
        load.read, load.loaded, load.quarantine_total, writer.records_written,
        writer.mentions_written, time.monotonic() - started, change, load.items_total,
        withdrawn, persons_withdrawn, withdrawal.reinstated, noted,
    )  # fmt: skip


def ingest_mapping(
    engine: Engine,
    mapping_path: Path,
    data_dir: Path,
    actor: str,
    *,
    settings: IngestSettings | None = None,
    on_file: Callable[[ImportResult], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> list[ImportResult]:
    """Import every file of a mapping, in the order the mapping lists them (lookup files are
    read by the files that use them, not imported).

    Files already committed stay committed if a later file fails (each file is its own
    transaction); the failing file's error is raised.
    """
    mapping, mapping_sha = load_mapping(mapping_path)
    results = []
    for spec in mapping.files:
        if spec.lookup is not None:
            continue
        result = ingest_file(engine, mapping, mapping_path.name, mapping_sha, spec, data_dir,
                             actor, settings, on_progress=on_progress)  # fmt: skip
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
    on_progress: Callable[[Progress], None] | None = None,
) -> list[ImportResult]:
    """Import every `*.yaml` mapping of a folder (sorted by name) against one data folder."""
    results: list[ImportResult] = []
    for mapping_path in sorted(mappings_dir.glob("*.yaml")):
        results.extend(
            ingest_mapping(
                engine, mapping_path, data_dir, actor, settings=settings, on_file=on_file,
                on_progress=on_progress,
            )
        )
    return results
