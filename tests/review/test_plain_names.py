"""Plain names: when the absence-asserting indicators give way to a mention naming the person."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from casereview.review.context import MentionFacts
from casereview.review.plain_names import exact_dob, plausibly_same


def mention(name: str, dob: str | None = None, precision: str = "day") -> MentionFacts:
    return MentionFacts(
        id=1,
        record_id=1,
        role="suspect",
        age=None,
        relationship=None,
        person_id=None,
        name_key=frozenset(name.lower().split()),
        dob=dt.date.fromisoformat(dob) if dob else None,
        dob_precision=precision if dob else "none",
    )


@pytest.mark.parametrize(
    ("a", "b", "same", "narrow"),
    [
        (mention("Tsylak Yilmaz"), mention("Taylak Yilmaz", "1978-12-17"), False, True),
        (
            mention("Tsylak Yilmaz", "1978-12-17"),
            mention("Taylak Yilmaz", "1978-12-17"),
            True,
            True,
        ),
        (
            mention("Nikhil Naik Ibrahim", "1972-09-16"),
            mention("Naik Nikhil", "1972-09-16"),
            True,
            True,
        ),
        (mention("Sana Ihab", "2001-09-29"), mention("Ihab Sana"), False, True),  # no DOB
        (
            mention("Merveille Ilunga", "2001-03-05"),
            mention("Merveille Wilson", "2001-03-05"),
            True,
            True,
        ),
        (mention("Emily Stone", "2006-05-06"), mention("Emily Stone", "2005-05-06"), False, False),
        (mention("Emily Stone", "2005-06-05"), mention("Emily Stone", "2005-05-06"), True, True),
        (
            mention("Emily Stone", "2005-01-01", "year"),
            mention("Emily Stone", "2005-08-03"),
            True,
            True,
        ),
        (mention("Emily Stone", "2005-08-03"), mention("Emma Stone", "2005-08-03"), True, True),
        (mention("Emily Stone"), mention("Emma Stone"), False, False),  # two letters apart
        (
            mention("Emily Stone", "2005-08-03"),
            mention("Stone", "2005-08-03"),
            True,
            True,
        ),  # word and DOB
        (
            mention("Merveille Ilunga", "2001-03-05"),
            mention("Grace Wilson", "2001-03-05"),
            False,
            False,
        ),
    ],
)
def test_plausibly_same(a: MentionFacts, b: MentionFacts, same: bool, narrow: bool) -> None:
    """Across a whole agency a missing date of birth never matches; within one child's
    records (narrow) similar names alone do."""
    assert plausibly_same(a, b) is same
    assert plausibly_same(b, a) is same
    assert plausibly_same(a, b, narrow=True) is (same or narrow)


def test_an_age_at_the_event_stands_for_a_missing_date_of_birth() -> None:
    child = mention("Sana Ihab", "2001-09-29")
    aged = replace(mention("Ihab Sana"), age=16)
    assert plausibly_same(child, aged, b_day=dt.date(2018, 3, 1))  # 16 that day
    assert not plausibly_same(child, aged, b_day=dt.date(2021, 3, 1))  # 19 that day
    assert not plausibly_same(child, aged)  # no day to tell


def test_exact_dob_needs_two_full_dates() -> None:
    assert exact_dob(mention("J", "1976-06-10"), mention("Muhammad Gulfam", "1976-06-10"))
    assert not exact_dob(mention("J", "1976-06-10", "month"), mention("M G", "1976-06-10"))
    assert not exact_dob(mention("J"), mention("Muhammad Gulfam", "1976-06-10"))
