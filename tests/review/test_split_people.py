"""The absence-asserting indicators read the evidence an analyst would where linkage split a
child or a suspect (issue 16, fourth session): a child found beside her mother on the other
agency's record; an intelligence report linked to its subject's crime under another person."""

from __future__ import annotations

import datetime as dt

from casereview.model.codes import IndicatorCode
from casereview.review.context import MentionFacts, RecordFacts, ReviewContext
from casereview.review.indicators import compute_indicators
from casereview.settings import ReviewSettings


def _record(
    rid: int, kind: str, record_type: str, day: str, cse: bool | None = None
) -> RecordFacts:
    return RecordFacts(
        id=rid, source_kind=kind, record_type=record_type, occurred_at=dt.date.fromisoformat(day),
        outcome=None, cse_flag=cse, factors=frozenset(), borough=None,
    )  # fmt: skip


def _mention(mid: int, rid: int, role: str, person: int, name: str, dob: str | None = None,
             relationship: str | None = None) -> MentionFacts:  # fmt: skip
    return MentionFacts(
        id=mid, record_id=rid, role=role, age=None, relationship=relationship, person_id=person,
        name_key=frozenset(name.lower().split()),
        dob=dt.date.fromisoformat(dob) if dob else None, dob_precision="day" if dob else "none",
    )  # fmt: skip


def _codes(ctx: ReviewContext) -> set[tuple[IndicatorCode, int]]:
    return {(i.code, i.record_id) for i in compute_indicators(ctx, ReviewSettings())}


def test_a_child_beside_her_mother_on_a_police_crime_is_known_to_the_police() -> None:
    """The council's "Chantelle Mcdaniel" and the crime's victim "Chantelle" are two persons
    to linkage (no date of birth, no surname on the crime); her mother "Tia Mcdaniel" is on
    both records (as two persons too). The police did record her: no concern-without-record.
    A council concern about another child, whose name no police crime carries, still fires."""
    ctx = ReviewContext()
    ctx.records[1] = _record(1, "local_authority", "referral", "2022-12-15", cse=True)
    ctx.mentions_of[1] += [
        _mention(1, 1, "subject", 1, "Chantelle Mcdaniel", "2007-01-01"),
        _mention(2, 1, "parent_carer", 2, "Tia Mcdaniel", relationship="mother"),
    ]
    ctx.records[2] = _record(2, "police", "crime", "2022-11-25", cse=False)
    ctx.mentions_of[2] += [
        _mention(3, 2, "victim", 3, "Chantelle"),
        _mention(4, 2, "suspect", 4, "Toby Houghton", "2005-10-07"),
        _mention(5, 2, "reporter", 5, "Tia MCDANIEL".lower(), relationship="mother"),
    ]
    ctx.records[3] = _record(3, "local_authority", "referral", "2022-12-15", cse=True)
    ctx.mentions_of[3] += [
        _mention(6, 3, "subject", 6, "Chantelle Okafor", "2008-03-03"),
        _mention(7, 3, "parent_carer", 7, "Grace Okafor", relationship="mother"),
    ]
    codes = {c for c in _codes(ctx) if c[0] == IndicatorCode.LA_CONCERN_NO_POLICE_RECORD}
    assert codes == {(IndicatorCode.LA_CONCERN_NO_POLICE_RECORD, 3)}


