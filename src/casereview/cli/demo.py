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
from typing import TYPE_CHECKING

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json
from casereview.errors import ConfigError
from casereview.model.codes import UserRole

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEMO_TEAM = "Review team"
_TEAM_ENV = "CASEREVIEW_REVIEW__DEFAULT_TEAM"
_REPO_MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
# The demo's users and passwords, kept beside its store (mode 0600) so that `make serve` can
# show them again: a convenience of the synthetic demo only; real users get theirs once.
USERS_FILE = "demo-users.txt"
# Review items the demo supervisor allocates to the demo reviewer, so there is work waiting.
DEMO_ALLOCATION = 25
FIRST_STEPS = (
    "Sign in first as 'reviewer': 'My queue' holds the items the supervisor allocated; open "
    "the top one, read why it is there and its evidence, follow it to the person or group, "
    "and record a decision. Then sign in as 'supervisor' to sign it off or allocate more "
    "work, as 'analyst' for groups and the published report, as 'auditor' to verify the "
    "audit chain. Every page you open is written to the audit log."
)


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
    from casereview.store.db import make_engine, writing
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
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from casereview.pipeline import run_pipeline
    from casereview.store.db import make_engine
    from casereview.store.migrate import upgrade
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
            progress.update(task, description="allocating work to the demo reviewer")
            _allocate_demo_work(engine)
        except BaseException:
            engine.dispose()
            raise
        timings.update({s.stage: s.seconds for s in result.stages})
    return engine, users, timings


def _allocate_demo_work(engine: Engine, count: int = DEMO_ALLOCATION) -> int:
    """The demo supervisor allocates the top `count` items of the queue to the demo reviewer,
    each through the workflow (audited), as a supervisor would on the first morning."""
    from casereview.review.queue import QueueFilters, allocate
    from casereview.store.access import load_actor
    from casereview.store.db import reading
    from casereview.store.views import team_id_by_name, user_id_by_name

    with reading(engine) as conn:
        supervisor = load_actor(conn, UserRole.SUPERVISOR.value)
        reviewer_id = user_id_by_name(conn, UserRole.REVIEWER.value)
        team_id = team_id_by_name(conn, DEMO_TEAM)
    done = allocate(
        engine, supervisor, QueueFilters(), assignee_id=reviewer_id, team_id=team_id, limit=count
    )
    return len(done.assigned)


def _save_users(out: Path, users: list[tuple[str, str, str]]) -> Path:
    """Write the demo's users and passwords beside its store, readable by the owner only."""
    path = out / USERS_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# casereview demo users (synthetic demo only; built by `casereview demo`)\n")
        for username, role, password in users:
            f.write(f"{username}\t{role}\t{password}\n")
    return path


def _read_users(out: Path) -> list[tuple[str, str, str]]:
    path = out / USERS_FILE
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            found.append((parts[0], parts[1], parts[2]))
    return found


def _print_users(users: list[tuple[str, str, str]]) -> None:
    from rich.table import Table

    users_table = Table("user", "role", "password", title="demo users")
    for username, role, password in users:
        users_table.add_row(username, role, password)
    console.print(users_table)
    console.print(FIRST_STEPS, highlight=False)


def _serve(engine: Engine, port: int, reports: Path | None = None) -> None:
    import uvicorn

    from casereview.settings import get_settings
    from casereview.web.app import create_app

    console.print(f"serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    uvicorn.run(
        create_app(engine, settings=get_settings().web, report_dir=reports),
        host="127.0.0.1",
        port=port,
        server_header=False,
        log_level="warning",
    )


def _serve_existing(out: Path, port: int) -> None:
    """Serve a demo built earlier, with its users and passwords as they were made."""
    from casereview.store.db import make_engine, require_schema

    db = out / "casereview.db"
    if not db.is_file():
        raise ConfigError(f"no demo store at {db}: build one first with `make demo`")
    engine = make_engine(f"sqlite:///{db}")
    try:
        require_schema(engine)
        users = _read_users(out)
        if users:
            _print_users(users)
        else:
            console.print(
                f"no {USERS_FILE} beside the store: give a user a new password with "
                "`casereview users reset-password NAME`"
            )
        _serve(engine, port, out / "report")
    finally:
        engine.dispose()


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
    serve_only: bool = typer.Option(
        False,
        "--serve-only",
        help="Serve the demo already built in --out again (same users); build nothing.",
    ),
    port: int = typer.Option(
        None,
        "--port",
        min=1,
        max=65535,
        help="Port for the web app on 127.0.0.1 (default: web.port, CASEREVIEW_WEB__PORT).",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the summary as JSON (implies --no-serve)."
    ),
) -> None:
    """Build the demo: synthetic world -> fresh SQLite store -> every stage -> users -> web app."""
    from rich.table import Table

    from casereview.settings import get_settings, reset_settings

    port = port or get_settings().web.port
    if serve_only:
        _serve_existing(out, port)
        return
    from casereview.store.summary import store_summary

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
        users_file = _save_users(out, users)
        summary = store_summary(engine) | {
            "seconds": round(time.perf_counter() - started, 1),
            "stages": {k: round(v, 2) for k, v in timings.items()},
            "report": str(out / "report"),
            "users": [{"username": u, "role": r} for u, r, _ in users],
            "users_file": str(users_file),
            "allocated_to_reviewer": _allocated(engine),
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
            f"{rows['persons']:,} persons, {rows['groups']:,} groups, {rows['review_items']:,} review items "
            f"({summary['allocated_to_reviewer']} allocated to 'reviewer')"
        )
        console.print(f"transparency report: {out / 'report'}")
        _print_users(users)
        console.print(f"(users and passwords also in {users_file}, readable by you only)")
        if serve:
            _serve(engine, port, out / "report")
    finally:
        engine.dispose()


def _allocated(engine: Engine) -> int:
    """Items assigned to the demo reviewer."""
    from casereview.review.queue import QueueFilters, queue_page
    from casereview.store.access import load_actor
    from casereview.store.db import reading

    with reading(engine) as conn:
        reviewer = load_actor(conn, UserRole.REVIEWER.value)
        return queue_page(conn, reviewer, QueueFilters(scope="mine"), page_size=1).total
