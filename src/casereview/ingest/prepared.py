"""A persons file's rows made ready to insert by the reader child of the two-core pipeline.

For the first mentions of a source on SQLite (the load's BEGIN IMMEDIATE holds the write
lock, so mention ids can be numbered ahead), the child does for each chunk what the writer
otherwise does: the repeated-key and orphan checks (against the source's record refs, read
before the fork: a persons file writes no records), the mention ids and the INSERT parameter
tuples. The writing process is left with resolving object and location ids (global tables)
and executemany: it is the pipeline's bottleneck, the child has time to spare.

Rows, ids and quarantine entries come out the same, in the same order, as `load._FileLoad`
with `bulk.BulkWriter` make them from the items (tests/ingest/test_ingest_parallel.py
compares whole stores): the same per-chunk order (repeated keys and problems in row order,
then orphans), a key freed again when its row was an orphan.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from casereview.ingest.pipeline import Item, Problem
from casereview.ingest.transform import MentionOut
from casereview.model.codes import QuarantineReason

__all__ = ["FreshMentionRows", "PreparedMentions"]

_DUPLICATE = QuarantineReason.DUPLICATE_KEY.value
_ORPHAN = QuarantineReason.ORPHAN.value


class PreparedMentions(NamedTuple):
    """One chunk of a persons file, ready for `BulkWriter.insert_prepared`."""

    loaded: int  # rows loaded (the others are in `quarantine`)
    mentions: list[tuple[Any, ...]]  # INSERT parameters of `mentions`, ids included
    # Places and objects first met in this chunk: key -> (type, address, postcode).
    locations: dict[str, tuple[str | None, str | None, str | None]]
    objects: set[tuple[str, str]]  # (kind, value)
    # (record id, place key, mention id, relation, raw value)
    location_links: list[tuple[int, str, int, str, str]]
    # (record id, kind, value, mention id, relation, raw value)
    object_links: list[tuple[int, str, str, int, str | None, str]]
    quarantine: list[tuple[int, str | None, str, str, str]]  # row, field, reason, message, raw


class FreshMentionRows:
    """Chunk items -> `PreparedMentions`, for a persons file into a source without mentions.

    Args:
        source_id: the source's id.
        record_ids: the source's record ids by source ref (all of them: a ref not there is
            an orphan).
        first_id: the first free mention id.
    """

    def __init__(self, source_id: int, record_ids: dict[str, int], first_id: int) -> None:
        self.source_id, self.record_ids, self.next_id = source_id, record_ids, first_id
        self.seen_keys: set[str] = set()
        self.seen_locations: set[str] = set()
        self.seen_objects: set[tuple[str, str]] = set()

    def __call__(self, items: list[tuple[int, Item]]) -> PreparedMentions:
        seen, add_key = self.seen_keys, self.seen_keys.add
        quarantine: list[tuple[int, str | None, str, str, str]] = []
        persons: list[tuple[int, MentionOut]] = []
        for row_number, item in items:
            if isinstance(item, MentionOut):
                key = item.key
                if key in seen:
                    message = f"mention key {key!r} appears twice in the file"
                    quarantine.append((row_number, "key", _DUPLICATE, message, item.raw))
                    continue
                add_key(key)
                persons.append((row_number, item))
            elif isinstance(item, Problem):
                quarantine.append((row_number, *item))
            else:  # a persons file yields mentions and problems only
                raise TypeError(f"row {row_number}: {type(item).__name__} in a persons file")
        record_ids, sid, mid = self.record_ids, self.source_id, self.next_id
        known_locations, known_objects = self.seen_locations, self.seen_objects
        mentions: list[tuple[Any, ...]] = []
        locations: dict[str, tuple[str | None, str | None, str | None]] = {}
        objects: set[tuple[str, str]] = set()
        location_links: list[tuple[int, str, int, str, str]] = []
        object_links: list[tuple[int, str, str, int, str | None, str]] = []
        for row_number, m in persons:
            rid = record_ids.get(m.record_ref or "")
            if rid is None:
                seen.discard(m.key)
                message = f"no record with source ref {m.record_ref!r} in source"
                quarantine.append((row_number, "record_key", _ORPHAN, message, m.raw))
                continue
            mentions.append((mid, rid, sid, m.key, *m.values, m.raw, m.content_hash))
            for loc in m.locations:
                if loc.key not in known_locations:
                    locations[loc.key] = (loc.location_type, loc.address, loc.postcode)
                location_links.append((rid, loc.key, mid, loc.relation, loc.raw))
            for o in m.objects:
                objects.add((o.kind, o.value))
                object_links.append((rid, o.kind, o.value, mid, o.relation, o.raw[:200]))
            mid += 1
        self.next_id = mid
        objects -= known_objects
        known_locations.update(locations)
        known_objects.update(objects)
        return PreparedMentions(len(mentions), mentions, locations, objects, location_links,
                                object_links, quarantine)  # fmt: skip
