"""The read side of the store itself: paging, users and teams by name, the audit log, and the
published report files. Pages and commands call these; neither builds a query of its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import Connection, func, select

from casereview.errors import AccessDenied, NotFound
from casereview.model.codes import AuditAction, UserRole, all_code_sets
from casereview.model.serial import from_json
from casereview.model.tables import audit_log, runs, teams, users
from casereview.store.access import Actor, require_role

__all__ = [
    "AuditEntryView",
    "AuditFilters",
    "Page",
    "PublishedFile",
    "ReportView",
    "audit_page",
    "aware",
    "code_definition",
    "code_label",
    "page_bounds",
    "published_file",
    "reports_view",
    "team_id_by_name",
    "team_names",
    "user_id_by_name",
]

T = TypeVar("T")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: its items, the whole count, and where it sits."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first_number(self) -> int:
        """The position of the first item shown (1-based; 0 when empty)."""
        return (self.page - 1) * self.page_size + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.page_size + len(self.items)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored UTC time with its zone (SQLite returns it naive)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def page_bounds(page: int, page_size: int = PAGE_SIZE) -> tuple[int, int]:
    """(limit, offset) of a 1-based page."""
    page = max(1, int(page))
    return page_size, (page - 1) * page_size


def user_id_by_name(conn: Connection, username: str) -> int:
    """The id of a user, or NotFound naming them."""
    found = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if found is None:
        raise NotFound(f"no such user: {username}")
    return int(found)


def team_id_by_name(conn: Connection, name: str) -> int:
    """The id of a team, or NotFound naming it."""
    found = conn.execute(select(teams.c.id).where(teams.c.name == name)).scalar()
    if found is None:
        raise NotFound(f"no such team: {name}")
    return int(found)


def team_names(conn: Connection, team_ids: Sequence[int] | frozenset[int]) -> list[tuple[int, str]]:
    """(id, name) of the given teams, by name."""
    if not team_ids:
        return []
    rows = conn.execute(
        select(teams.c.id, teams.c.name)
        .where(teams.c.id.in_(sorted(team_ids)))
        .order_by(teams.c.name)
    )
    return [(int(r.id), str(r.name)) for r in rows]


# ------------------------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class AuditFilters:
    """What an auditor narrows the log to; dates are UTC days, both ends included."""

    actor: str | None = None
    action: AuditAction | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class AuditEntryView:
    """One audit entry as an auditor reads it: details as `key: value` lines, never raw JSON."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    recipient: str | None
    client: str | None
    details: list[tuple[str, str]]


def _detail_lines(text: str) -> list[tuple[str, str]]:
    data = from_json(text, {})
    if not isinstance(data, dict):
        return [("details", str(data))]
    lines = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value[:20]) + (" …" if len(value) > 20 else "")
        elif isinstance(value, dict):
            shown = "; ".join(f"{k}: {v}" for k, v in sorted(value.items()))
        else:
            shown = "" if value is None else str(value)
        lines.append((key.replace("_", " "), shown))
    return lines


