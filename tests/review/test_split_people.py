"""The absence-asserting indicators read the evidence an analyst would where linkage split a
child or a suspect (issue 16, fourth session): a child found beside her mother on the other
agency's record; an intelligence report linked to its subject's crime under another person.

Contexts of stored rows (tests/review/facts.py): which person linkage gave each mention is the
case under test; everything the rules read is made from the rows by the loader's code."""

from __future__ import annotations

from casereview.model.codes import IndicatorCode
from casereview.review.context import ReviewContext, StoredMention
from casereview.review.indicators import compute_indicators
from casereview.settings import ReviewSettings
from review.facts import context, record, stored


def _codes(ctx: ReviewContext) -> set[tuple[IndicatorCode, int]]:
    return {(i.code, i.record_id) for i in compute_indicators(ctx, ReviewSettings())}


def test_a_child_beside_her_mother_on_a_police_crime_is_known_to_the_police() -> None:
    """The council's "Chantelle Mcdaniel" and the crime's victim "Chantelle" are two persons
    to linkage (no date of birth, no surname on the crime); her mother "Tia Mcdaniel" is on
    both records (as two persons too). The police did record her: no concern-without-record.
    A council concern about another child, whose name no police crime carries, still fires."""
    ctx = context(
        [
            record(1, "local_authority", "referral", "2022-12-15", cse=True),
            record(2, "police", "crime", "2022-11-25", cse=False),
            record(3, "local_authority", "referral", "2022-12-15", cse=True),
        ],
        [
            stored(1, 1, "subject", 1, "Chantelle Mcdaniel", "2007-01-01"),
            stored(2, 1, "parent_carer", 2, "Tia Mcdaniel", relationship="mother"),
            stored(3, 2, "victim", 3, "Chantelle"),
            stored(4, 2, "suspect", 4, "Toby Houghton", "2005-10-07"),
            stored(5, 2, "reporter", 5, "Tia MCDANIEL", relationship="mother"),
            stored(6, 3, "subject", 6, "Chantelle Okafor", "2008-03-03"),
            stored(7, 3, "parent_carer", 7, "Grace Okafor", relationship="mother"),
        ],
    )
    codes = {c for c in _codes(ctx) if c[0] == IndicatorCode.LA_CONCERN_NO_POLICE_RECORD}
    assert codes == {(IndicatorCode.LA_CONCERN_NO_POLICE_RECORD, 3)}


def test_intelligence_linked_to_its_subjects_crime_under_another_person() -> None:
    """Linkage split the subject: "Snoop" (same full date of birth) is the suspect of the crime
    the report is linked to, "Lauren Kowalczyk" of another. The report is linked to his crime;
    a report on a man linked to nothing of his still fires."""
    ctx = context(
        [
            record(1, "police", "crime", "2020-04-22", cse=True),
            record(2, "police", "crime", "2020-11-27", cse=True),
            record(3, "police", "crime", "2021-01-01", cse=True),
            record(4, "police", "intelligence", "2022-08-15"),
            record(5, "police", "intelligence", "2022-08-15"),
        ],
        [
            stored(1, 1, "suspect", 1, "Lauren Kowalczyk", "2001-09-23"),
            stored(2, 2, "suspect", 2, "Snoop", "2001-09-23"),
            stored(3, 3, "suspect", 3, "Kyle Robinson", "1984-01-21"),
            stored(4, 4, "subject", 1, "Lauren Kowalczyk", "2001-09-23"),
            stored(5, 5, "subject", 3, "Kyle Robinson", "1984-01-21"),
        ],
    )
    for report in (4, 5):
        ctx.links[report].add(2)
        ctx.links[2].add(report)
    codes = {c for c in _codes(ctx) if c[0] == IndicatorCode.UNLINKED_INTELLIGENCE}
    assert codes == {(IndicatorCode.UNLINKED_INTELLIGENCE, 5)}


def _concern(
    child: tuple[str, str | None], victim: tuple[str, str | None], suspect: str,
    associate: str | None = None, crime_day: str = "2019-08-11",
    referral_day: str = "2019-08-26", more: tuple[StoredMention, ...] = (),
) -> bool:  # fmt: skip
    """A council CSE referral about `child` (naming `associate` as an older male friend) and a
    police CSE crime about `victim` (a person of its own to linkage) with `suspect`: does the
    referral raise concern-without-police-record?"""
    mentions = [
        stored(1, 1, "subject", 1, *child),
        stored(10, 2, "victim", 10, *victim),
        stored(11, 2, "suspect", 11, suspect, "1990-07-04"),
        *more,
    ]
    if associate:
        mentions.append(stored(2, 1, "associate", 2, associate, relationship="older male friend"))
    records = [
        record(1, "local_authority", "referral", referral_day, cse=True),
        record(2, "police", "crime", crime_day, cse=True),
        *(record(m.record_id, "police", "missing_episode", "2015-01-01") for m in more),
    ]
    ctx = context(records, mentions)
    return (IndicatorCode.LA_CONCERN_NO_POLICE_RECORD, 1) in _codes(ctx)


