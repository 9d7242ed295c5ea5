"""`model.SharedElementLevel`'s DuckDB SQL answers as Splink's `ArrayIntersectLevel` does on
every kind of pair of lists: one- and two-element lists (its short cuts), longer ones, lists
in either order, repeated and NULL elements, empty and NULL lists."""

from __future__ import annotations

import itertools

import duckdb
import pytest
import splink.comparison_level_library as cll

from casereview.link import model

_LISTS: list[list[str | None] | None] = [
    None,
    [],
    ["a"],
    ["b"],
    [None],
    ["a", "b"],
    ["b", "a"],
    ["a", "c"],
    ["a", "a"],
    ["a", None],
    [None, None],
    ["a", "b", "c"],
    ["c", "b", "a"],
    ["a", "c", "d"],
    ["b", "d"],
    ["a", "b", "b"],
]


@pytest.mark.parametrize("least", [1, 2])
def test_shared_level_answers_as_splinks_array_intersect(least: int) -> None:
    dialect = "duckdb"
    ours = model._shared_level("words", least).get_comparison_level(dialect).sql_condition
    theirs = cll.ArrayIntersectLevel("words", least).get_comparison_level(dialect).sql_condition
    assert ours != theirs and "list_intersect" not in ours.split("ELSE")[0]
    con = duckdb.connect()
    con.execute("CREATE TABLE pairs (words_l VARCHAR[], words_r VARCHAR[])")
    pairs = list(itertools.product(_LISTS, repeat=2))
    con.executemany("INSERT INTO pairs VALUES (?, ?)", pairs)
    got = con.execute(
        f"SELECT words_l, words_r, coalesce({ours}, false), coalesce({theirs}, false) "  # nosec B608
        "FROM pairs"
    ).fetchall()
    assert len(got) == len(pairs)
    differ = [(left, right, a, b) for left, right, a, b in got if a != b]
    assert not differ
    assert any(a for *_, a, _b in got) and not all(a for *_, a, _b in got)
