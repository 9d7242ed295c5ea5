"""The stored explanation text of scored pairs (`explanations_from_pairs`): each distinct value
is encoded once, so the test holds repeated values, lists, missing sides and year ranges, and
checks every row's whole JSON against the bars written out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from casereview.link.explain import explanations_from_pairs


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
    expected = [
        json.dumps(
            {
                "bars": [
                    {"comparison": c, "level": lv, "value_a": a, "value_b": b, "weight": w}
                    for c, lv, a, b, w in bars
                ],
                "prior": prior,
            },
            sort_keys=True,
        )
        for bars in expected_bars
    ]
    assert explanations_from_pairs(pairs, SETTINGS) == expected
