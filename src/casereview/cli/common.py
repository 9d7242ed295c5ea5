"""What every command shares: the store URL from `--database`, output helpers, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from casereview.settings import Settings, get_settings
from casereview.store.db import make_engine, require_schema

__all__ = ["console", "err_console", "open_store", "print_json", "run_export", "settings_for"]

console = Console()
err_console = Console(stderr=True)


def settings_for(ctx: typer.Context) -> Settings:
    """The settings, with the global `--database` option applied."""
    url = (ctx.find_root().obj or {}).get("database")
    return get_settings(database_url=url) if url else get_settings()


def open_store(ctx: typer.Context, *, need_schema: bool = True) -> Engine:
    """An engine on the store named by `--database` / CASEREVIEW_DATABASE_URL."""
    engine = make_engine(settings_for(ctx).database_url)
    if need_schema:
        require_schema(engine)
    return engine


def print_json(value: Any) -> None:
    """Data for machines: indented JSON on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def run_export(
    ctx: typer.Context,
    export: Callable[..., int],
    out: Path,
    purpose: str,
    recipient: str | None,
    as_json: bool,
) -> None:
    """Run an audited export function on the store and report how many rows it wrote."""
    settings = settings_for(ctx)
    store = open_store(ctx)
    try:
        rows = export(store, out, purpose=purpose, recipient=recipient, actor=settings.user)
    finally:
        store.dispose()
    if as_json:
        print_json({"rows": rows, "file": str(out)})
        return
    console.print(f"wrote {rows} rows to {out}")
