"""The group page: members and victims, graph (cytoscape), timeline, recurring places and
objects, centrality and stability. Members the actor may not see are shown without a name."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from collections import Counter
from itertools import combinations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection, func, select

from casereview.model.codes import AuditAction, DecisionOutcome, SubjectType
from casereview.model.serial import from_json
from casereview.model.tables import (
    group_members,
    groups,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    record_locations,
    record_objects,
    records,
)
from casereview.store.access import check_group, visible_records
from casereview.store.db import reading
from casereview.web.auth import Ctx, guard, signed_in, write_audit
from casereview.web.render import ErrorOut, page
from casereview.web.routes.records import ReviewOut, review_of

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["groups"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
GroupId = Path(..., ge=1, le=2**62)


class MemberOut(BaseModel):
    person_id: int
    name: str | None  # None when the actor may not see this person
    role: str
    degree: float | None
    betweenness: float | None
    eigenvector: float | None


class EdgeOut(BaseModel):
    source: int
    target: int
    records: int


class EventOut(BaseModel):
    record_id: int
    source_ref: str
    record_type: str
    occurred_at: str | None


class RecurringOut(BaseModel):
    kind: str
    value: str
    records: int


class GroupOut(BaseModel):
    id: int
    size: int
    victim_count: int
    record_count: int
    first_seen: str | None
    last_seen: str | None
    boroughs: list[str]
    stable: bool | None
    stability: float | None
    source_linked: float | None
    members: list[MemberOut]
    edges: list[EdgeOut]
    timeline: list[EventOut]
    places: list[RecurringOut]
    objects: list[RecurringOut]
    review: ReviewOut | None


def load_group(conn: Connection, ctx: Ctx, group_id: int) -> GroupOut:
    g = conn.execute(select(groups).where(groups.c.id == group_id)).one()
    members = conn.execute(
        select(group_members, persons.c.display_name)
        .join(persons, persons.c.id == group_members.c.person_id)
        .where(group_members.c.group_id == group_id)
        .order_by(group_members.c.role, group_members.c.person_id)
    ).all()
    member_ids = sorted({int(m.person_id) for m in members})
    # (record, person) pairs of the group's members in records the actor may see.
    seen = conn.execute(
        select(mentions.c.record_id, mention_person.c.person_id)
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .where(
            mention_person.c.person_id.in_(member_ids),
            visible_records(ctx.actor, mentions.c.record_id),
        )
        .distinct()
    ).all()
    visible_people = {int(s.person_id) for s in seen}
    by_record: dict[int, set[int]] = {}
    for s in seen:
        by_record.setdefault(int(s.record_id), set()).add(int(s.person_id))
    ties: Counter[tuple[int, int]] = Counter()
    for people in by_record.values():
        ties.update(combinations(sorted(people), 2))
    record_ids = sorted(by_record)
    events = conn.execute(
        select(records.c.id, records.c.source_ref, records.c.record_type, records.c.occurred_at)
        .where(records.c.id.in_(record_ids))
        .order_by(records.c.occurred_at, records.c.id)
    ).all()
    places = conn.execute(
        select(
            func.coalesce(locations.c.postcode, locations.c.address).label("value"),
            func.count(func.distinct(record_locations.c.record_id)).label("n"),
        )
        .join(locations, locations.c.id == record_locations.c.location_id)
        .where(record_locations.c.record_id.in_(record_ids))
        .group_by(func.coalesce(locations.c.postcode, locations.c.address))
        .having(func.count(func.distinct(record_locations.c.record_id)) > 1)
        .order_by(func.count(func.distinct(record_locations.c.record_id)).desc())
        .limit(50)
    ).all()
    objs = conn.execute(
        select(
            objects.c.kind,
            objects.c.value,
            func.count(func.distinct(record_objects.c.record_id)).label("n"),
        )
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(record_objects.c.record_id.in_(record_ids))
        .group_by(objects.c.kind, objects.c.value)
        .having(func.count(func.distinct(record_objects.c.record_id)) > 1)
        .order_by(func.count(func.distinct(record_objects.c.record_id)).desc())
        .limit(50)
    ).all()
    return GroupOut(
        id=g.id,
        size=g.size,
        victim_count=g.victim_count,
        record_count=g.record_count,
        first_seen=g.first_seen.isoformat() if g.first_seen else None,
        last_seen=g.last_seen.isoformat() if g.last_seen else None,
        boroughs=from_json(g.boroughs, []),
        stable=g.stable,
        stability=g.stability,
        source_linked=g.source_linked,
        members=[
            MemberOut(
                person_id=m.person_id,
                name=m.display_name if int(m.person_id) in visible_people else None,
                role=m.role,
                degree=m.degree,
                betweenness=m.betweenness,
                eigenvector=m.eigenvector,
            )
            for m in members
        ],
        edges=[EdgeOut(source=a, target=b, records=n) for (a, b), n in sorted(ties.items())],
        timeline=[
            EventOut(
                record_id=e.id,
                source_ref=e.source_ref,
                record_type=e.record_type,
                occurred_at=e.occurred_at.isoformat() if e.occurred_at else None,
            )
            for e in events
        ],
        places=[
            RecurringOut(kind="place", value=str(p.value), records=p.n) for p in places if p.value
        ],
        objects=[RecurringOut(kind=o.kind, value=o.value, records=o.n) for o in objs],
        review=review_of(conn, SubjectType.GROUP.value, group_id, ctx),
    )


def _group(ctx: Ctx, group_id: int) -> GroupOut:
    with reading(ctx.engine) as conn:
        guard(ctx, conn, check_group, "group", group_id)
        result = load_group(conn, ctx, group_id)
    write_audit(
        ctx, AuditAction.CONSULT, "group", group_id, details={"records": len(result.timeline)}
    )
    return result


@router.get("/groups/{group_id}", include_in_schema=False)
def group_page(
    request: Request, group_id: int = GroupId, ctx: Ctx = Depends(signed_in)
) -> Response:
    group = _group(ctx, group_id)
    return page(
        request,
        "group.html",
        {
            "session": ctx.session,
            "group": group,
            "graph": group.model_dump(include={"members", "edges"}),
            "outcomes": list(DecisionOutcome),
        },
    )


@api.get("/groups/{group_id}", response_model=GroupOut)
def group_api(group_id: int = GroupId, ctx: Ctx = Depends(signed_in)) -> GroupOut:
    """A detected group: members, ties, timeline, recurring places and objects (audited)."""
    return _group(ctx, group_id)


__all__ = ["GroupOut", "api", "load_group", "router"]
