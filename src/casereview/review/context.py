"""What the indicator rules read, loaded from the store once per build.

Only the columns the rules need are read. Protected characteristics recorded on mentions
(ethnicity, nationality and the like) are never selected here, so no rule, score or ranking
can depend on them (a test checks this module and the rest of `review/` statically).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from casereview.model.codes import MentionRole, ObjectKind, SourceKind, Typology
from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    flag_findings,
    group_members,
    groups,
    locations,
    mention_person,
    mentions,
    objects,
    record_links,
    record_locations,
    record_objects,
    records,
    sources,
)
from casereview.review.narrative import PEER_WORDS, child_age_in_text, partner_age_in_text
from casereview.settings import ReviewSettings, get_settings
from casereview.values.script import to_latin

__all__ = [
    "MentionFacts",
    "RecordFacts",
    "ReviewContext",
    "StoredMention",
    "add_mentions",
    "load_context",
    "quoted_names",
]

# Location relations that describe where a person lives, not where something happened.
_HOME_RELATIONS = frozenset({"home_address", "address", "home", "residence"})


@dataclass(frozen=True)
class RecordFacts:
    """A record as the rules see it."""

    id: int
    source_kind: str
    record_type: str
    occurred_at: dt.date | None
    outcome: str | None
    cse_flag: bool | None
    factors: frozenset[str]
    borough: str | None
    offence: str | None = None  # lower case, as written
    withdrawn: bool = False  # a later full export of its source no longer has it (ingest)


@dataclass(frozen=True)
class MentionFacts:
    """A person as named in one record: role, age at the event, relationship, resolved person."""

    id: int
    record_id: int
    role: str
    age: int | None
    relationship: str | None
    person_id: int | None
    age_from_text: bool = False  # the age was read from the record's narrative (narrative.py)
    # name words in any order (lower case, letters only) and the date of birth as written, to
    # tell whether a mention linkage left apart plainly names the same person (plain_names.py)
    name_key: frozenset[str] = frozenset()
    dob: dt.date | None = None
    dob_precision: str = "none"
    # evidence an analyst reads beside the name when linkage left a person split: phones
    # (E.164), online handles (lower case), postcode, the council's child id
    phones: frozenset[str] = frozenset()
    handles: frozenset[str] = frozenset()
    postcode: str | None = None
    council_id: str | None = None
    forename_key: frozenset[str] = frozenset()  # the words of the forenames alone
    # the age the record itself gives (written, or from its own date of birth); `age` may also
    # come from the linked person's other mentions, which plain-name evidence must not lean on
    written_age: int | None = None


_NAME_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=65536)
def _name_key(forenames: str | None, surname: str | None) -> frozenset[str]:
    """The words of a name in lower-case Latin letters without accents: a name a council writes
    in its family's script (Arabic, Bengali, Cyrillic) is compared in Latin letters, as the
    police write it (`values.script.to_latin`, the transliteration linkage uses)."""
    text = to_latin(f"{forenames or ''} {surname or ''}")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return frozenset(_NAME_WORD.findall(text))


@dataclass
class ReviewContext:
    """Records, mentions, links, objects, places, classifications and groups, indexed."""

    records: dict[int, RecordFacts] = field(default_factory=dict)
    mentions_of: dict[int, list[MentionFacts]] = field(default_factory=lambda: defaultdict(list))
    links: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # record id -> {"vehicle:AB12CDE", "phone:+44...", "place:17"}: keys shared objects recur by
    object_keys: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    cse_strength: dict[int, float] = field(default_factory=dict)
    # records the classify stage labelled gang_associated (county lines: criminal exploitation)
    gang_associated: set[int] = field(default_factory=set)
    findings: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    group_offenders: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    groups_of_person: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # person -> the active groups they are a member of in any role (offender or victim)
    member_of: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    group_boroughs: dict[int, list[str]] = field(default_factory=dict)
    # record id -> names quoted in its narrative ("known as 'J'"), lower case: how a police
    # record names a suspect known only by a street name
    quoted_names: dict[int, frozenset[str]] = field(default_factory=dict)
    # words some record writes as a forename beside a surname: a lone word outside them is a
    # street name (or an initial), which tells a man apart from nobody
    given_names: frozenset[str] = frozenset()

    @cached_property
    def mentions_of_person(self) -> dict[int, list[MentionFacts]]:
        """Each resolved person's mentions, indexed once (after the context is read)."""
        out: dict[int, list[MentionFacts]] = defaultdict(list)
        for ms in self.mentions_of.values():
            for m in ms:
                if m.person_id is not None:
                    out[m.person_id].append(m)
        return out

    def same_person(self, m: MentionFacts) -> list[MentionFacts]:
        """The mentions of `m`'s resolved person, or `m` alone when it has none."""
        if m.person_id is None:
            return [m]
        return self.mentions_of_person.get(m.person_id, [m])

    def is_exploitation(self, record_id: int) -> bool:
        """The record shows sexual exploitation: its source flag, the classifier or a factor."""
        rec = self.records[record_id]
        return bool(rec.cse_flag) or record_id in self.cse_strength or "cse" in rec.factors

    def persons_in(self, record_id: int, *roles: str) -> set[int]:
        """Resolved persons named in the record (in one of `roles`, if given)."""
        return {
            m.person_id
            for m in self.mentions_of.get(record_id, [])
            if m.person_id is not None and (not roles or m.role in roles)
        }


