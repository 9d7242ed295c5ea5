"""Looking people up by evidence where linkage left them split, for the indicators that assert
an absence (docs/indicators.md, "Plain names"): a child's records in one agency, a referral's
associate among the suspects of the child's police records, and that suspect's age.

Only names, dates of birth, phones, handles, postcodes and the council's child id as written are
read (never a protected characteristic).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterator

from casereview.model.codes import MentionRole, RecordType
from casereview.review.context import MentionFacts, RecordFacts, ReviewContext, police
from casereview.review.plain_names import (
    dob_agree,
    exact_dob,
    known_as,
    named_alike_undated,
    names_agree,
    near_in_time,
    plausibly_same,
    same_child,
    thinly_same_child,
    words_agree,
)
from casereview.values.dates import whole_years
from casereview.values.name_variants import forename_keys

__all__ = [
    "AgencyMentions",
    "ChildRecords",
    "PartnerLookup",
    "evidence_keys",
    "family_agrees",
    "is_child_mention",
    "is_suspect_mention",
    "name_keys",
    "suspect_like",
]


def is_child_mention(ctx: ReviewContext, m: MentionFacts) -> bool:
    """The mention is the child a record is about: a victim, or the subject of anything but
    intelligence (whose subject is the suspect)."""
    return m.role == MentionRole.VICTIM.value or (
        m.role == MentionRole.SUBJECT.value
        and ctx.records[m.record_id].record_type != RecordType.INTELLIGENCE.value
    )


def is_suspect_mention(ctx: ReviewContext, m: MentionFacts) -> bool:
    """The mention is a suspect: named suspect, or the subject of intelligence."""
    return m.role == MentionRole.SUSPECT.value or (
        m.role == MentionRole.SUBJECT.value
        and ctx.records[m.record_id].record_type == RecordType.INTELLIGENCE.value
    )


class AgencyMentions:
    """One agency's mentions (those `keep` takes) by what a child is looked up by: each name
    word's nickname and variant keys, a full date of birth (a name written with a slip, "Emiky",
    shares no key with "Emily"), and the council's child id."""

    def __init__(
        self,
        ctx: ReviewContext,
        agency: Callable[[RecordFacts], bool],
        keep: Callable[[MentionFacts], bool] = lambda _m: True,
    ) -> None:
        self.ctx = ctx
        self.kept: list[MentionFacts] = []
        self.by_key: dict[str, list[MentionFacts]] = defaultdict(list)
        self.by_council_id: dict[str, list[MentionFacts]] = defaultdict(list)
        self.by_dob: dict[dt.date, list[MentionFacts]] = defaultdict(list)
        self._dated: dict[frozenset[str], list[MentionFacts]] | None = None
        for rid, rec in ctx.records.items():
            if not agency(rec):
                continue
            for m in ctx.mentions_of.get(rid, []):
                if not keep(m):
                    continue
                self.kept.append(m)
                for key in name_keys(m):
                    self.by_key[key].append(m)
                if m.council_id is not None:
                    self.by_council_id[m.council_id].append(m)
                if m.dob is not None and m.dob_precision == "day":
                    self.by_dob[m.dob].append(m)

    def _candidates(
        self, mine: MentionFacts, skip_records: set[int] | frozenset[int]
    ) -> Iterator[MentionFacts]:
        """The agency's mentions sharing a key with `mine`, each once, none in `skip_records`."""
        candidates = list(self.by_council_id.get(mine.council_id or "", []))
        for key in name_keys(mine):
            candidates += self.by_key.get(key, [])
        if mine.dob is not None and mine.dob_precision == "day":
            candidates += self.by_dob.get(mine.dob, [])
        seen: set[int] = set()
        for theirs in candidates:
            if theirs.id in seen or theirs.record_id in skip_records:
                continue
            seen.add(theirs.id)
            yield theirs

    def same_child(
        self, mine: MentionFacts, skip_records: set[int] | frozenset[int] = frozenset()
    ) -> Iterator[MentionFacts]:
        """The agency's mentions a reviewer would take for the child of `mine`
        (`plain_names.same_child`), each once, none in `skip_records`."""
        records = self.ctx.records
        day = records[mine.record_id].occurred_at
        for theirs in self._candidates(mine, skip_records):
            then = records[theirs.record_id].occurred_at
            if same_child(mine, theirs, a_day=day, b_day=then) or self._near_and_alike(
                mine, theirs, day, then
            ):
                yield theirs

    def _near_and_alike(
        self, mine: MentionFacts, theirs: MentionFacts, day: dt.date | None, then: dt.date | None
    ) -> bool:
        """Two child mentions named alike (`plain_names.named_alike_undated`: two words or more,
        one side writing no date of birth) on records `NEAR_DAYS` apart, where no child mention
        of either agency written with that name gives a date of birth against the dated side:
        "Chloe Brown" on a council referral and on a police crime five weeks before it are one
        child, unless another "Chloe Brown" born another day is on record."""
        ctx = self.ctx
        if not (is_child_mention(ctx, mine) and is_child_mention(ctx, theirs)):
            return False
        if not (near_in_time(day, then) and named_alike_undated(mine, theirs)):
            return False
        dated = mine if mine.dob is not None else theirs
        return all(dob_agree(dated, other) for other in self._dated_children(dated.name_key))

    def _dated_children(self, name: frozenset[str]) -> list[MentionFacts]:
        """Child mentions of any agency written with this name and a date of birth."""
        if self._dated is None:
            self._dated = defaultdict(list)
            for ms in self.ctx.mentions_of.values():
                for m in ms:
                    if m.dob is not None and is_child_mention(self.ctx, m):
                        self._dated[m.name_key].append(m)
        return self._dated.get(name, [])

    def beside_family(
        self, mine: MentionFacts, skip_records: set[int] | frozenset[int] = frozenset()
    ) -> Iterator[MentionFacts]:
        """The agency's mentions that thinly agree with the child of `mine`
        (`plain_names.thinly_same_child`) on a record that also names one of the other people
        of `mine`'s record (`family_agrees`: her mother as reporter, her associate as suspect).

        One record's associate agreeing with the other's suspect by a lone name, street name or
        handle (`associate_is_suspect`) is thinner: one man exploits several children, so it
        counts only beside a child mention whose full name (two words or more) agrees word by
        word (`names_agree`) with no date of birth against it."""
        ctx = self.ctx
        for theirs in self._candidates(mine, skip_records):
            if not (thinly_same_child(mine, theirs) or born_same_day(mine, theirs)):
                continue
            if family_agrees(ctx, mine, theirs) or (
                is_child_mention(ctx, theirs)
                and (full_names_agree(mine, theirs) or born_same_day(mine, theirs))
                and associate_is_suspect(ctx, mine, theirs)
            ):
                yield theirs

    def names(self, mine: MentionFacts) -> bool:
        """Whether the agency names the child of `mine` (`same_child` or `beside_family`)."""
        return (
            next(self.same_child(mine), None) is not None
            or next(self.beside_family(mine), None) is not None
        )


