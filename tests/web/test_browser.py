"""The review journey in a real browser (Debian chromium through Playwright) on the store the
real pipeline built, with axe-core run on every page (no serious or critical violation).

A reviewer finds a child by full name, opens the person, reads why two mentions were linked,
judges a pair, opens the top queue item, reads its evidence, follows it to the group and
records a decision with a chosen outcome, seen confirmed; a supervisor allocates by filter and
signs the decision off; an analyst opens the published report; an auditor verifies the chain.
Console errors (CSP violations among them) and failed responses fail the test. Screenshots go
to `tests/_artifacts/screenshots/` (gitignored).
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casereview.ingest.views import record_view
from casereview.link.views import person_view
from casereview.network.views import group_view
from casereview.review.queue import QueueFilters, queue_page
from casereview.settings import WebSettings
from casereview.store.db import reading
from casereview.web.app import create_app
from conftest import PASSWORD, World  # type: ignore[import-not-found]

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[1] / "_artifacts" / "screenshots"
AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
TIMEOUT_MS = 20_000
BLOCKING = {"serious", "critical"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def journey_world(request: pytest.FixtureRequest) -> World:
    """The pipeline-built review world on each backend (PostgreSQL: `pg_world`)."""
    world: World = request.getfixturevalue("world" if request.param == "sqlite" else "pg_world")
    return world


@pytest.fixture
def server(journey_world: World) -> Iterator[str]:
    """uvicorn serving the world on a free port, in a background thread."""
    import uvicorn

    world = journey_world

    app = create_app(
        world.engine, settings=WebSettings(), clock=world.clock, report_dir=world.report_dir
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/test-prerequisites.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Watched:
    """A browser context for one user: console errors and failed responses are collected, and
    axe-core runs on every page the user reaches."""

    def __init__(self, browser: Any, base: str, who: str) -> None:
        self.context = browser.new_context(base_url=base)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.who = who
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def _console(self, message: Any) -> None:
        text = str(message.text)
        if message.type == "error" or "Content Security Policy" in text:
            where = message.location.get("url") or self.page.url
            self.problems.append(f"{message.type} at {where}: {text}")

    def axe(self) -> None:
        """Run axe-core on the page as it stands; serious or critical violations are problems.
        The script is evaluated through the DevTools protocol, so the page's CSP (no inline
        script) stays as it is served."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target)}))"
        )
        path = self.page.url.split("?")[0].rsplit("/", 2)[-2:]
        self.checked.append("/".join(path))
        bad = [v for v in result if v["impact"] in BLOCKING]
        if bad:
            self.problems.append(f"axe on {self.page.url}: {bad}")

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self.axe()

    def click(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)
        self.axe()

    def submit(self, form: str) -> None:
        self.click(f"{form} button[type=submit]")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.who}-{name}.png"), full_page=True)

    def sign_in(self, username: str) -> None:
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.submit("form.stack")

    def close(self) -> None:
        self.context.close()
        assert self.problems == [], f"{self.who}: {self.problems}"


def _child(world: World) -> tuple[int, str]:
    """A person in rev_n's work with two linked mentions, a child victim when there is one:
    (person id, full name)."""
    rev = world.actor("rev_n")
    found: list[tuple[bool, int, str]] = []
    with reading(world.engine) as conn:
        items = queue_page(conn, rev, QueueFilters(scope="mine"), 1, 100).items
        for item in items:
            if item.subject_type == "record":
                people = [
                    (m.person_id, m.role)
                    for m in record_view(conn, rev, item.subject_id).persons
                    if m.person_id is not None
                ]
            else:
                people = [
                    (m.person_id, m.role)
                    for m in group_view(conn, rev, item.subject_id).members
                    if m.name
                ]
            for person_id, role in people:
                person = person_view(conn, rev, person_id)
                if person.pairs and person.display_name and len(person.display_name.split()) > 1:
                    found.append((role != "victim", person_id, person.display_name))
    assert found, "nobody in rev_n's work has a linked pair"
    _, person_id, name = min(found)
    return person_id, name


