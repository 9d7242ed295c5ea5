"""The web app in a real browser (Debian chromium through Playwright), on the fixture world.

A reviewer signs in, opens the queue, a record, a person's timeline and a group's graph, and
records a decision through the form; a supervisor signs it off; an auditor finds both in the
audit log page. Every page is checked for console errors, CSP violations among them, since
the pages carry a strict policy (no inline script or style). Screenshots go to
`tests/_artifacts/screenshots/` (gitignored).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casereview.settings import WebSettings
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
TIMEOUT_MS = 10_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(world: World) -> Iterator[str]:
    """uvicorn serving the fixture world on a free port, in a background thread."""
    import uvicorn

    app = create_app(world.engine, settings=WebSettings(), clock=world.clock)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
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
    """A browser context for one user whose console errors and page errors are collected."""

    def __init__(self, browser: Any, base: str, who: str) -> None:
        self.context = browser.new_context(base_url=base)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.who = who
        self.problems: list[str] = []
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

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.who}-{name}.png"), full_page=True)

    def sign_in(self, username: str) -> None:
        self.page.goto("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("form.stack button[type=submit]")

    def submit(self, form: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"{form} button[type=submit]")

    def close(self) -> None:
        self.context.close()
        assert self.problems == [], f"{self.who}: {self.problems}"


def _transition(details: str) -> str | None:
    found = re.search(r'"transition":\s*"(\w+)"', details)
    return found.group(1) if found else None


def test_review_journey_in_the_browser(server: str, browser: Any, world: World) -> None:
    reviewer = Watched(browser, server, "reviewer")
    page = reviewer.page
    reviewer.sign_in("rev_n")
    assert page.url.endswith("/queue")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2  # North holds record item 1 and group item 3
    assert "CR/2002/15" not in page.content()  # South's record is not in North's queue
    reviewer.shot("queue")
    # The filter form left at "all" sends empty values: no filter, not a 422.
    page.goto("/queue?team=&status=&indicator=&borough=&year=&sort=priority")
    assert page.locator("table.queue tbody tr").count() == 2

    with page.expect_navigation():
        page.click("a[href='/records/1']")
    assert "CR/1001/14" in page.locator("h1").inner_text()
    assert "silver car outside the takeaway" in page.content()
    reviewer.shot("record")

    with page.expect_navigation():
        page.click("a.person-link[href='/persons/1']")
    assert page.url.endswith("/persons/1")
    body = page.locator("main").inner_text()
    assert "Adam SMITH" in body and "CR/1001/14" in body
    reviewer.shot("person")

    page.goto("/groups/1")
    page.wait_for_selector("#graph[data-ready=true]")
    drawn = page.evaluate(
        """() => {
            const box = document.getElementById("graph");
            const cy = box._cyreg && box._cyreg.cy;
            return {
                canvases: box.querySelectorAll("canvas").length,
                nodes: cy ? cy.nodes().length : -1,
                edges: cy ? cy.edges().length : -1,
                height: box.getBoundingClientRect().height,
            };
        }"""
    )
    assert drawn["canvases"] >= 1 and drawn["height"] > 0, drawn
    assert drawn["nodes"] == 2, drawn  # Carl BROWN and Dana WHITE
    reviewer.shot("group")

    page.goto("/records/1")
    reviewer.submit("form[action='/items/1/start']")
    assert page.locator("#review .status").inner_text() == "in_review"
    page.select_option("#decision-form select[name=outcome]", "further_investigation")
    page.fill("#decision-form textarea[name=rationale]", "Silver car links this to group 1.")
    reviewer.submit("#decision-form")
    assert page.locator("#review .status").inner_text() == "awaiting_sign_off"
    assert "Silver car links this to group 1." in page.locator("ol.history").inner_text()
    reviewer.shot("decided")
    reviewer.close()

    supervisor = Watched(browser, server, "supervisor")
    page = supervisor.page
    supervisor.sign_in("sup_n")
    page.goto("/records/1")
    page.fill("#sign-off-form input[name=comment]", "Agreed.")
    supervisor.submit("#sign-off-form")
    assert page.locator("#review .status").inner_text() == "closed"
    supervisor.shot("signed-off")
    supervisor.close()

    auditor = Watched(browser, server, "auditor")
    page = auditor.page
    auditor.sign_in("aud")
    assert page.url.endswith("/audit")
    page.fill("form.filters input[name=object_type]", "review_item")
    page.fill("form.filters input[name=object_id]", "1")
    auditor.submit("form.filters")
    entries = [
        [cell.strip() for cell in row]
        for row in page.locator("table.audit tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells, c => c.innerText))"
        )
    ]
    found = {(e[2], e[3], _transition(e[7])) for e in entries}
    assert ("rev_n", "alter", "start_review") in found, entries
    assert ("rev_n", "alter", "decide") in found, entries
    assert ("sup_n", "alter", "sign_off") in found, entries
    auditor.submit("form[action='/audit/verify']")
    assert page.locator("#verify-result").inner_text().startswith("Chain verified")
    auditor.shot("audit")
    auditor.close()
