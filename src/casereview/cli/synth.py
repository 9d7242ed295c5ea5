"""`casereview synth`: build the synthetic world and write its exports and ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from casereview.errors import CaseReviewError
from casereview.synth.config import (
    DEFAULT_PROFILE,
    PROFILES,
    FailureRates,
    NoiseRates,
    SynthConfig,
    parse_overrides,
    profile_noise,
)

if TYPE_CHECKING:
    from rich.table import Table

    from casereview.synth import SynthSummary

__all__ = ["register", "synth"]

_SOURCES = ("met_crime", "met_intel", "la_csc", "met_missing")

HELP = (
    "Build a synthetic world of CSE case records with ground truth.\n\n"
    "Writes four source exports under OUT (met_crime/crimes.csv and nominals.csv, "
    "met_intel/intel_log.csv, la_csc/referrals.jsonl, met_missing/missing_episodes.csv), "
    "each with its own formats and code sets and with noise on every person mention, "
    "and the truth under OUT/truth/ (mentions, persons, groups, records, planted failures, "
    "manifest). Only synthetic people.\n\n"
    "--profile clean|typical|sparse sets how much evidence a mention carries (date of birth, "
    "address, phone, identifiers, by role) and how it is written; the same seed gives the "
    "same people in every profile. "
    "The same --seed gives byte-identical files. "
    "See docs/synthetic-data.md for every file, column and rate."
)


def _summary_table(summary: SynthSummary) -> Table:
    from rich.table import Table

    table = Table(title=f"Synthetic world in {summary.out_dir}", show_edge=False)
    table.add_column("source")
    table.add_column("records", justify="right")
    table.add_column("CSE (truth)", justify="right")
    table.add_column("mentions", justify="right")
    counts = summary.counts
    for source in _SOURCES:
        table.add_row(
            source,
            f"{counts.get(f'records.{source}', 0):,}",
            f"{counts.get(f'cse_records.{source}', 0):,}",
            f"{counts.get(f'mentions.{source}', 0):,}",
        )
    table.add_row("persons", f"{counts.get('persons', 0):,}", "", "")
    table.add_row("offender groups", f"{counts.get('groups', 0):,}", "", "")
    return table


def synth(
    cases: Annotated[
        int,
        typer.Option(
            "--cases",
            "-n",
            min=1,
            help="Police crime records to generate; the other sources scale with it.",
        ),
    ] = 9000,
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Random seed: same seed, same bytes.")
    ] = 1,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Directory to write the exports and truth/ into (created if absent).",
        ),
    ] = Path("synth-out"),
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            "-p",
            help="How much evidence mentions carry and how they are written: "
            + ", ".join(PROFILES)
            + " (see docs/synthetic-data.md).",
        ),
    ] = DEFAULT_PROFILE,
    noise: Annotated[
        str | None,
        typer.Option(
            "--noise",
            help="Override the profile's noise rates: 'typo=0.05,missing_dob=0.1' or 'none' for "
            "clean output. "
            "Names: " + ", ".join(NoiseRates.__dataclass_fields__),
        ),
    ] = None,
    failures: Annotated[
        str | None,
        typer.Option(
            "--failures",
            help="Override planted-failure rates, e.g. 'missing_cse_flag=0.3'. "
            "Names: " + ", ".join(FailureRates.__dataclass_fields__),
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (default: 1 up to 20,000 cases, else all cores up to 8).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Build a synthetic world of CSE case records with ground truth."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from casereview.synth import generate_world

    err = Console(stderr=True)
    try:
        config = SynthConfig(
            cases=cases,
            seed=seed,
            profile=profile,
            noise=parse_overrides(profile_noise(profile), noise, "--noise"),
            failures=parse_overrides(FailureRates(), failures, "--failures"),
        )
        with Progress(
            TextColumn("synth"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("chunks"),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
            transient=True,
        ) as bar:
            task = bar.add_task("synth", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = generate_world(config, out, workers=workers, progress=advance)
    except CaseReviewError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(e.exit_code) from None
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2, sort_keys=True))
        return
    console = Console()
    console.print(_summary_table(summary))
    failures_total = sum(v for k, v in summary.counts.items() if k.startswith("failures."))
    console.print(
        f"planted failures: {failures_total:,} (truth/failures.csv); truth in {out / 'truth'}"
    )


def register(app: typer.Typer) -> None:
    """Add the `synth` command to a Typer app."""
    app.command("synth", help=HELP)(synth)
