"""Missed-opportunity indicators: codified patterns from the published CSE reviews.

Each rule reads the `ReviewContext` and returns `Indicator`s, each carried by one record (the
record a reviewer should open: see docs/indicators.md for which one and why) with the persons
it concerns and evidence naming the records and values that fired it. Group indicators roll
the record indicators up to the detected groups whose offenders are named in those records.
Thresholds and windows come from `ReviewSettings`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from casereview.model.codes import IndicatorCode, MentionRole, RecordType
from casereview.review.agency_indicators import (
    la_concern_no_police_record,
    named_associate_not_investigated,
    police_concern_no_la_record,
)
from casereview.review.context import (
    MentionFacts,
    ReviewContext,
    local_authority,
    police,
)
from casereview.review.found import CHILD_ROLES, Found, Indicator
from casereview.review.lookup import (
    PartnerLookup,
    suspect_like,
)
from casereview.review.plain_names import _similar_names as similar_names
from casereview.review.plain_names import dob_agree, exact_dob, names_agree
from casereview.settings import ReviewSettings

__all__ = ["RULES", "Indicator", "compute_indicators", "group_indicators"]

_NOT_PARTNER_ROLES = frozenset(
    {MentionRole.PARENT_CARER.value, MentionRole.REPORTER.value, MentionRole.WITNESS.value}
)


def _days(a: dt.date, b: dt.date) -> int:
    return (a - b).days


def _sorted_by_date(ctx: ReviewContext, ids: Iterable[int]) -> list[int]:
    return sorted(ids, key=lambda r: (ctx.records[r].occurred_at or dt.date.min, r))


def _is_type(ctx: ReviewContext, rid: int, *types: RecordType) -> bool:
    kind = ctx.records[rid].record_type
    return any(kind == t.value for t in types)


def _records_of_person(ctx: ReviewContext, roles: tuple[str, ...]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for rid, ms in ctx.mentions_of.items():
        for m in ms:
            if m.person_id is not None and (not roles or m.role in roles):
                out[m.person_id].add(rid)
    return out


def _concerned_children(ctx: ReviewContext, s: ReviewSettings) -> set[int]:
    """Persons with exploitation concerns on record: victim or subject of an exploitation
    record, subject of a record with a CSE or CCE factor, or suspect in a criminal-exploitation
    record (a CCE factor, classified gang_associated, or a police crime whose offence names
    criminal exploitation or class A supply: `cce_offence_words`, the county-lines offences)."""
    concerned: set[int] = set()
    words = [w.lower() for w in s.cce_offence_words]
    for rid, rec in ctx.records.items():
        exploitation = ctx.is_exploitation(rid)
        criminal = (
            "cce" in rec.factors
            or rid in ctx.gang_associated
            or (police(rec) and rec.offence is not None and any(w in rec.offence for w in words))
        )
        for m in ctx.mentions_of.get(rid, []):
            if m.person_id is None:
                continue
            as_child = m.role in CHILD_ROLES and (exploitation or criminal)
            as_suspect = m.role == MentionRole.SUSPECT.value and criminal
            if as_child or as_suspect:
                concerned.add(m.person_id)
    return concerned


def _episode_children(ctx: ReviewContext) -> list[tuple[int, set[int], set[str], list[int]]]:
    """Missing episodes grouped by child, by the best evidence on each episode's child mention:
    the resolved person or the council's child id the report quotes. Each group: (its person,
    every resolved person in it, its council child ids, its episodes).

    Names are not used: on sparse seed 2, joining episodes whose child's name and date of
    birth agree raised recall (0.90 to 0.93) but joined episodes of other children (precision
    0.96 to 0.83)."""
    ms = [
        m
        for rid, rec in ctx.records.items()
        if rec.record_type == RecordType.MISSING_EPISODE.value and rec.occurred_at
        for m in ctx.mentions_of.get(rid, [])
        if m.role in CHILD_ROLES
    ]
    parent = list(range(len(ms)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, m in enumerate(ms):
        keys = [f"person:{m.person_id}"] if m.person_id is not None else []
        keys += [f"council:{m.council_id}"] if m.council_id else []
        for key in keys:
            parent[root(i)] = root(first.setdefault(key, i))
    children: dict[int, list[MentionFacts]] = defaultdict(list)
    for i, m in enumerate(ms):
        children[root(i)].append(m)
    out = []
    for child in children.values():
        persons = {m.person_id for m in child if m.person_id is not None}
        if not persons:
            continue
        counts = Counter(m.person_id for m in child if m.person_id is not None)
        person = min(persons, key=lambda p: (-counts[p], p))
        councils = {m.council_id for m in child if m.council_id}
        out.append((person, persons, councils, sorted({m.record_id for m in child})))
    return sorted(out)


def repeat_missing(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """repeat_missing / repeat_missing_no_referral on the episode that makes the count.

    The child's episodes are found by the best evidence (`_episode_children`), and a council
    record about the child by the resolved persons or the council's child id."""
    concerned = _concerned_children(ctx, s)
    la_by_person: dict[int, list[dt.date]] = defaultdict(list)
    la_by_council: dict[str, list[dt.date]] = defaultdict(list)
    for rid, rec in ctx.records.items():
        if local_authority(rec) and rec.occurred_at:
            for m in ctx.mentions_of.get(rid, []):
                if m.role not in CHILD_ROLES:
                    continue
                if m.person_id is not None:
                    la_by_person[m.person_id].append(rec.occurred_at)
                if m.council_id:
                    la_by_council[m.council_id].append(rec.occurred_at)
    episodes: dict[int, list[int]] = {}
    la_dates: dict[int, list[dt.date]] = {}
    for pid, persons, councils, rids in _episode_children(ctx):
        if not persons & concerned:
            continue
        episodes[pid] = rids
        la_dates[pid] = sorted(
            {d for p in persons for d in la_by_person.get(p, [])}
            | {d for c in councils for d in la_by_council.get(c, [])}
        )
    for pid, rids in episodes.items():
        if len(rids) < s.repeat_missing_count:
            continue
        ordered = _sorted_by_date(ctx, rids)
        for i, rid in enumerate(ordered):
            day = ctx.records[rid].occurred_at
            assert day is not None
            window = [
                r
                for r in ordered[:i]
                if _days(day, ctx.records[r].occurred_at or day) <= s.repeat_missing_window_days
            ]
            if len(window) + 1 < s.repeat_missing_count:
                continue
            first = ctx.records[window[0]].occurred_at or day
            evidence = {"episodes": [*window, rid], "first": first, "last": day}
            found.add(IndicatorCode.REPEAT_MISSING, rid, pid, evidence)
            until = day + dt.timedelta(days=s.referral_grace_days)
            dates = la_dates.get(pid, [])
            at = bisect.bisect_left(dates, first)
            if not (at < len(dates) and dates[at] <= until):
                found.add(
                    IndicatorCode.REPEAT_MISSING_NO_REFERRAL,
                    rid,
                    pid,
                    {**evidence, "no_referral_until": until},
                )


