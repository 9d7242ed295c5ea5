"""`casereview demo`: the main job on the embedded default, from nothing to a working store."""

from __future__ import annotations

from pathlib import Path

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json
from casereview.store.db import make_engine
from casereview.store.migrate import upgrade
from casereview.store.summary import store_summary


@app.command("demo")
def demo(
    out: Path = typer.Option(Path("demo"), "--out", help="Folder for the demo store and data."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Build the demo: a fresh SQLite store in OUT and every stage that exists run on it."""
    out.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{out / 'casereview.db'}")
    upgrade(engine)
    summary = store_summary(engine)
    engine.dispose()
    if as_json:
        print_json(summary)
        return
    console.print(f"demo store ready: {summary['url']} (schema {summary['revision']})")
    for name, rows in summary["tables"].items():
        console.print(f"  {name:<18} {rows:>8}")
