"""Missing values: the one test of "nothing was written here", whatever carries it.

A value read from a store row, a source file or a pandas column can be missing in several
ways: None, an empty or blank string, a float NaN (pandas 3 writes NaN for a missing text
in its string dtype), numpy's NaN, pandas' NA or NaT. Every stage asks `is_missing` (or
takes `present`) instead of testing `is None`, so that a new library version that changes
how it spells "missing" cannot turn a blank into a value that sorts, joins or compares.

pandas is never imported here: a value can only be pandas' NA or NaT once pandas is loaded.
"""

from __future__ import annotations

import math
import sys
from typing import Any, TypeVar

__all__ = ["is_missing", "present", "present_text"]

T = TypeVar("T")


def is_missing(value: Any) -> bool:
    """True for None, a blank string, NaN of any float type, pandas' NA and NaT."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return True
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.floating | numpy.datetime64):
        return bool(numpy.isnan(value))
    return False


def present(value: T) -> T | None:
    """`value` itself, or None when it is missing (`is_missing`). Text is not stripped."""
    return None if is_missing(value) else value


def present_text(value: Any) -> str | None:
    """`value` as stripped text, or None when it is missing (`is_missing`)."""
    if is_missing(value):
        return None
    return str(value).strip() or None