def test_review_journey_in_the_browser(browser: Any, server: str, journey_world: World) -> None:
    """The one journey, on SQLite and on PostgreSQL (a store the real pipeline built there)."""
    world = journey_world
    child_id, child_name = _child(world)

    # ------------------------------------------------------------------------ the reviewer
    reviewer = Watched(browser, server, "reviewer")
    page = reviewer.page
    reviewer.sign_in("rev_n")
    assert page.url.endswith("/queue?scope=mine")
    assert page.locator("h1").inner_text() == "My queue"
    # The skip link is the first stop of the keyboard, and visible when focused.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, getComputedStyle(document.activeElement).left]"
    )
    assert focused == ["skip-link", "0px"], focused

    # Find the child by full name, surname first.
    reviewer.goto("/search")
    first, *rest = child_name.split()
    page.fill("#s-q", " ".join([*rest, first]))
    reviewer.submit("#search-form")
    hits = page.locator("table.results tbody tr")
    assert hits.count() >= 1
    assert child_name in hits.first.inner_text()
    reviewer.shot("search")
    reviewer.click(f"a.person-result[href='/persons/{child_id}']")
    assert page.locator("h1").inner_text() == child_name

    # Why two mentions were linked: the waterfall as text, weights and values.
    pair = page.locator("section.pair").first
    table = pair.locator("table.waterfall-table")
    rows = table.locator("tbody tr").all_inner_texts()
    assert rows[0].startswith("Prior") and len(rows) >= 3, rows
    assert any("Surname" in r or "Forename" in r for r in rows), rows
    assert "Match weight" in table.locator("tfoot").inner_text()
    reviewer.shot("person")

    # Judge the pair, and see it confirmed.
    pair.locator("input[value=same]").check()
    pair.locator("input[name=reason]").fill("Same date of birth and address in both records.")
    reviewer.click("section.pair >> nth=0 >> button[type=submit]")
    assert "Your judgement on this pair was saved" in page.locator("main").inner_text()

    # The top queue item: its evidence, followed to the group, and a decision.
    reviewer.goto("/queue?scope=mine")
    reviewer.click("table.queue tbody tr >> nth=0 >> a")
    assert "/groups/" in page.url
    group_url = page.url.split("?")[0]
    evidence = page.locator("ul.evidence").first.inner_text()
    assert evidence and "{" not in evidence and "record_id" not in evidence
    assert "Priority" in page.locator("ul.reasons").inner_text()
    reviewer.click("ul.evidence a[href^='/records/'] >> nth=0")
    assert page.locator("h1").inner_text().startswith("Record ")
    reviewer.click(f"a.group-link[href='{group_url.split(server)[1]}']")
    reviewer.submit("#start-form")
    assert page.locator("#review .status").get_attribute("data-status") == "in_review"
    checked = page.locator("#decision-form input[name=outcome]:checked").count()
    assert checked == 0  # no outcome is chosen for the reviewer
    page.locator("#decision-form input[value=link_to_group]").check()
    page.fill("#rationale", "The recurring vehicle ties these records to the group.")
    reviewer.submit("#decision-form")
    saved = page.locator("#saved").inner_text()
    assert "Decision saved: Link to group" in saved, saved
    assert "The recurring vehicle ties these records to the group." in saved
    assert page.locator("#review .status").get_attribute("data-status") == "awaiting_sign_off"
    reviewer.shot("decided")
    reviewer.close()

    # ---------------------------------------------------------------------- the supervisor
    supervisor = Watched(browser, server, "supervisor")
    page = supervisor.page
    supervisor.sign_in("sup_n")
    supervisor.goto("/queue?scope=team&unallocated=true")
    borough = next(
        b.strip()
        for b in page.locator("table.queue tbody tr td:nth-child(6)").all_inner_texts()
        if b.strip()
    )
    page.fill("#f-borough", borough)
    supervisor.submit("#queue-filters")
    selected = page.locator("table.queue caption").inner_text().split()[0]
    page.select_option("#a-assignee", "rev_n2")
    supervisor.submit("#allocate-form")
    assert (
        page.locator("#allocated")
        .inner_text()
        .startswith(f"Allocated {selected} item(s) to rev_n2")
    )
    supervisor.shot("allocated")
    supervisor.goto("/supervisor")
    supervisor.click(f"a[href='{group_url.split(server)[1]}#review']")
    assert "Link to group" in page.locator("#sign-off-form").inner_text()
    page.fill("#sign-off-comment", "Agreed.")
    supervisor.submit("#sign-off-form")
    assert page.locator("#review .status").get_attribute("data-status") == "closed"
    assert "Signed off" in page.locator("#saved").inner_text()
    supervisor.shot("signed-off")
    supervisor.close()

    # ------------------------------------------------------------------------- the analyst
    analyst = Watched(browser, server, "analyst")
    page = analyst.page
    analyst.sign_in("ana")
    analyst.goto("/groups")
    assert page.locator("table.groups tbody tr").count() >= 1
    analyst.goto("/reports")
    files = page.locator("ul.files a").all_inner_texts()
    assert "report.html" in files and sum(f.endswith(".csv") for f in files) >= 10, files
    # The published report is the report stage's document, not a page of the app: opened,
    # under its own policy (no script), without axe.
    with page.expect_navigation():
        page.click("ul.files a[href='/reports/files/report.html']")
    assert page.url.endswith("/reports/files/report.html")
    assert page.locator("h1").count() >= 1
    analyst.shot("report")
    analyst.close()

    # ------------------------------------------------------------------------- the auditor
    auditor = Watched(browser, server, "auditor")
    page = auditor.page
    auditor.sign_in("aud")
    assert page.url.endswith("/audit")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    page.fill("#a-since", today)
    page.fill("#a-until", today)
    page.fill("#a-actor", "sup_n")
    auditor.submit("#audit-filters")
    actions = page.locator("table.audit tbody td[data-action]").evaluate_all(
        "cells => cells.map(c => c.dataset.action)"
    )
    assert "alter" in actions, actions
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width  # the log wraps, never scrolls sideways
    auditor.submit("#verify-form")
    assert page.locator("#verify-result").inner_text().startswith("Chain verified")
    auditor.shot("audit")
    auditor.close()
