"""A store built by the real pipeline from a synthetic world (synth, ingest, link, classify,
network, review), made once per test module and copied for each test that changes it.

For tests that must read what the stages wrote: erasure (tests/store/test_erasure.py) and the
metamorphic test of protected characteristics (tests/test_protected_characteristics.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine

from casereview.ingest import ingest_directory
from casereview.pipeline import run_pipeline
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade
from casereview.synth import SynthConfig, generate_world

__all__ = ["MAPPINGS", "build_ingested_store", "build_pipeline_store", "copy_store"]

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


def build_ingested_store(folder: Path, *, cases: int = 300, seed: int = 7) -> Path:
    """Synthesise a world of `cases` police crimes into `folder` and import it (no more)."""
    data = folder / "data"
    generate_world(SynthConfig(cases=cases, seed=seed), data, workers=1)
    path = folder / "ingested.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        ingest_directory(engine, MAPPINGS, data, "pipeline")
    finally:
        engine.dispose()
    return path


def build_pipeline_store(folder: Path, *, cases: int = 300, seed: int = 7) -> Path:
    """`build_ingested_store`, then every later stage (link, classify, network, review)."""
    path = build_ingested_store(folder, cases=cases, seed=seed)
    engine = make_engine(f"sqlite:///{path}")
    try:
        run_pipeline(engine, actor="pipeline")
    finally:
        engine.dispose()
    return path


def copy_store(source: Path, target: Path) -> Engine:
    """A private copy of a built store (no connection is open on the source)."""
    shutil.copyfile(source, target)
    return make_engine(f"sqlite:///{target}")
