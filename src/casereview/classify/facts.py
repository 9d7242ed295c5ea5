"""Structured facts per record, loaded once from the store for the classify rules.

The rules never read the database themselves: this module turns records, mentions, resolved
persons, locations and objects into small frozen dataclasses, so every rule is a pure
function of facts and a test can build facts by hand. Protected characteristics are never
selected: only the columns named below are read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from casereview.model.codes import MentionRole, ObjectKind, RecordType
from casereview.model.tables import (
    locations,
    mention_person,
    mentions,
    objects,
    record_locations,
    record_objects,
    records,
    sources,
)
from casereview.values.dates import whole_years

__all__ = ["MentionFact", "RecordFact", "age_at", "load_facts", "suspect_like", "victim_like"]

# Record types whose `subject` is the child the record is about (not a suspect).
CHILD_SUBJECT_TYPES = frozenset(
    {
        RecordType.MISSING_EPISODE.value,
        RecordType.REFERRAL.value,
        RecordType.ASSESSMENT.value,
        RecordType.STRATEGY_MEETING.value,
    }
)


@dataclass(frozen=True)
class MentionFact:
    """One person as named in one record, with the facts the rules may use."""

    mention_id: int
    role: str
    person_id: int | None
    age: int | None  # at the event: age_at_event, else from the date of birth
    relationship: str | None  # lower-case, as written
    address: str | None  # lower-case, whitespace collapsed
    postcode: str | None  # upper-case, no spaces


@dataclass
class RecordFact:
    """A record and everything attached to it that the rules may read."""

    record_id: int
    source_id: int
    source_name: str
    source_kind: str
    source_ref: str
    record_type: str
    occurred_at: dt.date | None
    borough: str | None
    cse_flag: bool | None
    factors: frozenset[str]
    offence: str
    narrative: str
    mentions: list[MentionFact] = field(default_factory=list)
    location_types: set[str] = field(default_factory=set)
    online_ids: set[int] = field(default_factory=set)

    def victims(self) -> list[MentionFact]:
        """Mentions of the child harmed or at risk (victims; subjects of care records)."""
        return [m for m in self.mentions if victim_like(m.role, self.record_type)]

    def suspects(self) -> list[MentionFact]:
        """Mentions of people suspected (suspects; subjects of intelligence)."""
        return [m for m in self.mentions if suspect_like(m.role, self.record_type)]


def victim_like(role: str, record_type: str) -> bool:
    """True for the roles that name the child the record is about."""
    if role == MentionRole.VICTIM.value:
        return True
    return role == MentionRole.SUBJECT.value and record_type in CHILD_SUBJECT_TYPES


def suspect_like(role: str, record_type: str) -> bool:
    """True for the roles that name a person suspected of the offending."""
    if role == MentionRole.SUSPECT.value:
        return True
    return role == MentionRole.SUBJECT.value and record_type == RecordType.INTELLIGENCE.value


def age_at(dob: dt.date | None, on: dt.date | None) -> int | None:
    """Whole years between a date of birth and a day, or None when either is missing."""
    return whole_years(dob, on)


def _factors(text: str | None) -> frozenset[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return frozenset()
    return frozenset(str(v).lower() for v in value) if isinstance(value, list) else frozenset()


def _clean_address(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.lower().replace(",", " ").split()) or None


def _clean_postcode(text: str | None) -> str | None:
    if not text:
        return None
    return text.replace(" ", "").upper() or None


def load_facts(conn: Connection) -> dict[int, RecordFact]:
    """Every record with its mentions (resolved), location types and online identifiers."""
    facts: dict[int, RecordFact] = {}
    query = select(
        records.c.id,
        records.c.source_id,
        sources.c.name,
        sources.c.kind,
        records.c.source_ref,
        records.c.record_type,
        records.c.occurred_at,
        records.c.borough,
        records.c.cse_flag,
        records.c.factors,
        records.c.offence,
        records.c.narrative,
    ).join(sources, sources.c.id == records.c.source_id)
    for row in conn.execute(query):
        facts[row.id] = RecordFact(
            record_id=row.id,
            source_id=row.source_id,
            source_name=row.name,
            source_kind=row.kind,
            source_ref=row.source_ref,
            record_type=row.record_type,
            occurred_at=row.occurred_at,
            borough=row.borough,
            cse_flag=row.cse_flag,
            factors=_factors(row.factors),
            offence=row.offence or "",
            narrative=row.narrative or "",
        )
    mention_query = select(
        mentions.c.id,
        mentions.c.record_id,
        mentions.c.role,
        mentions.c.dob,
        mentions.c.age_at_event,
        mentions.c.relationship,
        mentions.c.address,
        mentions.c.postcode,
        mention_person.c.person_id,
    ).outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
    by_record: dict[int, list[MentionFact]] = defaultdict(list)
    for mrow in conn.execute(mention_query.order_by(mentions.c.id)):
        fact = facts.get(mrow.record_id)
        age = mrow.age_at_event
        if age is None and fact is not None:
            age = age_at(mrow.dob, fact.occurred_at)
        by_record[mrow.record_id].append(
            MentionFact(
                mention_id=mrow.id,
                role=mrow.role,
                person_id=mrow.person_id,
                age=age,
                relationship=(mrow.relationship or "").strip().lower() or None,
                address=_clean_address(mrow.address),
                postcode=_clean_postcode(mrow.postcode),
            )
        )
    for record_id, found in by_record.items():
        if record_id in facts:
            facts[record_id].mentions = found
    loc_query = select(record_locations.c.record_id, locations.c.location_type).join(
        locations, locations.c.id == record_locations.c.location_id
    )
    for lrow in conn.execute(loc_query):
        if lrow.location_type and lrow.record_id in facts:
            facts[lrow.record_id].location_types.add(lrow.location_type)
    obj_query = (
        select(record_objects.c.record_id, record_objects.c.object_id)
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(objects.c.kind == ObjectKind.ONLINE_ID.value)
    )
    for orow in conn.execute(obj_query):
        if orow.record_id in facts:
            facts[orow.record_id].online_ids.add(orow.object_id)
    return facts