def audit_page(
    conn: Connection, actor: Actor, filters: AuditFilters, page: int = 1, page_size: int = PAGE_SIZE
) -> Page[AuditEntryView]:
    """The audit log, newest first, filtered and paged (auditors only)."""
    require_role(actor, UserRole.AUDITOR)
    conditions = []
    if filters.actor:
        conditions.append(audit_log.c.actor == filters.actor)
    if filters.action:
        conditions.append(audit_log.c.action == filters.action.value)
    if filters.object_type:
        conditions.append(audit_log.c.object_type == filters.object_type)
    if filters.object_id:
        conditions.append(audit_log.c.object_id == filters.object_id)
    # `at` is UTC ISO 8601 text, as hashed: a day's entries sort between two day prefixes.
    if filters.since:
        conditions.append(audit_log.c.at >= filters.since.isoformat())
    if filters.until:
        conditions.append(audit_log.c.at < (filters.until + dt.timedelta(days=1)).isoformat())
    total = conn.execute(
        select(func.count()).select_from(audit_log).where(*conditions)
    ).scalar_one()
    limit, offset = page_bounds(page, page_size)
    rows = conn.execute(
        select(audit_log)
        .where(*conditions)
        .order_by(audit_log.c.seq.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    entries = [
        AuditEntryView(
            seq=int(r.seq),
            at=dt.datetime.fromisoformat(r.at),
            actor=r.actor,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            purpose=r.purpose,
            recipient=r.recipient,
            client=r.client,
            details=_detail_lines(r.details),
        )
        for r in rows
    ]
    return Page(entries, int(total), max(1, page), page_size)


# --------------------------------------------------------------------------- published reports


@dataclass(frozen=True)
class PublishedFile:
    """One file a report run published, as found in the report folder."""

    name: str
    size: int | None  # None when the file is no longer in the folder
    intact: bool  # its bytes still hash to what the run recorded in the audit log

    @property
    def kind(self) -> str:
        suffix = Path(self.name).suffix.lower()
        return {".html": "report", ".pdf": "report", ".csv": "table", ".png": "chart"}.get(
            suffix, "file"
        )


@dataclass(frozen=True)
class ReportView:
    """A run of the report stage and the files it published."""

    run_id: int
    started_at: dt.datetime
    status: str
    files: list[PublishedFile] = field(default_factory=list)


def _recorded_files(conn: Connection, run_ids: list[int]) -> dict[int, dict[str, str]]:
    """run id -> {file name: SHA-256} from each report run's disclosure entry."""
    rows = conn.execute(
        select(audit_log.c.object_id, audit_log.c.details).where(
            audit_log.c.object_type == "report",
            audit_log.c.action == AuditAction.DISCLOSE.value,
            audit_log.c.object_id.in_([str(i) for i in run_ids]),
        )
    ).all()
    out: dict[int, dict[str, str]] = {}
    for r in rows:
        files = from_json(r.details, {}).get("files", {})
        if isinstance(files, dict):
            out[int(r.object_id)] = {str(k): str(v) for k, v in files.items()}
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reports_view(
    conn: Connection, actor: Actor, folder: Path | None, limit: int = 20
) -> list[ReportView]:
    """Runs of the report stage, newest first, each with the files it published; a file is
    listed from what the run recorded and checked against `folder` (the report folder)."""
    require_role(actor, UserRole.ANALYST)
    rows = conn.execute(
        select(runs.c.id, runs.c.started_at, runs.c.status)
        .where(runs.c.stage == "report")
        .order_by(runs.c.id.desc())
        .limit(limit)
    ).all()
    recorded = _recorded_files(conn, [int(r.id) for r in rows])
    latest = max(recorded) if recorded else None
    views = []
    for r in rows:
        files = []
        for name, sha in sorted(recorded.get(int(r.id), {}).items()):
            path = _inside(folder, name) if folder is not None else None
            exists = path is not None and path.is_file()
            # Only the newest run's files can still be in the folder (a run rewrites it).
            intact = bool(exists and int(r.id) == latest and path and _sha256(path) == sha)
            files.append(
                PublishedFile(name, path.stat().st_size if exists and path else None, intact)
            )
        views.append(ReportView(int(r.id), aware(r.started_at), r.status, files))
    return views


def _inside(folder: Path, name: str) -> Path | None:
    """`folder/name` when it stays inside the folder, else None."""
    root = folder.resolve()
    target = (root / name).resolve()
    return target if target.is_relative_to(root) and target != root else None


def published_file(conn: Connection, actor: Actor, folder: Path | None, name: str) -> Path:
    """The path of a file the newest report run published, unchanged since; NotFound for any
    other name (nothing else in the folder is served), AccessDenied for non-analysts."""
    require_role(actor, UserRole.ANALYST)
    if folder is None:
        raise NotFound("no report folder is configured")
    views = reports_view(conn, actor, folder, limit=1)
    for f in views[0].files if views else []:
        if f.name == name:
            if not f.intact:
                raise AccessDenied(f"{name} has changed since the report run published it")
            path = _inside(folder, name)
            assert path is not None
            return path
    raise NotFound(f"the last report run published no file {name!r}")


# ----------------------------------------------------------------------------- code labels

_DEFINITIONS: dict[str, str] = {}
for _codes in all_code_sets():
    for _member in _codes:
        _DEFINITIONS.setdefault(str(_member.value), _member.definition)
# Codes that are numbers (crime outcome types) are named by their definition.
_NAMES = {"cse": "CSE", "la": "LA", "cce": "CCE", "nfa": "NFA", "vrm": "VRM"}


def code_label(code: object) -> str:
    """A short human label for a code value: `awaiting_sign_off` -> "Awaiting sign-off",
    an outcome type `16` -> its definition."""
    if code is None:
        return ""
    text = str(code)
    if text in _DEFINITIONS and not any(c.isalpha() for c in text[:1]):
        return f"{text}: {_DEFINITIONS[text]}"
    words = [_NAMES.get(w, w) for w in text.replace("-", "_").split("_") if w]
    label = " ".join(words)
    label = label.replace("sign off", "sign-off")
    return label[:1].upper() + label[1:]


def code_definition(code: object) -> str:
    """The one-line definition of a code value from `model/codes.py` ("" for none)."""
    return _DEFINITIONS.get(str(code), "") if code is not None else ""
