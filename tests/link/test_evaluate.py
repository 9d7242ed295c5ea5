"""Linkage quality measures: pairwise scores, blocking recall per key and its ceiling."""

from __future__ import annotations

from casereview.link.evaluate import (
    KeyRecall,
    blocking_recall,
    blocking_recall_by_key,
    pairwise,
    recall_ceiling,
)
from casereview.link.frame import build_frame


def _row(i: int, **values: object) -> dict[str, object]:
    base: dict[str, object] = {"mention_id": i, "source": "met_crime"}
    base.update(values)
    return base


def test_recall_ceiling_counts_pairs_joined_through_a_chain() -> None:
    truth = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b"}
    # (1, 3) is never given, but 1-2-3 joins it: 3 of the 4 true pairs.
    assert recall_ceiling(truth, [1, 2], [2, 3]) == 0.75
    assert recall_ceiling(truth, [1, 4], [2, 5]) == 0.5
    assert recall_ceiling(truth, [], []) == 0.0
    # The same as scoring the clustering those pairs make.
    assert (
        recall_ceiling(truth, [1, 2], [2, 3])
        == pairwise({1: 1, 2: 1, 3: 1, 4: 4, 5: 5}, truth).recall
    )


def test_blocking_recall_by_key_gives_each_key_and_the_chain_ceiling() -> None:
    # Mention 1 and 2 share a date of birth only, 2 and 3 a name only: no key joins 1 and 3
    # (a third of the true pairs), but the chain does.
    frame = build_frame(
        [
            _row(1, forenames="Jay", surname="Okoro", dob="2008-03-04"),
            _row(2, forenames="Leah", surname="Quinn", dob="2008-03-04"),
            _row(3, forenames="Leah", surname="Quinn"),
            _row(4, forenames="Tyler", surname="Boyd", dob="2001-05-06"),
        ]
    )
    truth = {1: "a", 2: "a", 3: "a", 4: "b"}
    recall, ceiling, keys = blocking_recall_by_key(frame, truth)
    assert (recall, ceiling) == (2 / 3, 1.0)
    assert recall == blocking_recall(frame, truth)[0]
    # The date of birth alone finds (1, 2): without it only (2, 3) is left. The name is
    # found by three name keys, so none of them is needed alone.
    assert keys == [
        KeyRecall("bk_name", 1 / 3, 0, 1.0),
        KeyRecall("bk_dob", 1 / 3, 1, 1 / 3),
        KeyRecall("bk_forename_surname1", 1 / 3, 0, 1.0),
        KeyRecall("bk_surname_initial", 1 / 3, 0, 1.0),
    ]
