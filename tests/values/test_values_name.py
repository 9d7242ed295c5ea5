"""Names: cleaning for comparison and splitting full names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.values.name import clean_name, split_full_name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Smith-Jones", "smith-jones"),
        ("  José   Núñez ", "jose nunez"),
        ("MÜLLER", "muller"),
        ("Strauß", "strauss"),
        ("-Ann-  Marie-", "ann marie"),
        ("smith -- jones", "smith jones"),
        ("Dr. J. Smith", "dr j smith"),
        ("!!!", None),
    ],
)
def test_clean_name_examples(raw: str, clean: str | None) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "order", "parts"),
    [
        ("SMITH, John Paul", "auto", ("John Paul", "SMITH")),
        ("Smith, John", "forename_first", ("John", "Smith")),
        ("John Paul Smith", "auto", ("John Paul", "Smith")),
        ("John Paul SMITH", "auto", ("John Paul", "SMITH")),
        ("SMITH John Paul", "auto", ("John Paul", "SMITH")),
        ("VAN DYKE John", "auto", ("John", "VAN DYKE")),
        ("JOHN SMITH", "auto", ("JOHN", "SMITH")),
        ("Smith John", "surname_first", ("John", "Smith")),
        ("John Smith", "forename_first", ("John", "Smith")),
        ("Smith", "auto", (None, "Smith")),
        ("  ", "auto", (None, None)),
        (None, "auto", (None, None)),
    ],
)
def test_split_full_name_examples(raw: str | None, order: str, parts: tuple) -> None:
    assert split_full_name(raw, order) == parts  # type: ignore[arg-type]


@given(st.text(max_size=80), st.sampled_from(["auto", "forename_first", "surname_first"]))
def test_split_is_total_and_keeps_words(text: str, order: str) -> None:
    forenames, surname = split_full_name(text, order)  # type: ignore[arg-type]
    kept = f"{forenames or ''} {surname or ''}".replace(",", " ").split()
    assert sorted(kept) == sorted(text.replace(",", " ").split())
