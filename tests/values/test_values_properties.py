"""Properties every normaliser shares: total on arbitrary text, and idempotent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.values import (
    clean_name,
    normalise_address,
    normalise_any_postcode,
    normalise_borough,
    normalise_identifier,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    postcode_district,
)

NORMALISERS: list[Callable[[str | None], str | None]] = [
    clean_name,
    normalise_address,
    normalise_borough,
    normalise_identifier,
    normalise_phone,
    normalise_any_postcode,
    normalise_postcode,
    normalise_vrm,
    postcode_district,
]

# Arbitrary Unicode plus text shaped like the values, so both paths are exercised.
SHAPED = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}", fullmatch=True),
    st.from_regex(r"\+?[0-9 ()\-]{6,18}", fullmatch=True),
    st.from_regex(r"[A-Za-z]{2}[0-9]{2} ?[A-Za-z]{3}", fullmatch=True),
    st.from_regex(r"(Flat [0-9]+, )?[0-9]{1,3} [A-Za-z]+ (Rd|St|Ave|Road)\.?", fullmatch=True),
)


@pytest.mark.parametrize("normalise", NORMALISERS, ids=lambda f: f.__name__)
@settings(max_examples=300, deadline=None)
@given(text=SHAPED)
def test_total_and_idempotent(normalise: Callable[[str | None], str | None], text: str) -> None:
    once = normalise(text)
    assert once is None or (isinstance(once, str) and once != "")
    if once is not None:
        assert normalise(once) == once


@pytest.mark.parametrize("normalise", NORMALISERS, ids=lambda f: f.__name__)
def test_blank_is_none(normalise: Callable[[str | None], str | None]) -> None:
    assert [normalise(v) for v in (None, "", "   ")] == [None, None, None]
