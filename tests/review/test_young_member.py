"""A child of her group named as associate is not an adult, where linkage left the council's
child apart from the police's (issue 16, eighth session). Contexts of stored rows
(tests/review/facts.py): the case is one linkage may or may not split on a small world, and
the groups are the network stage's output for these persons."""

from __future__ import annotations

from casereview.model.codes import IndicatorCode
from casereview.review.context import ReviewContext
from casereview.review.indicators import compute_indicators
from casereview.settings import ReviewSettings
from review.facts import context, record, stored


def _context(with_dob: bool = True, in_group: bool = True) -> ReviewContext:
    """The council's "Michael Wright" (person 1) names "Guy" as an older male friend on
    23/03/2015. The police's "Michael Wright" (person 3, the same name and date of birth: her
    police record by evidence) is a victim of group 7, with Belal Idris and Guy Young (person
    5). Guy Young is written "Guy FISHER", 18, on a crime in June 2015, and "Guy Young", born
    25/05/1997, on one in September: 17 on the referral's day."""
    records = [
        record(10, "local_authority", "referral", "2015-03-23", cse=True),
        record(20, "police", "crime", "2015-02-26", cse=True),
        record(21, "police", "crime", "2015-06-23", cse=True),
    ]
    mentions = [
        stored(1, 10, "subject", 1, "Michael Wright", "2000-07-04"),
        stored(2, 10, "associate", 2, "Guy", relationship="older male friend"),
        stored(3, 20, "victim", 3, "Michael Wright", "2000-07-04"),
        stored(4, 20, "suspect", 4, "Belal Idris", "1990-02-16"),
        stored(5, 21, "victim", 6, "Darius Kabongo", "1999-10-13"),
        stored(6, 21, "suspect", 5, "Guy FISHER", age=18),
    ]
    if with_dob:
        records.append(record(22, "police", "crime", "2015-09-06", cse=True))
        mentions += [
            stored(7, 22, "victim", 6, "Darius Kabongo", "1999-10-13"),
            stored(8, 22, "suspect", 5, "Guy Young", "1997-05-25", age=18),
        ]
    ctx = context(records, mentions)
    ctx.group_offenders[7] = {4, 5}
    for pid in (4, 5, 6) + ((3,) if in_group else ()):
        ctx.member_of[pid].add(7)
    return ctx


def _fired(ctx: ReviewContext) -> bool:
    return any(
        i.code == IndicatorCode.NAMED_ASSOCIATE_NOT_INVESTIGATED and i.record_id == 10
        for i in compute_indicators(ctx, ReviewSettings())
    )


def test_the_group_of_her_police_record_tells_he_is_a_child() -> None:
    """Person 1 is in no group; the victim of her police record is, and Guy is one of its
    offenders, 17 on the referral's day by his date of birth: no firing."""
    assert not _fired(_context())
    # the victim of her police record in no group either: nothing tells he is a child
    assert _fired(_context(in_group=False))


def test_a_date_of_birth_is_read_before_an_age() -> None:
    """Without the crime that writes his date of birth, the age 18 three months after the
    referral allows 17.75 to 18.75 on its day: he may be an adult, so the rule fires."""
    assert _fired(_context(with_dob=False))
