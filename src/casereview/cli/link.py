"""`casereview link`, `casereview explain` and the `casereview export` group (`export persons`).

`export_app` is the shared Typer group for exports: other stages add `export groups`,
`export findings` with `@export_app.command(...)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, run_export, settings_for, store_engine
from casereview.cli.outputs import FORCE_OPTION, checked_out
from casereview.errors import NotFound
from casereview.model.codes import AuditAction

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["export_app"]

export_app = typer.Typer(help="Export data, audited as a disclosure.", no_args_is_help=True)
app.add_typer(export_app, name="export")

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")


@app.command("link")
def link_command(
    ctx: typer.Context,
    engine: str = typer.Option(
        "duckdb",
        "--engine",
        help="Splink backend: duckdb (in-process) or spark (link.spark_master, local[2] by default).",
    ),
    spark_master: str | None = typer.Option(
        None,
        "--spark-master",
        metavar="URL",
        help="With --engine spark: local[N] or a standalone cluster's spark://HOST:PORT "
        "(setting link.spark_master).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Resolve person mentions into persons (Splink), with stable ids and explanations."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from casereview.link.stage import run_link

    settings = settings_for(ctx)
    if spark_master is not None:
        if engine != "spark":
            raise typer.BadParameter(
                "--spark-master needs --engine spark", param_hint="--spark-master"
            )
        link = settings.link.model_copy(update={"spark_master": spark_master})
        settings = settings.model_copy(update={"link": link})
    with (
        store_engine(ctx) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as progress,
    ):
        task = progress.add_task("link", total=None)
        result = run_link(
            store,
            engine_name=engine,
            actor=settings.user,
            settings=settings,
            progress=lambda m: progress.update(task, description=m),
        )
    notes = [n for n in result.notes if "guard" in n or "judgement" in n]
    summary: dict[str, object] = {
        "run_id": result.run_id,
        "mentions": result.mentions,
        "persons": result.persons,
        "pairs_scored": result.pairs_scored,
        "pairs_stored": result.pairs_stored,
        "lineage": result.lineage,
        "timings": {k: round(v, 2) for k, v in result.timings.items()},
        "notes": notes,
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"link run {result.run_id}: {result.mentions} mentions -> {result.persons} persons "
        f"({result.pairs_scored} pairs scored, {result.timings['total_s']:.1f} s)"
    )
    for line in notes:
        console.print(f"  {line}", highlight=False)


def _mention_id(store: Engine, text: str) -> int:
    """A mention id, or SOURCE:MENTION_KEY."""
    if text.isdigit():
        return int(text)
    source, sep, key = text.partition(":")
    if not sep:
        raise NotFound(f"mention {text!r}: give an id or SOURCE:MENTION_KEY")
    from casereview.link.views import mention_by_key
    from casereview.store.db import reading

    with reading(store) as conn:
        return mention_by_key(conn, source, key)


@app.command("explain")
def explain_command(
    ctx: typer.Context,
    mention_a: str = typer.Argument(..., help="A mention id, or SOURCE:MENTION_KEY."),
    mention_b: str = typer.Argument(..., help="Another mention id, or SOURCE:MENTION_KEY."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Why two mentions are (or are not) one person: each comparison's level and weight."""
    from casereview.link.explain import explain_pair
    from casereview.store import audit

    with store_engine(ctx) as store:
        expl = explain_pair(store, _mention_id(store, mention_a), _mention_id(store, mention_b))
        # The explanation shows both mentions' identifying values: a consultation.
        audit.append_alone(
            store,
            actor=settings_for(ctx).user,
            action=AuditAction.CONSULT,
            object_type="mention_pair",
            object_id=f"{expl.mention_a}-{expl.mention_b}",
            details={"view": "explain", "match_weight": round(expl.match_weight, 4)},
        )
    if as_json:
        print_json(expl.to_dict())
        return
    verdict = {True: "same person", False: "different persons", None: "not linked yet"}
    console.print(
        f"mentions {expl.mention_a} and {expl.mention_b}: match weight {expl.match_weight:.2f} "
        f"(probability {expl.match_probability:.4f}, threshold {expl.threshold}); "
        f"{verdict[expl.same_person]}" + ("" if expl.stored else " [scored now]"),
        highlight=False,
    )
    from rich.table import Table

    table = Table("comparison", "level", "value a", "value b", "weight")
    table.add_row("prior", "", "", "", f"{expl.prior:+.2f}")
    for bar in expl.bars:
        table.add_row(
            bar.comparison, bar.level, bar.value_a or "", bar.value_b or "", f"{bar.weight:+.2f}"
        )
    table.add_row("total", "", "", "", f"{expl.match_weight:+.2f}")
    console.print(table)


@export_app.command("persons")
def export_persons_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    purpose: str = typer.Option(..., "--purpose", help="Why the data leaves the system."),
    recipient: str = typer.Option(None, "--recipient", help="Who receives it."),
    as_json: bool = JSON_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Write source, mention_key, person_id for every mention (audited as a disclosure)."""
    from casereview.link.export import export_persons

    run_export(ctx, export_persons, checked_out(out, force), purpose, recipient, as_json)
