"""A persons file's rows made ready to insert by the reader child of the two-core pipeline.

For the first mentions of a source on SQLite (the load's BEGIN IMMEDIATE holds the write
lock, so mention ids can be numbered ahead), the child does for each chunk what the writer
otherwise does: the repeated-key and orphan checks (against the source's record refs, read
before the fork: a persons file writes no records), the ids of mentions and of new places and
objects (numbered on from the store's, read before the fork with every place and object
key) and the INSERT parameter tuples. The writing process is left with executemany.

Rows, ids and quarantine entries come out the same, in the same order, as `load._FileLoad`
with `bulk.BulkWriter` make them from the items (tests/ingest/test_ingest_parallel.py
compares whole stores): problems in row order, each row checked for its record before its
key (an orphan never takes its key).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from casereview.ingest.pipeline import Item, Problem
from casereview.ingest.transform import MentionOut, RowProblem
from casereview.model.codes import QuarantineReason, QuarantineScope

__all__ = ["FreshMentionRows", "KnownIds", "PreparedMentions", "take_mention"]

ROW = QuarantineScope.ROW.value


def take_mention(m: MentionOut, record_ids: dict[str, int], seen: set[str]) -> int:
    """The id of the record a persons file's row belongs to, its mention key now taken
    (added to `seen`). RowProblem if the row is an orphan (checked first: an orphan never
    takes its key, so a later row with that key loads wherever chunks end) or repeats a key.
    The one rule of both writers (`load._FileLoad` and `FreshMentionRows`)."""
    rid = record_ids.get(m.record_ref or "")
    if rid is None:
        raise RowProblem(
            QuarantineReason.ORPHAN,
            "record_key",
            f"no record with source ref {m.record_ref!r} in source",
        )
    if m.key in seen:
        raise RowProblem(
            QuarantineReason.DUPLICATE_KEY,
            "key",
            f"mention key {m.key!r} appears twice in the file",
        )
    seen.add(m.key)
    return rid


class KnownIds(NamedTuple):
    """What the store holds when the file starts (the load's transaction holds the write
    lock, so it stays so): ids by key, and the first free id of each table."""

    records: dict[str, int]  # this source's records by source ref
    locations: dict[str, int]  # every place by location key
    objects: dict[tuple[str, str], int]  # every object by (kind, value)
    next_mention: int
    next_location: int
    next_object: int


class PreparedMentions(NamedTuple):
    """One chunk of a persons file, ready for `BulkWriter.insert_prepared`: every list holds
    INSERT parameter tuples, ids included."""

    loaded: int  # rows loaded (the others are in `quarantine`)
    mentions: list[tuple[Any, ...]]
    # New places: (id, key, type, address, postcode, borough None); objects: (id, kind, value)
    locations: list[tuple[int, str, str | None, str | None, str | None, None]]
    objects: list[tuple[int, str, str]]
    # (record id, place id, mention id, relation, raw value)
    location_links: list[tuple[int, int, int, str, str]]
    # (record id, object id, mention id, relation, raw value)
    object_links: list[tuple[int, int, int, str | None, str]]
    # row, field, reason, message, raw, scope
    quarantine: list[tuple[int, str | None, str, str, str, str]]


class FreshMentionRows:
    """Chunk items -> `PreparedMentions`, for a persons file into a source without mentions.

    New places and objects of a chunk are numbered in the order of their keys, as the writer's
    INSERT of them in that order numbers them.
    """

    def __init__(self, source_id: int, import_id: int, known: KnownIds) -> None:
        self.source_id, self.import_id = source_id, import_id
        self.records, self.locations, self.objects = known.records, known.locations, known.objects
        self.next_mention = known.next_mention
        self.next_location, self.next_object = known.next_location, known.next_object
        self.seen_keys: set[str] = set()

    def __call__(self, items: list[tuple[int, Item]]) -> PreparedMentions:
        seen = self.seen_keys
        record_ids, sid, mid = self.records, self.source_id, self.next_mention
        location_ids, object_ids = self.locations, self.objects
        quarantine: list[tuple[int, str | None, str, str, str, str]] = []
        iid = self.import_id
        mentions: list[tuple[Any, ...]] = []
        location_links: list[Any] = []
        object_links: list[Any] = []
        # Links to places and objects new in this chunk: (index in its list, key, row), the
        # row with the key where the id goes, until the ids are known.
        new_places: dict[str, tuple[str | None, str | None, str | None]] = {}
        place_links: list[tuple[int, str, tuple[int, str, int, str, str]]] = []
        new_objects: set[tuple[str, str]] = set()
        thing_links: list[tuple[int, tuple[str, str], tuple[int, str, int, str | None, str]]] = []
        for row_number, m in items:
            if not isinstance(m, MentionOut):
                if not isinstance(m, Problem):  # a persons file gives mentions and problems
                    raise TypeError(f"row {row_number}: {type(m).__name__} in a persons file")
                quarantine.append((row_number, m.field, m.reason, m.message, m.raw, ROW))
                continue
            try:
                rid = take_mention(m, record_ids, seen)
            except RowProblem as p:
                quarantine.append((row_number, p.field, p.reason.value, p.message, m.raw, ROW))
                continue
            key = m.key
            mentions.append((mid, rid, sid, key, *m.values, m.raw, m.content_hash, iid))
            for loc in m.locations:
                lid = location_ids.get(loc.key)
                if lid is None:
                    new_places[loc.key] = (loc.location_type, loc.address, loc.postcode)
                    link = (rid, loc.key, mid, loc.relation, loc.raw)
                    place_links.append((len(location_links), loc.key, link))
                    location_links.append(link)
                else:
                    location_links.append((rid, lid, mid, loc.relation, loc.raw))
            for o in m.objects:
                thing = (o.kind, o.value)
                oid = object_ids.get(thing)
                if oid is None:
                    new_objects.add(thing)
                    link_ = (rid, o.value, mid, o.relation, o.raw[:200])
                    thing_links.append((len(object_links), thing, link_))
                    object_links.append(link_)
                else:
                    object_links.append((rid, oid, mid, o.relation, o.raw[:200]))
            mid += 1
        self.next_mention = mid
        locations = []
        for key in sorted(new_places):
            location_ids[key] = self.next_location
            locations.append((self.next_location, key, *new_places[key], None))
            self.next_location += 1
        for i, key, (rid, _, lmid, relation, raw) in place_links:
            location_links[i] = (rid, location_ids[key], lmid, relation, raw)
        objects = []
        for thing in sorted(new_objects):
            object_ids[thing] = self.next_object
            objects.append((self.next_object, *thing))
            self.next_object += 1
        for i, thing, (rid, _, omid, role, raw) in thing_links:
            object_links[i] = (rid, object_ids[thing], omid, role, raw)
        return PreparedMentions(len(mentions), mentions, locations, objects, location_links,
                                object_links, quarantine)  # fmt: skip
