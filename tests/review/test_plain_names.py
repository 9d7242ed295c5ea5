"""Plain names: when the absence-asserting indicators give way to a mention naming the person."""

from __future__ import annotations

import datetime as dt

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
    ("a", "b", "same"),
    [
        (mention("Tsylak Yilmaz"), mention("Taylak Yilmaz", "1978-12-17"), True),  # one letter
        (mention("Nikhil Naik Ibrahim"), mention("Naik Nikhil", "1972-09-16"), True),  # subset
        (mention("Sana Ihab", "2001-09-29"), mention("Ihab Sana"), True),  # order, no DOB
        (
            mention("Merveille Ilunga", "2001-03-05"),
            mention("Merveille Wilson", "2001-03-05"),
            True,
        ),
        (mention("Emily Stone", "2006-05-06"), mention("Emily Stone", "2005-05-06"), False),  # year
        (mention("Emily Stone", "2005-06-05"), mention("Emily Stone", "2005-05-06"), True),  # swap
        (mention("Emily Stone", "2005-01-01", "year"), mention("Emily Stone", "2005-08-03"), True),
        (mention("Emily Stone"), mention("Emma Stone"), False),  # two letters apart
        (mention("Emily Stone"), mention("Stone"), False),  # one word is not a name
        (mention("Merveille Ilunga", "2001-03-05"), mention("Grace Wilson", "2001-03-05"), False),
    ],
)
def test_plausibly_same(a: MentionFacts, b: MentionFacts, same: bool) -> None:
    assert plausibly_same(a, b) is same
    assert plausibly_same(b, a) is same


def test_exact_dob_needs_two_full_dates() -> None:
    assert exact_dob(mention("J", "1976-06-10"), mention("Muhammad Gulfam", "1976-06-10"))
    assert not exact_dob(mention("J", "1976-06-10", "month"), mention("M G", "1976-06-10"))
    assert not exact_dob(mention("J"), mention("Muhammad Gulfam", "1976-06-10"))
