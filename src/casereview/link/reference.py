"""The reference model: parameters for a store too small to train on.

m, u and the prior are estimated from the store's own mentions, without labels. A store of a
handful of cases cannot give them: u (how often two different people agree by chance) is
measured on random pairs, and among a dozen mentions most pairs are the same child. Below
`MIN_TRAIN_MENTIONS` mentions the link stage scores with the reference model instead: the
parameters trained once on a synthetic world of the typical profile (`casereview synth
--profile typical --cases 1000 --seed 1`, imported with the mappings in mappings/), kept in
`reference_model.json` beside this module and rebuilt with

    python -m casereview.link.reference STORE_URL

whenever the comparisons change (a test checks that the file fits them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["MIN_TRAIN_MENTIONS", "REFERENCE_PATH", "reference_model", "train_reference"]

# Below this many mentions the store's own parameters would be noise.
MIN_TRAIN_MENTIONS = 100
REFERENCE_PATH = Path(__file__).with_name("reference_model.json")


def reference_model() -> dict[str, Any]:
    """The reference model's settings (Splink's JSON: comparisons with m and u, prior)."""
    loaded: dict[str, Any] = json.loads(REFERENCE_PATH.read_text(encoding="utf-8"))
    return loaded


def train_reference(frame: pd.DataFrame) -> dict[str, Any]:
    """Train the model on `frame` as the link stage does (addresses compared, so that the
    reference carries every comparison) and return its settings."""
    from casereview.link.model import linker_for, model_settings, open_backend, train, u_pairs
    from casereview.settings import get_settings

    link = get_settings().link
    with open_backend("duckdb", memory_limit=link.duckdb_memory_limit) as db_api:
        linker = linker_for(db_api, frame, model_settings(frame, addresses=True))
        model = train(
            linker,
            u_max_pairs=u_pairs(len(frame), link.u_pairs_per_mention, link.u_max_pairs),
            seed=link.random_seed,
            em_sample=link.em_record_sample_proportion,
            frame=frame,
        )
    return model.settings


def main(argv: list[str]) -> None:
    from casereview.link.frame import build_frame, load_mention_rows
    from casereview.store.db import make_engine, reading

    if len(argv) != 1:
        raise SystemExit("usage: python -m casereview.link.reference STORE_URL")
    with reading(make_engine(argv[0])) as conn:
        frame = build_frame(load_mention_rows(conn))
    settings = train_reference(frame)
    REFERENCE_PATH.write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"reference model trained on {len(frame)} mentions written to {REFERENCE_PATH}")


if __name__ == "__main__":
    main(sys.argv[1:])
