"""Bulk writes of one file's canonical rows, through the DB-API cursor of the open transaction.

SQLAlchemy Core per row is too slow for millions of mentions, so rows go through
`executemany` in chunks. Records upsert by (source, source ref) and mentions by
(source, mention key) with INSERT ... ON CONFLICT DO UPDATE, which keeps their ids: human
work in later stages refers to them. Rows whose content hash is unchanged are skipped.
Attachments (objects, locations, links) of a changed row are replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from casereview.ingest.prepared import KnownIds, PreparedMentions
from casereview.ingest.transform import (
    BOROUGH,
    MENTION_COLUMNS,
    RECORD_COLUMNS,
    LocationOut,
    MentionOut,
    ObjectOut,
    RecordOut,
)

__all__ = ["BulkWriter"]

_RECORD_COLUMNS = RECORD_COLUMNS
_MENTION_COLUMNS = MENTION_COLUMNS
_IN_BATCH = 2000
_RECORD_OBJECTS_SQL = (
    "INSERT INTO record_objects (record_id, object_id, mention_id, relation, raw_value) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_RECORD_LOCATIONS_SQL = (
    "INSERT INTO record_locations (record_id, location_id, mention_id, relation, raw_value) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


class BulkWriter:
    """Writes records, mentions and their attachments for one import, in its transaction."""

    def __init__(self, conn: Connection, *, source_id: int, import_id: int) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.cursor = conn.connection.cursor()
        self.source_id, self.import_id = source_id, import_id
        # While a source has no records (mentions) yet, every one this import writes is new:
        # the existence look-ups before each upsert are skipped. Within one file a repeated
        # key is quarantined before it gets here, so "new" stays true for the whole file.
        self.records_fresh = not self._any("records")
        self.mentions_fresh = not self._any("mentions")
        self.now: Any = dt.datetime.now(dt.UTC)
        if self.sqlite:
            self.now = self.now.strftime("%Y-%m-%d %H:%M:%S.%f")
        self._object_ids: dict[tuple[str, str], int] = {}
        self._location_ids: dict[str, int] = {}
        self.records_written = 0
        self.mentions_written = 0
        self._record_sql = self._upsert_sql(
            "records",
            (
                "source_id",
                "source_ref",
                *_RECORD_COLUMNS,
                "raw",
                "content_hash",
                "import_id",
                "updated_at",
            ),
            ("source_id", "source_ref"),
        )
        self._mention_sql = self._upsert_sql(
            "mentions",
            ("record_id", "source_id", "mention_key", *_MENTION_COLUMNS, "raw", "content_hash",
             "import_id"),
            ("source_id", "mention_key"),
        )  # fmt: skip
        self._record_insert_sql = self._insert_sql(
            "records",
            ("id", "source_id", "source_ref", *_RECORD_COLUMNS, "raw", "content_hash",
             "import_id", "updated_at"),
        )  # fmt: skip
        self._mention_insert_sql = self._insert_sql(
            "mentions",
            ("id", "record_id", "source_id", "mention_key", *_MENTION_COLUMNS, "raw",
             "content_hash", "import_id"),
        )  # fmt: skip

    # ----------------------------------------------------------------- SQL helpers

    def _next_id(self, table: str) -> int:
        self.cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608 - fixed  # nosec B608
        row = self.cursor.fetchone()
        assert row is not None
        return int(row[0])

    def sql(self, text: str) -> str:
        return text if self.sqlite else text.replace("?", "%s")

    def _insert_sql(self, table: str, columns: Sequence[str]) -> str:
        marks = ", ".join("?" for _ in columns)
        return self.sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})")  # noqa: S608  # nosec B608

    def _upsert_sql(self, table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
        marks = ", ".join("?" for _ in columns)
        return self.sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608 - fixed names  # nosec B608
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self.sql(sql), rows)

    def select_in(self, sql_head: str, fixed: Sequence[Any], values: Sequence[Any]) -> list[tuple]:
        """Run `sql_head` + an IN list over `values` in batches; rows of every batch."""
        out: list[tuple] = []
        values = list(values)
        for start in range(0, len(values), _IN_BATCH):
            batch = values[start : start + _IN_BATCH]
            if self.sqlite:
                sql = f"{sql_head} IN ({', '.join('?' for _ in batch)})"
                self.cursor.execute(sql, (*fixed, *batch))
            else:
                sql = self.sql(f"{sql_head} = ANY(?)")
                self.cursor.execute(sql, (*fixed, batch))
            out.extend(self.cursor.fetchall())
        return out

    def _any(self, table: str) -> bool:
        self.cursor.execute(
            self.sql(f"SELECT 1 FROM {table} WHERE source_id = ? LIMIT 1"),  # noqa: S608 - fixed  # nosec B608
            (self.source_id,),
        )
        return self.cursor.fetchone() is not None

    # ----------------------------------------------------------------- look-ups

    def record_ids(self, refs: Iterable[str]) -> dict[str, int]:
        """ids of this source's records with the given source refs."""
        rows = self.select_in(
            "SELECT source_ref, id FROM records WHERE source_id = ? AND source_ref",
            (self.source_id,),
            sorted(set(refs)),
        )
        return {ref: rid for ref, rid in rows}

    # ----------------------------------------------------------------- records

    def write_records(self, outs: list[RecordOut]) -> None:
        """Upsert records (and their nested persons) whose content changed."""
        if not outs:
            return
        existing: dict[str, tuple[int, str]] = {}
        if not self.records_fresh:
            existing = {
                ref: (rid, h)
                for ref, rid, h in self.select_in(
                    "SELECT source_ref, id, content_hash FROM records WHERE source_id = ? "
                    "AND source_ref",
                    (self.source_id,),
                    [o.ref for o in outs],
                )
            }
        changed = [o for o in outs if existing.get(o.ref, (None, None))[1] != o.content_hash]
        if not changed:
            return
        rows = [
            [
                self.source_id,
                o.ref,
                *o.values,
                o.raw,
                o.content_hash,
                self.import_id,
                self.now,
            ]
            for o in changed
        ]
        ids = {ref: rid for ref, (rid, _) in existing.items()}
        if self.records_fresh and self.sqlite:
            # All new: number them here (BEGIN IMMEDIATE holds the write lock) instead of
            # reading the ids back.
            first = self._next_id("records")
            for n, (o, row) in enumerate(zip(changed, rows, strict=True)):
                row.insert(0, first + n)
                ids[o.ref] = first + n
            self.many(self._record_insert_sql, rows)
        else:
            self.many(self._record_sql, rows)
            new_refs = [o.ref for o in changed if o.ref not in ids]
            if new_refs:
                ids.update(self.record_ids(new_refs))
        self.records_written += len(changed)
        replaced = [(ids[o.ref],) for o in changed if o.ref in existing]
        self.many("DELETE FROM record_objects WHERE record_id = ? AND mention_id IS NULL", replaced)
        self.many(
            "DELETE FROM record_locations WHERE record_id = ? AND mention_id IS NULL", replaced
        )
        self.many("DELETE FROM record_links WHERE record_id = ?", replaced)
        self.many(
            "INSERT INTO record_links (record_id, to_source_ref, link_type) VALUES (?, ?, ?) "
            "ON CONFLICT (record_id, to_source_ref) DO NOTHING",
            [(ids[o.ref], to, kind) for o in changed for to, kind in o.links if to != o.ref],
        )
        self._attach(
            [(ids[o.ref], None, o.objects, o.locations, o.values[BOROUGH]) for o in changed],
            record_owned=True,
        )
        persons = [(ids[o.ref], m) for o in changed for m in o.persons]
        self.write_mentions(persons)

    # ----------------------------------------------------------------- mentions

    def write_mentions(self, items: list[tuple[int, MentionOut]]) -> None:
        """Upsert mentions (record id, mention) whose content changed."""
        if not items:
            return
        existing: dict[str, tuple[int, int, str]] = {}
        if not self.mentions_fresh:
            existing = {
                key: (mid, rid, h)
                for key, mid, rid, h in self.select_in(
                    "SELECT mention_key, id, record_id, content_hash FROM mentions "
                    "WHERE source_id = ? AND mention_key",
                    (self.source_id,),
                    [m.key for _, m in items],
                )
            }
        changed = (
            items
            if self.mentions_fresh
            else [
                (rid, m) for rid, m in items if existing.get(m.key, (0, 0, ""))[2] != m.content_hash
            ]
        )
        if not changed:
            return
        sid = self.source_id
        if self.mentions_fresh and self.sqlite:
            # All new: numbered here (BEGIN IMMEDIATE holds the write lock), rows built once.
            first = self._next_id("mentions")
            iid = self.import_id
            self.many(
                self._mention_insert_sql,
                [
                    (first + n, rid, sid, m.key, *m.values, m.raw, m.content_hash, iid)
                    for n, (rid, m) in enumerate(changed)
                ],
            )
            self.mentions_written += len(changed)
            self._attach(
                [
                    (rid, first + n, m.objects, m.locations, None)
                    for n, (rid, m) in enumerate(changed)
                ],
                record_owned=False,
            )
            return
        iid = self.import_id
        rows = [[rid, sid, m.key, *m.values, m.raw, m.content_hash, iid] for rid, m in changed]
        ids = {key: mid for key, (mid, _, _) in existing.items()}
        self.many(self._mention_sql, rows)
        new_keys = [m.key for _, m in changed if m.key not in ids]
        if new_keys:
            rows_ = self.select_in(
                "SELECT mention_key, id FROM mentions WHERE source_id = ? AND mention_key",
                (self.source_id,),
                new_keys,
            )
            ids.update({k: i for k, i in rows_})
        self.mentions_written += len(changed)
        replaced = [(existing[m.key][1], ids[m.key]) for _, m in changed if m.key in existing]
        self.many("DELETE FROM record_objects WHERE record_id = ? AND mention_id = ?", replaced)
        self.many("DELETE FROM record_locations WHERE record_id = ? AND mention_id = ?", replaced)
        self._attach(
            [(rid, ids[m.key], m.objects, m.locations, None) for rid, m in changed],
            record_owned=False,
        )

    # ----------------------------------------------------------------- prepared mentions

    def prepares_mentions(self) -> bool:
        """Whether a persons file's mention rows may be prepared ahead (`FreshMentionRows`):
        on SQLite (BEGIN IMMEDIATE holds the write lock, ids can be numbered ahead) while
        the source has no mentions (no existence look-ups or upserts needed)."""
        return self.sqlite and self.mentions_fresh

    def _rows_up_to(self, sql: str, params: tuple[Any, ...], limit: int) -> list[Any] | None:
        """The query's rows, or None when there are more than `limit` (memory)."""
        self.cursor.execute(self.sql(f"{sql} LIMIT ?"), (*params, limit + 1))
        rows = list(self.cursor.fetchall())
        return rows if len(rows) <= limit else None

    def known_ids(self, limit: int) -> KnownIds | None:
        """What `FreshMentionRows` numbers from: this source's records by source ref, every
        place and object by key, the first free ids; None when a table has more than `limit`
        of these rows."""
        records = self._rows_up_to(
            "SELECT source_ref, id FROM records WHERE source_id = ?", (self.source_id,), limit
        )
        places = self._rows_up_to("SELECT location_key, id FROM locations", (), limit)
        things = self._rows_up_to("SELECT kind, value, id FROM objects", (), limit)
        if records is None or places is None or things is None:
            return None
        return KnownIds(
            dict(records),
            dict(places),
            {(kind, value): oid for kind, value, oid in things},
            self._next_id("mentions"),
            self._next_id("locations"),
            self._next_id("objects"),
        )

    def insert_prepared(self, chunk: PreparedMentions) -> None:
        """Insert one chunk of `FreshMentionRows` output as it is."""
        self.many(self._mention_insert_sql, chunk.mentions)
        self.mentions_written += len(chunk.mentions)
        # Plain INSERTs: a key stored already would be an error (the ids were known).
        self.many(
            "INSERT INTO objects (id, kind, value) VALUES (?, ?, ?)",
            chunk.objects,
        )
        self.many(
            "INSERT INTO locations (id, location_key, location_type, address, postcode, "
            "borough) VALUES (?, ?, ?, ?, ?, ?)",
            chunk.locations,
        )
        self.many(_RECORD_OBJECTS_SQL, chunk.object_links)
        self.many(_RECORD_LOCATIONS_SQL, chunk.location_links)

    # ----------------------------------------------------------------- attachments

    def _attach(
        self,
        owners: list[tuple[int, int | None, list[ObjectOut], list[LocationOut], str | None]],
        *,
        record_owned: bool,
    ) -> None:
        """Objects and places of records (`record_owned`: mention id None) or of mentions."""
        objects = {(o.kind, o.value) for _, _, objs, _, _ in owners for o in objs}
        self._ensure_objects(objects - self._object_ids.keys())
        locations = {
            loc.key: (loc.location_type, loc.address, loc.postcode, b)
            for _, _, _, locs, b in owners
            for loc in locs
        }
        self._ensure_locations({k: v for k, v in locations.items() if k not in self._location_ids})
        object_ids, location_ids = self._object_ids, self._location_ids
        object_rows = [
            (rid, object_ids[(o.kind, o.value)], mid, o.relation, o.raw[:200])
            for rid, mid, objs, _, _ in owners
            for o in objs
        ]
        location_rows = [
            (rid, location_ids[loc.key], mid, loc.relation, loc.raw)
            for rid, mid, _, locs, _ in owners
            for loc in locs
        ]
        if record_owned:
            # ON CONFLICT does not see duplicates whose mention_id is NULL (NULLs are
            # distinct in a unique constraint): drop repeats of a record's own attachments.
            object_rows = list({r[:3]: r for r in object_rows}.values())
            location_rows = list({r[:4]: r for r in location_rows}.values())
        self.many(_RECORD_OBJECTS_SQL, object_rows)
        self.many(_RECORD_LOCATIONS_SQL, location_rows)

    def _ensure_objects(self, wanted: set[tuple[str, str]]) -> None:
        if not wanted:
            return
        self.many(
            "INSERT INTO objects (kind, value) VALUES (?, ?) ON CONFLICT (kind, value) DO NOTHING",
            sorted(wanted),
        )
        rows = self.select_in(
            "SELECT kind, value, id FROM objects WHERE value", (), sorted({v for _, v in wanted})
        )
        for kind, value, oid in rows:
            self._object_ids[(kind, value)] = oid

    def _ensure_locations(
        self, wanted: dict[str, tuple[str | None, str | None, str | None, str | None]]
    ) -> None:
        """Places by key -> (type, address, postcode, borough), inserted unless stored."""
        if not wanted:
            return
        self.many(
            "INSERT INTO locations (location_key, location_type, address, postcode, borough) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (location_key) DO NOTHING",
            [(key, *place) for key, place in sorted(wanted.items())],
        )
        rows = self.select_in(
            "SELECT location_key, id FROM locations WHERE location_key", (), sorted(wanted)
        )
        self._location_ids.update({k: i for k, i in rows})

    # ----------------------------------------------------------------- quarantine, links

    def quarantine(
        self, file_name: str, entries: list[tuple[int, str | None, str, str, str, str]]
    ) -> None:
        """Store (row number, field, reason, message, raw, scope) entries of this file."""
        self.many(
            "INSERT INTO quarantine (import_id, source_id, file_name, row_number, field, reason, "
            "message, raw, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(self.import_id, self.source_id, file_name, *e) for e in entries],
        )

    def resolve_links(self, source_ids: Sequence[int]) -> None:
        """Fill `record_links.to_record_id` for links whose target is now loaded."""
        for sid in source_ids:
            self.cursor.execute(
                self.sql(
                    "UPDATE record_links SET to_record_id = (SELECT r.id FROM records r "
                    "WHERE r.source_id = ? AND r.source_ref = record_links.to_source_ref) "
                    "WHERE to_record_id IS NULL AND EXISTS (SELECT 1 FROM records r "
                    "WHERE r.source_id = ? AND r.source_ref = record_links.to_source_ref)"
                ),
                (sid, sid),
            )
