"""Dates as written by source systems, including partial dates (year only, month and year)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from casereview.model.codes import DobPrecision

__all__ = ["PartialDate", "format_precision", "parse_date", "whole_years"]

_MAX_DATE_TEXT = 64


@dataclass(frozen=True)
class PartialDate:
    """A date and how much of it the source gave; a partial date is the first day of its
    period (month-year -> the 1st of the month, year -> 1 January)."""

    value: dt.date | None
    precision: DobPrecision


@lru_cache(maxsize=256)
def format_precision(fmt: str) -> DobPrecision:
    """How precise a date parsed with strptime format `fmt` is."""
    if any(d in fmt for d in ("%d", "%j", "%c", "%x")):
        return DobPrecision.DAY
    if any(d in fmt for d in ("%m", "%b", "%B")):
        return DobPrecision.MONTH
    return DobPrecision.YEAR


@lru_cache(maxsize=131_072)
def _parse(text: str, formats: tuple[str, ...], pivot: int | None) -> PartialDate | None:
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except (ValueError, TypeError, OverflowError):
            continue
        precision = format_precision(fmt)
        day = parsed.date()
        if pivot is not None and "%y" in fmt:
            two = day.year % 100
            try:
                day = day.replace(year=(2000 if two <= pivot else 1900) + two)
            except ValueError:  # 29 February of a year that is not a leap year
                continue
        if precision is DobPrecision.MONTH:
            day = day.replace(day=1)
        elif precision is DobPrecision.YEAR:
            day = day.replace(month=1, day=1)
        return PartialDate(day, precision)
    return None


def parse_date(
    text: str | None, formats: Sequence[str], pivot: int | None = None
) -> PartialDate | None:
    """The first of `formats` (strptime formats, tried in order) that reads `text`.

    Formats with a day give DAY precision; `%m/%Y`, `%b-%Y`, `%Y-%m` give MONTH; `%Y` gives
    YEAR. A two-digit year (`%y`) is 20YY up to `pivot` and 19YY above it (without a pivot,
    Python's rule: 00-68 are 20YY). None when the text is blank or no format reads it: the
    caller decides whether that is a quarantine.
    """
    if not text:
        return None
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_DATE_TEXT:
        return None
    return _parse(stripped, tuple(formats), pivot)


def whole_years(dob: dt.date | None, on: dt.date | None) -> int | None:
    """Whole years from a date of birth to a day (an age on that day), None when either is
    missing."""
    if dob is None or on is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