def _component(ctx: ReviewContext, start: int, within: set[int]) -> set[int]:
    """Records reachable from `start` through source links, staying within `within`."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in ctx.links.get(todo.pop(), ()):
            if nxt in within and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def suspects(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """unlinked_repeat_suspect (any outcome) and closed_despite_group_link on the suspect's
    police crimes."""
    suspect_in = _records_of_person(ctx, (MentionRole.SUSPECT.value,))
    closure = set(s.group_closure_outcomes)
    for pid, rids in suspect_in.items():
        crimes = [
            r
            for r in rids
            if police(ctx.records[r]) and _is_type(ctx, r, RecordType.CRIME, RecordType.INCIDENT)
        ]
        # Any outcome: the same man named in open, charged or closed crimes that were never
        # cross-referenced is the missed link, whatever became of each crime.
        named = set(crimes)
        if len(named) >= 2:
            for rid in sorted(named):
                linked = _component(ctx, rid, named)
                if linked != named:
                    found.add(
                        IndicatorCode.UNLINKED_REPEAT_SUSPECT,
                        rid,
                        pid,
                        {
                            "records": sorted(named),
                            "not_linked_to": sorted(named - linked),
                        },
                    )
        groups = sorted(ctx.groups_of_person.get(pid, ()))
        for rid in crimes:
            rec = ctx.records[rid]
            if rec.outcome not in closure:
                continue
            later = [
                r
                for r in crimes
                if rec.occurred_at
                and ctx.records[r].occurred_at
                and ctx.records[r].occurred_at > rec.occurred_at  # type: ignore[operator]
            ]
            if groups or later:
                found.add(
                    IndicatorCode.CLOSED_DESPITE_GROUP_LINK,
                    rid,
                    pid,
                    {"outcome": rec.outcome, "groups": groups, "later_records": sorted(later)},
                    groups,
                )


def age_gap_partner(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """An adult written as the partner of a child under `partner_age_below`, on that record.

    A referral's partner is often named only as the child knows him, with no age; his age is
    then taken from the suspect of the child's own police records who agrees with him (by
    name, nickname, quoted street name, phone or handle: `suspect_like`), at the referral's
    date, and the evidence names that suspect's mention. A partner whose record gives no age
    but whom linkage joined to a person with a date of birth takes that person's age, and the
    evidence names the person.

    A partner linkage put in the same person as the child of his record keeps only the age his
    own mention gives (written, or read from the narrative): the person's date of birth is the
    child's."""
    words = {w.lower() for w in s.partner_words}
    lookup: PartnerLookup | None = None
    for rid, ms in ctx.mentions_of.items():
        children = [
            m
            for m in ms
            if m.role in CHILD_ROLES and m.age is not None and m.age < s.partner_age_below
        ]
        if not children:
            continue
        for m in ms:
            if m.relationship not in words or m.role in _NOT_PARTNER_ROLES or m.role in CHILD_ROLES:
                continue
            age, read_from = m.age, None
            if m.person_id is not None and m.person_id in {c.person_id for c in children}:
                # linkage put him in the child's person: her date of birth is not his
                age = m.age if m.age_from_text else m.written_age
            if age is None and local_authority(ctx.records[rid]):
                lookup = lookup or PartnerLookup(ctx)
                age, read_from = lookup.age(m, children)
            if age is None or age < s.child_age_below:
                continue
            evidence: dict[str, Any] = {
                "partner_mention": m.id,
                "relationship": m.relationship,
                "partner_age": age,
                "child_ages": sorted(c.age for c in children if c.age is not None),
                **_ages_read(m, *children),
            }
            if read_from is not None:
                evidence["partner_age_from_suspect"] = read_from
            elif m.written_age is None and not m.age_from_text:
                # his record gives no age: the date of birth is his linked person's
                evidence["partner_age_from_person"] = m.person_id
            found.add(IndicatorCode.AGE_GAP_PARTNER, rid, m.person_id, evidence)


