"""The report the real pipeline published (`pipeline_world.build_review_store`: a synthetic
world through every stage, report included): every count protected, no personal value of the
store in any file, as the pipeline's own report stage wrote it (test_stage.py checks the
report built on the reviewed world, test_releases.py two releases of it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from published import personal_values, unprotected_counts

from casereview.store.db import make_engine

pytestmark = pytest.mark.slow


def _published(report: Path) -> dict[str, str]:
    """Every text file of the report; the HTML without its embedded chart images."""
    html = (report / "report.html").read_text(encoding="utf-8")
    files = {"report.html": re.sub(r'src="data:image/png;base64,[^"]+"', "", html)}
    return files | {p.name: p.read_text(encoding="utf-8") for p in sorted(report.glob("*.csv"))}


def _personal_values(store: Path) -> dict[str, set[str]]:
    engine = make_engine(f"sqlite:///{store}")
    try:
        return personal_values(engine)
    finally:
        engine.dispose()


def test_every_published_count_is_protected(review_store: Path) -> None:
    report = review_store.parent / "report"
    csv_files = sorted(report.glob("*.csv"))
    assert len(csv_files) > 10
    assert unprotected_counts(csv_files) == []


def test_no_personal_value_of_the_store_in_the_report(review_store: Path) -> None:
    values = _personal_values(review_store)
    assert all(len(v) > 100 for k, v in values.items() if k != "id"), "a world to look in"
    found = []
    for name, content in _published(review_store.parent / "report").items():
        lowered = content.lower()
        for kind, kept in values.items():
            found += [(name, kind, v) for v in kept if v.lower() in lowered]
    assert found == []
