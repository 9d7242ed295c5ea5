"""Telephone numbers in E.164 form (via Google's libphonenumber port)."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

__all__ = ["normalise_phone"]

_MAX_PHONE_TEXT = 64
# A UK number written nationally ("07700 900123") or internationally ("+447700900123"):
# libphonenumber reads every such number as +44 and the ten digits after the 0 (checked for
# every three-digit prefix by tests/values/test_values_examples.py), so the common case skips
# the parser, which costs tens of microseconds a call.
_GB_FAST = re.compile(r"(?:0|\+44)([1-9][0-9]{9})")


@lru_cache(maxsize=262_144)
def normalise_phone(text: str | None, region: str = "GB") -> str | None:
    """`text` as an E.164 number ("+447700900123"), reading national numbers as `region`'s.

    Only valid or at least possible numbers are kept; None otherwise.
    """
    if not text:
        return None
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_PHONE_TEXT:
        return None
    if region == "GB":
        fast = _GB_FAST.fullmatch(stripped.replace(" ", ""))
        if fast is not None:
            return "+44" + fast.group(1)
    return parse_phone(stripped, region)


def parse_phone(stripped: str, region: str) -> str | None:
    """The libphonenumber reading of stripped text (no fast path)."""
    try:
        number = phonenumbers.parse(stripped, region)
    except Exception:  # phonenumbers raises several types on odd input; all mean "not a number"
        return None
    try:
        if not phonenumbers.is_possible_number(number):
            return None
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except Exception:
        return None
    if formatted == stripped:
        return formatted
    # Keep only forms that read back to themselves, so the function is idempotent.
    return formatted if normalise_phone(formatted, region) == formatted else None
