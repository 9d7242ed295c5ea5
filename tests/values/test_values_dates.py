"""Dates: full and partial formats, precision, and totality."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.model.codes import DobPrecision
from casereview.values.dates import PartialDate, parse_date

FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%b-%y", "%m/%Y", "%b-%Y", "%Y-%m", "%Y"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12/03/2001", PartialDate(dt.date(2001, 3, 12), DobPrecision.DAY)),
        (" 2001-03-12 ", PartialDate(dt.date(2001, 3, 12), DobPrecision.DAY)),
        ("12-Mar-01", PartialDate(dt.date(2001, 3, 12), DobPrecision.DAY)),
        ("03/2001", PartialDate(dt.date(2001, 3, 1), DobPrecision.MONTH)),
        ("Mar-2001", PartialDate(dt.date(2001, 3, 1), DobPrecision.MONTH)),
        ("2001-03", PartialDate(dt.date(2001, 3, 1), DobPrecision.MONTH)),
        ("2001", PartialDate(dt.date(2001, 1, 1), DobPrecision.YEAR)),
        ("31/02/2001", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date_examples(raw: str | None, expected: PartialDate | None) -> None:
    assert parse_date(raw, FORMATS) == expected


@given(st.text(max_size=80))
def test_parse_date_is_total(text: str) -> None:
    result = parse_date(text, FORMATS)
    assert result is None or isinstance(result.value, dt.date)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_parse_date_round_trips(day: dt.date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y"), FORMATS) == PartialDate(day, DobPrecision.DAY)