def _age(dob: dt.date | None, on: dt.date | None, given: int | None) -> int | None:
    if given is not None:
        return int(given)
    if dob is None or on is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _person_dobs(rows: Sequence[Any]) -> dict[int, dt.date]:
    """Each resolved person's most often written date of birth, for mentions that lack one."""
    seen: dict[int, Counter[dt.date]] = defaultdict(Counter)
    for m in rows:
        if m.person_id is not None and m.dob is not None:
            seen[int(m.person_id)][m.dob] += 1
    return {pid: dobs.most_common(1)[0][0] for pid, dobs in seen.items()}


@lru_cache(maxsize=1024)
def _factors(text: str | None) -> frozenset[str]:
    value = from_json(text, [])
    return frozenset(str(v).lower() for v in value) if isinstance(value, list) else frozenset()


def load_context(conn: Connection, settings: ReviewSettings | None = None) -> ReviewContext:
    """Read everything the indicator rules and the triage score need, in a few queries."""
    s = settings or get_settings().review
    ctx = ReviewContext()
    narratives: dict[int, str] = {}
    rows = conn.execute(
        select(
            records.c.id,
            sources.c.kind,
            records.c.record_type,
            records.c.occurred_at,
            records.c.outcome,
            records.c.cse_flag,
            records.c.factors,
            records.c.borough,
            records.c.narrative,
            records.c.offence,
            records.c.withdrawn_at,
        ).join(sources, sources.c.id == records.c.source_id)
    )
    for r in rows:
        if r.narrative:
            narratives[int(r.id)] = str(r.narrative)
        ctx.records[int(r.id)] = RecordFacts(
            id=int(r.id),
            source_kind=str(r.kind),
            record_type=str(r.record_type),
            occurred_at=r.occurred_at,
            outcome=r.outcome,
            cse_flag=r.cse_flag,
            factors=_factors(r.factors),
            borough=r.borough,
            offence=(r.offence or "").strip().lower() or None,
            withdrawn=r.withdrawn_at is not None,
        )
    mention_rows = conn.execute(
        select(
            mentions.c.id,
            mentions.c.record_id,
            mentions.c.role,
            mentions.c.dob,
            mentions.c.dob_precision,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.age_at_event,
            mentions.c.relationship,
            mentions.c.phones,
            mentions.c.postcode,
            mentions.c.identifiers,
            mention_person.c.person_id,
        ).outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
    ).all()
    add_mentions(ctx, mention_rows, _handles(conn))
    _ages_from_narratives(ctx, narratives, s)
    ctx.quoted_names = {
        rid: names for rid, text in narratives.items() if (names := quoted_names(text))
    }
    for a, b in conn.execute(
        select(record_links.c.record_id, record_links.c.to_record_id).where(
            record_links.c.to_record_id.is_not(None)
        )
    ):
        ctx.links[int(a)].add(int(b))
        ctx.links[int(b)].add(int(a))
    _load_objects(conn, ctx)
    for rid, strength in conn.execute(
        select(classifications.c.record_id, classifications.c.strength).where(
            classifications.c.label == Typology.CSE_LIKELY.value
        )
    ):
        ctx.cse_strength[int(rid)] = float(strength)
    ctx.gang_associated = {
        int(rid)
        for (rid,) in conn.execute(
            select(classifications.c.record_id).where(
                classifications.c.label == Typology.GANG_ASSOCIATED.value
            )
        )
    }
    for rid, code in conn.execute(
        select(flag_findings.c.record_id, flag_findings.c.code).order_by(flag_findings.c.id)
    ):
        ctx.findings[int(rid)].append(str(code))
    for gid, pid, role in conn.execute(
        select(group_members.c.group_id, group_members.c.person_id, group_members.c.role)
        .join(groups, groups.c.id == group_members.c.group_id)
        .where(groups.c.active.is_(True))
    ):
        ctx.member_of[int(pid)].add(int(gid))
        if role == "offender":
            ctx.group_offenders[int(gid)].add(int(pid))
            ctx.groups_of_person[int(pid)].add(int(gid))
    for gid, boroughs in conn.execute(
        select(groups.c.id, groups.c.boroughs).where(groups.c.active.is_(True))
    ):
        ctx.group_boroughs[int(gid)] = [str(b) for b in from_json(boroughs, [])]
    return ctx