def test_intelligence_linked_to_its_subjects_crime_under_another_person() -> None:
    """Linkage split the subject: "Snoop" (same full date of birth) is the suspect of the crime
    the report is linked to, "Lauren Kowalczyk" of another. The report is linked to his crime;
    a report on a man linked to nothing of his still fires."""
    ctx = ReviewContext()
    for rid, day in ((1, "2020-04-22"), (2, "2020-11-27"), (3, "2021-01-01")):
        ctx.records[rid] = _record(rid, "police", "crime", day, cse=True)
    ctx.mentions_of[1].append(_mention(1, 1, "suspect", 1, "Lauren Kowalczyk", "2001-09-23"))
    ctx.mentions_of[2].append(_mention(2, 2, "suspect", 2, "Snoop", "2001-09-23"))
    ctx.mentions_of[3].append(_mention(3, 3, "suspect", 3, "Kyle Robinson", "1984-01-21"))
    ctx.records[4] = _record(4, "police", "intelligence", "2022-08-15")
    ctx.mentions_of[4].append(_mention(4, 4, "subject", 1, "Lauren Kowalczyk", "2001-09-23"))
    ctx.records[5] = _record(5, "police", "intelligence", "2022-08-15")
    ctx.mentions_of[5].append(_mention(5, 5, "subject", 3, "Kyle Robinson", "1984-01-21"))
    ctx.links[4].add(2)
    ctx.links[2].add(4)
    ctx.links[5].add(2)
    ctx.links[2].add(5)
    codes = {c for c in _codes(ctx) if c[0] == IndicatorCode.UNLINKED_INTELLIGENCE}
    assert codes == {(IndicatorCode.UNLINKED_INTELLIGENCE, 5)}


def _concern_and_crime(
    child: tuple[str, str | None], other: list[MentionFacts], victim: tuple[str, str | None],
    suspect: str,
) -> ReviewContext:  # fmt: skip
    """A council CSE referral about `child` (with `other` people) and a police crime about
    `victim` (a person of its own to linkage) with `suspect`."""
    ctx = ReviewContext()
    ctx.records[1] = _record(1, "local_authority", "referral", "2019-08-26", cse=True)
    ctx.mentions_of[1] += [_mention(1, 1, "subject", 1, *child), *other]
    ctx.records[2] = _record(2, "police", "crime", "2019-08-11", cse=True)
    ctx.mentions_of[2] += [
        _mention(10, 2, "victim", 10, *victim),
        _mention(11, 2, "suspect", 11, suspect, "1990-07-04"),
    ]
    return ctx


def _concern(ctx: ReviewContext) -> bool:
    return (IndicatorCode.LA_CONCERN_NO_POLICE_RECORD, 1) in _codes(ctx)


def test_a_child_written_with_a_slip_in_her_only_shared_name_is_found() -> None:
    """Sixth session, sparse seed 1: the council's "Shivvani Glil" born 6 February 1997 is the
    crime's "Shivani" born in 1997 (written "01/01/1997"); no name key of one finds the other,
    so the lookup also keys each word with one letter dropped."""
    ctx = _concern_and_crime(("Shivvani Glil", "1997-02-06"), [], ("Shivani", "1997-01-01"),
                             "Shahid Uddin")  # fmt: skip
    assert not _concern(ctx)
    other = _concern_and_crime(("Shivvani Glil", "1997-02-06"), [], ("Shivani", "1998-01-01"),
                               "Shahid Uddin")  # fmt: skip
    assert _concern(other)


def test_the_referrals_associate_as_the_crimes_suspect_beside_her_full_name() -> None:
    """Sparse seed 1: the council's "Anjali Subramaniam" (no date of birth) names "Tyrone" as
    her associate; the crime's victim "Anjali SUBRAMANIAM" has "Tyrone McLean" as suspect. One
    man exploits several children, so a lone name of the child beside him is not enough."""
    tyrone = _mention(2, 1, "associate", 2, "Tyrone", relationship="older male friend")
    ctx = _concern_and_crime(("Anjali Subramaniam", None), [tyrone],
                             ("Anjali Subramaniam", "2004-10-15"), "Tyrone Mclean")  # fmt: skip
    assert not _concern(ctx)
    alone = _concern_and_crime(("Anjali Subramaniam", None), [tyrone], ("Anjali", None),
                               "Tyrone Mclean")  # fmt: skip
    assert _concern(alone)
    stranger = _concern_and_crime(("Anjali Subramaniam", None), [tyrone],
                                  ("Anjali Subramaniam", "2004-10-15"), "Marcus Mclean")  # fmt: skip
    # (a crime two years before: not `NEAR_DAYS` apart, the next test)
    stranger.records[2] = _record(2, "police", "crime", "2017-08-11", cse=True)
    assert _concern(stranger)
    initial = _concern_and_crime(("Anjali Subramaniam", None), [tyrone],
                                 ("A Subramaniam", None), "Tyrone Mclean")  # fmt: skip
    assert not _concern(initial)


