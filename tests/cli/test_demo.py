"""The README's main job: `casereview demo` from nothing to a built, verified store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.store import audit
from casereview.store.db import make_engine

REPO_MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def test_demo_builds_every_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--cases", "300", "--mappings", str(REPO_MAPPINGS), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert list(summary["stages"]) == ["synth", "ingest", "link", "classify", "network", "review", "report"]
    tables = summary["tables"]
    for name in ("records", "mentions", "persons", "mention_person", "classifications", "review_items"):
        assert tables[name] > 0, name
    assert tables["mention_person"] == tables["mentions"]
    assert sorted(u["role"] for u in summary["users"]) == ["admin", "analyst", "auditor", "reviewer", "supervisor"]
    assert (out / "report").is_dir() and any((out / "report").iterdir())
    engine = make_engine(f"sqlite:///{out / 'casereview.db'}")
    assert audit.verify(engine).ok
    engine.dispose()
