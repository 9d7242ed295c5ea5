"""Exports of personal data: CSV files that are inert in spreadsheets and always audited.

Every export (persons, groups, findings, the web app's analyst exports) goes through here, so
there is one rule for CSV injection and one shape of disclosure entry in the audit log.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from casereview.errors import ValidationError
from casereview.model.codes import AuditAction
from casereview.store import audit
from casereview.store.files import PRIVATE_MODE, open_private

__all__ = [
    "neutralise_cell",
    "record_disclosure",
    "require_purpose",
    "write_audited_csv",
    "write_audited_file",
    "write_csv",
]

# A cell starting with one of these is read as a formula by spreadsheets (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The text of a CSV cell, made inert for spreadsheets (prefixed with `'` when needed)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def require_purpose(purpose: str | None) -> str:
    """The stated purpose of a disclosure, stripped; a ValidationError when there is none."""
    if not purpose or not purpose.strip():
        raise ValidationError("an export of personal data needs a stated purpose (--purpose)")
    return purpose.strip()


def write_csv(handle: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and neutralised rows to an open text handle; returns the row count."""
    writer = csv.writer(handle)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
        count += 1
    return count


def write_audited_csv(
    conn: Connection,
    out: Path,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    what: str,
    purpose: str,
    recipient: str | None,
    actor: str,
) -> int:
    """Write `rows` to `out` and append the DISCLOSE audit entry in the caller's transaction."""
    stated = require_purpose(purpose)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open_private(out) as handle:  # personal data: owner-only (0600)
        count = write_csv(handle, columns, rows)
    details = {"rows": count, "file": out.name, "columns": list(columns)}
    record_disclosure(
        conn, what=what, purpose=stated, recipient=recipient, actor=actor, details=details
    )
    return count


def record_disclosure(
    conn: Connection,
    *,
    what: str,
    purpose: str,
    recipient: str | None,
    actor: str,
    client: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """The DISCLOSE audit entry of an export, in the caller's transaction (one shape for all)."""
    audit.append(
        conn,
        actor=actor,
        action=AuditAction.DISCLOSE,
        object_type="export",
        object_id=what,
        purpose=require_purpose(purpose),
        recipient=recipient,
        client=client,
        details=details or {},
    )


def write_audited_file(
    conn: Connection,
    out: Path,
    content: str | bytes,
    *,
    what: str,
    purpose: str,
    recipient: str | None,
    actor: str,
    client: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Write an export that is not a CSV (HTML, PDF, XML, JSON lines) owner-only (0600) and
    append its DISCLOSE entry in the caller's transaction."""
    stated = require_purpose(purpose)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    os.fchmod(fd, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    record_disclosure(
        conn,
        what=what,
        purpose=stated,
        recipient=recipient,
        actor=actor,
        client=client,
        details={"file": out.name, "bytes": len(data), **(details or {})},
    )
