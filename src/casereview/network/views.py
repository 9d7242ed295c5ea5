"""The read side of the network stage: the list of groups, one group, a record's groups.

Members the actor may not see (no visible record mentions them) are listed without a name.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import Connection, func, select

from casereview.model.codes import SubjectType, UserRole
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
    review_items,
)
from casereview.store.access import (
    Actor,
    check_group,
    check_record,
    require_role,
    visible_items,
    visible_records,
)
from casereview.store.views import Page, page_bounds

__all__ = [
    "EdgeView",
    "EventView",
    "GroupMemberView",
    "GroupRow",
    "GroupView",
    "RecordGroup",
    "RecurringView",
    "group_view",
    "groups_of_record",
    "groups_page",
]


@dataclass(frozen=True)
class GroupMemberView:
    person_id: int
    name: str | None  # None when the actor may not see this person
    role: str
    degree: float | None
    betweenness: float | None
    eigenvector: float | None


@dataclass(frozen=True)
class EdgeView:
    source: int
    target: int
    records: int


@dataclass(frozen=True)
class EventView:
    record_id: int
    source_ref: str
    record_type: str
    occurred_at: dt.date | None


@dataclass(frozen=True)
class RecurringView:
    kind: str
    value: str
    records: int


@dataclass(frozen=True)
class GroupView:
    id: int
    size: int
    victim_count: int
    record_count: int
    first_seen: dt.date | None
    last_seen: dt.date | None
    boroughs: list[str]
    stable: bool | None
    stability: float | None
    source_linked: float | None
    members: list[GroupMemberView]
    edges: list[EdgeView]
    timeline: list[EventView]
    places: list[RecurringView]
    objects: list[RecurringView]


@dataclass(frozen=True)
class GroupRow:
    """A line of the groups list."""

    id: int
    size: int
    offenders: int
    victim_count: int
    record_count: int
    first_seen: dt.date | None
    last_seen: dt.date | None
    boroughs: list[str]
    stable: bool | None


@dataclass(frozen=True)
class RecordGroup:
    """A group one of whose members is mentioned in a record, with who that is."""

    group_id: int
    size: int
    person_id: int
    person_name: str | None
    role: str


def _visible_group_ids(conn: Connection, actor: Actor) -> list[int] | None:
    """The active groups a team member may open (None: every group, for analysts)."""
    if actor.role == UserRole.ANALYST:
        return None
    ids = conn.execute(
        select(group_members.c.group_id)
        .distinct()
        .join(mention_person, mention_person.c.person_id == group_members.c.person_id)
        .join(mentions, mentions.c.id == mention_person.c.mention_id)
        .where(visible_records(actor, mentions.c.record_id))
    ).scalars()
    found = {int(i) for i in ids}
    # A group whose own review item the actor sees is visible even with no visible record.
    held = conn.execute(
        select(review_items.c.subject_id).where(
            review_items.c.subject_type == SubjectType.GROUP.value, visible_items(actor)
        )
    ).scalars()
    found.update(int(i) for i in held)
    return sorted(found)


def groups_page(
    conn: Connection, actor: Actor, page: int = 1, page_size: int = 50
) -> Page[GroupRow]:
    """The active groups the actor may open, largest first, paged."""
    require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR, UserRole.ANALYST)
    allowed = _visible_group_ids(conn, actor)
    condition = [groups.c.active.is_(True)]
    if allowed is not None:
        condition.append(groups.c.id.in_(allowed))
    total = conn.execute(select(func.count()).select_from(groups).where(*condition)).scalar_one()
    limit, offset = page_bounds(page, page_size)
    rows = conn.execute(
        select(groups)
        .where(*condition)
        .order_by(groups.c.size.desc(), groups.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    offenders: dict[int, int] = dict(
        conn.execute(
            select(group_members.c.group_id, func.count())
            .where(
                group_members.c.group_id.in_([int(r.id) for r in rows]),
                group_members.c.role == "offender",
            )
            .group_by(group_members.c.group_id)
        ).all()
    )
    items = [
        GroupRow(
            id=int(r.id),
            size=int(r.size),
            offenders=int(offenders.get(r.id, 0)),
            victim_count=int(r.victim_count),
            record_count=int(r.record_count),
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            boroughs=list(from_json(r.boroughs, [])),
            stable=r.stable,
        )
        for r in rows
    ]
    return Page(items, int(total), max(1, page), page_size)


def group_view(conn: Connection, actor: Actor, group_id: int) -> GroupView:
    """One group as the actor may see it (NotFound / AccessDenied from `store.access`)."""
    check_group(conn, actor, group_id)
    g = conn.execute(select(groups).where(groups.c.id == group_id)).one()
    members = conn.execute(
        select(group_members, persons.c.display_name)
        .join(persons, persons.c.id == group_members.c.person_id)
        .where(group_members.c.group_id == group_id)
        .order_by(group_members.c.role, group_members.c.person_id)
    ).all()
    member_ids = sorted({int(m.person_id) for m in members})
    seen = conn.execute(
        select(mentions.c.record_id, mention_person.c.person_id)
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .where(
            mention_person.c.person_id.in_(member_ids),
            visible_records(actor, mentions.c.record_id),
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
    place = func.coalesce(locations.c.postcode, locations.c.address)
    n_places = func.count(func.distinct(record_locations.c.record_id))
    places = conn.execute(
        select(place.label("value"), n_places.label("n"))
        .join(locations, locations.c.id == record_locations.c.location_id)
        .where(record_locations.c.record_id.in_(record_ids))
        .group_by(place)
        .having(n_places > 1)
        .order_by(n_places.desc())
        .limit(50)
    ).all()
    n_objects = func.count(func.distinct(record_objects.c.record_id))
    objs = conn.execute(
        select(objects.c.kind, objects.c.value, n_objects.label("n"))
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(record_objects.c.record_id.in_(record_ids))
        .group_by(objects.c.kind, objects.c.value)
        .having(n_objects > 1)
        .order_by(n_objects.desc())
        .limit(50)
    ).all()
    return GroupView(
        id=int(g.id),
        size=int(g.size),
        victim_count=int(g.victim_count),
        record_count=int(g.record_count),
        first_seen=g.first_seen,
        last_seen=g.last_seen,
        boroughs=list(from_json(g.boroughs, [])),
        stable=g.stable,
        stability=g.stability,
        source_linked=g.source_linked,
        members=[
            GroupMemberView(
                person_id=int(m.person_id),
                name=m.display_name if int(m.person_id) in visible_people else None,
                role=m.role,
                degree=m.degree,
                betweenness=m.betweenness,
                eigenvector=m.eigenvector,
            )
            for m in members
        ],
        edges=[EdgeView(a, b, n) for (a, b), n in sorted(ties.items())],
        timeline=[EventView(int(e.id), e.source_ref, e.record_type, e.occurred_at) for e in events],
        places=[RecurringView("place", str(p.value), int(p.n)) for p in places if p.value],
        objects=[RecurringView(o.kind, o.value, int(o.n)) for o in objs],
    )


def groups_of_record(conn: Connection, actor: Actor, record_id: int) -> list[RecordGroup]:
    """The active groups of the persons mentioned in a record the actor may see."""
    check_record(conn, actor, record_id)
    rows = conn.execute(
        select(
            group_members.c.group_id,
            groups.c.size,
            group_members.c.person_id,
            persons.c.display_name,
            group_members.c.role,
        )
        .join(groups, groups.c.id == group_members.c.group_id)
        .join(persons, persons.c.id == group_members.c.person_id)
        .join(mention_person, mention_person.c.person_id == group_members.c.person_id)
        .join(mentions, mentions.c.id == mention_person.c.mention_id)
        .where(mentions.c.record_id == record_id, groups.c.active.is_(True))
        .distinct()
        .order_by(group_members.c.group_id, group_members.c.person_id)
    ).all()
    return [
        RecordGroup(int(r.group_id), int(r.size), int(r.person_id), r.display_name, r.role)
        for r in rows
    ]
