"""Exporting offender groups: `group_id, person_id, role` for active groups, audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from casereview.model.tables import group_members, groups
from casereview.store.db import writing
from casereview.store.exports import require_purpose, write_audited_csv

__all__ = ["GROUP_COLUMNS", "export_groups"]

GROUP_COLUMNS = ("group_id", "person_id", "role")


def export_groups(
    engine: Engine, out: Path, *, purpose: str, recipient: str | None = None, actor: str = "cli"
) -> int:
    """Write the members of every active group to `out`; returns the row count."""
    require_purpose(purpose)
    query = (
        select(group_members.c.group_id, group_members.c.person_id, group_members.c.role)
        .join(groups, groups.c.id == group_members.c.group_id)
        .where(groups.c.active.is_(True))
        .order_by(group_members.c.group_id, group_members.c.role, group_members.c.person_id)
    )
    with writing(engine) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
        write_audited_csv(
            conn,
            out,
            GROUP_COLUMNS,
            rows,
            what="groups",
            purpose=purpose,
            recipient=recipient,
            actor=actor,
        )
    return len(rows)
