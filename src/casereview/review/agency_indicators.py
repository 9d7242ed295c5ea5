"""Indicators of a concern known to one agency and not the other, and of an associate the
police never investigated (docs/indicators.md): each asserts an absence, so each reads the
evidence an analyst would where linkage left a child or an associate split
(`plain_names`, `lookup`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

from casereview.classify.rules import FAMILY_WORDS
from casereview.model.codes import IndicatorCode, MentionRole, RecordType
from casereview.review.context import (
    MentionFacts,
    RecordFacts,
    ReviewContext,
    local_authority,
    police,
)
from casereview.review.found import CHILD_ROLES, Found
from casereview.review.lookup import (
    AgencyMentions,
    ChildRecords,
    evidence_keys,
    is_child_mention,
    is_suspect_mention,
    suspect_like,
)
from casereview.review.plain_names import (
    age_fits,
    dob_agree,
    known_as,
    near_in_time,
    plausibly_same,
    thinly_same_child,
    told_apart,
    words_agree,
)
from casereview.settings import ReviewSettings
from casereview.values.dates import whole_years

__all__ = [
    "la_concern_no_police_record",
    "named_associate_not_investigated",
    "police_concern_no_la_record",
]


def _known_to(ctx: ReviewContext, agency: Callable[[RecordFacts], bool]) -> set[int]:
    """Resolved persons named (in any role) in a record of one agency."""
    known: set[int] = set()
    for rid, rec in ctx.records.items():
        if agency(rec):
            known |= ctx.persons_in(rid)
    return known


def _plainly_named(
    ctx: ReviewContext, agency: Callable[[RecordFacts], bool]
) -> Callable[[int], bool]:
    """Whether a mention in one agency's records plainly names a person (`plausibly_same` as
    one of the person's own mentions elsewhere): linkage left it apart, and a reviewer would
    find it at once, so the agency is taken to know the person. The rules that use it assert
    an absence, so they give way to a plain name."""
    mentions = AgencyMentions(ctx, agency)

    def named(pid: int) -> bool:
        return any(
            mentions.names(mine)
            for mine in ctx.mentions_of_person.get(pid, [])
            if not agency(ctx.records[mine.record_id])
        )

    return named


def _knows(
    ctx: ReviewContext, agency: Callable[[RecordFacts], bool]
) -> Callable[[int], bool] | None:
    """Whether one agency knows a person: one of its records names the person, or plainly
    names them (`_plainly_named`). None when the store holds no record of that agency (the
    absence-asserting rules then say nothing)."""
    if not any(agency(rec) for rec in ctx.records.values()):
        return None
    known = _known_to(ctx, agency)
    named = _plainly_named(ctx, agency)
    return lambda pid: pid in known or named(pid)


def street_names(ctx: ReviewContext) -> frozenset[str]:
    """Words some narrative quotes alone as what a man is known by ("known as 'Junior'"): a
    street name, even where some record also writes the word as a forename."""
    return frozenset(
        name
        for names in ctx.quoted_names.values()
        for name in names
        if len(name) > 1 and name.isalpha()
    )


_VOWELS = re.compile(r"[aeiouy]")


def _skeleton(word: str) -> str:
    """A name word's consonants, doubled letters written once, q as k ("Haddad" -> "hd",
    "Tariq" / "Tarik" -> "trk", "Iqbal" -> "kbl"): what survives a name written in a script that writes few
    vowels ("حداد" is read "hdd")."""
    letters = _VOWELS.sub("", word).replace("q", "k")
    return "".join(c for k, c in enumerate(letters) if k == 0 or c != letters[k - 1])


def same_skeleton(a: MentionFacts, b: MentionFacts) -> bool:
    """Two names of two words or more whose words (of two letters or more) pair off, each word
    of the shorter name with its own word of the longer, with the same consonant skeleton
    (`_skeleton`): "Shahid Begam" (a council's "শহীদ বেগম" in Latin letters) and "Shahid BEGUM",
    "Mohammed Qbl" and "Mohammed Ali IQBAL". Only where the evidence is narrow (one child's
    own records), as `known_as`; dates of birth written on both must agree to the year."""
    short, long_ = sorted(
        ([w for w in a.name_key if len(w) > 1], [w for w in b.name_key if len(w) > 1]), key=len
    )
    if len(short) < 2:
        return False
    if a.dob is not None and b.dob is not None and abs(a.dob.year - b.dob.year) > 1:
        return False
    free = [_skeleton(w) for w in long_]
    for word in short:
        key = _skeleton(word)
        if key not in free:
            return False
        free.remove(key)
    return True


def _few_vowels(word: str) -> bool:
    """A name word written with at most one vowel ("Umr", "Hdd"): how a name written in a
    script that writes few vowels comes out in Latin letters."""
    return len(_VOWELS.findall(word)) <= 1


def same_lone_skeleton(a: MentionFacts, b: MentionFacts) -> bool:
    """A name given alone ("Omar") and a word of the other name written with few vowels
    (`_few_vowels`: "Umr Ahmed WARSAME") and fewer letters, with the same consonant skeleton
    of two letters or more (`_skeleton`). Only where the evidence is narrow (one child's own
    records), as `same_skeleton`."""
    for lone, other in ((a, b), (b, a)):
        words = [w for w in lone.name_key if len(w) > 1]
        if len(lone.name_key) != 1 or len(words) != 1:
            continue
        (word,) = words
        key = _skeleton(word)
        if len(key) < 2:
            continue
        if any(
            len(w) < len(word) and _few_vowels(w) and _skeleton(w) == key
            for w in other.name_key
            if len(w) > 1
        ):
            return True
    return False


# Russian, Ukrainian and Belarusian patronymics: a father's name, written between the given name
# and the surname ("Aleksandr Oleksandrovich", "Dmitri Dmitrovich IVANOV").
_PATRONYMIC = re.compile(r"[a-z]{3,}(?:ovich|evich|ovych|evych|ovna|evna|ivna|ichna)")


def without_patronymic(m: MentionFacts) -> MentionFacts | None:
    """The mention with its patronymic words left out, or None when it writes none (or nothing
    else). A referral that writes "Aleksandr Oleksandrovich" (his given name and his father's)
    names the man a police record writes "Aleksandr POPOV"; the patronymic is no surname."""
    words = frozenset(w for w in m.name_key if not _PATRONYMIC.fullmatch(w))
    if words == m.name_key or not words:
        return None
    return replace(m, name_key=words, forename_key=m.forename_key & words)


def _read_as(own: Iterable[MentionFacts]) -> list[MentionFacts]:
    """The associate's mentions and, for those that write a patronymic, the same without it
    (`without_patronymic`)."""
    out = list(own)
    out += [x for m in out if (x := without_patronymic(m)) is not None]
    return out


def young_member(
    ctx: ReviewContext,
    own: list[MentionFacts],
    kid_groups: set[int],
    day: dt.date | None,
    child_age_below: int,
) -> bool:
    """The associate is an offender of a group the child is a member of (`kid_groups`: her
    person's groups and those of the victims of her police records, `_groups_of_child`), and
    under `child_age_below` on the referral's day: the group's offenders whose suspect mentions
    agree with him (`known_as`, `plausibly_same`: the narrow scope of the child's own group) all
    make him a child then, at the oldest their dates of birth or ages allow (`_oldest`); where
    one of an offender's agreeing mentions writes a full date of birth, his age is read from
    his dates of birth alone (an age in whole years hides up to a year). The men exploiting a
    child are the group she is in; the one she names is most often one of them, and their
    police records write their ages where the referral does not."""
    if day is None:
        return False
    ages: set[float] = set()
    for gid in kid_groups:
        for offender in ctx.group_offenders.get(gid, ()):
            dated: set[float] = set()
            aged: set[float] = set()
            for other in ctx.mentions_of_person.get(offender, []):
                then = ctx.records[other.record_id].occurred_at
                if other.age is None or then is None or not is_suspect_mention(ctx, other):
                    continue
                quoted = ctx.quoted_names.get(other.record_id, frozenset())
                if any(
                    known_as(mine, other, quoted) or plausibly_same(mine, other, narrow=True)
                    for mine in own
                ):
                    full = other.dob is not None and other.dob_precision == "day"
                    (dated if full else aged).add(_oldest(other, then, day))
            ages |= dated or aged
    return bool(ages) and max(ages) < child_age_below


def _groups_of_child(ctx: ReviewContext, kid: int, police_records: Iterable[int]) -> set[int]:
    """The groups a child is a member of: her person's, and those of the child (victim or
    subject) of each of her police records (`ChildRecords`: linkage may have left the police's
    child apart from the council's, and the group is built on the police's)."""
    groups = set(ctx.member_of.get(kid, ()))
    for rid in police_records:
        for other in ctx.mentions_of.get(rid, []):
            if other.person_id is not None and is_child_mention(ctx, other):
                groups |= ctx.member_of.get(other.person_id, set())
    return groups


def _oldest(m: MentionFacts, then: dt.date, day: dt.date) -> float:
    """The oldest a suspect mention makes him on `day`: his age from a full date of birth, or
    from his age at his record (`then`) moved by the time between, plus the year an age in
    whole years may hide."""
    if m.dob is not None and m.dob_precision == "day":
        return float(whole_years(m.dob, day) or 0)
    return (m.age or 0) + 1 + (day - then).days / 365.25


def _police_crime(rec: RecordFacts) -> bool:
    """A police crime or incident: the police records that investigate (and carry a CSE flag);
    a missing-person report or intelligence is not an investigation of the child's abuse."""
    return police(rec) and rec.record_type in (RecordType.CRIME.value, RecordType.INCIDENT.value)


def _surname_words(m: MentionFacts) -> frozenset[str]:
    """The words of a mention's surname (two letters or more)."""
    return frozenset(w for w in m.name_key - m.forename_key if len(w) > 1)


class _BesideRelative:
    """Police crimes by the surnames of the child's relatives they name (a parent or carer, or
    anyone whose relationship is a family word: her mother as reporter, her uncle as suspect),
    to find a child a crime names by her given name alone or its initial ("Emily", "A") beside
    a relative who carries the surname the council writes for her."""

    def __init__(self, ctx: ReviewContext, agency: Callable[[RecordFacts], bool]) -> None:
        self.ctx = ctx
        self.by_surname: dict[str, set[int]] = defaultdict(set)
        for rid, rec in ctx.records.items():
            if not agency(rec):
                continue
            for m in ctx.mentions_of.get(rid, []):
                if m.role == MentionRole.PARENT_CARER.value or m.relationship in FAMILY_WORDS:
                    for word in _surname_words(m):
                        self.by_surname[word].add(rid)

    def names(self, mine: MentionFacts) -> bool:
        """Whether a crime names the child of `mine` (a council mention writing her given name
        and surname) by her given name alone or its initial, no surname (`_first_name_only`),
        beside a relative of her surname, on a record at most `NEAR_DAYS` from hers, with no
        age or date of birth against her (`_not_against`)."""
        ctx = self.ctx
        given = {w for w in mine.forename_key if len(w) > 1}
        surnames = _surname_words(mine)
        if not given or not surnames:
            return False
        day = ctx.records[mine.record_id].occurred_at
        rids = set().union(*(self.by_surname.get(w, set()) for w in surnames))
        for rid in sorted(rids):
            then = ctx.records[rid].occurred_at
            if not near_in_time(day, then):
                continue
            for theirs in ctx.mentions_of.get(rid, []):
                if not is_child_mention(ctx, theirs) or not _first_name_only(theirs, given):
                    continue
                if _not_against(mine, theirs, then):
                    return True
        return False


def _first_name_only(theirs: MentionFacts, given: set[str]) -> bool:
    """`theirs` writes no surname, and its one word is one of `given` (a slip, nickname or
    variant apart: `words_agree`) or the initial of one."""
    words = theirs.name_key
    if len(words) != 1 or words != theirs.forename_key:
        return False
    (word,) = words
    return any(words_agree(word, g) for g in given)


def _not_against(mine: MentionFacts, theirs: MentionFacts, then: dt.date | None) -> bool:
    """No date of birth or age written on `theirs` is against `mine`'s date of birth: dates
    that agree (`dob_agree`), or the age `theirs` writes within a year of the one `mine`'s
    date of birth gives on `theirs`'s day."""
    if mine.dob is None:
        return True
    if theirs.dob is not None:
        return dob_agree(mine, theirs)
    if theirs.written_age is None or then is None:
        return True
    return age_fits(mine, theirs, then)


def la_concern_no_police_record(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """A local-authority CSE concern about a child whom no police crime or incident names (in
    any role): the police knew of no offence against the child, whatever else they held (a
    missing-person report is not an investigation).

    The rule asserts an absence, so a police crime mention that plainly names the same child
    (`plain_names.plausibly_same`) is taken as a police record, and so is a crime naming her by
    her given name alone beside a relative of her surname (`_BesideRelative`). Nothing fires
    when the store holds no police crime at all.
    """
    knows = _knows(ctx, _police_crime)
    if knows is None:
        return
    beside = _BesideRelative(ctx, _police_crime)

    def police_knows(pid: int) -> bool:
        return knows(pid) or any(
            beside.names(mine)
            for mine in ctx.mentions_of_person.get(pid, [])
            if local_authority(ctx.records[mine.record_id])
        )

    for rid, rec in ctx.records.items():
        if not local_authority(rec) or not (rec.cse_flag or "cse" in rec.factors):
            continue
        for pid in sorted(ctx.persons_in(rid, *CHILD_ROLES)):
            if not police_knows(pid):
                found.add(
                    IndicatorCode.LA_CONCERN_NO_POLICE_RECORD,
                    rid,
                    pid,
                    {"cse_flag": rec.cse_flag, "factors": sorted(rec.factors)},
                )


def police_concern_no_la_record(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """A police record flagged CSE about a child (under 18 at the event, or of unknown age)
    that no local-authority record names: the concern never reached children's social care.
    The same plain-name guard as `la_concern_no_police_record`; nothing fires when the store
    holds no local-authority record at all."""
    council_knows = _knows(ctx, local_authority)
    if council_knows is None:
        return
    for rid, rec in ctx.records.items():
        if not police(rec) or not (rec.cse_flag or "cse" in rec.factors):
            continue
        for m in ctx.mentions_of.get(rid, []):
            if m.person_id is None or m.role not in CHILD_ROLES:
                continue
            if (
                m.role == MentionRole.SUBJECT.value
                and rec.record_type == RecordType.INTELLIGENCE.value
            ):
                continue  # the subject of intelligence is the suspect, not the child
            if m.age is not None and m.age >= s.child_age_below:
                continue
            if not council_knows(m.person_id):
                found.add(
                    IndicatorCode.POLICE_CONCERN_NO_LA_RECORD,
                    rid,
                    m.person_id,
                    {"cse_flag": rec.cse_flag, "child_mention": m.id, "age": m.age},
                )


def named_associate_not_investigated(ctx: ReviewContext, s: ReviewSettings, found: Found) -> None:
    """An adult named as associate of a child in a social-care record with exploitation
    concerns, resolved to a person, who is never a suspect in a police record about that child.

    Carried by the social-care record; evidence: the associate's mention and the child's police
    records (none of which names the associate as suspect). An associate known to be under 18
    is not an adult; one of unknown age is taken as one (the reviewer sees the age is unknown).

    The rule asserts an absence, so it reads the evidence an analyst would: the child's police
    records are found by the linked person and by strong evidence (`ChildRecords`); the
    associate is taken as investigated when a suspect of those records is his linked person,
    or agrees with him (or with another mention of his person) by a similar name, the same full
    date of birth, the same phone or handle, or a lone name, nickname, street name or handle
    that agrees with the suspect's name or a name the record quotes (`plain_names.known_as`),
    or a name of two words or more with the same consonants (`same_skeleton`: a name written
    in a script with few vowels; `same_lone_skeleton` for a name given alone), his name read
    without a patronymic (`without_patronymic`). A word some narrative quotes as a street name
    (`street_names`) tells him apart from no suspect. A child of her group is not an adult
    (`young_member`, her groups through her police records: `_groups_of_child`).
    """
    child_police = ChildRecords(ctx, police)
    suspect_mentions: dict[int, list[MentionFacts]] = {
        rid: [m for m in ctx.mentions_of.get(rid, []) if is_suspect_mention(ctx, m)]
        for rid, rec in ctx.records.items()
        if police(rec)
    }

    given = ctx.given_names - street_names(ctx)

    def investigated(
        own: list[MentionFacts], looks: list[MentionFacts], pid: int, rid: int
    ) -> bool:
        """A suspect of record `rid` is the associate (`own`; `looks`: also read without a
        patronymic, `_read_as`), or cannot be told apart from him."""
        for suspect in suspect_mentions[rid]:
            if suspect.person_id == pid or suspect_like(ctx, looks, suspect):
                return True
            if any(
                same_skeleton(mine, other) or same_lone_skeleton(mine, other)
                for other in ctx.same_person(suspect)
                for mine in own
            ):
                return True
            if not any(
                told_apart(mine, other, given) for other in ctx.same_person(suspect) for mine in own
            ):
                return True
        return False

    # Police suspect mentions by what a referral may name him by: name words (with their
    # nickname and variant keys), phones, handles.
    suspects_by_key: dict[str, list[MentionFacts]] = defaultdict(list)
    for ms in suspect_mentions.values():
        for suspect in ms:
            for key in evidence_keys(suspect):
                suspects_by_key[key].append(suspect)

    def named_with_child(own: list[MentionFacts], child: list[MentionFacts]) -> bool:
        """A police record (linkage kept it from the child) names as suspect a man who agrees
        with the associate, beside a child who thinly agrees with the referral's child: the
        associate and the child, each weakly evidenced, are together strong evidence."""
        seen: set[int] = set()
        for mine in own:
            for key in evidence_keys(mine):
                for suspect in suspects_by_key.get(key, []):
                    if suspect.id in seen:
                        continue
                    seen.add(suspect.id)
                    rid = suspect.record_id
                    quoted = ctx.quoted_names.get(rid, frozenset())
                    if not (
                        known_as(mine, suspect, quoted)
                        or plausibly_same(mine, suspect, narrow=True)
                    ):
                        continue
                    if any(
                        thinly_same_child(kid, other)
                        for other in ctx.mentions_of.get(rid, [])
                        if is_child_mention(ctx, other)
                        for kid in child
                    ):
                        return True
        return False

    for rid, rec in ctx.records.items():
        if not local_authority(rec):
            continue
        if not (ctx.is_exploitation(rid) or "cce" in rec.factors):
            continue
        ms = ctx.mentions_of.get(rid, [])
        kids = {m.person_id for m in ms if m.role in CHILD_ROLES and m.person_id is not None}
        for m in ms:
            if m.role != MentionRole.ASSOCIATE.value or m.person_id is None:
                continue
            if m.person_id in kids or (m.age is not None and m.age < s.child_age_below):
                continue
            if m.relationship in FAMILY_WORDS:
                continue  # a sister or an uncle named on the referral is family, not an associate
            own = ctx.same_person(m)
            looks = _read_as(own)
            day = rec.occurred_at
            for kid in sorted(kids):
                theirs = sorted(child_police.of(kid))
                kid_groups = _groups_of_child(ctx, kid, theirs)
                if young_member(ctx, looks, kid_groups, day, s.child_age_below):
                    continue
                if any(investigated(own, looks, m.person_id, r) for r in theirs):
                    continue
                if named_with_child(own, ctx.mentions_of_person.get(kid, [])):
                    continue
                found.add(
                    IndicatorCode.NAMED_ASSOCIATE_NOT_INVESTIGATED,
                    rid,
                    m.person_id,
                    {
                        "associate_mention": m.id,
                        "relationship": m.relationship,
                        "age": m.age,
                        "child": kid,
                        "child_police_records": theirs,
                    },
                )
