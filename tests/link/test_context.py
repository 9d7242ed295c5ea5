"""Record-mates as a blocking key, and record context as evidence added after a first
clustering (casereview.link.context)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from casereview.link.cluster import cluster_mentions, strongest_only
from casereview.link.context import (
    COMMON,
    ELSE,
    NULL,
    SAME_RECORD,
    apply_context,
    context_levels,
    estimate_context,
    linked_mates,
    record_ids,
)
from casereview.link.evaluate import blocking_recall
from casereview.link.frame import (
    add_context,
    build_frame,
    context_lists,
    context_matrix,
    guard_blocks,
)


def _row(i: int, **values: object) -> dict[str, object]:
    base = {"mention_id": i, "source": "la_csc", "forenames": "Amy", "surname": f"S{i}"}
    base.update(values)
    return base


def _referrals() -> pd.DataFrame:
    """Two referrals about one child (record 10 and 20), each naming the same mother with
    nothing but a name (and the nickname on one), and a third record naming a different
    woman of the mother's name beside another child."""
    rows = [
        _row(1, forenames="Leah", surname="Quinn", dob="2009-03-04", record_id=10),
        _row(2, forenames="Katarzyna", surname="Quinn", record_id=10),
        _row(3, forenames="Leah", surname="Quinn", dob="2009-03-04", record_id=20),
        _row(4, forenames="Kasia", surname="Quinn", record_id=20),
        _row(5, forenames="Katarzyna", surname="Quinn", record_id=30),
        _row(6, forenames="Tyler", surname="Boyd", record_id=30),
    ]
    return build_frame(rows)


def _shares(frame: pd.DataFrame, a: int, b: int) -> bool:
    keys = frame.set_index("unique_id")["bka_mates"]
    left, right = keys[a], keys[b]
    return isinstance(left, list) and isinstance(right, list) and not set(left).isdisjoint(right)


def test_record_mates_key_joins_a_name_only_mention_through_the_child_it_is_named_with() -> None:
    frame = _referrals()
    # The mother on both referrals about Leah: her surname key joined with Leah's name.
    assert _shares(frame, 2, 4)
    # The other Samantha Quinn is named beside another child: no shared key.
    assert not _shares(frame, 2, 5) and not _shares(frame, 4, 5)
    # Leah, the child, shares the key through her mother (nickname or not) as well.
    assert _shares(frame, 1, 3)


def test_record_mates_skips_records_naming_a_crowd() -> None:
    rows = [_row(i, forenames=f"P{i}", surname="Crowd", record_id=1) for i in range(1, 16)]
    frame = build_frame(rows)
    assert frame["bka_mates"].isna().all()


def test_guard_removes_oversized_elements_of_a_list_key() -> None:
    # 40 referrals each naming "Sam Quinn" beside one same child: keys shared by 40.
    rows = []
    for r in range(40):
        rows.append(_row(2 * r + 1, forenames="Leah", surname="Quinn", record_id=100 + r))
        rows.append(_row(2 * r + 2, forenames="Sam", surname="Quinn", record_id=100 + r))
    frame = build_frame(rows)
    report = guard_blocks(frame, max_block_size=30)
    assert report.dropped["bka_mates"]["largest"] == 40
    assert report.comparisons["bka_mates"] == 0
    assert frame["bka_mates"].isna().all()
    assert any(n.startswith("skewed-block guard: bka_mates: dropped") for n in report.notes())


def test_context_levels() -> None:
    frame = _referrals()
    # First clustering: Leah's two mentions one person, the mothers apart, Tyler alone.
    labels = {1: 1, 2: 2, 3: 1, 4: 4, 5: 5, 6: 6}
    with_context = add_context(frame, labels)
    assert with_context["context"].tolist() == [["2"], ["1"], ["4"], ["1"], ["6"], ["5"]]
    record, matrix = record_ids(frame), context_matrix(frame, labels)
    left = np.array([1, 1, 0, 3, 4])  # row positions (mention ids - 1)
    right = np.array([3, 4, 1, 4, 5])
    levels = context_levels(left, right, record, matrix).tolist()
    # 2~4: both name Leah (person 1); 2~5: nothing in common; 1~2 and 5~6: one record.
    assert levels == [COMMON, ELSE, SAME_RECORD, ELSE, SAME_RECORD]
    alone = build_frame([_row(1, record_id=7), _row(2, record_id=8)])
    record, matrix = record_ids(alone), context_matrix(alone, {1: 1, 2: 2})
    assert add_context(alone, {1: 1, 2: 2})["context"].isna().all()
    assert context_levels(np.array([0]), np.array([1]), record, matrix).tolist() == [NULL]


