"""Stage runs: every stage records what it ran with, what it produced and how it ended.

    with stage_run(engine, "link", parameters, actor="alice") as run:
        ... write derived tables on run.conn ...
        run.counts["persons"] = 1234

The run row is committed as `running` first (so a crash leaves a trace), the stage's output
and the `succeeded` row then commit together in one transaction, and on any error that
transaction is rolled back and the run is marked `failed` with the error message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from casereview import __version__
from casereview.model.codes import AuditAction, RunStatus
from casereview.model.serial import canonical_json
from casereview.model.tables import run_artifacts, runs
from casereview.store import audit
from casereview.store.db import writing

__all__ = ["RunContext", "latest_run", "stage_run", "utc_now"]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class RunContext:
    """What a stage sees while it runs."""

    run_id: int
    stage: str
    conn: Connection
    actor: str
    counts: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def save_artifact(self, name: str, content: str) -> None:
        """Keep a named artifact (e.g. trained model parameters) with the run."""
        self.conn.execute(
            insert(run_artifacts).values(run_id=self.run_id, name=name, content=content)
        )

    def note(self, message: str) -> None:
        """Add a line to the run's log (kept as the `log` artifact)."""
        self.log.append(message)


@contextmanager
def stage_run(
    engine: Engine,
    stage: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    actor: str = "cli",
) -> Iterator[RunContext]:
    """Run a stage inside one write transaction and record it in `runs` and the audit log."""
    with writing(engine) as conn:
        run_id = conn.execute(
            insert(runs)
            .values(
                stage=stage,
                parameters=canonical_json(dict(parameters or {})),
                software_version=__version__,
                status=RunStatus.RUNNING.value,
                started_by=actor,
                started_at=utc_now(),
            )
            .returning(runs.c.id)
        ).scalar_one()
    try:
        with writing(engine) as conn:
            ctx = RunContext(run_id=run_id, stage=stage, conn=conn, actor=actor)
            yield ctx
            if ctx.log:
                ctx.save_artifact("log", "\n".join(ctx.log))
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status=RunStatus.SUCCEEDED.value,
                    counts=canonical_json(ctx.counts),
                    finished_at=utc_now(),
                )
            )
            audit.append(
                conn,
                actor=actor,
                action=AuditAction.STAGE_RUN,
                object_type="run",
                object_id=run_id,
                details={"stage": stage, "counts": ctx.counts},
            )
    except BaseException as e:
        with writing(engine) as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status=RunStatus.FAILED.value,
                    error=f"{type(e).__name__}: {e}"[:2000],
                    finished_at=utc_now(),
                )
            )
        raise


def latest_run(conn: Connection, stage: str, *, succeeded: bool = True) -> dict[str, Any] | None:
    """The newest run of `stage` (by default the newest that succeeded), as a dict."""
    query = select(runs).where(runs.c.stage == stage)
    if succeeded:
        query = query.where(runs.c.status == RunStatus.SUCCEEDED.value)
    row = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None
