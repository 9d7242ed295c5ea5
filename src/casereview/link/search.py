"""Search: persons by name (any order, nicknames, spelling variants, sound), date of birth or
age, and records by phone, vehicle, postcode or reference; paged, within what the actor sees.

A name query matches a person when every word of it matches one of the names the person is
recorded under (forenames, surname, aliases), in any order, by one of, best first:

- the same word ("connor" = "Connor");
- the linkage tables of `values.name_variants` (a spelling variant: "Mohammed" = "Muhammad";
  a nickname: "Bob" = "Robert", "Kasia" = "Katarzyna");
- the same Soundex code (a phonetic key: "Smyth" = "Smith").

The words of every linked mention are indexed once per link run (in memory, per store); the
persons found are then filtered by date of birth or age at an event, and by visibility
(`store.access`), and returned with their names and counts.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Connection, func, or_, select

from casereview.ingest.views import event_age
from casereview.link.views import person_mention_counts
from casereview.model.serial import from_json
from casereview.model.tables import (
    imports,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    record_locations,
    record_objects,
    records,
    runs,
)
from casereview.store.access import Actor, visible_records
from casereview.store.views import Page, page_bounds
from casereview.values.name_variants import fold_spelling, forename_keys, name_key
from casereview.values.phone import normalise_phone
from casereview.values.postcode import normalise_postcode
from casereview.values.vehicle import normalise_vrm

__all__ = [
    "PersonHit",
    "PersonQuery",
    "RecordHit",
    "RecordKind",
    "search_persons",
    "search_records",
    "soundex",
]

RecordKind = Literal["phone", "vehicle", "postcode", "ref"]
EXACT, VARIANT, PHONETIC = 3, 2, 1
MATCHED_BY = {EXACT: "name", VARIANT: "name variant or nickname", PHONETIC: "sound of the name"}
_CODES = {
    c: str(d)
    for d, letters in enumerate(("aeiouyhw", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r"))
    for c in letters
}


def soundex(word: str) -> str:
    """The American Soundex code of a word ("" for no letters): Robert, Rupert -> R163."""
    letters = [c for c in fold_spelling(word) if c.isalpha()] if word else []
    if not letters:
        return ""
    first, out, last = letters[0], [], _CODES.get(letters[0], "")
    for c in letters[1:]:
        code = _CODES.get(c, "")
        if code and code != "0" and code != last:
            out.append(code)
        if c not in "hw":
            last = code
    return (first.upper() + "".join(out) + "000")[:4]


def _words(*texts: str | None) -> set[str]:
    out: set[str] = set()
    for text in texts:
        for word in fold_words(text or ""):
            out.add(word)
    return out


def fold_words(text: str) -> list[str]:
    """Lower-case ASCII words of a name (accents dropped; hyphens and apostrophes split)."""
    cleaned = "".join(c if c.isalnum() else " " for c in _ascii(text))
    return [w for w in cleaned.lower().split() if w]


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@dataclass
class _Index:
    """Word keys -> person ids, and what each person was recorded with."""

    exact: dict[str, set[int]] = field(default_factory=dict)
    variant: dict[str, set[int]] = field(default_factory=dict)
    phonetic: dict[str, set[int]] = field(default_factory=dict)
    # person -> (date of birth, age at the event) of each mention
    births: dict[int, list[tuple[dt.date | None, int | None]]] = field(default_factory=dict)

    def add(self, person: int, word: str) -> None:
        self.exact.setdefault(word, set()).add(person)
        for key in {name_key(word), *forename_keys(word)} - {""}:
            self.variant.setdefault(key, set()).add(person)
        code = soundex(word)
        if code:
            self.phonetic.setdefault(code, set()).add(person)

    def match(self, word: str) -> dict[int, int]:
        """person -> how well (EXACT, VARIANT, PHONETIC) one query word matches them."""
        found: dict[int, int] = {}
        for p in self.phonetic.get(soundex(word), ()):
            found[p] = PHONETIC
        for key in {name_key(word), *forename_keys(word)} - {""}:
            for p in self.variant.get(key, ()):
                found[p] = VARIANT
        for p in self.exact.get(word, ()):
            found[p] = EXACT
        return found


_CACHE: dict[tuple[str, object], _Index] = {}
_LOCK = threading.Lock()


def _index(conn: Connection) -> _Index:
    """The name index of this store as of its last link run and import (built on first use)."""
    stamp = (
        conn.execute(select(func.max(runs.c.id)).where(runs.c.stage == "link")).scalar(),
        # An import loaded again keeps its id: its finish time moves on.
        conn.execute(select(func.max(imports.c.id), func.max(imports.c.finished_at))).one(),
    )
    key = (conn.engine.url.render_as_string(hide_password=True), stamp)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
        index = _Index()
        rows = conn.execute(
            select(
                mention_person.c.person_id,
                mentions.c.forenames,
                mentions.c.surname,
                mentions.c.name_raw,
                mentions.c.aliases,
                mentions.c.dob,
                mentions.c.age_at_event,
                records.c.occurred_at,
            )
            .join(mentions, mentions.c.id == mention_person.c.mention_id)
            .join(records, records.c.id == mentions.c.record_id)
        )
        for r in rows:
            pid = int(r.person_id)
            aliases = from_json(r.aliases, []) or []
            for word in _words(r.forenames, r.surname, r.name_raw, *map(str, aliases)):
                index.add(pid, word)
            age = event_age(r.age_at_event, r.dob, r.occurred_at)
            index.births.setdefault(pid, []).append((r.dob, age))
        for old in [k for k in _CACHE if k[0] == key[0]]:
            del _CACHE[old]
        _CACHE[key] = index
        return index


@dataclass(frozen=True)
class PersonQuery:
    """A person search: a name, and/or a date of birth, and/or an age range at an event."""

    name: str = ""
    dob: dt.date | None = None
    age_from: int | None = None
    age_to: int | None = None

    @property
    def empty(self) -> bool:
        return (
            not self.name.strip()
            and self.dob is None
            and self.age_from is None
            and self.age_to is None
        )


@dataclass(frozen=True)
class PersonHit:
    person_id: int
    display_name: str | None
    names: list[str]
    dates_of_birth: list[dt.date]
    mentions: int
    records: int
    matched_by: str


def _ages_fit(births: Iterable[tuple[dt.date | None, int | None]], q: PersonQuery) -> bool:
    for dob, age in births:
        if q.dob is not None and dob != q.dob:
            continue
        if q.age_from is not None or q.age_to is not None:
            if age is None:
                continue
            if q.age_from is not None and age < q.age_from:
                continue
            if q.age_to is not None and age > q.age_to:
                continue
        return True
    return False


def _candidates(conn: Connection, index: _Index, q: PersonQuery) -> list[tuple[int, int]]:
    """(person, match strength) for the query, best first (then by id)."""
    words = fold_words(q.name)
    if words:
        scores: dict[int, int] | None = None
        for word in words:
            found = index.match(word)
            if scores is None:
                scores = found
            else:
                scores = {p: min(s, found[p]) for p, s in scores.items() if p in found}
        ranked = scores or {}
    else:
        ranked = dict.fromkeys(index.births, EXACT)
    if q.dob is not None or q.age_from is not None or q.age_to is not None:
        ranked = {p: s for p, s in ranked.items() if _ages_fit(index.births.get(p, []), q)}
    return sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))


def search_persons(
    conn: Connection, actor: Actor, query: PersonQuery, page: int = 1, page_size: int = 25
) -> Page[PersonHit]:
    """Persons matching `query` that the actor may see, best match first, paged."""
    if query.empty:
        return Page([], 0, 1, page_size)
    ranked = _candidates(conn, _index(conn), query)
    counts = person_mention_counts(conn, actor, [p for p, _ in ranked])
    visible = [(p, s) for p, s in ranked if p in counts]
    limit, offset = page_bounds(page, page_size)
    shown = visible[offset : offset + limit]
    ids = [p for p, _ in shown]
    details: dict[int, tuple[str | None, set[str], set[dt.date]]] = {}
    if ids:
        rows = conn.execute(
            select(
                persons.c.id,
                persons.c.display_name,
                mentions.c.name_raw,
                mentions.c.forenames,
                mentions.c.surname,
                mentions.c.dob,
            )
            .join(mention_person, mention_person.c.person_id == persons.c.id)
            .join(mentions, mentions.c.id == mention_person.c.mention_id)
            .where(persons.c.id.in_(ids), visible_records(actor, mentions.c.record_id))
        )
        for r in rows:
            entry = details.setdefault(int(r.id), (r.display_name, set(), set()))
            name = r.name_raw or " ".join(x for x in (r.forenames, r.surname) if x)
            if name:
                entry[1].add(name)
            if r.dob:
                entry[2].add(r.dob)
    hits = [
        PersonHit(
            person_id=p,
            display_name=details.get(p, (None, set(), set()))[0],
            names=sorted(details.get(p, (None, set(), set()))[1])[:6],
            dates_of_birth=sorted(details.get(p, (None, set(), set()))[2]),
            mentions=counts[p][0],
            records=counts[p][1],
            matched_by=MATCHED_BY[s] if query.name.strip() else "date of birth or age",
        )
        for p, s in shown
    ]
    return Page(hits, len(visible), max(1, page), page_size)


@dataclass(frozen=True)
class RecordHit:
    record_id: int
    source_ref: str
    record_type: str
    occurred_at: dt.date | None
    borough: str | None


def search_records(
    conn: Connection, actor: Actor, kind: RecordKind, text: str, page: int = 1, page_size: int = 25
) -> Page[RecordHit]:
    """Records the actor may see whose phone, vehicle, postcode or reference is `text`."""
    condition = None
    if kind == "ref":
        condition = records.c.source_ref == text.strip() if text.strip() else None
    elif kind == "postcode":
        pc = normalise_postcode(text)
        if pc:
            condition = or_(
                records.c.id.in_(select(mentions.c.record_id).where(mentions.c.postcode == pc)),
                records.c.id.in_(
                    select(record_locations.c.record_id)
                    .join(locations, locations.c.id == record_locations.c.location_id)
                    .where(locations.c.postcode == pc)
                ),
            )
    else:
        value = normalise_phone(text) if kind == "phone" else normalise_vrm(text)
        if value:
            condition = records.c.id.in_(
                select(record_objects.c.record_id)
                .join(objects, objects.c.id == record_objects.c.object_id)
                .where(objects.c.kind == kind, objects.c.value == value)
            )
    if condition is None:
        return Page([], 0, 1, page_size)
    terms = [condition, visible_records(actor)]
    total = conn.execute(select(func.count()).select_from(records).where(*terms)).scalar_one()
    limit, offset = page_bounds(page, page_size)
    rows = conn.execute(
        select(
            records.c.id,
            records.c.source_ref,
            records.c.record_type,
            records.c.occurred_at,
            records.c.borough,
        )
        .where(*terms)
        .order_by(records.c.occurred_at.desc(), records.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    hits = [
        RecordHit(int(r.id), r.source_ref, r.record_type, r.occurred_at, r.borough) for r in rows
    ]
    return Page(hits, int(total), max(1, page), page_size)
