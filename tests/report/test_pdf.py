"""The report as PDF (`casereview report --format pdf`), rendered by WeasyPrint from the HTML.

The reviewed world (tests/report/reviewed_world.py, built by the real pipeline) is copied, and
the command line run as a user would, once per backend for the module (`pdf_report`); each test reads the PDF back with pypdf: a real document, the HTML's
headings and every published figure in its text, no personal value, every chart drawn, nothing
outside the printable area, and one disclosure audit entry that covers the PDF as it covers the
HTML.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from published import personal_values
from reviewed_world import PLANTED_WORDS
from sqlalchemy import Engine, select

from casereview.cli import main
from casereview.model.tables import audit_log, runs
from casereview.report.disclosure import DisclosureRule
from casereview.report.published import PublishedTable, Section
from casereview.report.render import render_html, write_pdf
from casereview.report.sections import CHARTS
from casereview.settings import reset_settings
from casereview.store.audit import verify
from casereview.store.db import reading

pytest.importorskip("weasyprint", reason="PDF output needs WeasyPrint: pip install -e '.[dev]'")
pypdf = pytest.importorskip("pypdf", reason="reading the PDF needs pypdf: pip install -e '.[dev]'")

SECTIONS = ["Records", "Typology and flag findings", "Offender groups", "Review progress"]
MM = 72 / 25.4  # PDF points per millimetre
MARGIN_X = 15 * MM  # the template's `@page { margin: 18mm 15mm }`


@dataclass(frozen=True)
class Report:
    """What one `casereview report` command wrote and printed."""

    out: Path
    result: dict[str, Any]

    @property
    def html(self) -> str:
        return (self.out / "report.html").read_text(encoding="utf-8")

    @property
    def pdf(self) -> Path:
        return self.out / "report.pdf"


def _report(url: str, out: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> Report:
    """Run `casereview report` on the store at `url` as analyst1, for the review board."""
    monkeypatch.setenv("CASEREVIEW_USER", "analyst1")
    reset_settings()
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(
            ["--database", url, "report", "--out", str(out), "--format", fmt,
             "--purpose", "annual transparency", "--recipient", "review board", "--json"]
        )  # fmt: skip
    assert (code, stderr.getvalue()) == (0, ""), (stdout.getvalue(), stderr.getvalue())
    return Report(out, json.loads(stdout.getvalue()))


@pytest.fixture(scope="module")
def pdf_world(module_reviewed_store: Engine) -> Iterator[tuple[str, Engine]]:
    """The reviewed world in a store of each backend, shared by this module's tests: its URL
    and an engine on it."""
    yield module_reviewed_store.url.render_as_string(hide_password=False), module_reviewed_store


@pytest.fixture(scope="module")
def pdf_report(
    pdf_world: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Report:
    """The PDF report of the world, made once per backend and read by each test."""
    with pytest.MonkeyPatch.context() as patch:
        made = _report(pdf_world[0], tmp_path_factory.mktemp("pdf") / "pdf", "pdf", patch)
    reset_settings()
    return made


def _pdf_text(path: Path) -> str:
    """All text of the PDF, every run of white space made one space (lines wrap differently)."""
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _published(report_html: str) -> tuple[list[str], list[str]]:
    """(headings, published figures) of the HTML report: each table row and fact as one line.

    The contents list is left out: print (and so the PDF) hides it, since links do not work
    on paper.
    """
    doc = re.sub(r"<nav.*?</nav>", "", report_html, flags=re.S)
    headings = [_text(h) for h in re.findall(r"<h[123][^>]*>(.*?)</h[123]>", doc, flags=re.S)]
    rows = [
        " ".join(_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S))
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", doc, flags=re.S)
    ]
    facts = [f"{_text(k)} {_text(v)}" for k, v in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", doc)]
    footer = re.findall(r"<footer>(.*?)</footer>", doc, flags=re.S)
    return headings, rows + facts + [_text(f) for f in footer]


def _operands(page: Any, operator: bytes) -> list[tuple[list[Any], list[float], list[float]]]:
    """(operands, current matrix, text matrix) of each use of `operator` on the page."""
    found: list[tuple[list[Any], list[float], list[float]]] = []

    def visit(op: bytes, args: list[Any], cm: list[float], tm: list[float]) -> None:
        if op == operator:
            found.append((args, cm, tm))

    page.extract_text(visitor_operand_before=visit)
    return found


def _text_starts(path: Path) -> list[tuple[int, float, float]]:
    """(page, x, page width) where each text run starts, in PDF points."""
    starts = []
    for number, page in enumerate(pypdf.PdfReader(path).pages, start=1):
        width = float(page.mediabox.width)
        for op in (b"TJ", b"Tj"):
            for _, cm, tm in _operands(page, op):
                starts.append((number, tm[4] * cm[0] + tm[5] * cm[2] + cm[4], width))
    return starts


def _outside_the_margins(path: Path) -> list[tuple[int, float]]:
    """Text runs that start left of the left margin or right of the right margin.

    Text in a table too wide for the page is either clipped (overflow) or printed into the
    margin; either way some of it starts past the right margin.
    """
    return [
        (page, round(x, 1))
        for page, x, width in _text_starts(path)
        if not MARGIN_X - 1 <= x <= width - MARGIN_X
    ]


# ------------------------------------------------------------------------------------- tests


def test_pdf_is_a_document_with_every_heading_and_figure_of_the_html(pdf_report: Report) -> None:
    r = pdf_report
    assert (r.result["html"], r.result["pdf"]) == (str(r.out / "report.html"), str(r.pdf))
    assert r.pdf.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(r.pdf)
    assert len(reader.pages) >= 1
    assert [
        (round(float(p.mediabox.width) / MM), round(float(p.mediabox.height) / MM))
        for p in reader.pages
    ] == [(210, 297)] * len(reader.pages)  # A4 portrait
    assert reader.metadata is not None and reader.metadata.title == "Transparency report"

    headings, figures = _published(r.html)
    assert headings[:2] == ["Transparency report", SECTIONS[0]]
    assert set(SECTIONS) <= set(headings) and "Method" in headings
    assert len(figures) > 200  # every row of 23 tables, the facts and the footer
    text = _pdf_text(r.pdf)
    assert [h for h in headings if h not in text] == []
    assert [f for f in figures if f not in text] == []

    # Every chart is drawn once, and nothing is cut off or printed into the margins.
    drawn = [args[0] for page in reader.pages for args, _, _ in _operands(page, b"Do")]
    assert len(drawn) == len(set(drawn)) == len(r.result["chart_files"]) == len(CHARTS)
    assert _outside_the_margins(r.pdf) == []


def test_pdf_holds_no_personal_value(
    pdf_report: Report, pdf_world: tuple[str, Engine]
) -> None:
    """As tests/report/test_stage.py checks the HTML and CSVs: no personal value of the store,
    no planted person's name part."""
    secrets = personal_values(pdf_world[1])
    reader = pypdf.PdfReader(pdf_report.pdf)
    contents = {
        "text": _pdf_text(pdf_report.pdf).lower(),
        "metadata": " ".join(str(v) for v in (reader.metadata or {}).values()).lower(),
    }
    words = set(PLANTED_WORDS)
    found = []
    for where, content in contents.items():
        for kind, values in secrets.items():
            found += [(where, kind, v) for v in values if v.lower() in content]
        found += [(where, "name part", w) for w in words if w.lower() in content]
    assert found == []
    assert all(len(v) > 100 for k, v in secrets.items() if k != "id"), "a world to look in"


