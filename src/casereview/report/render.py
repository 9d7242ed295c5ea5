"""The transparency report as one self-contained HTML file (and PDF where WeasyPrint is installed).

No external resources: CSS is inline, charts are base64 PNG in `<img>` with their text
alternative, fonts are the reader's own. The method section is rendered from the code sets'
definitions, so it always describes the rules that produced the numbers.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from casereview import __version__
from casereview.errors import StageError
from casereview.model.codes import FindingCode, IndicatorCode, OutcomeType, Typology
from casereview.report.charts import Chart
from casereview.report.disclosure import DisclosureRule
from casereview.report.published import Section

__all__ = [
    "disclosure_rules",
    "pdf_available",
    "quality_measures",
    "render_html",
    "template_env",
    "write_pdf",
]

TEMPLATES = Path(__file__).parent / "templates"


def disclosure_rules(rule: DisclosureRule) -> list[str]:
    """The disclosure rules in words, as the report and docs/reports.md state them."""
    return [
        "Perturbation (cell-key method): every count, cells and totals alike, is first changed "
        "by at most 2 either way, by an amount drawn from a fixed table by a key that depends "
        "only on what the cell counts and its true count. The same cell is therefore published "
        "alike in every report, and comparing two reports does not reveal the change between "
        "them. Zeros are never perturbed and other counts never become zero.",
        f"Primary suppression: a perturbed count from 1 to {rule.suppress_below - 1} is withheld "
        "and shown as [c].",
        "True zeros are shown as 0 (a count of zero records discloses nothing about a child) "
        "and are never withheld to protect another cell.",
        f"Rounding: every published count, cells and totals alike, is its perturbed count "
        f"rounded to the nearest multiple of {rule.round_to}. Totals are perturbed and rounded "
        "on their own, so published cells need not add up to published totals.",
        "Secondary suppression: wherever a row or column (with its total) has exactly one "
        "withheld value, the smallest other non-zero value is withheld too, until no withheld "
        "value can be worked out by subtraction.",
        f"Audit: for every withheld value the range of values consistent with everything the "
        f"table publishes is computed exactly, assuming the reader knew the true values; "
        f"while any range is narrower than {rule.suppress_below}, a further value is withheld.",
        "Tables that share a total (all records, all groups) publish it identically; views of "
        "a table's totals (e.g. records by year) are taken from the same protected table. A "
        "table whose shared total is itself below the threshold is withheld as a whole.",
        "Rates and percentages are computed from unrounded counts and published only where "
        "their denominator is published and neither the numerator nor the rest of the "
        f"denominator is a count from 1 to {rule.suppress_below - 1}.",
        "Charts are drawn from the published values only.",
    ]


def quality_measures() -> list[str]:
    """What each data-quality measure counts."""
    return [
        "Rows read, loaded and quarantined: from the import log; quarantined rows by the "
        "reason the ingest stage gave. 'Not accounted for' is read minus loaded minus "
        "quarantined.",
        "Completeness: the share of victim and suspect mentions with a date of birth (full, "
        "month or year), an address or postcode, an ethnicity other than 'not stated', and a "
        "nationality ('not collected' where a source never records it).",
        "Ethnicity is reported as completeness and distribution only; it is never an input to "
        "any rule, score or ranking.",
        "Duplicates found by linkage: mentions per distinct resolved person among a source's "
        "own mentions of that role.",
        "Flag consistency: the share of a source's records flagged CSE by the source, with a "
        "missing or a wrong CSE flag finding, and with neither (consistent).",
        "Police and local authority by borough: records flagged CSE by their source or "
        "classified CSE likely, per 1,000 children where a population table was supplied.",
    ]


def _code_sets() -> list[tuple[str, str, list[tuple[str, str]], str]]:
    return [
        ("Typology", "typology", Typology.describe(), Typology.__doc__ or ""),
        ("Flag findings", "findings", FindingCode.describe(), FindingCode.__doc__ or ""),
        (
            "Missed-opportunity indicators",
            "indicators",
            IndicatorCode.describe(),
            IndicatorCode.__doc__ or "",
        ),
        ("Outcome types", "outcomes", OutcomeType.describe(), OutcomeType.__doc__ or ""),
    ]


def template_env() -> Environment:
    """The Jinja environment of the report stage's self-contained documents (`templates/`)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    sections: Sequence[Section],
    charts: dict[str, Chart],
    rule: DisclosureRule,
    *,
    title: str = "Transparency report",
    withheld_cells: int = 0,
    generated: dt.datetime | None = None,
) -> str:
    """The whole report as one HTML document."""
    env = template_env()
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%d %B %Y %H:%M UTC")
    return env.get_template("report.html").render(
        title=title,
        version=__version__,
        generated=when,
        rule=rule,
        sections=sections,
        charts=charts,
        images={name: base64.b64encode(c.png).decode("ascii") for name, c in charts.items()},
        disclosure_rules=disclosure_rules(rule),
        quality_measures=quality_measures(),
        code_sets=_code_sets(),
        table_count=sum(len(s.tables) for s in sections),
        withheld_cells=withheld_cells,
    )


def pdf_available() -> bool:
    """True when WeasyPrint (the optional `pdf` extra) is installed."""
    return importlib.util.find_spec("weasyprint") is not None


def write_pdf(html: str, path: Path) -> None:
    """Render the HTML to PDF with WeasyPrint."""
    if not pdf_available():
        raise StageError("PDF output needs WeasyPrint: pip install 'casereview[pdf]'")
    import weasyprint  # type: ignore[import-not-found, unused-ignore]

    weasyprint.HTML(string=html).write_pdf(str(path))
