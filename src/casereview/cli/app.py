"""The Typer app shared by every command module, with the global options."""

from __future__ import annotations

import typer

from casereview import __version__

__all__ = ["app"]

app = typer.Typer(
    name="casereview",
    help=(
        "Historic review of child sexual exploitation case records: ingest source exports, "
        "link people across systems, classify records, find offender groups, surface missed "
        "opportunities, run an audited review and publish safe statistics."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"casereview {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database: str = typer.Option(
        None,
        "--database",
        "-d",
        envvar="CASEREVIEW_DATABASE_URL",
        help="SQLAlchemy URL of the store (default sqlite:///casereview.db in this folder).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """casereview: one command per stage; `casereview COMMAND --help` for each."""
    ctx.obj = {"database": database}
