"""u of the rare exact-agreement levels (a phone in common), counted over every pair of the
mentions trained on rather than sampled, on a store written by the test helpers and read by
the link stage's own frame code."""

from __future__ import annotations

import itertools
import math

from linkworld import add_mentions, tiny_people
from sqlalchemy import Engine

from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import predict_persons
from casereview.store.db import reading


def _phone_level(model: dict[str, object]) -> dict[str, object]:
    comparisons = model["comparisons"]
    assert isinstance(comparisons, list)
    (phones,) = [c for c in comparisons if c["output_column_name"] == "phones"]
    (level,) = [
        lv for lv in phones["comparison_levels"] if lv["label_for_charts"].startswith("Array")
    ]
    return dict(level)


def test_a_phone_in_common_has_the_u_of_every_pair_of_mentions(fresh_store: Engine) -> None:
    """The u of "a phone in common" is the share of all pairs of mentions with phones that
    share one, counted exactly, and the run says so. On a store this small Splink's random
    sample takes every pair and agrees; at a million mentions it saw none, and the level fell
    back to a default u (benchmarks/RESULTS.md, sixth session, branch linkq6)."""
    rows = tiny_people(5, 120)
    add_mentions(fresh_store, rows)
    with reading(fresh_store) as conn:
        frame = build_frame(load_mention_rows(conn))
    prediction = predict_persons(frame, detail=False)
    phones = [set(p) for p in frame["phones"] if p]
    agree = sum(1 for a, b in itertools.combinations(phones, 2) if a & b)
    carried = math.comb(len(phones), 2)
    assert agree > 0
    level = _phone_level(prediction.model_json)
    assert level["u_probability"] == agree / carried
    assert any(
        note.startswith("u of phones") and f"{agree} of {carried} pairs agree" in note
        for note in prediction.notes
    )