def test_a_child_written_with_a_slip_in_her_only_shared_name_is_found() -> None:
    """Sixth session, sparse seed 1: the council's "Shivvani Glil" born 6 February 1997 is the
    crime's "Shivani" born in 1997 (written "01/01/1997"); no name key of one finds the other,
    so the lookup also keys each word with one letter dropped."""
    child = ("Shivvani Glil", "1997-02-06")
    assert not _concern(child, ("Shivani", "1997-01-01"), "Shahid Uddin")
    assert _concern(child, ("Shivani", "1998-01-01"), "Shahid Uddin")


def test_the_referrals_associate_as_the_crimes_suspect_beside_her_full_name() -> None:
    """Sparse seed 1: the council's "Anjali Subramaniam" (no date of birth) names "Tyrone" as
    her associate; the crime's victim "Anjali SUBRAMANIAM" has "Tyrone McLean" as suspect. One
    man exploits several children, so a lone name of the child beside him is not enough."""
    child, full = ("Anjali Subramaniam", None), ("Anjali Subramaniam", "2004-10-15")
    assert not _concern(child, full, "Tyrone Mclean", "Tyrone")
    assert _concern(child, ("Anjali", None), "Tyrone Mclean", "Tyrone")
    # another man, on a crime two years before (not `NEAR_DAYS` apart, the next test)
    assert _concern(child, full, "Marcus Mclean", "Tyrone", crime_day="2017-08-11")
    assert not _concern(child, ("A Subramaniam", None), "Tyrone Mclean", "Tyrone")


def test_a_child_born_the_same_day_beside_the_associate() -> None:
    """Sparse seed 1: the council's Bengali-script name read as "Sultana Chaudhuri" and the
    crime's "Sultanah Choudhury" agree in one word only (a surname two letters apart), but
    they were born the same day and the referral's associate "Jing" is the crime's suspect."""
    child = ("Sultana Chaudhuri", "2006-03-06")
    assert not _concern(child, ("Sultanah Choudhury", "2006-03-06"), "Jing Liu", "Jing")
    assert _concern(child, ("Sultanah Choudhury", "2006-04-07"), "Jing Liu", "Jing")


def test_a_suspect_of_no_written_age_takes_it_from_the_exploitation_crime() -> None:
    """Sixth session, sparse seed 1: "Merve Mujde AKÇA" (17) is the victim of a CSE crime; two
    months later "Merve Açka", the same person to linkage, is named suspect with no age or date
    of birth written. She is still the child the first crime was about."""

    def fired(age: int) -> set[tuple[IndicatorCode, int]]:
        ctx = context(
            [
                record(1, "police", "crime", "2015-02-27", cse=True),
                record(2, "police", "crime", "2015-04-27", cse=False),
            ],
            [
                stored(1, 1, "victim", 1, "Merve Mujde AKÇA", age=age),
                stored(2, 1, "suspect", 2, "Andrei Rusu", "1980-01-01"),
                stored(3, 2, "suspect", 1, "Merve Açka"),
            ],
        )
        return {c for c in _codes(ctx) if c[0] == IndicatorCode.VICTIM_TREATED_AS_SUSPECT}

    assert fired(17) == {(IndicatorCode.VICTIM_TREATED_AS_SUSPECT, 2)}
    assert not fired(19)


def test_a_child_named_alike_on_a_crime_weeks_before_the_referral() -> None:
    """Sixth session, sparse seed 2: the council's "Chloe Brown" (no date of birth) and the
    police crime's "Chloe BROWN" five weeks before are one child; not when the crime is two
    years before, nor when another "Chloe Brown" born another day is on record."""
    case = {
        "child": ("Chloe Brown", None),
        "victim": ("Chloe BROWN", "2000-11-11"),
        "suspect": "Joao Cunha",
        "referral_day": "2016-10-26",
    }
    assert not _concern(**case, crime_day="2016-09-04")  # type: ignore[arg-type]
    assert _concern(**case, crime_day="2014-09-04")  # type: ignore[arg-type]
    another = stored(20, 3, "subject", 20, "Chloe Brown", "2003-02-02")
    assert _concern(**case, crime_day="2016-09-04", more=(another,))  # type: ignore[arg-type]
