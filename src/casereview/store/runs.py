"""Stage runs: every stage records what it ran with, what it produced and how it ended.

    with stage_run(engine, "link", parameters, actor="alice") as run:
        ... write derived tables on run.conn ...
        run.counts["persons"] = 1234

The run row is committed as `running` first (so a crash leaves a trace), the stage's output
and the `succeeded` row then commit together in one transaction, and on any error that
transaction is rolled back and the run is marked `failed` with the error message.

A run killed outright (SIGKILL, power loss) cannot mark itself. Each run records its owner
(host, process id, the process's start time) and, on PostgreSQL, holds a session advisory lock
keyed by its id for as long as it runs. A run still `running` whose process is gone (same host:
no such process, or the id reused by a later process; PostgreSQL, any host: its lock is free)
is *abandoned*: every new run marks such runs `abandoned`, and `list_runs` shows them so. They
never block a later run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from casereview import __version__
from casereview.model.codes import AuditAction, RunStatus
from casereview.model.serial import canonical_json
from casereview.model.tables import run_artifacts, runs
from casereview.store import audit
from casereview.store.db import is_sqlite, reading, writing

__all__ = [
    "RunContext",
    "RunInfo",
    "latest_run",
    "list_runs",
    "mark_abandoned",
    "process_identity",
    "stage_run",
    "utc_now",
]

# First key of the PostgreSQL advisory locks that runs hold (the second is the run id).
_LOCK_CLASS = 0x63725255  # "crRU"


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


def _process_start(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux), None where unknown.
    With the pid it identifies a process even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def process_identity(pid: int | None = None) -> dict[str, Any]:
    """This process (or `pid`) as a run's owner: host, pid and start time."""
    pid = os.getpid() if pid is None else pid
    return {"host": socket.gethostname(), "pid": pid, "start": _process_start(pid)}


def _owner_alive_here(owner: Mapping[str, Any]) -> bool | None:
    """Whether a run's owning process still runs: None when it ran on another host."""
    if owner.get("host") != socket.gethostname():
        return None
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    started = _process_start(pid)
    return not (owner.get("start") is not None and started is not None and started != owner["start"])


def _lock_free(conn: Connection, run_id: int) -> bool:
    """PostgreSQL: True when no session holds run `run_id`'s advisory lock (its process is
    gone). Taken and released at once when free."""
    free = bool(conn.execute(
        text("SELECT pg_try_advisory_lock(:c, :r)"), {"c": _LOCK_CLASS, "r": run_id}
    ).scalar_one())  # fmt: skip
    if free:
        conn.execute(text("SELECT pg_advisory_unlock(:c, :r)"), {"c": _LOCK_CLASS, "r": run_id})
    return free


def _abandoned(conn: Connection, run_id: int, owner_json: str | None) -> bool:
    owner: dict[str, Any] = {}
    if owner_json:
        try:
            owner = dict(json.loads(owner_json))
        except (ValueError, TypeError):
            owner = {}
    # A process of this host is known gone at once. The server may still hold its lock for a
    # moment (until its backend notices the closed connection), so the owner is asked first.
    if _owner_alive_here(owner) is False:
        return True
    if not is_sqlite(conn):
        return _lock_free(conn, run_id)
    # SQLite is one file on one machine: a run of another host cannot be checked, and is kept.
    return False


def mark_abandoned(conn: Connection) -> list[int]:
    """Mark every `running` run whose process is gone as `abandoned` (in the caller's
    transaction); returns their ids."""
    running = conn.execute(
        select(runs.c.id, runs.c.owner).where(runs.c.status == RunStatus.RUNNING.value)
    ).all()
    gone = [int(r.id) for r in running if _abandoned(conn, int(r.id), r.owner)]
    if gone:
        conn.execute(
            update(runs)
            .where(runs.c.id.in_(gone), runs.c.status == RunStatus.RUNNING.value)
            .values(
                status=RunStatus.ABANDONED.value,
                error="its process ended without finishing (found by a later run)",
            )
        )
    return gone


@contextmanager
def _held_lock(engine: Engine, run_id: int) -> Iterator[None]:
    """PostgreSQL: hold run `run_id`'s advisory lock in a session of its own while the run
    works, so that any process can tell when it is gone. Nothing on SQLite."""
    if is_sqlite(engine):
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as session:
        session.execute(
            text("SELECT pg_advisory_lock(:c, :r)"), {"c": _LOCK_CLASS, "r": run_id}
        )
        yield


@contextmanager
def stage_run(
    engine: Engine,
    stage: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    actor: str = "cli",
) -> Iterator[RunContext]:
    """Run a stage inside one write transaction and record it in `runs` and the audit log."""
    with ExitStack() as held:
        with writing(engine) as conn:
            mark_abandoned(conn)
            run_id = conn.execute(
                insert(runs)
                .values(
                    stage=stage,
                    parameters=canonical_json(dict(parameters or {})),
                    software_version=__version__,
                    status=RunStatus.RUNNING.value,
                    started_by=actor,
                    started_at=utc_now(),
                    owner=canonical_json(process_identity()),
                )
                .returning(runs.c.id)
            ).scalar_one()
            # Locked before the row commits, so no one ever sees it running and unlocked.
            held.enter_context(_held_lock(engine, run_id))
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


@dataclass(frozen=True)
class RunInfo:
    """One run as listed: a run still marked running whose process is gone shows abandoned."""

    id: int
    stage: str
    status: str
    started_by: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, Any]
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage,
            "status": self.status,
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "counts": self.counts,
            "error": self.error,
        }


def list_runs(engine: Engine, *, stage: str | None = None, limit: int = 50) -> list[RunInfo]:
    """The newest runs, newest first; running runs whose process is gone show `abandoned`
    (without writing: the next run records it)."""
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if stage is not None:
        query = query.where(runs.c.stage == stage)
    with reading(engine) as conn:
        rows = conn.execute(query).all()
        found = []
        for r in rows:
            status = str(r.status)
            error = r.error
            if status == RunStatus.RUNNING.value and _abandoned(conn, int(r.id), r.owner):
                status = RunStatus.ABANDONED.value
                error = "its process ended without finishing"
            found.append(
                RunInfo(
                    id=int(r.id),
                    stage=str(r.stage),
                    status=status,
                    started_by=r.started_by,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    counts=dict(json.loads(r.counts)) if r.counts else {},
                    error=error,
                )
            )
    return found


def latest_run(conn: Connection, stage: str, *, succeeded: bool = True) -> dict[str, Any] | None:
    """The newest run of `stage` (by default the newest that succeeded), as a dict."""
    query = select(runs).where(runs.c.stage == stage)
    if succeeded:
        query = query.where(runs.c.status == RunStatus.SUCCEEDED.value)
    row = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None
