"""`model.in_pair_order`: scored pairs sorted by their two ids, whatever order they came in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from casereview.link.model import in_pair_order


def _pairs(left: list[int], right: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id_l": left, "unique_id_r": right, "match_weight": np.arange(len(left)) / 10}
    )


def test_pairs_out_of_order_are_sorted_by_left_then_right_id() -> None:
    got = in_pair_order(_pairs([5, 1, 5, 1, 3], [9, 7, 6, 2, 4]).set_index(pd.Index([7, 3, 1, 0, 4])))
    assert list(zip(got["unique_id_l"], got["unique_id_r"], strict=True)) == [
        (1, 2), (1, 7), (3, 4), (5, 6), (5, 9)
    ]  # fmt: skip
    assert got["match_weight"].tolist() == [0.3, 0.1, 0.4, 0.2, 0.0]
    assert got.index.tolist() == [0, 1, 2, 3, 4]


def test_pairs_already_in_order_come_back_as_they_are() -> None:
    ordered = _pairs([1, 1, 3, 5, 5], [2, 7, 4, 6, 9]).set_index(pd.Index([9, 8, 7, 6, 5]))
    got = in_pair_order(ordered)
    pd.testing.assert_frame_equal(got, ordered.reset_index(drop=True))


def test_a_left_id_in_order_with_its_right_ids_out_of_order_is_sorted() -> None:
    # The left ids alone are in order; the check must also read the right ids.
    got = in_pair_order(_pairs([1, 1, 2], [8, 3, 5]))
    assert got["unique_id_r"].tolist() == [3, 8, 5]


def test_ids_too_large_for_one_key_are_sorted_too() -> None:
    big = 2**40
    got = in_pair_order(_pairs([big + 2, big, big], [1, 9, 3]))
    assert list(zip(got["unique_id_l"], got["unique_id_r"], strict=True)) == [
        (big, 3), (big, 9), (big + 2, 1)
    ]  # fmt: skip
