"""The review queue as a reviewer or supervisor reads it, paged, and allocation by filter.

`queue_page` lists the items the actor may see (`store.access.visible_items`: their teams'
items, and for a supervisor the items no team holds yet), filtered and sorted from an
allow-list. "My queue" is the items assigned to the actor; "Team queue" is every visible item.
`allocate` assigns every item a filter selects, one workflow transition (and one audit entry)
per item, through `review.workflow.assign`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, extract, func, or_, select

from casereview.errors import AccessDenied, NotFound, WorkflowError
from casereview.model.codes import IndicatorCode, ReviewStatus, SubjectType, UserRole
from casereview.model.tables import (
    group_members,
    indicators,
    mention_person,
    mentions,
    records,
    review_items,
    teams,
    users,
)
from casereview.review import workflow
from casereview.store.access import Actor, require_role, visible_items
from casereview.store.db import reading
from casereview.store.views import Page, page_bounds

__all__ = [
    "SORTS",
    "Allocation",
    "QueueFilters",
    "QueueRow",
    "allocate",
    "queue_page",
]

Scope = Literal["mine", "team"]
SortKey = Literal["priority", "status", "updated", "occurred", "borough", "id"]
# The only orderings a user may ask for; never a column named in the request itself.
SORTS: dict[str, ColumnElement[object]] = {
    "priority": review_items.c.priority.desc(),
    "status": review_items.c.status.asc(),
    "updated": review_items.c.updated_at.desc(),
    "occurred": records.c.occurred_at.desc(),
    "borough": records.c.borough.asc(),
    "id": review_items.c.id.asc(),
}
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    """What narrows the queue. `scope` "mine" is the items assigned to the actor."""

    scope: Scope = "team"
    team: int | None = None
    status: ReviewStatus | None = None
    indicator: IndicatorCode | None = None
    borough: str | None = None
    group: int | None = None
    year: int | None = None
    unallocated: bool = False
    sort: SortKey = "priority"


@dataclass(frozen=True)
class QueueRow:
    id: int
    subject_type: str
    subject_id: int
    subject_ref: str
    team: str | None
    status: str
    assigned_to: str | None
    priority: float
    needs_another_look: bool
    borough: str | None
    occurred_at: dt.date | None
    indicators: list[str]

    @property
    def href(self) -> str:
        return f"/{self.subject_type}s/{self.subject_id}"


def _conditions(actor: Actor, f: QueueFilters) -> tuple[list[ColumnElement[bool]], bool]:
    """(WHERE terms, whether they read `records`)."""
    is_record = review_items.c.subject_type == SubjectType.RECORD.value
    terms: list[ColumnElement[bool]] = [visible_items(actor), review_items.c.active.is_(True)]
    needs_records = False
    if f.scope == "mine":
        terms.append(review_items.c.assigned_to == actor.user_id)
    if f.team is not None:
        terms.append(review_items.c.team_id == f.team)
    if f.unallocated:
        terms.append(review_items.c.assigned_to.is_(None))
    if f.status is not None:
        terms.append(review_items.c.status == f.status.value)
    if f.borough:
        terms.append(records.c.borough == f.borough)
        needs_records = True
    if f.year is not None:
        terms.append(extract("year", records.c.occurred_at) == f.year)
        needs_records = True
    if f.indicator is not None:
        terms.append(
            exists().where(
                indicators.c.code == f.indicator.value,
                indicators.c.subject_type == review_items.c.subject_type,
                indicators.c.subject_id == review_items.c.subject_id,
            )
        )
    if f.group is not None:
        # The group's own item, and the items of records that mention one of its members.
        in_group = (
            select(mentions.c.id)
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            .join(group_members, group_members.c.person_id == mention_person.c.person_id)
            .where(
                mentions.c.record_id == review_items.c.subject_id,
                group_members.c.group_id == f.group,
            )
            .exists()
        )
        terms.append(
            or_(
                and_(
                    review_items.c.subject_type == SubjectType.GROUP.value,
                    review_items.c.subject_id == f.group,
                ),
                and_(is_record, in_group),
            )
        )
    return terms, needs_records


def queue_page(
    conn: Connection, actor: Actor, filters: QueueFilters, page: int = 1, page_size: int = PAGE_SIZE
) -> Page[QueueRow]:
    """One page of the queue the actor may see, with each item's indicator codes."""
    require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR)
    is_record = review_items.c.subject_type == SubjectType.RECORD.value
    terms, needs_records = _conditions(actor, filters)
    counted = select(func.count()).select_from(review_items)
    if needs_records:
        counted = counted.outerjoin(
            records, and_(is_record, records.c.id == review_items.c.subject_id)
        )
    total = int(conn.execute(counted.where(*terms)).scalar_one())
    limit, offset = page_bounds(page, page_size)
    rows = conn.execute(
        select(
            review_items.c.id,
            review_items.c.subject_type,
            review_items.c.subject_id,
            review_items.c.status,
            review_items.c.priority,
            review_items.c.needs_another_look,
            teams.c.name.label("team"),
            users.c.username.label("assignee"),
            records.c.source_ref,
            records.c.borough,
            records.c.occurred_at,
        )
        .select_from(review_items)
        .outerjoin(records, and_(is_record, records.c.id == review_items.c.subject_id))
        .outerjoin(teams, teams.c.id == review_items.c.team_id)
        .outerjoin(users, users.c.id == review_items.c.assigned_to)
        .where(*terms)
        .order_by(SORTS[filters.sort], review_items.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    codes: dict[tuple[str, int], set[str]] = {}
    wanted: dict[str, list[int]] = {}
    for r in rows:
        wanted.setdefault(r.subject_type, []).append(int(r.subject_id))
    if wanted:
        for c in conn.execute(
            select(indicators.c.subject_type, indicators.c.subject_id, indicators.c.code).where(
                or_(
                    *(
                        and_(indicators.c.subject_type == kind, indicators.c.subject_id.in_(ids))
                        for kind, ids in sorted(wanted.items())
                    )
                )
            )
        ):
            codes.setdefault((c.subject_type, int(c.subject_id)), set()).add(c.code)
    items = [
        QueueRow(
            id=int(r.id),
            subject_type=r.subject_type,
            subject_id=int(r.subject_id),
            subject_ref=r.source_ref if r.subject_type == "record" else f"Group {r.subject_id}",
            team=r.team,
            status=r.status,
            assigned_to=r.assignee,
            priority=float(r.priority),
            needs_another_look=bool(r.needs_another_look),
            borough=r.borough,
            occurred_at=r.occurred_at,
            indicators=sorted(codes.get((r.subject_type, int(r.subject_id)), set())),
        )
        for r in rows
    ]
    return Page(items, total, max(1, page), page_size)


@dataclass(frozen=True)
class Allocation:
    """What a bulk allocation did: the items assigned, and those refused with the reason."""

    assigned: list[int]
    refused: list[tuple[int, str]]


def allocate(
    engine: Engine,
    actor: Actor,
    filters: QueueFilters,
    *,
    assignee_id: int,
    team_id: int,
    limit: int = 500,
) -> Allocation:
    """Assign every unallocated item `filters` select (at most `limit`, highest priority
    first) to `assignee_id` in `team_id`: one `workflow.assign` per item, so each is checked
    and audited on its own. A refused item is reported, not fatal to the others."""
    require_role(actor, UserRole.SUPERVISOR)
    if team_id not in actor.team_ids:
        raise AccessDenied(f"{actor.username} is not a supervisor of team {team_id}")
    selected = replace(filters, scope="team", unallocated=True)
    with reading(engine) as conn:
        page = queue_page(conn, actor, selected, 1, page_size=limit)
    assigned: list[int] = []
    refused: list[tuple[int, str]] = []
    for item in page.items:
        try:
            workflow.assign(engine, item.id, assignee_id=assignee_id, team_id=team_id, actor=actor)
        except (AccessDenied, WorkflowError, NotFound) as e:
            refused.append((item.id, str(e)))
            continue
        assigned.append(item.id)
    return Allocation(assigned, refused)
