"""`casereview demo`: the main job on the embedded default, from nothing to a served review.

Builds the synthetic world, loads it through the mappings into a fresh SQLite store, runs
every stage (link on DuckDB), creates one user per role with a generated password printed
once, and serves the web app on 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from casereview.cli.app import app
from casereview.cli.common import console, print_json
from casereview.errors import ConfigError
from casereview.model.codes import UserRole
from casereview.settings import get_settings, reset_settings
from casereview.store.db import make_engine, writing
from casereview.store.migrate import upgrade
from casereview.store.summary import store_summary

DEMO_TEAM = "Review team"
_TEAM_ENV = "CASEREVIEW_REVIEW__DEFAULT_TEAM"
_REPO_MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"


def _find_mappings(given: Path | None) -> Path:
    for candidate in (given, Path("mappings"), _REPO_MAPPINGS):
        if candidate is not None and candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise ConfigError("no mapping folder found: pass --mappings DIR (the repository's mappings/)")


def _fresh_store_url(out: Path) -> str:
    db = out / "casereview.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def _create_users(url: str) -> list[tuple[str, str, str]]:
    """One user per role (reviewers and supervisors in the demo team); passwords generated."""
    from casereview.store.users import add_member, create_team, create_user

    made = []
    engine = make_engine(url)
    try:
        with writing(engine) as conn:
            create_team(conn, DEMO_TEAM, "All items of the demo", actor="demo")
            for role in UserRole:
                username = role.value
                password = secrets.token_urlsafe(18)
                create_user(conn, username, f"Demo {role.value}", role, password, actor="demo")
                if role in (UserRole.REVIEWER, UserRole.SUPERVISOR):
                    add_member(conn, DEMO_TEAM, username, actor="demo")
                made.append((username, role.value, password))
    finally:
        engine.dispose()
    return made


def _build(
    out: Path, cases: int, seed: int, mapping_dir: Path, quiet: bool
) -> tuple[Engine, list[tuple[str, str, str]], dict[str, float]]:
    """World, store, users and every stage; returns the engine (the caller disposes of it),
    users and stage timings."""
    from casereview.pipeline import run_pipeline
    from casereview.synth import SynthConfig, generate_world

    data = out / "data"
    url = _fresh_store_url(out)
    timings: dict[str, float] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("synthetic world", total=None)
        t0 = time.perf_counter()
        generate_world(SynthConfig(cases=cases, seed=seed), data)
        timings["synth"] = time.perf_counter() - t0
        engine = make_engine(url)
        try:
            upgrade(engine)
            progress.update(task, description="users and teams")
            users = _create_users(url)

            def tell(stage: str, event: str, message: str) -> None:
                if event == "start":
                    progress.update(task, description=stage)
                elif event == "note":
                    progress.update(task, description=f"{stage}: {message}")

            result = run_pipeline(
                engine,
                actor="demo",
                progress=tell,
                data=data,
                mappings=mapping_dir,
                report_dir=out / "report",
            )
        except BaseException:
            engine.dispose()
            raise
        timings.update({s.stage: s.seconds for s in result.stages})
    return engine, users, timings


@app.command("demo")
def demo(
    out: Path = typer.Option(
        Path("demo"), "--out", help="Folder for the demo data, store and report."
    ),
    cases: int = typer.Option(
        9000, "--cases", min=1, help="Police crime records in the synthetic world."
    ),
    seed: int = typer.Option(1, "--seed", min=0, help="Seed of the synthetic world."),
    mappings: Path = typer.Option(
        None, "--mappings", help="Mapping folder (default: ./mappings or the repository's)."
    ),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app when built."),
    port: int = typer.Option(8000, "--port", help="Port for the web app on 127.0.0.1."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the summary as JSON (implies --no-serve)."
    ),
) -> None:
    """Build the demo: synthetic world -> fresh SQLite store -> every stage -> users -> web app."""
    mapping_dir = _find_mappings(mappings)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # Every new review item of the demo goes to the demo team (in this process only).
    previous = os.environ.get(_TEAM_ENV)
    os.environ[_TEAM_ENV] = DEMO_TEAM
    reset_settings()
    try:
        engine, users, timings = _build(out, cases, seed, mapping_dir, as_json)
    finally:
        if previous is None:
            os.environ.pop(_TEAM_ENV, None)
        else:
            os.environ[_TEAM_ENV] = previous
        reset_settings()
    try:
        summary = store_summary(engine) | {
            "seconds": round(time.perf_counter() - started, 1),
            "stages": {k: round(v, 1) for k, v in timings.items()},
            "report": str(out / "report"),
            "users": [{"username": u, "role": r} for u, r, _ in users],
        }
        if as_json:
            print_json(summary)
            return
        table = Table("stage", "seconds", title=f"demo built in {summary['seconds']} s")
        for stage, seconds in summary["stages"].items():
            table.add_row(stage, f"{seconds:.1f}")
        console.print(table)
        rows = summary["tables"]
        console.print(
            f"store {summary['url']}: {rows['records']:,} records, {rows['mentions']:,} mentions, "
            f"{rows['persons']:,} persons, {rows['groups']:,} groups, {rows['review_items']:,} review items"
        )
        console.print(f"transparency report: {out / 'report'}")
        users_table = Table("user", "role", "password (shown once)", title="demo users")
        for username, role, password in users:
            users_table.add_row(username, role, password)
        console.print(users_table)
        if not serve:
            return
        import uvicorn

        from casereview.web.app import create_app

        console.print(f"serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
        uvicorn.run(
            create_app(engine, settings=get_settings().web),
            host="127.0.0.1",
            port=port,
            server_header=False,
            log_level="warning",
        )
    finally:
        engine.dispose()
