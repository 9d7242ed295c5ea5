"""`casereview review build`, the queue and workflow commands, and `casereview pipeline`.

Workflow commands act as the user signed in with `casereview login` (`common.signed_in_actor`),
with that user's role and teams, exactly as the web app would; `--as` may name that user, and
naming anyone else is refused. Like the web app's queue page, `queue`
records each listing as one CONSULT audit entry and each refused `--as` as one DENIED entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from casereview.cli.app import app
from casereview.cli.common import (
    console,
    print_json,
    settings_for,
    signed_in_actor,
    store_engine,
)
from casereview.errors import AccessDenied, WorkflowError
from casereview.model.codes import AuditAction, DecisionOutcome, IndicatorCode, ReviewStatus

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from casereview.review.workflow import Transition
    from casereview.store.access import Actor

__all__ = ["review_app"]

review_app = typer.Typer(
    help="Missed-opportunity indicators and the review queue.", no_args_is_help=True
)
app.add_typer(review_app, name="review")

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")
AS_OPTION = typer.Option(
    None, "--as", help="The signed-in user (`casereview login`); any other name is refused."
)


def _actor(store: Engine, username: str, command: str | None = None) -> Actor:
    from casereview.store.access import load_actor
    from casereview.store.db import reading

    """The `--as` user; a disabled one is refused, and for a `command` the refusal is audited
    (DENIED on the function, as the web app records a refused route)."""
    try:
        with reading(store) as conn:
            return load_actor(conn, username)
    except AccessDenied as refused:
        if command is not None:
            denial = {"command": command, "reason": str(refused)}
            _audit_cli(store, username, AuditAction.DENIED, "function", command, denial)
        raise


def _assignee_id(store: Engine, username: str, actor: Actor) -> int:
    """As on the web: an unknown name, a user of another team and a non-reviewer are refused
    alike, after the item is checked, so `assign --to` cannot probe usernames."""
    from casereview.store.db import reading
    from casereview.store.users import assignee_or_nobody

    with reading(store) as conn:
        return assignee_or_nobody(conn, username, actor.team_ids)


def _team_id(store: Engine, name: str) -> int:
    from casereview.store.db import reading
    from casereview.store.views import team_id_by_name

    with reading(store) as conn:
        return team_id_by_name(conn, name)


def _done(result: Transition, as_json: bool) -> None:
    summary = {
        "item": result.item_id,
        "transition": result.transition,
        "from": result.from_status.value,
        "to": result.to_status.value,
    }
    if as_json:
        print_json(summary)
    else:
        console.print(
            f"item {result.item_id}: {result.transition} ({summary['from']} -> {summary['to']})"
        )


@review_app.command("build")
def build_command(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Recompute indicators and update the queue; human work is never touched."""
    from rich.table import Table

    from casereview.review.build import build_review

    settings = settings_for(ctx)
    with (
        store_engine(ctx) as store,
        console.status("building the review queue", spinner="dots") if not as_json else _null(),
    ):
        result = build_review(store, actor=settings.user)
    if as_json:
        print_json({"run_id": result.run_id, "counts": result.counts})
        return
    table = Table(title=f"review run {result.run_id}")
    table.add_column("indicator")
    table.add_column("records", justify="right")
    for code, n in result.indicators.items():
        table.add_row(code, str(n))
    console.print(table)
    keys = (
        "items_active",
        "items_new",
        "items_updated",
        "items_needing_another_look",
        "items_deactivated",
    )
    console.print(", ".join(f"{k.removeprefix('items_')}: {result.counts.get(k, 0)}" for k in keys))


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