def test_a_child_born_the_same_day_beside_the_associate() -> None:
    """Sparse seed 1: the council's Bengali-script name read as "Sultana Chaudhuri" and the
    crime's "Sultanah Choudhury" agree in one word only (a surname two letters apart), but
    they were born the same day and the referral's associate "Jing" is the crime's suspect."""
    jing = _mention(2, 1, "associate", 2, "Jing", relationship="older male friend")
    ctx = _concern_and_crime(("Sultana Chaudhuri", "2006-03-06"), [jing],
                             ("Sultanah Choudhury", "2006-03-06"), "Jing Liu")  # fmt: skip
    assert not _concern(ctx)
    other_day = _concern_and_crime(("Sultana Chaudhuri", "2006-03-06"), [jing],
                                   ("Sultanah Choudhury", "2006-04-07"), "Jing Liu")  # fmt: skip
    assert _concern(other_day)


def test_a_suspect_of_no_written_age_takes_it_from_the_exploitation_crime() -> None:
    """Sixth session, sparse seed 1: "Merve Mujde AKÇA" (17) is the victim of a CSE crime; two
    months later "Merve Açka", the same person to linkage, is named suspect with no age or date
    of birth written. She is still the child the first crime was about."""
    ctx = ReviewContext()
    ctx.records[1] = _record(1, "police", "crime", "2015-02-27", cse=True)
    victim = _mention(1, 1, "victim", 1, "Merve Mujde Akca")
    ctx.mentions_of[1] += [
        MentionFacts(**{**victim.__dict__, "age": 17}),
        _mention(2, 1, "suspect", 2, "Andrei Rusu", "1980-01-01"),
    ]
    ctx.records[2] = _record(2, "police", "crime", "2015-04-27", cse=False)
    ctx.mentions_of[2] += [_mention(3, 2, "suspect", 1, "Merve Acka")]
    codes = {c for c in _codes(ctx) if c[0] == IndicatorCode.VICTIM_TREATED_AS_SUSPECT}
    assert codes == {(IndicatorCode.VICTIM_TREATED_AS_SUSPECT, 2)}
    ctx.mentions_of[1][0] = MentionFacts(**{**victim.__dict__, "age": 19})
    assert not {c for c in _codes(ctx) if c[0] == IndicatorCode.VICTIM_TREATED_AS_SUSPECT}


def test_a_child_named_alike_on_a_crime_weeks_before_the_referral() -> None:
    """Sixth session, sparse seed 2: the council's "Chloe Brown" (no date of birth) and the
    police crime's "Chloe BROWN" five weeks before are one child; not when the crime is two
    years before, nor when another "Chloe Brown" born another day is on record."""
    ctx = _concern_and_crime(("Chloe Brown", None), [], ("Chloe Brown", "2000-11-11"),
                             "Joao Cunha")  # fmt: skip
    ctx.records[1] = _record(1, "local_authority", "referral", "2016-10-26", cse=True)
    ctx.records[2] = _record(2, "police", "crime", "2016-09-04", cse=True)
    assert not _concern(ctx)
    ctx.records[2] = _record(2, "police", "crime", "2014-09-04", cse=True)
    assert _concern(ctx)
    ctx.records[2] = _record(2, "police", "crime", "2016-09-04", cse=True)
    ctx.records[3] = _record(3, "police", "missing_episode", "2015-01-01")
    ctx.mentions_of[3] += [_mention(20, 3, "subject", 20, "Chloe Brown", "2003-02-02")]
    assert _concern(ctx)
