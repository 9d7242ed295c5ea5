"""Whether two mentions plainly name one person, for the indicators that assert an absence.

`la_concern_no_police_record`, `police_concern_no_la_record` and
`named_associate_not_investigated` say that an agency does not know a person, or that a man
was never a suspect. Linkage can leave a person's mentions apart (a typing slip, a dropped
middle name, a year-only or missing date of birth); a reviewer would see at once that
"Tsylak Yilmaz" with no date of birth is the suspect "Taylak Yilmaz", so these rules give way
to such a plain name rather than raise a lead the reviewer would dismiss. Only names and
dates of birth as written are read (never a protected characteristic).
"""

from __future__ import annotations

import datetime as dt

from casereview.review.context import MentionFacts

__all__ = ["exact_dob", "plausibly_same"]


def _one_edit(a: str, b: str) -> bool:
    """Equal, or one letter substituted, inserted or deleted."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))


def exact_dob(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write a full date of birth, the same day (or day and month swapped)."""
    if a.dob is None or b.dob is None or "day" not in (a.dob_precision, b.dob_precision):
        return False
    if a.dob_precision != b.dob_precision:
        return False
    return a.dob == b.dob or (a.dob.year, a.dob.month, a.dob.day) == (
        b.dob.year,
        b.dob.day,
        b.dob.month,
    )


def _dob_agree(a: MentionFacts, b: MentionFacts) -> bool:
    """Both write a date of birth and they agree to the precision written (the same day, or day
    and month swapped; the same month, or year, where one gives only that). Another year is
    another person."""
    if a.dob is None or b.dob is None:
        return False
    if "year" in (a.dob_precision, b.dob_precision):
        return a.dob.year == b.dob.year
    if "month" in (a.dob_precision, b.dob_precision):
        return (a.dob.year, a.dob.month) == (b.dob.year, b.dob.month)
    return a.dob == b.dob or (a.dob.year, a.dob.month, a.dob.day) == (
        b.dob.year,
        b.dob.day,
        b.dob.month,
    )


def _age_fits(dated: MentionFacts, aged: MentionFacts, on: dt.date | None) -> bool:
    """`aged` gives an age at its event and no date of birth; `dated` a date of birth that
    gives that age (within a year) on the day of `aged`'s record."""
    if dated.dob is None or aged.dob is not None or aged.age is None or on is None:
        return False
    years = on.year - dated.dob.year - ((on.month, on.day) < (dated.dob.month, dated.dob.day))
    return abs(years - aged.age) <= 1


def _similar_names(a: frozenset[str], b: frozenset[str]) -> bool:
    """The same name words; or all of the shorter name's words (two or more) in the longer one
    (a dropped middle name, a hyphenated surname written in part, swapped order); or the same
    words but one written one letter apart (a typing or transliteration slip)."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and short <= long_:
        return True
    if len(a) != len(b) or len(a) < 2:
        return False
    only_a, only_b = a - b, b - a
    return len(only_a) == 1 and _one_edit(next(iter(only_a)), next(iter(only_b)))


def plausibly_same(
    a: MentionFacts,
    b: MentionFacts,
    *,
    a_day: dt.date | None = None,
    b_day: dt.date | None = None,
    narrow: bool = False,
) -> bool:
    """Two mentions a reviewer would take for one person at a glance: similar names with dates
    of birth that agree (or an age at one record that the other's date of birth gives on that
    record's day: `a_day`, `b_day`), or one shared name word and the same full date of birth.

    `narrow` (a handful of candidates: one child's own records) also takes similar names where
    a date of birth is missing; across a whole agency a common name would match strangers.
    """
    if _similar_names(a.name_key, b.name_key):
        if _dob_agree(a, b) or _age_fits(a, b, b_day) or _age_fits(b, a, a_day):
            return True
        if narrow and (a.dob is None or b.dob is None):
            return True
    return bool(a.name_key & b.name_key) and exact_dob(a, b)
