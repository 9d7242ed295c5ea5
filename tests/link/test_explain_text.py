"""The stored form of scored pairs' explanations (`pair_levels`, `compared_values`,
`explanation_legend`) and `render`, which puts them together again: each distinct value is
encoded once, so the test holds repeated values, lists, missing sides and year ranges, and
checks every pair's rendered bars, and the stored texts, against those written out by hand."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.errors import LinkageError
from casereview.link.explain import (
    Bar,
    _json_texts,
    _show,
    compared_values,
    explanation_legend,
    pair_levels,
    render,
    render_pairs,
)


def _level(label: str, m: float = 0.5, u: float = 0.5) -> dict[str, object]:
    return {
        "label_for_charts": label,
        "sql_condition": label,
        "m_probability": m,
        "u_probability": u,
    }


SETTINGS = {
    "probability_two_random_records_match": 0.001,
    "comparisons": [
        {
            "output_column_name": "dob",
            "comparison_levels": [
                {"is_null_level": True, "sql_condition": "null"},
                _level("exact"),
                _level("else"),
            ],
        },
        {
            "output_column_name": "phones",
            "comparison_levels": [
                {"is_null_level": True, "sql_condition": "null"},
                _level("a phone in common"),
                _level("else"),
            ],
        },
    ],
}


def test_each_pair_gets_its_own_values_levels_and_weights() -> None:
    pairs = pd.DataFrame(
        {
            "unique_id_l": [1, 2, 3, 8],
            "unique_id_r": [4, 5, 6, 7],
            "dob_l": ["2001-02-03", None, None, "2001-02-03"],
            "dob_r": ["2001-02-03", None, "1999-01-01", None],
            "yob_lo_l": pd.array([2001, 1990, None, 2001], dtype="Int64"),
            "yob_hi_l": pd.array([2001, 1991, None, 2001], dtype="Int64"),
            "yob_lo_r": pd.array([2001, 1990, 1999, 2005], dtype="Int64"),
            "yob_hi_r": pd.array([2001, 1990, 1999, 2005], dtype="Int64"),
            "gamma_dob": [1, 0, -1, 0],
            "mw_dob": [7.5, -2.0, 0.0, -2.0],
            "phones_l": [
                ["+447700900001", "+447700900002"],
                None,
                ["+447700900001", "+447700900002"],
                [],
            ],
            "phones_r": [["+447700900001"], ["+447700900001"], None, ["+447700900003"]],
            "gamma_phones": [1, -1, -1, 0],
            "mw_phones": [3.25, 0.0, 0.0, -1.0],
            "mw_tf_adj_phones": [0.5, np.nan, np.nan, np.nan],
        }
    )
    prior = math.log2(0.001 / 0.999)
    expected_bars = [
        [("dob", "exact", "2001-02-03", "2001-02-03", 7.5),
         ("phones", "a phone in common", "+447700900001, +447700900002", "+447700900001", 3.75)],
        [("dob", "else", "born 1990-1991", "born 1990", -2.0),
         ("phones", "no value on one side", None, "+447700900001", 0.0)],
        [("dob", "no value on one side", None, "1999-01-01", 0.0),
         ("phones", "no value on one side", "+447700900001, +447700900002", None, 0.0)],
        [("dob", "else", "2001-02-03", "born 2005", -2.0),
         ("phones", "else", None, "+447700900003", -1.0)],
    ]  # fmt: skip
    expected = [(prior, [Bar(c, lv, w, a, b) for c, lv, a, b, w in bars]) for bars in expected_bars]
    assert render_pairs(pairs, SETTINGS) == expected
    # What is stored: levels per pair, values per mention, labels and weights per run.
    assert pair_levels(pairs, SETTINGS) == ["1,1:0.5", "0,-1", "-1,-1", "0,0"]
    ids, compared = compared_values(pairs, SETTINGS)
    assert ids.tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [json.loads(c) for c in compared] == [
        ["2001-02-03", "+447700900001, +447700900002"],
        ["born 1990-1991", None],
        [None, "+447700900001, +447700900002"],
        ["2001-02-03", "+447700900001"],
        ["born 1990", "+447700900001"],
        ["1999-01-01", None],
        ["born 2005", "+447700900003"],
        ["2001-02-03", None],
    ]
    legend = explanation_legend(pairs, SETTINGS)
    assert legend == {
        "prior": prior,
        "comparisons": [
            {
                "name": "dob",
                "labels": ["no value on one side", "else", "exact"],
                "weights": {"-1": 0.0, "0": -2.0, "1": 7.5},
            },
            {
                "name": "phones",
                "labels": ["no value on one side", "else", "a phone in common"],
                "weights": {"-1": 0.0, "0": -1.0, "1": 3.25},
            },
        ],
    }
    # Rendered from the stored texts alone (as a reader does), after a JSON round trip.
    legend = json.loads(json.dumps(legend))
    assert render(legend, "1,1:0.5", compared[0], compared[3]) == expected[0]


def test_a_mention_in_several_pairs_is_stored_once() -> None:
    """A mention's values are the same in each of its pairs (they are its own): it gets one
    `compared` text, whichever side it is on."""
    pairs = pd.DataFrame(
        {
            "unique_id_l": [1, 2],
            "unique_id_r": [3, 1],
            "dob_l": ["2001-02-03", "1999-01-01"],
            "dob_r": [None, "2001-02-03"],
            "gamma_dob": [-1, 0],
            "mw_dob": [0.0, -2.0],
            "phones_l": [["+447700900001"], None],
            "phones_r": [None, ["+447700900001"]],
            "gamma_phones": [-1, -1],
            "mw_phones": [0.0, 0.0],
        }
    )
    ids, compared = compared_values(pairs, SETTINGS)
    assert ids.tolist() == [1, 2, 3]
    assert [json.loads(c) for c in compared] == [
        ["2001-02-03", "+447700900001"],
        ["1999-01-01", None],
        [None, None],
    ]


def test_mentions_already_shown_are_left_out_and_the_others_shown_alike() -> None:
    """`compared_values(..., known)`: the mentions whose values an earlier slice of the kept
    pairs made (`known`) are left out; every other mention gets the text it gets without
    `known`, taken from its first pair here."""
    pairs = pd.DataFrame(
        {
            "unique_id_l": [1, 2, 5],
            "unique_id_r": [3, 1, 2],
            "dob_l": ["2001-02-03", "1999-01-01", None],
            "dob_r": [None, "2001-02-03", "1999-01-01"],
            "gamma_dob": [-1, 0, -1],
            "mw_dob": [0.0, -2.0, 0.0],
            "phones_l": [["+447700900001"], None, ["+447700900002"]],
            "phones_r": [None, ["+447700900001"], None],
            "gamma_phones": [-1, -1, -1],
            "mw_phones": [0.0, 0.0, 0.0],
        }
    )
    every_id, every = compared_values(pairs, SETTINGS)
    ids, shown = compared_values(pairs, SETTINGS, np.array([1, 4, 5], dtype=np.int64))
    assert ids.tolist() == [2, 3]
    assert shown == [every[every_id.tolist().index(2)], every[every_id.tolist().index(3)]]
    none_left, nothing = compared_values(pairs, SETTINGS, np.array([1, 2, 3, 5]))
    assert none_left.tolist() == [] and nothing == []
    assert compared_values(pairs, SETTINGS, np.zeros(0, dtype=np.int64))[1] == every


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just(math.nan),
            st.text(),
            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)),
        ),
        max_size=20,
    )
)
def test_values_shown_are_the_json_of_each_value_one_by_one(values: list[Any]) -> None:
    """`_json_texts` (plain strings and missing values through Arrow) gives, value for value,
    the JSON text of what `_show` shows: escapes, non-ASCII text and NaN included."""
    assert _json_texts(values) == [json.dumps(_show(v)) for v in values]
    mixed = [*values, ["+447700900001", "+447700900002"], 7]
    assert _json_texts(mixed) == [json.dumps(_show(v)) for v in mixed]


def test_a_level_with_two_weights_is_refused() -> None:
    """Every pair at one level of a comparison has that level's weight (the term-frequency
    adjustment apart): a model that broke this could not be stored as levels."""
    pairs = pd.DataFrame(
        {
            "unique_id_l": [1, 2],
            "unique_id_r": [3, 4],
            "gamma_dob": [1, 1],
            "mw_dob": [7.5, 7.0],
            "gamma_phones": [-1, -1],
            "mw_phones": [0.0, 0.0],
        }
    )
    with pytest.raises(LinkageError, match="several weights"):
        explanation_legend(pairs, SETTINGS)
