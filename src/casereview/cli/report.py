"""Command `report`: the transparency report under statistical disclosure control."""

from __future__ import annotations

from pathlib import Path

import typer

from casereview.cli.app import app
from casereview.cli.common import console, err_console, print_json, settings_for, store_engine
from casereview.cli.outputs import FORCE_OPTION, checked_out

__all__: list[str] = []

HELP = (
    "Build the transparency report: aggregate statistics, data quality and method, with "
    "statistical disclosure control on every number.\n\n"
    "Writes OUT/report.html (one self-contained file), OUT/report.pdf with --format pdf "
    "(needs WeasyPrint), one CSV per published table and the charts as PNG. Counts below "
    "report.suppress_below are withheld, the rest rounded to report.round_to, with secondary "
    "suppression, after a cell-key perturbation that publishes each cell alike in every release. Producing the report is recorded in the audit log as a disclosure with its "
    "purpose and recipient. See docs/reports.md."
)


@app.command("report", help=HELP)
def report_command(
    ctx: typer.Context,
    out: Path = typer.Option(
        ..., "--out", "-o", file_okay=False, help="Folder to write the report into (created)."
    ),
    fmt: str = typer.Option("html", "--format", "-f", help="html, or pdf (HTML and PDF)."),
    population: Path | None = typer.Option(
        None,
        "--population",
        exists=True,
        dir_okay=False,
        help="CSV with columns borough,children: adds rates per 1,000 children.",
    ),
    purpose: str = typer.Option(
        "transparency report: aggregate statistics of the review",
        "--purpose",
        help="Why the report is produced (recorded in the audit log).",
    ),
    recipient: str | None = typer.Option(
        None, "--recipient", help="Who the report is for (recorded in the audit log)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    force: bool = FORCE_OPTION,
) -> None:
    """Build the transparency report (HTML, CSVs, charts; PDF where WeasyPrint is installed)."""
    out = checked_out(out, force, folder=True)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from casereview.report import DisclosureRule, build_report

    settings = settings_for(ctx)
    with (
        store_engine(ctx) as store,
        Progress(
            TextColumn("report {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as bar,
    ):
        task = bar.add_task("", total=5)

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        result = build_report(
            store,
            out,
            fmt=fmt,
            actor=settings.user,
            purpose=purpose,
            recipient=recipient,
            population_csv=population,
            rule=DisclosureRule.from_settings(settings.report),
            progress=advance,
        )
    if as_json:
        print_json(result.as_dict())
        return
    d = result.disclosure
    console.print(f"report written to {result.html}" + (f" and {result.pdf}" if result.pdf else ""))
    console.print(
        f"  {len(result.tables)} tables ({len(result.csv_files)} CSV), "
        f"{len(result.chart_files)} charts; {d['primary_suppressed']} values withheld as small, "
        f"{d['secondary_suppressed']} more to protect them; audit entry {result.audit_seq}",
        highlight=False,
    )


@app.command("extract")
def extract_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="CSV file to write (created 0600)."),
    purpose: str = typer.Option(..., "--purpose", help="Why the extract is made (audited)."),
    recipient: str = typer.Option(None, "--recipient", help="Who receives it (audited)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    force: bool = FORCE_OPTION,
) -> None:
    """Records by type, year, borough, CSE flag and outcome, under the report's disclosure
    control (cell key, threshold, rounding): the safe replacement of record-level extracts."""
    out = checked_out(out, force)
    from casereview.report import DisclosureRule
    from casereview.report.extract import write_records_extract

    settings = settings_for(ctx)
    with store_engine(ctx) as store:
        result = write_records_extract(
            store,
            out,
            purpose=purpose,
            recipient=recipient,
            actor=settings.user,
            rule=DisclosureRule.from_settings(settings.report),
        )
    if as_json:
        print_json(
            {"file": str(out), "combinations": result.combinations, "withheld": result.withheld}
        )
        return
    # Not read as markup: "[c]" (the withheld mark) and any brackets of the path are text.
    console.print(
        f"wrote {result.combinations} combinations to {out} ({result.withheld} withheld as [c])",
        markup=False,
    )
