"""Objects and places: resolution by normalised value, and where each one appears.

Phones, vehicles and online identifiers are resolved by their normalised value: ingest
already keeps one `objects` row per (kind, value), so an object *is* its resolved entity.
Locations are resolved into places: two locations are one place when their normalised
postcodes are equal and their normalised addresses agree (equal, or the same house number
with most words shared), or, without postcodes, when their normalised addresses are equal.
Each location's `place_id` is the smallest location id of its place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Connection, Engine, select

from casereview.link.forked import Forked
from casereview.model.tables import (
    locations,
    mentions,
    objects,
    record_locations,
    record_objects,
    sources,
)
from casereview.store.db import reading
from casereview.values.address import normalise_address
from casereview.values.postcode import normalise_postcode

__all__ = [
    "Appearance",
    "PlacesAhead",
    "object_appearances",
    "place_appearances",
    "resolve_places",
]


def _tokens(address: str | None) -> set[str]:
    return set(address.split()) if address else set()


def _number(address: str | None) -> str | None:
    for word in (address or "").split():
        if word[:1].isdigit():
            return word
    return None


def _same_place(a: str | None, b: str | None) -> bool:
    """Two normalised addresses at one postcode: equal, or same number and most words."""
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    if _number(a) != _number(b):
        return False
    ta, tb = _tokens(a), _tokens(b)
    return len(ta & tb) / max(1, len(ta | tb)) >= 0.6


class _Location(NamedTuple):
    id: int
    postcode: str | None
    address: str | None
    place_id: int | None


def _read_locations(conn: Connection) -> list[_Location]:
    """Every location (id, postcode, address, place_id) in id order."""
    query = select(
        locations.c.id, locations.c.postcode, locations.c.address, locations.c.place_id
    ).order_by(locations.c.id)
    # Plain tuples through the DB-API cursor: a row object per location cost more than the
    # resolution itself at a million mentions.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        return [_Location(*row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _resolved_from(rows: list[_Location]) -> list[tuple[int, str | None, str | None]]:
    """What a resolution is worked out from: each location's id, postcode and address (not
    the place it had)."""
    return [(r.id, r.postcode, r.address) for r in rows]


class PlacesAhead:
    """The places of the store's locations worked out ahead, in a forked child (`Forked`: the
    second core) while the link stage builds its frame and scores, from the locations read
    with the mentions. `resolve_places` uses them only when the locations it reads in the
    stage's transaction are the same ones (ids, postcodes, addresses); else it works them
    out again from what it read. `close` ends the child if they were never asked for."""

    def __init__(self, conn: Connection) -> None:
        rows = _read_locations(conn)
        self.read = _resolved_from(rows)
        self.later: Forked[list[int]] = Forked(lambda: _place_ids(rows))

    def places_for(self, rows: list[_Location]) -> list[int] | None:
        """The places worked out ahead when `rows` are the locations they were worked out
        from, else None."""
        if _resolved_from(rows) != self.read:
            self.close()
            return None
        return self.later.result()

    def close(self) -> None:
        self.later.close()


def resolve_places(conn: Connection, ahead: PlacesAhead | None = None) -> dict[str, int]:
    """Set `locations.place_id` for every location; returns counts for the run. The places
    `ahead` are used when they were worked out from the same locations (`PlacesAhead`)."""
    rows = _read_locations(conn)
    place_of = ahead.places_for(rows) if ahead is not None else None
    if place_of is None:
        place_of = _place_ids(rows)
    # Only the locations whose place changed are written (on a re-run, none of them).
    changes = [(place, r.id) for r, place in zip(rows, place_of, strict=True) if r.place_id != place]
    if changes:
        # Through the DB-API cursor of the open transaction, as tuples: SQLAlchemy Core
        # builds a parameter dict per row, which at a million mentions cost more than the
        # UPDATE itself.
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        table, place, key = locations.name, locations.c.place_id.name, locations.c.id.name
        sql = f"UPDATE {table} SET {place} = {mark} WHERE {key} = {mark}"  # noqa: S608  # nosec B608 - names from the table
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(sql, changes)
        finally:
            cursor.close()
    return {"locations": len(rows), "places": len(set(place_of))}


def _place_ids(rows: list[_Location]) -> list[int]:
    """The place of each of `rows` (the smallest location id of its place; see the module
    docstring). Locations with the same normalised postcode and address are one place
    whatever else holds, so each distinct (postcode, address) is one group, each distinct
    written postcode and address is normalised once, and addresses are compared pairwise
    only between the groups of one postcode (a care home's postcode: hundreds of locations,
    a handful of addresses). The places are the connected groups, as when every two
    locations of a postcode were compared."""
    postcode_of: dict[str | None, str | None] = {}
    address_of: dict[str | None, str | None] = {}
    group_at: dict[tuple[str | None, str | None], int] = {}
    group_of = []  # per row, its group
    lowest: list[int] = []  # per group, its smallest location id
    for r in rows:
        if r.postcode in postcode_of:
            postcode = postcode_of[r.postcode]
        else:
            postcode = postcode_of[r.postcode] = normalise_postcode(r.postcode)
        if r.address in address_of:
            address = address_of[r.address]
        else:
            address = address_of[r.address] = normalise_address(r.address)
        # Without a postcode, locations are one place only when their addresses are equal;
        # with neither, a location is a place of its own.
        key: tuple[str | None, str | None] | None = (
            (postcode, address) if postcode or address else None
        )
        group = group_at.get(key) if key is not None else None
        if group is None:
            group = len(lowest)
            lowest.append(r.id)
            if key is not None:
                group_at[key] = group
        elif r.id < lowest[group]:
            lowest[group] = r.id
        group_of.append(group)
    parent = list(range(len(lowest)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_postcode: defaultdict[str, list[tuple[int, str | None]]] = defaultdict(list)
    for (postcode, address), group in group_at.items():
        if postcode:
            by_postcode[postcode].append((group, address))
    for members in by_postcode.values():
        for i, (group_a, addr_a) in enumerate(members):
            for group_b, addr_b in members[i + 1 :]:
                if _same_place(addr_a, addr_b):
                    ra, rb = find(group_a), find(group_b)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
    # Each connected set of groups: the smallest location id of any of them.
    place = list(lowest)
    for group in range(len(lowest)):
        root = find(group)
        if lowest[group] < place[root]:
            place[root] = lowest[group]
    return [place[find(group)] for group in group_of]


@dataclass(frozen=True)
class Appearance:
    """One appearance of an object or place: in a record, possibly tied to a mention."""

    record_id: int
    mention_id: int | None
    mention_key: str | None
    source: str | None
    relation: str | None
    raw_value: str | None


def object_appearances(engine: Engine, object_id: int) -> list[Appearance]:
    """Every record and mention a phone, vehicle or online identifier appears in."""
    query = (
        select(
            record_objects.c.record_id,
            record_objects.c.mention_id,
            mentions.c.mention_key,
            sources.c.name,
            record_objects.c.relation,
            record_objects.c.raw_value,
        )
        .select_from(
            record_objects.join(objects, objects.c.id == record_objects.c.object_id)
            .outerjoin(mentions, mentions.c.id == record_objects.c.mention_id)
            .outerjoin(sources, sources.c.id == mentions.c.source_id)
        )
        .where(record_objects.c.object_id == object_id)
        .order_by(record_objects.c.record_id, record_objects.c.mention_id)
    )
    with reading(engine) as conn:
        return [Appearance(*row) for row in conn.execute(query).all()]


def place_appearances(engine: Engine, place_id: int) -> list[Appearance]:
    """Every record and mention any location of a place appears in."""
    query = (
        select(
            record_locations.c.record_id,
            record_locations.c.mention_id,
            mentions.c.mention_key,
            sources.c.name,
            record_locations.c.relation,
            record_locations.c.raw_value,
        )
        .select_from(
            record_locations.join(locations, locations.c.id == record_locations.c.location_id)
            .outerjoin(mentions, mentions.c.id == record_locations.c.mention_id)
            .outerjoin(sources, sources.c.id == mentions.c.source_id)
        )
        .where(locations.c.place_id == place_id)
        .order_by(record_locations.c.record_id, record_locations.c.mention_id)
    )
    with reading(engine) as conn:
        return [Appearance(*row) for row in conn.execute(query).all()]
