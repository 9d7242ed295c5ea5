"""The state of loading one file inside its transaction: the checks that depend on the rows
before (repeated keys, orphans), what the export holds (for withdrawals), the notes, the
quarantine and the writes; and the time budget of each chunk's writes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from casereview.ingest.bulk import BulkWriter
from casereview.ingest.mapping import FileSpec
from casereview.ingest.pipeline import ChunkTimeout, Item, Problem
from casereview.ingest.prepared import PreparedMentions, take_mention
from casereview.ingest.transform import MentionOut, RecordOut, RowProblem
from casereview.ingest.withdraw import Presence
from casereview.model.codes import QuarantineReason, QuarantineScope

__all__ = ["FileLoad", "WriteBudget"]

ROW, ITEM = QuarantineScope.ROW.value, QuarantineScope.ITEM.value


class FileLoad:
    """The state of loading one file inside its transaction: duplicate keys and orphans
    (which depend on the rows before), what the export holds (for withdrawals), the notes,
    and the writes, from the transformer's items."""

    def __init__(self, spec: FileSpec, writer: BulkWriter) -> None:
        self.spec, self.writer = spec, writer
        self.repeated_rows = spec.records is not None and spec.records.repeated_rows
        self.seen_refs: set[str] = set()
        self.seen_mentions: set[str] = set()
        self.present = Presence()
        self.read = self.loaded = 0
        self.quarantined: list[tuple[int, str | None, str, str, str, str]] = []
        self.quarantine_total = self.items_total = 0
        self.notes: Counter[tuple[str, str]] = Counter()

    def _quarantine(self, row_number: int, field: str | None, reason: str, message: str,
                    raw: str, scope: str = ROW) -> None:  # fmt: skip
        self.quarantined.append((row_number, field, reason, message, raw, scope))

    def _record(self, out: RecordOut, row_number: int, records: list[RecordOut],
                persons: list[tuple[int, MentionOut]]) -> None:  # fmt: skip
        repeated = out.ref in self.seen_refs
        if repeated and not self.repeated_rows:
            raise RowProblem(
                QuarantineReason.DUPLICATE_KEY,
                "key",
                f"source ref {out.ref!r} appears twice in the file",
            )
        here: set[str] = set()
        taken = self.seen_mentions
        for m in out.persons:  # a person of the row itself repeating a key: the row's problem
            if m.item is None and (m.key in taken or m.key in here):
                raise RowProblem(
                    QuarantineReason.DUPLICATE_KEY,
                    "persons.key",
                    f"mention key {m.key!r} appears twice in the file",
                )
            here.add(m.key)
        here.clear()
        kept = []
        for m in out.persons:  # a person of a list in the row: only that item's problem
            if m.item is not None and (m.key in taken or m.key in here):
                self._quarantine(row_number, f"{m.item}.key", QuarantineReason.DUPLICATE_KEY.value,
                                 f"mention key {m.key!r} appears twice in the file (item of "
                                 f"record {out.ref}; the record and its other persons loaded)",
                                 m.raw, ITEM)  # fmt: skip
                self.items_total += 1
                continue
            here.add(m.key)
            kept.append(m)
        out.persons = kept
        taken.update(here)
        for held in out.held:
            self._quarantine(row_number, held.field, held.reason, held.message, held.raw, ITEM)
            self.items_total += 1
            if held.key is not None:
                self.present.keys.add(held.key)
        if repeated:
            # A further row of a record already read: it only adds its persons.
            persons.extend((row_number, m) for m in out.persons)
            self.loaded += 0 if out.persons else 1
        else:
            self.seen_refs.add(out.ref)
            records.append(out)

    def _problem(self, row_number: int, problem: Problem) -> None:
        self._quarantine(row_number, problem.field, problem.reason, problem.message, problem.raw)
        if problem.key is not None:
            (self.present.refs if self.spec.records is not None else self.present.keys).add(
                problem.key
            )

    def apply(
        self, read: int, items: list[tuple[int, Item]], notes: Counter[tuple[str, str]]
    ) -> None:
        """Check one chunk's items for orphans and repeated keys (`take_mention`), then
        write them (and quarantine)."""
        self.read += read
        self.notes.update(notes)
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
                    self._problem(row_number, item)
            except RowProblem as problem:
                # The row as the transformer kept it (canonical JSON of the source row).
                self._quarantine(row_number, problem.field, problem.reason.value, problem.message,
                                 item.raw)  # fmt: skip
                if isinstance(item, MentionOut):
                    self.present.keys.add(item.key)
                elif isinstance(item, RecordOut):
                    self.present.refs.add(item.ref)
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

    def apply_prepared(self, read: int, chunk: PreparedMentions,
                       notes: Counter[tuple[str, str]]) -> None:  # fmt: skip
        """Write one chunk that the reader child prepared (`FreshMentionRows`)."""
        self.read += read
        self.notes.update(notes)
        self.writer.insert_prepared(chunk)
        self.loaded += chunk.loaded
        self.quarantined.extend(chunk.quarantine)
        self.flush_quarantine()

    def flush_quarantine(self) -> None:
        if self.quarantined:
            self.writer.quarantine(self.spec.path, self.quarantined)
            self.quarantine_total += sum(1 for q in self.quarantined if q[5] == ROW)
            self.quarantined = []


class WriteBudget:
    """The time budget of each chunk's writes (`ingest.chunk_seconds`): on SQLite a progress
    handler interrupts a statement that runs past it; on PostgreSQL a statement timeout
    does; a chunk whose writes took longer stops the file (ChunkTimeout)."""

    def __init__(self, conn: Connection, seconds: float) -> None:
        self.seconds, self.deadline = seconds, 0.0
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        self.dbapi: Any = dbapi
        self.sqlite = conn.dialect.name == "sqlite"
        if not seconds:
            return
        if self.sqlite:
            self.dbapi.set_progress_handler(self._over, 100_000)
        else:
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")

    def _over(self) -> int:
        return 1 if self.deadline and time.monotonic() > self.deadline else 0

    @contextmanager
    def chunk(self, path: str, first: int, last: int) -> Iterator[None]:
        if not self.seconds:
            yield
            return
        started = time.monotonic()
        self.deadline = started + self.seconds
        try:
            yield
        finally:
            self.deadline = 0.0
        took = time.monotonic() - started
        if took > self.seconds:
            raise ChunkTimeout(
                f"{path}: writing rows {first}-{last} took {took:.0f} s, over the time budget "
                f"of a chunk ({self.seconds:g} s, ingest.chunk_seconds): stopped, nothing from "
                "this file was stored"
            )

    def close(self) -> None:
        if self.seconds and self.sqlite:
            self.dbapi.set_progress_handler(None, 0)
