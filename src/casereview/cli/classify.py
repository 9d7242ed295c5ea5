"""Commands `classify`, `network`, `export groups` and `export findings`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, run_export, settings_for, store_engine
from casereview.cli.link import export_app
from casereview.cli.outputs import FORCE_OPTION, checked_out

if TYPE_CHECKING:
    from rich.progress import Progress

__all__: list[str] = []

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")


def _spinner(label: str, quiet: bool) -> Progress:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )
    progress.add_task(label, total=None)
    return progress


@app.command("classify")
def classify_command(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Apply the typology rules to every record and find CSE-flag inconsistencies."""
    from casereview.classify import run_classify

    settings = settings_for(ctx)
    with store_engine(ctx) as store, _spinner("classify: typology and flag findings", as_json):
        result = run_classify(store, actor=settings.user, settings=settings.classify)
    summary = {
        "run_id": result.run_id,
        "records": result.records,
        "classified": result.classified,
        "labels": result.labels,
        "findings": result.findings,
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"classify run {result.run_id}: {result.classified} of {result.records} records labelled"
    )
    for name, count in sorted(result.labels.items()):
        console.print(f"  {name}: {count}", highlight=False)
    for code, count in sorted(result.findings.items()):
        console.print(f"  finding {code}: {count}", highlight=False)


@app.command("network")
def network_command(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Build the network and detect offender groups (stable ids, measures, stability)."""
    from casereview.network import run_network

    settings = settings_for(ctx)
    with (
        store_engine(ctx) as store,
        _spinner("network: graph, groups, measures, stability", as_json),
    ):
        result = run_network(store, actor=settings.user, settings=settings)
    summary = {
        "run_id": result.run_id,
        "groups": result.groups,
        "retired": result.retired,
        "stable": result.stable,
        "timings": {k: round(v, 2) for k, v in result.timings.items()},
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"network run {result.run_id}: {result.groups} groups "
        f"({result.stable} stable, {result.retired} retired)"
    )


@export_app.command("groups")
def export_groups_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    purpose: str = typer.Option(..., "--purpose", help="Why the data leaves the system."),
    recipient: str = typer.Option(None, "--recipient", help="Who receives it."),
    as_json: bool = JSON_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Write group_id, person_id, role for every active group (audited as a disclosure)."""
    from casereview.network.export import export_groups

    run_export(ctx, export_groups, checked_out(out, force), purpose, recipient, as_json)


@export_app.command("findings")
def export_findings_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    purpose: str = typer.Option(..., "--purpose", help="Why the data leaves the system."),
    recipient: str = typer.Option(None, "--recipient", help="Who receives it."),
    as_json: bool = JSON_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Write source, record_ref, finding for every flag finding and record indicator (audited)."""
    from casereview.classify.export import export_findings

    run_export(ctx, export_findings, checked_out(out, force), purpose, recipient, as_json)
