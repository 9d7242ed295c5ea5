"""Name levels scored with the reference model (trained on the typical synthetic world): a
name swapped into the other field and misspelt there ("Emeka Adeyemi" / "ADEYENI Emkea")
has a level of its own (issue 23), above two names that do not agree at all."""

from __future__ import annotations

from typing import Any

import pandas as pd

from casereview.link.frame import build_frame
from casereview.link.model import linker_for, open_backend
from casereview.link.reference import reference_model
from casereview.link.score import duckdb_settings_from_saved

SWAPPED_MISSPELT = "Similar to the name in the other field (order swapped, misspelt)"


def _scored(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Every pair of `rows` scored with the reference model (one block: the source)."""
    from splink import block_on

    frame = build_frame(pd.DataFrame(rows))
    settings = duckdb_settings_from_saved(frame, reference_model(), partial=True)
    settings["blocking_rules_to_generate_predictions"] = [
        block_on("source").create_blocking_rule_dict("duckdb")
    ]
    settings["retain_intermediate_calculation_columns"] = True
    with open_backend("duckdb", memory_limit="500MB") as db_api:
        pairs = linker_for(db_api, frame, settings).inference.predict().as_pandas_dataframe()
    return pairs.set_index(["unique_id_l", "unique_id_r"])


def _gamma(comparison: str, label: str) -> int:
    """Splink's gamma of a level: levels are numbered from the last ("else", 0) up, the null
    level first in the list."""
    saved = reference_model()
    levels = next(c for c in saved["comparisons"] if c["output_column_name"] == comparison)[
        "comparison_levels"
    ]
    labels = [lv.get("label_for_charts") for lv in levels]
    return len(labels) - 1 - labels.index(label)


def test_a_swapped_misspelt_name_has_its_own_level_above_else() -> None:
    born = {"dob": "2004-05-27", "dob_precision": "day", "source": "la_csc"}
    rows = [
        {"mention_id": 1, "forenames": "Emeka", "surname": "Adeyemi", **born},
        {"mention_id": 2, "forenames": "Adeyeni", "surname": "Emkea", **born},
        # The near miss: another family's names, alike only at a glance.
        {"mention_id": 3, "forenames": "Adebayo", "surname": "Ekene", **born},
    ]
    pairs = _scored(rows)
    swapped, near_miss = pairs.loc[(1, 2)], pairs.loc[(1, 3)]
    level = (_gamma("forename", SWAPPED_MISSPELT), _gamma("surname", SWAPPED_MISSPELT))
    assert (swapped["gamma_forename"], swapped["gamma_surname"]) == level
    assert (near_miss["gamma_forename"], near_miss["gamma_surname"]) == (0, 0)
    assert swapped["match_weight"] > near_miss["match_weight"] + 8