def test_pdf_export_is_audited_like_the_html_one(
    pdf_report: Report,
    pdf_world: tuple[str, Engine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_url, engine = pdf_world
    html_report = _report(store_url, tmp_path / "html", "html", monkeypatch)

    def entry(report: Report) -> tuple[Any, ...]:
        with reading(engine) as conn:
            row = conn.execute(
                select(audit_log).where(audit_log.c.seq == report.result["audit_seq"])
            ).one()
            run = conn.execute(select(runs).where(runs.c.id == report.result["run_id"])).one()
        assert (run.stage, run.status) == ("report", "succeeded")
        return row, json.loads(row.details)

    (pdf_row, pdf), (html_row, htm) = entry(pdf_report), entry(html_report)
    for row in (pdf_row, html_row):
        assert (row.actor, row.action, row.object_type, row.purpose, row.recipient) == (
            "analyst1", "disclose", "report", "annual transparency", "review board"
        )  # fmt: skip
    assert (pdf["format"], htm["format"]) == ("pdf", "html")
    assert {k: v for k, v in pdf.items() if k not in {"files", "format"}} == {
        k: v for k, v in htm.items() if k not in {"files", "format"}
    }
    # The PDF's entry lists every file of the HTML's, and the PDF, each with its SHA-256.
    assert set(pdf["files"]) == set(htm["files"]) | {"report.pdf"}
    for report, files in ((pdf_report, pdf["files"]), (html_report, htm["files"])):
        for name, digest in files.items():
            assert hashlib.sha256((report.out / name).read_bytes()).hexdigest() == digest, name
    assert pdf["rule"] == {"suppress_below": 10, "round_to": 5}
    assert verify(engine).ok


def test_a_table_wider_than_the_page_is_printed_whole() -> None:
    """Was: the table's last columns were clipped (the screen's scroll box cut them off); then
    its 35 column headings (boroughs) were broken into letters. Now boroughs run down the side
    (London's 33, the longest names included) and 15 years across: every word stays whole."""
    boroughs = [
        "Barking and Dagenham", "Kensington and Chelsea", "Richmond upon Thames",
        "Hammersmith and Fulham", "Kingston upon Thames", "City of London",
        *[f"Borough{chr(65 + i)}ington" for i in range(27)],
    ]  # fmt: skip
    years = [str(2009 + y) for y in range(15)]
    rows = [["borough", *years, "not recorded", "Total"]]
    # As a 9,000-case review publishes them: cells up to 3 digits, year totals up to 4.
    rows += [[b, *["[c]"] * 13, "15", "235", "0", str(400 + 5 * i)] for i, b in enumerate(boroughs)]
    rows += [["Total", *[str(1_000 + 5 * y) for y in range(15)], "0", "9000"]]
    table = PublishedTable(
        name="records_by_borough_year",
        title="Records by borough and year",
        description="",
        rows=rows,
    )
    section = Section(id="records", title="Records", intro="Every record.", tables=[table])
    path = Path("wide.pdf")  # the test's own working folder (tests/conftest.py)
    write_pdf(render_html([section], {}, DisclosureRule()), path)
    assert _outside_the_margins(path) == []
    text = _pdf_text(path)
    assert [" ".join(row) for row in rows if " ".join(row) not in text] == []
