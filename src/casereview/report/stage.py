"""The report stage: statistics -> disclosure control -> sections -> charts -> files -> audit.

`build_report` is the one entry point (the CLI, the pipeline and the web app call it). It reads
the store, protects every table, writes the HTML report (and PDF where WeasyPrint is
installed), one CSV per published table and the chart PNGs into `out_dir`, and records the
disclosure (purpose, recipient, files and their SHA-256) in the audit log inside the same
transaction as the `runs` row. If anything fails, the files it wrote are removed again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from casereview.errors import ConfigError
from casereview.model.codes import AuditAction
from casereview.report.cellkey import MAX_PERTURBATION, CellKeys, load_cell_keys, perturb_table
from casereview.report.charts import draw_charts
from casereview.report.disclosure import DisclosureRule, DisclosureSummary, ProtectedTable, protect
from casereview.report.published import PublishedTable
from casereview.report.quality import collect_quality, read_population
from casereview.report.render import pdf_available, render_html, write_pdf
from casereview.report.sections import build_sections
from casereview.report.statistics import collect_statistics, load_records, load_sources
from casereview.settings import get_settings
from casereview.store import audit
from casereview.store.db import reading
from casereview.store.runs import stage_run

__all__ = ["FORMATS", "ReportResult", "build_report"]

FORMATS = ("html", "pdf")
Progress = Callable[[str, int, int], None]
_STEPS = ("read", "protect", "charts", "render", "write")


@dataclass(frozen=True)
class ReportResult:
    """What `build_report` produced."""

    out_dir: Path
    html: Path
    pdf: Path | None
    csv_files: list[Path]
    chart_files: list[Path]
    tables: list[str]
    sections: list[str]
    run_id: int
    audit_seq: int
    disclosure: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "html": str(self.html),
            "pdf": None if self.pdf is None else str(self.pdf),
            "csv_files": [p.name for p in self.csv_files],
            "chart_files": [p.name for p in self.chart_files],
            "tables": self.tables,
            "sections": self.sections,
            "run_id": self.run_id,
            "audit_seq": self.audit_seq,
            "disclosure": self.disclosure,
        }


def _csv_text(table: PublishedTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(table.rows)
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def protect_all(
    tables: dict[str, Any], rule: DisclosureRule, keys: CellKeys | None = None
) -> dict[str, ProtectedTable]:
    """Every count table through disclosure control (cell-key perturbation first, with `keys`)."""
    if keys is None:
        return {name: protect(table, rule) for name, table in tables.items()}
    return {
        name: protect(table, rule, perturb_table(table, keys), perturbation=MAX_PERTURBATION)
        for name, table in tables.items()
    }


def build_report(
    engine: Engine,
    out_dir: Path | str,
    *,
    fmt: str = "html",
    actor: str = "cli",
    purpose: str = "transparency report: aggregate statistics of the review",
    recipient: str | None = None,
    population_csv: Path | str | None = None,
    rule: DisclosureRule | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Build the transparency report into `out_dir`; audited as a disclosure.

    Args:
        fmt: "html" (always written) or "pdf" (HTML plus a PDF, needs WeasyPrint).
        purpose, recipient: why and for whom the report is produced (in the audit log).
        population_csv: `borough,children` CSV; adds rates per 1,000 children.
        rule: disclosure rule (default: `report.suppress_below` and `report.round_to`).
        progress: called with (step, done, total) as the stages of the build complete.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    if not purpose.strip():
        raise ConfigError("a report needs a stated purpose")
    if fmt == "pdf" and not pdf_available():
        raise ConfigError("PDF output needs WeasyPrint: pip install 'casereview[pdf]'")
    rule = rule or DisclosureRule.from_settings(get_settings().report)
    step = _stepper(progress)
    population = read_population(Path(population_csv)) if population_csv else None
    with reading(engine) as conn:
        names = load_sources(conn)
        recs = load_records(conn, names)
        stats = collect_statistics(conn, names, recs)
        quality = collect_quality(conn, names, recs, population)
        keys = load_cell_keys(conn)
    step("read")
    protected = protect_all(stats.tables | quality.tables, rule, keys)
    summary = DisclosureSummary()
    for table in protected.values():
        summary.add(table)
    sections = build_sections(protected, quality, stats.agreement_pairs, rule)
    published = {t.name: t for s in sections for t in s.tables}
    step("protect")
    charts = draw_charts(published)
    step("charts")
    html = render_html(sections, charts, rule, withheld_cells=summary.primary + summary.secondary)
    step("render")
    out = Path(out_dir)
    parameters = {
        "format": fmt,
        "suppress_below": rule.suppress_below,
        "round_to": rule.round_to,
        "population": population is not None,
    }
    written: list[Path] = []
    try:
        with stage_run(engine, "report", parameters, actor=actor) as run:
            files = _write_files(out, html, published, charts, fmt, written)
            entry = audit.append(
                run.conn,
                actor=actor,
                action=AuditAction.DISCLOSE,
                object_type="report",
                object_id=run.run_id,
                purpose=purpose,
                recipient=recipient,
                details={
                    "files": files,
                    "format": fmt,
                    "rule": {"suppress_below": rule.suppress_below, "round_to": rule.round_to},
                    "tables": len(published),
                    "primary_suppressed": summary.primary,
                    "secondary_suppressed": summary.secondary,
                    "withheld_tables": summary.withheld_tables,
                },
            )
            run.counts.update(
                tables=len(published),
                charts=len(charts),
                primary_suppressed=summary.primary,
                secondary_suppressed=summary.secondary,
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    step("write")
    html_path = out / "report.html"
    return ReportResult(
        out_dir=out,
        html=html_path,
        pdf=out / "report.pdf" if fmt == "pdf" else None,
        csv_files=[p for p in written if p.suffix == ".csv"],
        chart_files=[p for p in written if p.suffix == ".png"],
        tables=list(published),
        sections=[s.id for s in sections] + ["method"],
        run_id=run.run_id,
        audit_seq=entry.seq,
        disclosure={
            "tables": summary.tables,
            "cells": summary.cells,
            "primary_suppressed": summary.primary,
            "secondary_suppressed": summary.secondary,
            "withheld_tables": summary.withheld_tables,
        },
    )


def _write_files(
    out: Path,
    html: str,
    published: dict[str, PublishedTable],
    charts: dict[str, Any],
    fmt: str,
    written: list[Path],
) -> dict[str, str]:
    """Write every output file; return name -> SHA-256 (for the audit entry)."""
    (out / "charts").mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}

    def put(path: Path, data: bytes) -> None:
        path.write_bytes(data)
        written.append(path)
        digests[str(path.relative_to(out))] = _sha256(data)

    put(out / "report.html", html.encode("utf-8"))
    for name, table in published.items():
        put(out / f"{name}.csv", _csv_text(table).encode("utf-8"))
    for name, chart in charts.items():
        put(out / "charts" / f"{name}.png", chart.png)
    if fmt == "pdf":
        write_pdf(html, out / "report.pdf")
        written.append(out / "report.pdf")
        digests["report.pdf"] = _sha256((out / "report.pdf").read_bytes())
    return digests


def _stepper(progress: Progress | None) -> Callable[[str], None]:
    def step(name: str) -> None:
        if progress is not None:
            progress(name, _STEPS.index(name) + 1, len(_STEPS))

    return step
