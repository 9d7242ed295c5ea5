"""Contexts for tests of one rule, where linkage's persons are part of the case: the records and
mentions are written as the store holds them after ingest, and the context is made from them by
the loader's own code (`add_mentions`), so a rule sees what it would see on a store.

A test says which person linkage resolved each mention to: the case is often one where linkage
split a person or joined two, which a small world may or may not reproduce. Everything else is
the real code's: the name words and forename words, the age at the event from the date of birth
(or the person's other mentions), the words written as given names, the suspects' phones.
`test_facts_shape.py` checks these stored rows against what the real ingest stores for the same
names through the project's mappings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from casereview.model.serial import canonical_json
from casereview.review.context import (
    MentionFacts,
    RecordFacts,
    ReviewContext,
    StoredMention,
    add_mentions,
)
from casereview.values import split_full_name

# Roles a police crime's nominals carry: its export has a forename and a surname column. Every
# other source (intelligence, referrals and their associates, missing episodes) writes one name
# field, which ingest splits as `split_full_name` does (mappings/*.yaml: `name_order: auto`).
CRIME_ROLES = frozenset({"victim", "suspect", "witness", "reporter", "other"})


def record(
    rid: int, kind: str, record_type: str, day: str, cse: bool | None = None, **more: Any
) -> RecordFacts:
    return RecordFacts(
        id=rid, source_kind=kind, record_type=record_type, occurred_at=dt.date.fromisoformat(day),
        outcome=None, cse_flag=cse, factors=frozenset(), borough=None, **more,
    )  # fmt: skip


def name_fields(name: str, role: str) -> tuple[str | None, str | None]:
    """(forenames, surname) as ingest stores `name` for a mention in `role`: a crime's nominal
    as its two columns (a lone word in the forename column, as the police export writes a
    given name or a street name alone); any other as one field split by `split_full_name`."""
    if role not in CRIME_ROLES:
        return split_full_name(name)
    words = name.split()
    if len(words) < 2:
        return (words[0] if words else None), None
    return " ".join(words[:-1]), words[-1]


def stored(
    mid: int, rid: int, role: str, person: int | None, name: str, dob: str | None = None,
    relationship: str | None = None, *, age: int | None = None, precision: str = "day",
    phones: tuple[str, ...] = (), postcode: str | None = None, council_id: str | None = None,
    fields: tuple[str | None, str | None] | None = None,
) -> StoredMention:  # fmt: skip
    """One mention as the store holds it; `dob` ISO, `age` the age written at the event;
    `fields` (forenames, surname) where the test says how the source split the name."""
    forenames, surname = fields or name_fields(name, role)
    return StoredMention(
        id=mid, record_id=rid, role=role, person_id=person,
        dob=dt.date.fromisoformat(dob) if dob else None,
        dob_precision=precision if dob else ("age" if age is not None else "none"),
        forenames=forenames, surname=surname, age_at_event=age, relationship=relationship,
        phones=canonical_json(list(phones)) if phones else None, postcode=postcode,
        identifiers=canonical_json({"la_id": council_id}) if council_id else None,
    )  # fmt: skip


def context(records: list[RecordFacts], mentions: list[StoredMention]) -> ReviewContext:
    """A context of these records and mentions, read as `load_context` reads a store."""
    ctx = ReviewContext()
    for rec in records:
        ctx.records[rec.id] = rec
    add_mentions(ctx, mentions)
    return ctx


def facts(row: StoredMention, day: str | None = None) -> MentionFacts:
    """One stored mention as the rules see it, alone in its record (of `day`, if given, which
    the age at the event is counted on)."""
    records = [record(row.record_id, "police", "crime", day)] if day else []
    return context(records, [row]).mentions_of[row.record_id][0]