class StoredMention(NamedTuple):
    """The columns of a stored mention, and of the person linkage resolved it to, that the
    rules read: what `load_context` selects, and what a test of a rule builds instead of a
    store (tests/review/facts.py; tests/review/test_facts_shape.py checks the two agree)."""

    id: int
    record_id: int
    role: str
    dob: dt.date | None
    dob_precision: str | None
    forenames: str | None
    surname: str | None
    age_at_event: int | None
    relationship: str | None
    phones: Any  # the stored JSON list of E.164 numbers
    postcode: str | None
    identifiers: Any  # the stored JSON object of scheme -> value
    person_id: int | None


def add_mentions(
    ctx: ReviewContext, rows: Sequence[Any], handles: dict[int, frozenset[str]] | None = None
) -> None:
    """Each stored mention (rows shaped as `StoredMention`) as the rules see it, under its
    record (whose facts `ctx.records` holds already); the suspects' phones as keys their
    records recur by, and the words written as a forename beside a surname."""
    person_dob = _person_dobs(rows)
    handles = handles or {}
    for m in rows:
        rec = ctx.records.get(int(m.record_id))
        phones = frozenset(str(p) for p in from_json(m.phones, []) or [])
        ids = from_json(m.identifiers, {}) or {}
        ctx.mentions_of[int(m.record_id)].append(
            MentionFacts(
                id=int(m.id),
                record_id=int(m.record_id),
                role=str(m.role),
                age=_age(
                    m.dob or person_dob.get(m.person_id),
                    rec.occurred_at if rec else None,
                    m.age_at_event,
                ),
                written_age=_age(m.dob, rec.occurred_at if rec else None, m.age_at_event),
                relationship=(m.relationship or "").strip().lower() or None,
                person_id=None if m.person_id is None else int(m.person_id),
                name_key=_name_key(m.forenames, m.surname),
                dob=m.dob,
                dob_precision=str(m.dob_precision or "none"),
                phones=phones,
                handles=handles.get(int(m.id), frozenset()),
                postcode=_postcode(m.postcode),
                forename_key=_name_key(m.forenames, None),
                council_id=str(ids[_COUNCIL_ID])
                if isinstance(ids, dict) and ids.get(_COUNCIL_ID)
                else None,
            )
        )
        if m.role == MentionRole.SUSPECT.value:
            for phone in sorted(phones):
                ctx.object_keys[int(m.record_id)].add(f"phone:{phone}")
    ctx.given_names = frozenset(
        word
        for m in rows
        # "Little T" (a street name written as forename and initial) is nobody's given name
        if m.forenames and any(len(w) > 1 for w in _name_key(None, m.surname))
        for word in _name_key(m.forenames, None)
        if len(word) > 1
    )


_CHILD_ROLES = (MentionRole.VICTIM.value, MentionRole.SUBJECT.value)
# The identifier scheme of a council's own child id (mappings: `la_id`), shared by the council's
# referrals and the police missing-person reports that quote it.
_COUNCIL_ID = "la_id"


