"""Case content written straight into a store with fixed ids, for tests that check who sees what.

The access-policy tests (tests/store/test_access.py) and the web tests (tests/web/conftest.py)
each lay out their own small world (teams, users, which record is whose) but build its case
rows the same way: one source with one import, one link run that owns the persons, then
records, persons, mentions resolved to persons, groups and review items. Each function here
fills the columns a test does not care about and takes every column it does as an override.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, insert

from casereview.model.tables import (
    group_members,
    groups,
    imports,
    mention_person,
    mentions,
    persons,
    records,
    review_items,
    runs,
    sources,
)

__all__ = [
    "IMPORT_ID",
    "RUN_ID",
    "SOURCE_ID",
    "add_groups",
    "add_mentions",
    "add_persons",
    "add_records",
    "add_review_items",
    "add_source",
]

SOURCE_ID = IMPORT_ID = RUN_ID = 1


def add_source(
    conn: Connection, now: dt.datetime, *, name: str = "police_crime", **import_columns: Any
) -> None:
    """Source 1 (kind crime) with its import 1, and the succeeded link run 1."""
    conn.execute(insert(sources).values(id=SOURCE_ID, name=name, kind="crime", created_at=now))
    conn.execute(
        insert(runs).values(
            id=RUN_ID,
            stage="link",
            parameters="{}",
            software_version="0",
            status="succeeded",
            started_at=now,
        )
    )
    conn.execute(
        insert(imports).values(
            **{
                "id": IMPORT_ID,
                "source_id": SOURCE_ID,
                "file_name": "crimes.csv",
                "file_role": "crimes",
                "sha256": "0",
                "mapping_name": "m",
                "mapping_sha256": "0",
                "rows_read": 0,
                "rows_loaded": 0,
                "rows_quarantined": 0,
                "imported_by": "t",
                "started_at": now,
                "finished_at": now,
                **import_columns,
            }
        )
    )


def add_records(conn: Connection, now: dt.datetime, rows: Iterable[Mapping[str, Any]]) -> None:
    """Crime records of source 1; each row needs an `id`, the rest defaults."""
    conn.execute(
        insert(records),
        [
            {
                "source_id": SOURCE_ID,
                "source_ref": f"CR{row['id']}",
                "record_type": "crime",
                "raw": "{}",
                "content_hash": "0",
                "import_id": IMPORT_ID,
                "updated_at": now,
                **row,
            }
            for row in rows
        ],
    )


def add_persons(conn: Connection, ids: Iterable[int], **columns: Any) -> None:
    """Active persons with one mention each; `columns` may be a callable of the id."""
    conn.execute(
        insert(persons),
        [
            {
                "id": pid,
                "mention_count": 1,
                "active": True,
                **{k: v(pid) if callable(v) else v for k, v in columns.items()},
            }
            for pid in ids
        ],
    )


def add_mentions(conn: Connection, rows: Iterable[Mapping[str, Any]], **link_columns: Any) -> None:
    """Mentions, each resolved to its `person` by link run 1 (`link_columns` on that row).

    Each row needs `id`, `record_id`, `person` and `role`; other mention columns may follow.
    """
    rows = list(rows)
    conn.execute(
        insert(mentions),
        [
            {
                "source_id": SOURCE_ID,
                "mention_key": f"m{row['id']}",
                "raw": "{}",
                "content_hash": "0",
                **{k: v for k, v in row.items() if k != "person"},
            }
            for row in rows
        ],
    )
    conn.execute(
        insert(mention_person),
        [
            {"mention_id": row["id"], "person_id": row["person"], "run_id": RUN_ID, **link_columns}
            for row in rows
        ],
    )


def add_groups(
    conn: Connection,
    members: Mapping[int, list[tuple[int, str]]],
    *,
    member_columns: Mapping[str, Any] | None = None,
    **columns: Any,
) -> None:
    """Groups of run 1 with their (person, role) members; size and victims counted from them."""
    conn.execute(
        insert(groups),
        [
            {
                "id": gid,
                "size": len(people),
                "victim_count": sum(role == "victim" for _, role in people),
                "record_count": 1,
                "boroughs": "[]",
                "summary": "{}",
                "run_id": RUN_ID,
                **columns,
            }
            for gid, people in members.items()
        ],
    )
    conn.execute(
        insert(group_members),
        [
            {"group_id": gid, "person_id": pid, "role": role, **(member_columns or {})}
            for gid, people in members.items()
            for pid, role in people
        ],
    )


def add_review_items(conn: Connection, now: dt.datetime, rows: Iterable[Mapping[str, Any]]) -> None:
    """Review items; each row needs `id`, `subject_type`, `subject_id` and `team_id`."""
    conn.execute(
        insert(review_items),
        [
            {
                "status": "new",
                "priority": 1.0,
                "score_breakdown": "{}",
                "evidence_hash": "0",
                "created_at": now,
                "updated_at": now,
                **row,
            }
            for row in rows
        ],
    )
