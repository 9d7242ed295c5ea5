"""A person's display name: one rule, whatever spells "missing", whatever the row order."""

from __future__ import annotations

import itertools

import pandas as pd

from casereview.values.display_name import display_name, written_name


def test_a_missing_part_is_never_written_as_nan() -> None:
    assert written_name("kaz", float("nan"), None) == "Kaz"
    assert written_name(pd.NA, "ali", "") == "Ali"
    assert written_name(None, None, "  Big Man ") == "Big Man"
    assert written_name(None, "", pd.NA) is None


def test_the_most_frequent_name_wins_and_ties_do_not_follow_row_order() -> None:
    names = [
        ("amit", "gupta", None),
        ("amit", "g", None),
        ("amit", "gupta", None),
        ("a", "gupta", None),
    ]
    assert display_name(names) == "Amit Gupta"
    tied = [("jimmy", "obi", None), ("james", "obi", None)]
    assert {display_name(list(order)) for order in itertools.permutations(tied)} == {"James Obi"}
    assert display_name([(None, None, None)]) is None
    assert display_name([]) is None