def _ages_read(*ms: MentionFacts) -> dict[str, list[int]]:
    """Evidence naming the mentions whose age was read from the narrative, if any."""
    read = sorted(m.id for m in ms if m.age_from_text)
    return {"ages_read_from_narrative": read} if read else {}


def victim_treated_as_suspect(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """A child named suspect (or arrested) near a police crime of exploitation they were the victim of."""
    victim_in = {
        pid: {r for r in rids if _is_type(ctx, r, RecordType.CRIME) and police(ctx.records[r])}
        for pid, rids in _records_of_person(ctx, (MentionRole.VICTIM.value,)).items()
    }
    for rid, ms in ctx.mentions_of.items():
        rec = ctx.records[rid]
        if not police(rec) or rec.occurred_at is None:
            continue
        arrest = rec.record_type == RecordType.ARREST.value
        for m in ms:
            if m.person_id is None or (m.age is not None and m.age >= s.child_age_below):
                continue
            if not (m.role == MentionRole.SUSPECT.value or (arrest and m.role in CHILD_ROLES)):
                continue
            near = [
                r
                for r in victim_in.get(m.person_id, ())
                if r != rid
                and ctx.is_exploitation(r)
                and ctx.records[r].occurred_at is not None
                and abs(_days(ctx.records[r].occurred_at, rec.occurred_at))  # type: ignore[arg-type]
                <= s.victim_suspect_window_days
            ]
            if not near:
                continue
            evidence: dict[str, Any] = {"exploitation_records": sorted(near)}
            age = m.age
            if age is None:
                age, read_from = _age_as_victim(ctx, m.person_id, near, rec.occurred_at)
                if age is None or age >= s.child_age_below:
                    continue
                evidence["age_from_victim_mention"] = read_from
            found.add(
                IndicatorCode.VICTIM_TREATED_AS_SUSPECT,
                rid,
                m.person_id,
                {"age": age, **evidence},
            )


def _age_as_victim(
    ctx: ReviewContext, pid: int, near: list[int], day: dt.date
) -> tuple[int | None, int | None]:
    """A suspect with no age written: the age the nearest exploitation crime gives the same
    person as its victim, carried to the suspect's date by the whole years between them (the
    window is 180 days, so mostly the same age). (age, the victim mention it was read from), or
    (None, None)."""
    for r in sorted(near, key=lambda r: abs(_days(ctx.records[r].occurred_at or day, day))):
        then = ctx.records[r].occurred_at
        for v in ctx.mentions_of.get(r, []):
            if v.person_id != pid or v.role != MentionRole.VICTIM.value or v.age is None:
                continue
            if then is None:
                continue
            later = max(0, _days(day, then))
            return v.age + later // 365, v.id
    return None, None


def shared_object(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """A vehicle, suspect phone or place on police crimes of different victims."""
    holders: dict[str, list[int]] = defaultdict(list)
    for rid, keys in ctx.object_keys.items():
        if rid in ctx.records and _is_type(ctx, rid, RecordType.CRIME) and police(ctx.records[rid]):
            for key in keys:
                holders[key].append(rid)
    for key, rids in sorted(holders.items()):
        victims = {pid for r in rids for pid in ctx.persons_in(r, MentionRole.VICTIM.value)}
        if len(victims) < s.shared_object_min_victims:
            continue
        for rid in rids:
            for pid in sorted(ctx.persons_in(rid, MentionRole.VICTIM.value)):
                found.add(
                    IndicatorCode.SHARED_OBJECT_ACROSS_VICTIMS,
                    rid,
                    pid,
                    {"object": key, "records": sorted(rids), "victims": sorted(victims)},
                )


# A crime suspect written by a street name alone is taken for an intelligence subject born the
# same day only on records at most this many days apart: a street name is used for a while. The
# same bound holds for a subject written by his name alone and his own person's crimes.
STREET_NAME_DAYS = 730


class _CrimeSuspects:
    """The suspects of police crimes as an analyst looks a man up when linkage left him split:
    by each whole name word, a full date of birth, a phone and an online handle."""

    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx
        self.by_key: dict[str, list[MentionFacts]] = defaultdict(list)
        for rid, ms in ctx.mentions_of.items():
            if not _is_type(ctx, rid, RecordType.CRIME):
                continue
            for m in ms:
                if m.role == MentionRole.SUSPECT.value:
                    for key in self._keys(m):
                        self.by_key[key].append(m)

    @staticmethod
    def _keys(m: MentionFacts) -> set[str]:
        keys = {f"name:{w}" for w in m.name_key if len(w) > 1}
        keys |= {f"phone:{p}" for p in m.phones} | {f"handle:{h}" for h in m.handles}
        if m.dob is not None and m.dob_precision == "day":
            keys.add(f"dob:{m.dob.isoformat()}")
        return keys

    def him(self, subject: MentionFacts) -> list[tuple[MentionFacts, str]]:
        """The crime suspects written apart from `subject`'s person that are him, each once,
        with what tells (`_split_suspect`)."""
        day = self.ctx.records[subject.record_id].occurred_at
        children = self._children_beside(subject)
        seen: set[int] = set()
        out = []
        for key in sorted(self._keys(subject)):
            for theirs in self.by_key.get(key, []):
                if theirs.id in seen:
                    continue
                seen.add(theirs.id)
                if subject.person_id is not None and theirs.person_id == subject.person_id:
                    continue
                then = self.ctx.records[theirs.record_id].occurred_at
                apart = abs(_days(day, then)) if day and then else STREET_NAME_DAYS + 1
                victims = self.ctx.persons_in(theirs.record_id, MentionRole.VICTIM.value)
                why = _split_suspect(
                    subject, theirs, apart, self.ctx.given_names, bool(children & victims)
                )
                if why is not None:
                    out.append((theirs, why))
        return out

    def _children_beside(self, subject: MentionFacts) -> set[int]:
        """The children (victims and subjects) of the records outside intelligence that name
        `subject`'s person as their associate or suspect: a referral's "older male friend"."""
        if subject.person_id is None:
            return set()
        out: set[int] = set()
        for mine in self.ctx.same_person(subject):
            if mine.role not in _MAN_ROLES or _is_type(
                self.ctx, mine.record_id, RecordType.INTELLIGENCE
            ):
                continue
            out |= self.ctx.persons_in(mine.record_id, *CHILD_ROLES) - {subject.person_id}
        return out


_MAN_ROLES = (MentionRole.ASSOCIATE.value, MentionRole.SUSPECT.value)


def _born_same_day(a: MentionFacts, b: MentionFacts) -> bool:
    """The same full date of birth, not 1 January (often a year of birth alone)."""
    return exact_dob(a, b) and a.dob is not None and (a.dob.month, a.dob.day) != (1, 1)


def _street_name(m: MentionFacts, given_names: frozenset[str]) -> bool:
    """A man written by one word that no record writes as a given name ("Blaze", "Money")."""
    words = [w for w in m.name_key if len(w) > 1]
    return len(m.name_key) == 1 and len(words) == 1 and words[0] not in given_names


def _born_alike(a: MentionFacts, b: MentionFacts) -> bool:
    """Full dates of birth, neither on 1 January (often a year of birth alone), that agree as
    written (`plain_names.dob_agree`): the same day, day and month swapped, or the same day and
    month with one digit of the year slipped (19/10/1990 / 19/10/1980)."""
    return (
        a.dob_precision == b.dob_precision == "day"
        and all(m.dob is not None and (m.dob.month, m.dob.day) != (1, 1) for m in (a, b))
        and dob_agree(a, b)
    )


def _split_suspect(
    subject: MentionFacts,
    suspect: MentionFacts,
    days_apart: int,
    given_names: frozenset[str],
    same_child: bool = False,
) -> str | None:
    """What tells an analyst that an intelligence subject and a crime suspect linkage kept
    apart are one man, or None: the same phone or online handle ("phone", "handle"); the same
    full date of birth (not 1 January) beside a suspect written by a street name alone, a word
    no record writes as a given name, on records at most `STREET_NAME_DAYS` apart ("street
    name and date of birth"); or similar full names (two whole words or more on each side:
    `plain_names._similar_names`, or every word agreeing, a slip or nickname apart:
    `plain_names.names_agree`, "Sanmy ARSLAN" / "Sammy ARSLAN-CHAUDHRY") with full dates of
    birth that agree (`_born_alike`: the same day, or one digit of the year slipped) ("name and
    date of birth"), or with the same child: the crime's victim is a child whose own record
    (a referral, a crime) names the subject's person as her associate or suspect
    (`same_child`, "name and child").

    A similar name alone, even weeks apart, is not enough: the worlds hold many men of one
    name (on the nine benchmark worlds it took 10 namesakes for 7 split subjects)."""
    if subject.phones & suspect.phones:
        return "phone"
    if subject.handles & suspect.handles:
        return "handle"
    near = days_apart <= STREET_NAME_DAYS
    if near and _born_same_day(subject, suspect) and _street_name(suspect, given_names):
        return "street name and date of birth"
    words = [frozenset(w for w in m.name_key if len(w) > 1) for m in (subject, suspect)]
    if min(len(w) for w in words) < 2:
        return None
    if not (similar_names(*words) or names_agree(subject.name_key, suspect.name_key)):
        return None
    if _born_alike(subject, suspect):
        return "name and date of birth"
    return "name and child" if same_child and similar_names(*words) else None


def _name_alone(m: MentionFacts) -> bool:
    """The mention writes a name and nothing else that tells a man apart: no date of birth or
    age, phone, online handle, postcode or council id."""
    return (
        m.dob is None
        and m.written_age is None
        and not m.phones
        and not m.handles
        and m.postcode is None
        and m.council_id is None
    )


def _within(ctx: ReviewContext, a: int, b: int, days: int) -> bool:
    """Records `a` and `b` at most `days` apart (True where either is undated)."""
    day_a, day_b = ctx.records[a].occurred_at, ctx.records[b].occurred_at
    return day_a is None or day_b is None or abs(_days(day_a, day_b)) <= days


def unlinked_intelligence(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """Intelligence naming a suspect that links to none of the suspect's crime records.

    His crimes are those of his resolved person and those of crime suspects linkage kept apart
    from him that an analyst takes for him (`_CrimeSuspects.him`). A linked crime whose
    suspect agrees with him (`suspect_like`: a similar name, the same full date of birth, phone
    or handle) counts as linked: linkage split him, and the report is linked to his crime under
    another person; but not where that suspect is another subject of the same report.

    A subject written by his name alone (`_name_alone`) is taken for the man of his person's
    crimes only on those at most `STREET_NAME_DAYS` from the report: linkage can join a bare
    name to a namesake, and a name alone years apart is no ground for a missed link (his split
    suspects need evidence besides the name in any case)."""
    crimes_of: dict[int, set[int]] = defaultdict(set)
    for rid, ms in ctx.mentions_of.items():
        if _is_type(ctx, rid, RecordType.CRIME):
            for m in ms:
                if m.role == MentionRole.SUSPECT.value and m.person_id is not None:
                    crimes_of[m.person_id].add(rid)
    suspects_index: _CrimeSuspects | None = None
    for rid, ms in ctx.mentions_of.items():
        if not _is_type(ctx, rid, RecordType.INTELLIGENCE):
            continue
        linked = ctx.links.get(rid, set())
        linked_suspects = [
            other
            for link in sorted(linked)
            if _is_type(ctx, link, RecordType.CRIME)
            for other in ctx.mentions_of.get(link, [])
            if other.role == MentionRole.SUSPECT.value
        ]
        subjects = [
            m for m in ms if m.role in (MentionRole.SUBJECT.value, MentionRole.SUSPECT.value)
        ]
        for m in subjects:
            crimes = set(crimes_of.get(m.person_id or -1, set()))
            if _name_alone(m):
                crimes = {c for c in crimes if _within(ctx, rid, c, STREET_NAME_DAYS)}
            suspects_index = suspects_index or _CrimeSuspects(ctx)
            split = suspects_index.him(m)
            crimes |= {x.record_id for x, _ in split}
            if not crimes or crimes & linked:
                continue
            others = {x.person_id for x in subjects if x.id != m.id and x.person_id is not None}
            own = ctx.same_person(m)
            if any(
                other.person_id not in others and suspect_like(ctx, own, other)
                for other in linked_suspects
            ):
                continue
            evidence: dict[str, Any] = {
                "crime_records": sorted(crimes),
                "linked_records": sorted(linked),
            }
            if split:
                evidence["suspects_apart"] = [
                    {"mention": x.id, "record": x.record_id, "by": why}
                    for x, why in sorted(split, key=lambda t: t[0].id)
                ]
            found.add(IndicatorCode.UNLINKED_INTELLIGENCE, rid, m.person_id, evidence)


Rule = Callable[[ReviewContext, ReviewSettings, Found], None]
RULES: tuple[Rule, ...] = (
    repeat_missing,
    suspects,
    age_gap_partner,
    victim_treated_as_suspect,
    shared_object,
    unlinked_intelligence,
    la_concern_no_police_record,
    police_concern_no_la_record,
    named_associate_not_investigated,
)


def compute_indicators(ctx: ReviewContext, settings: ReviewSettings) -> list[Indicator]:
    """Every record indicator, in (record, code) order."""
    found = Found()
    for rule in RULES:
        rule(ctx, settings, found)
    return sorted(found.items.values(), key=lambda i: (i.record_id, i.code.value))


def group_indicators(ctx: ReviewContext, record_indicators: list[Indicator]) -> list[Indicator]:
    """Each group carries each code found on records naming one of its offenders, or about
    one of its members (an offender, or a victim: a group victim's repeat missing episodes are
    part of the group's case).

    The `record_id` of a group indicator is its first such record; evidence lists them all.
    Its persons are the group's offenders named in those records and the members the
    indicators are about.
    """
    rolled: dict[tuple[int, IndicatorCode], Indicator] = {}
    for ind in record_indicators:
        offenders = ctx.persons_in(
            ind.record_id, MentionRole.SUSPECT.value, MentionRole.SUBJECT.value
        )
        by_offender = {g for p in offenders for g in ctx.groups_of_person.get(p, ())}
        by_member = {g for p in ind.person_ids for g in ctx.member_of.get(p, ())}
        for gid in sorted(by_offender | by_member):
            item = rolled.setdefault((gid, ind.code), Indicator(ind.code, ind.record_id))
            item.group_ids.add(gid)
            item.person_ids |= offenders & ctx.group_offenders[gid]
            item.person_ids |= {p for p in ind.person_ids if gid in ctx.member_of.get(p, ())}
            item.evidence.append({"record": ind.record_id})
    return [rolled[k] for k in sorted(rolled, key=lambda k: (k[0], k[1].value))]