_QUOTED = re.compile(r"(?<![\w'])'([^'\n]{1,30})'(?![\w'])")


def quoted_names(text: str) -> frozenset[str]:
    """Names a narrative quotes ("suspect known as 'J'", "says she was with 'Tiny'")."""
    return frozenset(q.strip().lower() for q in _QUOTED.findall(text) if q.strip())


def _postcode(text: str | None) -> str | None:
    """A postcode compared without spaces or case ('n5 1by' is 'N5 1BY')."""
    value = "".join((text or "").split()).upper()
    return value or None


def _handles(conn: Connection) -> dict[int, frozenset[str]]:
    """Online handles written for a mention (a referral's associate, a suspect), lower case
    without the '@'."""
    out: dict[int, set[str]] = defaultdict(set)
    for mid, value in conn.execute(
        select(record_objects.c.mention_id, objects.c.value)
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(
            objects.c.kind == ObjectKind.ONLINE_ID.value,
            record_objects.c.mention_id.is_not(None),
        )
    ):
        handle = str(value).strip().lower().lstrip("@")
        if handle:
            out[int(mid)].add(handle)
    return {mid: frozenset(hs) for mid, hs in out.items()}


def _ages_from_narratives(
    ctx: ReviewContext, narratives: dict[int, str], s: ReviewSettings
) -> None:
    """Fill missing ages from the narrative (review/narrative.py): the child's, when the record
    names exactly one victim or subject, and the partner's, when exactly one mention is written
    with a partner word. A structured age or date of birth always wins."""
    words = {w.lower() for w in s.partner_words}
    for rid, text in narratives.items():
        ms = ctx.mentions_of.get(rid)
        if not ms:
            continue
        children = [i for i, m in enumerate(ms) if m.role in _CHILD_ROLES]
        partners = [i for i, m in enumerate(ms) if m.relationship in words]
        fill: dict[int, int | None] = {}
        if len(children) == 1 and ms[children[0]].age is None:
            fill[children[0]] = child_age_in_text(text, s.child_age_below)
        if len(partners) == 1 and ms[partners[0]].age is None and partners[0] not in fill:
            # the record's only suspect is also the one the text describes as a peer ("a boy
            # from school (18)", "a 18-year-old peer")
            alone = [m.role for m in ms].count(MentionRole.SUSPECT.value) == 1
            alone = alone and ms[partners[0]].role == MentionRole.SUSPECT.value
            fill[partners[0]] = partner_age_in_text(text, words | PEER_WORDS if alone else words)
        for i, age in fill.items():
            if age is not None:
                ms[i] = replace(ms[i], age=age, age_from_text=True)


def _load_objects(conn: Connection, ctx: ReviewContext) -> None:
    """Vehicles (anyone's), phones (of suspects, or of the record) and places of the event."""
    suspect = MentionRole.SUSPECT.value
    role_of = {m.id: m.role for ms in ctx.mentions_of.values() for m in ms}
    for rid, mid, kind, value in conn.execute(
        select(
            record_objects.c.record_id,
            record_objects.c.mention_id,
            objects.c.kind,
            objects.c.value,
        ).join(objects, objects.c.id == record_objects.c.object_id)
    ):
        if kind == "phone" and mid is not None and role_of.get(int(mid)) != suspect:
            continue  # a victim's own phone recurring across her records ties nobody
        if kind in ("phone", "vehicle"):
            ctx.object_keys[int(rid)].add(f"{kind}:{value}")
    for rid, relation, lid, place_id, location_type in conn.execute(
        select(
            record_locations.c.record_id,
            record_locations.c.relation,
            locations.c.id,
            locations.c.place_id,
            locations.c.location_type,
        ).join(locations, locations.c.id == record_locations.c.location_id)
    ):
        if (relation or "").lower() in _HOME_RELATIONS or location_type == "online":
            continue
        ctx.object_keys[int(rid)].add(f"place:{place_id if place_id is not None else lid}")


def police(rec: RecordFacts) -> bool:
    """A record from a police source."""
    return rec.source_kind == SourceKind.POLICE.value


def local_authority(rec: RecordFacts) -> bool:
    """A record from a local-authority source."""
    return rec.source_kind == SourceKind.LOCAL_AUTHORITY.value
