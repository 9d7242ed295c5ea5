"""The read side of the canonical store: a record as an actor may see it, and the quarantine.

`record_view` checks access through `store.access` and returns the source fields, the
narrative, the persons mentioned (with the age at the event: as recorded, else computed from
the date of birth), the objects and the places of one record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from casereview.errors import NotFound
from casereview.model.serial import from_json
from casereview.model.tables import (
    imports,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    quarantine,
    record_locations,
    record_objects,
    records,
    sources,
)
from casereview.store.access import Actor, check_record, visible_records
from casereview.values.dates import whole_years

__all__ = [
    "MentionView",
    "ObjectView",
    "PlaceView",
    "RecordRef",
    "RecordView",
    "age_at",
    "event_age",
    "mention_name",
    "quarantine_entry",
    "quarantine_rows",
    "record_refs",
    "record_view",
]


def age_at(dob: dt.date | None, when: dt.date | None) -> int | None:
    """Whole years between a date of birth and an event (None when either is unknown, or
    when the event is dated before the birth)."""
    if dob is not None and when is not None and when < dob:
        return None
    return whole_years(dob, when)


def event_age(written: int | None, dob: dt.date | None, when: dt.date | None) -> int | None:
    """A mention's age at its event: as the source wrote it, else from its date of birth."""
    return written if written is not None else age_at(dob, when)


def mention_name(raw: str | None, forenames: str | None, surname: str | None) -> str | None:
    """A mention's name as recorded, else its parts joined."""
    return raw or " ".join(p for p in (forenames, surname) if p) or None


@dataclass(frozen=True)
class MentionView:
    mention_id: int
    role: str
    name: str | None
    dob: dt.date | None
    age_at_event: int | None
    sex: str | None
    relationship: str | None
    person_id: int | None
    person_name: str | None
    match_probability: float | None


@dataclass(frozen=True)
class ObjectView:
    kind: str
    value: str
    relation: str | None


@dataclass(frozen=True)
class PlaceView:
    address: str | None
    postcode: str | None
    borough: str | None
    location_type: str | None
    relation: str | None


@dataclass(frozen=True)
class RecordView:
    id: int
    source: str
    source_ref: str
    record_type: str
    occurred_at: dt.date | None
    occurred_to: dt.date | None
    recorded_at: dt.date | None
    closed_at: dt.date | None
    borough: str | None
    cse_flag: bool | None
    factors: list[str]
    offence: str | None
    outcome: str | None
    referral_made: bool | None
    narrative: str | None
    persons: list[MentionView]
    objects: list[ObjectView]
    places: list[PlaceView]


@dataclass(frozen=True)
class RecordRef:
    """A record named in evidence: its source reference, and whether the actor may open it."""

    record_id: int
    source_ref: str
    record_type: str
    occurred_at: dt.date | None
    visible: bool


def record_view(conn: Connection, actor: Actor, record_id: int) -> RecordView:
    """One record with its persons, objects and places (NotFound / AccessDenied first)."""
    check_record(conn, actor, record_id)
    r = conn.execute(
        select(records, sources.c.name.label("source_name"))
        .join(sources, sources.c.id == records.c.source_id)
        .where(records.c.id == record_id)
    ).one()
    people = conn.execute(
        select(
            mentions,
            mention_person.c.person_id,
            mention_person.c.match_probability,
            persons.c.display_name.label("person_name"),
        )
        .outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
        .outerjoin(persons, persons.c.id == mention_person.c.person_id)
        .where(mentions.c.record_id == record_id)
        .order_by(mentions.c.id)
    ).all()
    objs = conn.execute(
        select(objects.c.kind, objects.c.value, record_objects.c.relation)
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(record_objects.c.record_id == record_id)
        .order_by(objects.c.kind, objects.c.value)
    ).all()
    places = conn.execute(
        select(locations, record_locations.c.relation)
        .join(locations, locations.c.id == record_locations.c.location_id)
        .where(record_locations.c.record_id == record_id)
        .order_by(record_locations.c.id)
    ).all()
    return RecordView(
        id=int(r.id),
        source=r.source_name,
        source_ref=r.source_ref,
        record_type=r.record_type,
        occurred_at=r.occurred_at,
        occurred_to=r.occurred_to,
        recorded_at=r.recorded_at,
        closed_at=r.closed_at,
        borough=r.borough,
        cse_flag=r.cse_flag,
        factors=list(from_json(r.factors, [])),
        offence=r.offence,
        outcome=r.outcome,
        referral_made=r.referral_made,
        narrative=r.narrative,
        persons=[
            MentionView(
                mention_id=int(m.id),
                role=m.role,
                name=mention_name(m.name_raw, m.forenames, m.surname),
                dob=m.dob,
                age_at_event=event_age(m.age_at_event, m.dob, r.occurred_at),
                sex=m.sex,
                relationship=m.relationship,
                person_id=m.person_id,
                person_name=m.person_name,
                match_probability=m.match_probability,
            )
            for m in people
        ],
        objects=[ObjectView(o.kind, o.value, o.relation) for o in objs],
        places=[
            PlaceView(p.address, p.postcode, p.borough, p.location_type, p.relation) for p in places
        ],
    )


def record_refs(conn: Connection, actor: Actor, record_ids: set[int]) -> dict[int, RecordRef]:
    """The records named by id in evidence, with whether `actor` may open each."""
    if not record_ids:
        return {}
    rows = conn.execute(
        select(
            records.c.id,
            records.c.source_ref,
            records.c.record_type,
            records.c.occurred_at,
            visible_records(actor).label("visible"),
        ).where(records.c.id.in_(sorted(record_ids)))
    ).all()
    return {
        int(r.id): RecordRef(int(r.id), r.source_ref, r.record_type, r.occurred_at, bool(r.visible))
        for r in rows
    }


def quarantine_rows(
    conn: Connection,
    *,
    import_id: int | None = None,
    reason: str | None = None,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """(how many rows match, the newest `limit` of them): where each quarantined row came
    from (import, source, file, row number), the field and the reason."""
    conditions = []
    if import_id is not None:
        conditions.append(quarantine.c.import_id == import_id)
    if reason is not None:
        conditions.append(quarantine.c.reason == reason)
    query = (
        select(
            quarantine.c.id,
            quarantine.c.import_id,
            sources.c.name.label("source"),
            quarantine.c.file_name,
            quarantine.c.row_number,
            quarantine.c.field,
            quarantine.c.reason,
            quarantine.c.message,
        )
        .join(sources, sources.c.id == quarantine.c.source_id)
        .where(*conditions)
        .order_by(quarantine.c.id.desc())
        .limit(limit)
    )
    rows = [dict(r._mapping) for r in conn.execute(query)]
    total = conn.execute(select(func.count()).select_from(quarantine).where(*conditions))
    return int(total.scalar_one()), rows


def quarantine_entry(conn: Connection, entry_id: int) -> dict[str, Any]:
    """One quarantined row with its source, import and the row as read; NotFound if none."""
    row = conn.execute(
        select(quarantine, sources.c.name.label("source"), imports.c.sha256)
        .join(sources, sources.c.id == quarantine.c.source_id)
        .join(imports, imports.c.id == quarantine.c.import_id)
        .where(quarantine.c.id == entry_id)
    ).first()
    if row is None:
        raise NotFound(f"no quarantine entry {entry_id}")
    return dict(row._mapping)
