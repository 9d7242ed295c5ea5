"""Scoring one pair of mentions with a saved model (for explanations of pairs not stored).

The frame is rebuilt from the store so that term frequencies are those of the data, the
model's DuckDB settings are rebuilt from code and given the saved m, u and prior level by
level (so a model trained on Spark, whose SQL is Spark's, scores on DuckDB alike).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, select

from casereview.errors import LinkageError
from casereview.link.frame import add_context, build_frame, load_mention_rows
from casereview.link.model import linker_for, model_settings, open_backend
from casereview.model.tables import mention_person
from casereview.store.db import reading

if TYPE_CHECKING:
    from casereview.link.explain import Bar

__all__ = ["duckdb_settings_from_saved", "score_one_pair"]


def duckdb_settings_from_saved(
    frame: pd.DataFrame,
    saved: dict[str, Any],
    dialect: str = "duckdb",
    *,
    addresses: bool | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """Settings for `frame` in `dialect` ("duckdb" or "spark") carrying the saved model's
    parameters (m, u per level and the prior). Addresses are compared when the saved model
    compares them, unless `addresses` says otherwise. A comparison the saved model lacks is
    an error, unless `partial` (the reference model): it then keeps Splink's starting values."""
    if addresses is None:
        addresses = any(c["output_column_name"] == "address" for c in saved["comparisons"])
    fresh = copy.deepcopy(
        model_settings(frame, addresses=addresses).get_settings(dialect).as_dict()
    )
    by_name = {c["output_column_name"]: c for c in saved["comparisons"]}
    for comp in fresh["comparisons"]:
        old = by_name.get(comp["output_column_name"])
        if old is None and partial:
            continue
        if old is None or len(old["comparison_levels"]) != len(comp["comparison_levels"]):
            raise LinkageError(
                f"the saved model does not fit this data (comparison {comp['output_column_name']})"
            )
        for new_level, old_level in zip(
            comp["comparison_levels"], old["comparison_levels"], strict=True
        ):
            for key in ("m_probability", "u_probability"):
                if key in old_level:
                    new_level[key] = old_level[key]
    fresh["probability_two_random_records_match"] = saved["probability_two_random_records_match"]
    return fresh


def score_one_pair(
    engine: Engine, saved: dict[str, Any], mention_a: int, mention_b: int
) -> tuple[float, float, tuple[float, list[Bar]]]:
    """(match weight, match probability, (prior, bars)) of two mentions."""
    from casereview.link.explain import render_pairs

    with reading(engine) as conn:
        frame = build_frame(load_mention_rows(conn))
        persons_now = dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )
    if any(c["output_column_name"] == "context" for c in saved["comparisons"]):
        frame = add_context(frame, persons_now)
    settings = duckdb_settings_from_saved(frame, saved)
    with open_backend("duckdb") as db_api:
        linker = linker_for(db_api, frame, settings)
        for col in ("forename1", "surname", "postcode"):
            if col in frame.columns and frame[col].notna().any():
                linker.table_management.compute_tf_table(col)
        rows = frame.set_index("unique_id").loc[[mention_a, mention_b]].reset_index()
        records = [
            {k: (None if not isinstance(v, list) and pd.isna(v) else v) for k, v in r.items()}
            for r in rows.astype(object).to_dict("records")
        ]
        scored = linker.inference.score_pair(records[0], records[1]).as_pandas_dataframe()
    shown = render_pairs(scored, settings)[0]
    row = scored.iloc[0]
    return float(row["match_weight"]), float(row["match_probability"]), shown
