"""What DuckDB runs for predict in place of Splink's own SQL (`model.SharedElementLevel`'s
element comparisons and `list_has_any`, its two-in-common test of two-element lists,
`model.distinct_blocked_pairs`) scores every pair as Splink's SQL does: the
same pairs, the same levels, the same persons, on a store the real ingest wrote."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from casereview.link import model, stage
from casereview.link.frame import build_frame, load_mention_rows
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store


def _predicted(frame: Any) -> stage.Prediction:
    return stage.predict_persons(frame.copy(), detail=True)


@pytest.mark.slow
def test_list_has_any_and_ungrouped_blocking_score_as_splink_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = build_ingested_store(tmp_path, cases=150, seed=11)
    with reading(make_engine(f"sqlite:///{store}")) as conn:
        frame = build_frame(load_mention_rows(conn))
    ours = _predicted(frame)
    conditions = [
        level["sql_condition"]
        for comparison in ours.model_json["comparisons"]
        for level in comparison["comparison_levels"]
    ]
    assert sum("list_has_any" in c for c in conditions) == 3
    assert sum(c.startswith("CASE WHEN len(") for c in conditions) == 4
    words = [c for c in conditions if "name_words" in c and "list_intersect" in c]
    assert len(words) == 1 and '"name_words_l"[1] <> "name_words_l"[2]' in words[0]

    import splink.comparison_level_library as cll

    monkeypatch.setattr(
        model, "_shared_level", lambda col, least=1: cll.ArrayIntersectLevel(col, least)
    )
    splinks = contextlib.nullcontext
    monkeypatch.setattr(model, "distinct_blocked_pairs", lambda _linker: splinks())
    monkeypatch.setattr(stage, "distinct_blocked_pairs", lambda _linker: splinks())
    theirs = _predicted(frame)
    assert not any(
        "list_has_any" in level["sql_condition"] or "len(" in level["sql_condition"]
        for comparison in theirs.model_json["comparisons"]
        for level in comparison["comparison_levels"]
    )

    assert ours.clustering.labels == theirs.clustering.labels
    assert len(ours.pairs) == len(theirs.pairs) > 0
    key = ["unique_id_l", "unique_id_r"]
    assert ours.pairs[key].equals(theirs.pairs[key])
    gammas = [c for c in ours.pairs.columns if c.startswith("gamma_")]
    assert gammas and ours.pairs[gammas].equals(theirs.pairs[gammas])
    np.testing.assert_allclose(
        ours.pairs["match_weight"].to_numpy(), theirs.pairs["match_weight"].to_numpy(), atol=1e-9
    )