def test_context_weights_are_estimated_bounded_and_added() -> None:
    n = 2000
    # 1000 records of two mentions; each record names a "child" person p = record % 50.
    record = np.repeat(np.arange(n // 2), 2)
    matrix = (np.arange(n) // 2 % 50).reshape(-1, 1).astype(np.int64)
    # Scored pairs: matches (weight 12) mostly share context, non-matches (weight -4) seldom.
    common = np.array([COMMON] * 90 + [ELSE] * 10 + [COMMON] * 5 + [ELSE] * 95, dtype=np.int8)
    weight = np.array([12.0] * 100 + [-4.0] * 100)
    model = estimate_context(
        common, weight, record, matrix, max_weight=10.0, random_pairs=200_000, seed=1
    )
    assert math.isclose(model.u[COMMON], 1 / 50, rel_tol=0.1)  # random pairs share 1 in 50
    assert 0.8 < model.m[COMMON] < 0.95
    assert model.weight(SAME_RECORD) == -10.0  # never one person: bounded, not -inf
    assert 4.5 < model.weight(COMMON) < 5.6  # log2(~0.9 / 0.02)
    assert model.weight(ELSE) < -2.5
    assert model.weight(NULL) == 0.0
    pairs = pd.DataFrame(
        {"unique_id_l": [1, 2], "unique_id_r": [3, 4], "match_weight": [6.0, 6.0],
         "match_probability": [0.98, 0.98]}
    )  # fmt: skip
    out = apply_context(pairs, np.array([COMMON, SAME_RECORD], dtype=np.int8), model, detail=True)
    assert out["match_weight"].tolist() == [6.0 + model.weight(COMMON), -4.0]
    assert out["match_probability"].iloc[0] > 0.999 and out["match_probability"].iloc[1] < 0.1
    assert out["gamma_context"].tolist() == [COMMON, SAME_RECORD]
    # The comparison saved with the model gives the same weights through Splink's m / u.
    template = {"output_column_name": "context", "comparison_levels": [
        {"is_null_level": True}, {"label_for_charts": "one"}, {"label_for_charts": "common"},
        {"label_for_charts": "else"}]}  # fmt: skip
    saved = model.comparison(template)["comparison_levels"]
    for level, gamma in zip(saved[1:], (SAME_RECORD, COMMON, ELSE), strict=True):
        weight = math.log2(level["m_probability"] / level["u_probability"])
        assert math.isclose(weight, model.weight(gamma), abs_tol=1e-9)


def test_a_name_only_mention_never_bridges_two_people_of_its_name() -> None:
    # 1-2 and 3-4 are two people called Karolina Nowak (dates of birth apart); 9 says
    # "Karolina Nowak" and nothing else and scores above the threshold against both.
    pairs = pd.DataFrame(
        {
            "unique_id_l": [1, 3, 1, 3, 2, 9, 8],
            "unique_id_r": [2, 4, 9, 9, 9, 10, 9],
            "match_weight": [15.0, 14.0, 8.5, 9.5, 7.5, 12.0, 5.0],
        }
    )
    weak = np.array([8, 9, 10])
    kept = strongest_only(pairs, weak, threshold=7.0)
    # 9 keeps its pairs into the cluster its strongest pair reaches (3-4), and the pair
    # with the other weak mention 10 (not attached elsewhere); the near miss 8-9 stays.
    assert sorted(zip(kept["unique_id_l"], kept["unique_id_r"], strict=True)) == [
        (1, 2), (3, 4), (3, 9), (8, 9), (9, 10)
    ]  # fmt: skip
    labels = cluster_mentions(range(1, 11), kept, 7.0).labels
    assert labels[1] == labels[2] != labels[3] == labels[4] == labels[9] == labels[10]
    # Without weak mentions nothing changes.
    assert strongest_only(pairs, np.array([], dtype=np.int64), 7.0) is pairs


def test_blocking_recall_counts_a_pair_only_when_both_keys_are_known_and_equal() -> None:
    # Integer-coded keys are nullable: a key missing on one side must never count as shared.
    frame = build_frame(
        [
            _row(1, forenames="Leah", surname="Quinn", dob="2009-03-04"),
            _row(2, forenames="Leah", surname="Quinn", dob="2009-03-04"),
            _row(3, forenames="Tyler", surname="Boyd", dob="2001-05-06"),
            _row(4, forenames=None, surname=None, name_raw=None),
        ]
    )
    truth = {1: "a", 2: "a", 3: "b", 4: "b"}
    recall, n = blocking_recall(frame, truth)
    assert (recall, n) == (0.5, 2)


def test_linked_records_widen_the_context_to_the_people_of_the_case() -> None:
    """An intelligence report (record 50) linked to a crime (record 40) that names a child
    and a suspect: the report's subject has the crime's people as context, and the crime's
    people have the subject; a report linked to nothing gets nothing from the links."""
    rows = [
        _row(1, forenames="Chloe", surname="Adebayo", dob="2009-04-18", record_id=40),
        _row(2, forenames="Reece", surname="Whitfield", record_id=40),
        _row(3, forenames="Reece", surname="Whitfield", record_id=50, source="met_intel"),
        _row(4, forenames="Reece", surname="Whitfield", record_id=60, source="met_intel"),
    ]
    frame = build_frame(rows)
    links = np.array([[50, 40]], dtype=np.int64)
    pos, mate = linked_mates(frame, links)
    assert sorted(zip(pos.tolist(), mate.tolist(), strict=True)) == [(0, 2), (1, 2), (2, 0), (2, 1)]
    labels = {1: 1, 2: 2, 3: 3, 4: 4}
    matrix = context_matrix(frame, labels, (pos, mate))
    level = context_levels(np.array([1, 1]), np.array([2, 3]), record_ids(frame), matrix)
    # The suspect and the linked report's subject share the child; the unlinked report's
    # subject has no context at all.
    assert level.tolist() == [COMMON, NULL]
    # A crime linked to more records than the cap names gives its people no linked context.
    assert [len(a) for a in linked_mates(frame, links, cap=1)] == [2, 2]


def test_context_levels_of_many_pairs_are_worked_out_a_slice_at_a_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same levels whatever the slice (the slices only bound the memory)."""
    import casereview.link.context as context

    rng = np.random.default_rng(3)
    n = 40
    record = rng.integers(-1, 8, size=n)
    matrix = np.full((n, 3), -1, dtype=np.int64)  # as context_matrix: ascending, -1 after
    for row in range(n):
        if row % 5:  # every fifth row has no context
            labels = sorted(set(rng.integers(0, 6, size=rng.integers(1, 4)).tolist()))
            matrix[row, : len(labels)] = labels
    left, right = rng.integers(0, n, size=500), rng.integers(0, n, size=500)
    whole = context_levels(left, right, record, matrix)
    assert set(whole.tolist()) >= {NULL, ELSE, COMMON, SAME_RECORD}
    monkeypatch.setattr(context, "_LEVEL_SLICE", 7)
    np.testing.assert_array_equal(context_levels(left, right, record, matrix), whole)


def test_context_lists_give_each_rows_labels_sharing_one_string_per_label() -> None:
    """Each row's labels as strings (None for a row with none), as a list per row; a label
    named in many rows is one string object shared by them (at a million mentions a
    string per occurrence, and the whole padded matrix as Python integers, were hundreds
    of megabytes on the Spark driver)."""
    rng = np.random.default_rng(11)
    matrix = np.full((400, 6), -1, dtype=np.int32)
    for row in range(400):
        k = int(rng.integers(0, 7))
        matrix[row, :k] = np.sort(rng.choice(50, size=k, replace=False))
    got = context_lists(matrix)
    assert got == [[str(v) for v in row if v >= 0] or None for row in matrix.tolist()]
    first: dict[str, str] = {}
    for labels in got:
        for label in labels or []:
            assert first.setdefault(label, label) is label
    assert context_lists(matrix[:0]) == []


def test_the_context_matrix_holds_32_bit_labels_when_they_fit() -> None:
    frame = _referrals()
    labels = {1: 1, 2: 2, 3: 1, 4: 4, 5: 5, 6: 6}
    matrix = context_matrix(frame, labels)
    assert matrix.dtype == np.int32
    assert context_lists(matrix) == [["2"], ["1"], ["4"], ["1"], ["6"], ["5"]]
    big = {k: v + 2**31 for k, v in labels.items()}  # labels past 32 bits stay 64-bit
    wide = context_matrix(frame, big)
    assert wide.dtype == np.int64 and int(wide.max()) == 2**31 + 6
