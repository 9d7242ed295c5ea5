"""The report rendered in headless Debian chromium: every section and chart is on the page (the
report of the reviewed world, tests/report/reviewed_world.py, which the real pipeline built).

Saves full-page screenshots under tests/_artifacts/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casereview.report import build_report
from casereview.report.sections import CHARTS
from review.indicator_world import World

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
CHROMIUM = shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)"
    ),
]


def test_report_renders_every_section_and_chart(tmp_path: Path, reviewed_world: World) -> None:
    from playwright.sync_api import sync_playwright

    engine = reviewed_world.copy(tmp_path / "store.db")
    result = build_report(engine, tmp_path / "out", purpose="browser test")
    engine.dispose()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        blocked: list[str] = []
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else (blocked.append(route.request.url), route.abort())
            ),
        )
        page.goto(result.html.as_uri())
        sections = page.eval_on_selector_all("main > section", "els => els.map(e => e.id)")
        charts = page.eval_on_selector_all(
            "figure.chart img",
            "els => els.map(e => [e.dataset.chart, e.naturalWidth > 0, e.alt.length > 20])",
        )
        headings = page.eval_on_selector_all("main h2", "els => els.map(e => e.textContent)")
        tables = page.eval_on_selector_all("main table", "els => els.length")
        page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "report-print.png"), full_page=True)
        browser.close()
    assert sections == ["records", "typology", "groups", "review", "quality", "method"]
    assert sorted(charts) == sorted([name, True, True] for name in CHARTS)
    assert headings == [
        "Records",
        "Typology and flag findings",
        "Offender groups",
        "Review progress",
        "Data quality and reconciliation",
        "Method",
    ]
    assert tables == len(result.tables) + 4  # and the four code-set definition tables
    assert blocked == []