def family_agrees(ctx: ReviewContext, mine: MentionFacts, theirs: MentionFacts) -> bool:
    """Another person of `mine`'s record is another person of `theirs`'s: the same linked
    person, the same phone, or names of two words or more that agree word by word
    (`plain_names.names_agree`; a lone "Prince" is on many records). A
    child's mother or associate named on both records is what tells an analyst that a police
    crime about "Chantelle" is the council's Chantelle McDaniel, where linkage kept them apart."""
    ours = [x for x in ctx.mentions_of.get(mine.record_id, []) if x.id != mine.id]
    their = [y for y in ctx.mentions_of.get(theirs.record_id, []) if y.id != theirs.id]
    return any(
        (x.person_id is not None and x.person_id == y.person_id)
        or bool(x.phones & y.phones)
        or (min(len(x.name_key), len(y.name_key)) >= 2 and names_agree(x.name_key, y.name_key))
        for x in ours
        for y in their
    )


def born_same_day(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write the same full date of birth (`exact_dob`), not 1 January (often a year of
    birth alone written as a date), and at least one name word agrees (`words_agree`)."""
    if not exact_dob(a, b) or a.dob is None or (a.dob.month, a.dob.day) == (1, 1):
        return False
    return any(words_agree(x, y) for x in a.name_key if len(x) > 1 for y in b.name_key if len(y) > 1)


def full_names_agree(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write a name of two words or more (an initial counts: "P Sivakumar"), agreeing word
    by word (`names_agree`: at least one whole word), and their dates of birth, where both are
    written, agree (`plain_names.dob_agree`)."""
    if min(len(a.name_key), len(b.name_key)) < 2:
        return False
    if a.dob is not None and b.dob is not None and not dob_agree(a, b):
        return False
    return names_agree(a.name_key, b.name_key)


def associate_is_suspect(ctx: ReviewContext, mine: MentionFacts, theirs: MentionFacts) -> bool:
    """An associate of one record is a suspect of the other as `known_as` compares them (a lone
    name, nickname or street name, phone or handle: how a child names the man a referral
    records and the police investigate): "Tyrone" on the referral about "Anjali Subramaniam",
    "Tyrone McLean" the suspect of the crime about her."""
    ours = [x for x in ctx.mentions_of.get(mine.record_id, []) if x.id != mine.id]
    their = [y for y in ctx.mentions_of.get(theirs.record_id, []) if y.id != theirs.id]
    for x in ours:
        for y in their:
            for associate, suspect in ((x, y), (y, x)):
                if associate.role != MentionRole.ASSOCIATE.value:
                    continue
                if not is_suspect_mention(ctx, suspect):
                    continue
                quoted = ctx.quoted_names.get(suspect.record_id, frozenset())
                if known_as(associate, suspect, quoted):
                    return True
    return False


class ChildRecords:
    """The records of one agency about a child, found as an analyst looks a child up: by the
    linked person, and by strong evidence on a child mention linkage left apart (the council's
    child id, a plain name with a date of birth that agrees, a similar name at the same
    postcode: `plain_names.same_child`; or a thinly agreeing name beside another person of her
    record: `AgencyMentions.beside_family`)."""

    def __init__(self, ctx: ReviewContext, agency: Callable[[RecordFacts], bool]) -> None:
        self.ctx = ctx
        self.children = AgencyMentions(ctx, agency, lambda m: is_child_mention(ctx, m))
        self.by_person: dict[int, set[int]] = defaultdict(set)
        for m in self.children.kept:
            if m.person_id is not None:
                self.by_person[m.person_id].add(m.record_id)
        self._cache: dict[int, set[int]] = {}

    def of(self, pid: int) -> set[int]:
        """The agency's records about the child `pid`."""
        if pid in self._cache:
            return self._cache[pid]
        found = set(self.by_person.get(pid, ()))
        for mine in self.ctx.mentions_of_person.get(pid, []):
            for theirs in self.children.same_child(mine, skip_records=found):
                found.add(theirs.record_id)
            for theirs in self.children.beside_family(mine, skip_records=found):
                found.add(theirs.record_id)
        self._cache[pid] = found
        return found


def name_keys(m: MentionFacts) -> set[str]:
    """Keys to look a mention up by name: each name word's nickname and variant keys, and (for
    words of four letters or more) the word with one letter dropped, so that a name written
    with a slip ("Shivvani", "Khdaija") finds "Shivani" or "Khadija": two words one letter
    apart share one of these. Finding is not matching: `same_child` still compares them."""
    keys = {k for w in m.name_key if len(w) > 1 for k in forename_keys(w)}
    for w in m.name_key:
        if len(w) >= 4:
            keys |= {f"~{w}"} | {f"~{w[:k]}{w[k + 1 :]}" for k in range(len(w))}
    return keys


def evidence_keys(m: MentionFacts) -> set[str]:
    """Keys a mention can be looked up by: each name word's nickname and variant keys, each
    three-letter-or-longer word of a handle, phones."""
    words = set(m.name_key) | {w for h in m.handles for w in re.findall(r"[a-z]{3,}", h)}
    keys = {f"name:{k}" for w in words if len(w) > 1 for k in forename_keys(w)}
    return keys | {f"phone:{p}" for p in m.phones} | {f"handle:{h}" for h in m.handles}


def suspect_like(ctx: ReviewContext, own: list[MentionFacts], suspect: MentionFacts) -> bool:
    """The suspect (or another mention of his person) agrees with one of `own`: a similar name
    (a date of birth may be missing), the same full date of birth, or `known_as` (a lone name,
    nickname, street name the record quotes, phone or handle). For one child's records only."""
    quoted = ctx.quoted_names.get(suspect.record_id, frozenset())
    return any(
        plausibly_same(mine, other, narrow=True)
        or exact_dob(mine, other)
        or known_as(mine, other, quoted)
        for other in ctx.same_person(suspect)
        for mine in own
    )


class PartnerLookup:
    """The age of a referral's partner from the suspect of the child's police records he is."""

    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx
        self.child_police = ChildRecords(ctx, police)

    def age(
        self, partner: MentionFacts, children: list[MentionFacts]
    ) -> tuple[int | None, int | None]:
        """(his age at the partner's record, the suspect mention it was read from)."""
        ctx = self.ctx
        day = ctx.records[partner.record_id].occurred_at
        if day is None:
            return None, None
        own = ctx.same_person(partner)
        for child in children:
            if child.person_id is None:
                continue
            for rid in sorted(self.child_police.of(child.person_id)):
                then = ctx.records[rid].occurred_at
                for suspect in ctx.mentions_of.get(rid, []):
                    if suspect.age is None or then is None or not is_suspect_mention(ctx, suspect):
                        continue
                    same = suspect.person_id is not None and suspect.person_id == partner.person_id
                    if same or suspect_like(ctx, own, suspect):
                        return suspect.age + (whole_years(then, day) or 0), suspect.id
        return None, None