@app.command("queue")
def queue_command(
    ctx: typer.Context,
    username: str = typer.Option(None, "--as", help="Show what this user may see."),
    team: str = typer.Option(None, "--team", help="Only items of this team (by name)."),
    status: ReviewStatus = typer.Option(None, "--status", help="Only items in this state."),
    indicator: IndicatorCode = typer.Option(
        None, "--indicator", help="Only items carrying this indicator."
    ),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many items."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The review queue, highest priority first, with each item's indicators and points."""
    from rich.table import Table

    from casereview.review.triage import queue

    who = username or settings_for(ctx).user
    with store_engine(ctx) as store:
        try:
            actor = _actor(store, username) if username else None
            entries = queue(
                store, actor=actor, team=team, status=status, indicator=indicator, limit=limit
            )
        except AccessDenied as refused:
            # As the web app's `require`: the refused function, by name, with the reason.
            denial = {"command": "queue", "reason": str(refused)}
            _audit_cli(store, who, AuditAction.DENIED, "function", "queue", denial)
            raise
        filters = {
            "team": team,
            "status": status.value if status else None,
            "indicator": indicator.value if indicator else None,
            "limit": limit,
        }
        listing = {"items": len(entries), **filters}
        _audit_cli(store, who, AuditAction.CONSULT, "queue", None, listing)
    if as_json:
        print_json([e.as_dict() for e in entries])
        return
    table = Table(title="review queue")
    for name, justify in (("item", "right"), ("subject", "left"), ("priority", "right"),
                          ("status", "left"), ("team", "left"), ("why", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in entries:
        why = ", ".join(_why(c) for c in e.contributions)
        flag = " (look again)" if e.needs_another_look else ""
        table.add_row(
            str(e.item_id),
            f"{e.subject_type} {e.subject_id}",
            f"{e.priority:g}",
            e.status + flag,
            e.team or "-",
            why,
        )
    console.print(table)


def _audit_cli(
    store: Engine,
    who: str,
    action: AuditAction,
    object_type: str,
    object_id: str | None,
    details: dict[str, Any],
) -> None:
    """One audit entry for a command's listing or refusal, in its own transaction."""
    from casereview.store import audit

    audit.append_alone(
        store,
        actor=who,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )


@app.command("assign")
def assign_command(
    ctx: typer.Context,
    item: int = typer.Argument(..., help="Review item id."),
    to: str = typer.Option(..., "--to", help="Username of the reviewer."),
    team: str = typer.Option(None, "--team", help="Team (by name); default the item's team."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Allocate an item to a reviewer (and a team): supervisors of that team only."""
    from casereview.review import workflow

    with store_engine(ctx) as store:
        actor = signed_in_actor(store, username, "assign")
        team_id = _team_id(store, team) if team else None
        result = workflow.assign(
            store, item, assignee_id=_assignee_id(store, to, actor), team_id=team_id, actor=actor
        )
    _done(result, as_json)


@app.command("start")
def start_command(
    ctx: typer.Context,
    item: int = typer.Argument(..., help="Review item id."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Start work on an item assigned to you."""
    from casereview.review import workflow

    with store_engine(ctx) as store:
        result = workflow.start_review(store, item, actor=signed_in_actor(store, username, "start"))
    _done(result, as_json)


@app.command("decide")
def decide_command(
    ctx: typer.Context,
    item: int = typer.Argument(..., help="Review item id."),
    outcome: DecisionOutcome = typer.Option(..., "--outcome", help="The decision."),
    rationale: str = typer.Option(..., "--rationale", help="Why (required)."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record your decision on an item assigned to you (starting the review if needed)."""
    from casereview.review import workflow
    from casereview.review.views import item_status
    from casereview.store.db import reading

    # Starting the review and then refusing the decision would leave the item in review with
    # nothing decided, so the one check that can fail after a successful start comes first.
    if not rationale.strip():
        raise WorkflowError("a rationale is required and must not be empty")
    started: Transition | None = None
    with store_engine(ctx) as store:
        actor = signed_in_actor(store, username, "decide")
        with reading(store) as conn:
            status = item_status(conn, item)
        if status in (ReviewStatus.ASSIGNED.value, ReviewStatus.REOPENED.value):
            started = workflow.start_review(store, item, actor=actor)
        result = workflow.decide(store, item, outcome=outcome, rationale=rationale, actor=actor)
    if started is not None and not as_json:
        _done(started, as_json)
    _done(result, as_json)


@app.command("sign-off")
def sign_off_command(
    ctx: typer.Context,
    item: int = typer.Argument(..., help="Review item id."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Sign a decision off (a supervisor of the item's team who did not decide it)."""
    from casereview.review import workflow

    with store_engine(ctx) as store:
        result = workflow.sign_off(store, item, actor=signed_in_actor(store, username, "sign-off"))
    _done(result, as_json)


@app.command("return")
def return_command(
    ctx: typer.Context,
    item: int = typer.Argument(..., help="Review item id."),
    reason: str = typer.Option(..., "--reason", help="What the reviewer should do (required)."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Return a decision to the reviewer (a supervisor of the item's team)."""
    from casereview.review import workflow

    with store_engine(ctx) as store:
        result = workflow.return_decision(
            store, item, reason=reason, actor=signed_in_actor(store, username, "return")
        )
    _done(result, as_json)


@app.command("reopen")
def reopen_command(
    ctx: typer.Context,
    item: int = typer.Argument(..., help="Review item id."),
    reason: str = typer.Option(..., "--reason", help="Why it is reopened (required)."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Reopen a closed item (a supervisor of the item's team)."""
    from casereview.review import workflow

    with store_engine(ctx) as store:
        result = workflow.reopen(
            store, item, reason=reason, actor=signed_in_actor(store, username, "reopen")
        )
    _done(result, as_json)


@app.command("pipeline")
def pipeline_command(
    ctx: typer.Context,
    data: Path = typer.Option(None, "--data", help="Folder of source exports to ingest first."),
    mappings: Path = typer.Option(
        None, "--mappings", help="Folder of mapping files (with --data)."
    ),
    report: Path = typer.Option(None, "--report", help="Also build the report into this folder."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run every stage in order (ingest, link, classify, network, review, report)."""
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table

    from casereview.pipeline import run_pipeline

    if (data is None) != (mappings is None):
        raise typer.BadParameter("--data and --mappings go together")
    settings = settings_for(ctx)
    with (
        store_engine(ctx) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[stage]:<9}"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
        ) as progress,
    ):
        tasks: dict[str, TaskID] = {}

        def tell(stage: str, event: str, message: str) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task("", total=1, stage=stage)
            if event == "done":
                progress.update(tasks[stage], completed=1, description=message)
            else:
                progress.update(tasks[stage], description=message[:60])

        result = run_pipeline(
            store,
            actor=settings.user,
            progress=tell,
            data=data,
            mappings=mappings,
            report_dir=report,
        )
    if as_json:
        print_json(result.as_dict())
        return
    table = Table(title=f"pipeline: {result.seconds:.1f} s")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("run", justify="right")
    table.add_column("counts")
    for s in result.stages:
        counts = ", ".join(f"{k}: {v}" for k, v in s.counts.items() if isinstance(v, int | float))
        table.add_row(s.stage, f"{s.seconds:.1f}", str(s.run_id or "-"), counts)
    console.print(table)


def _why(term: dict[str, Any]) -> str:
    """One score term as the queue shows it; a repeat names where it counts in full."""
    text = f"{term['code']} +{term['points']:g}"
    also = term.get("also_on")
    if isinstance(also, dict):
        text += f" (repeat; in full on {also.get('subject_type')} {also.get('subject_id')})"
    return text
