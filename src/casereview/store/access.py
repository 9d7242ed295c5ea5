"""Who may see what: the one place casereview decides access to case content.

Policy (see docs/security.md):

- reviewer, supervisor: a record when one of their teams holds a review item for it, or holds
  the review item of a group one of whose members is mentioned in the record; a person when
  they can see at least one record the person is mentioned in; a group when one of their teams
  holds its review item or they can see one of its records; a review item of their teams.
- analyst: records, persons and groups of every team (intelligence analysis), no review items
  and no workflow actions.
- auditor: the audit log only; admin: users and teams only. Neither sees case content.

Functions here only decide; they never write the audit log. Callers (web app, CLI, workflow)
write the DENIED entry when a check raises `AccessDenied`, inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Alias,
    ColumnElement,
    Connection,
    Exists,
    Select,
    exists,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.sql.schema import Table

from casereview.errors import AccessDenied, NotFound
from casereview.model.codes import SubjectType, UserRole
from casereview.model.tables import (
    group_members,
    groups,
    mention_person,
    mentions,
    persons,
    records,
    review_items,
    team_members,
    users,
)

__all__ = [
    "CASE_READERS",
    "TEAM_ROLES",
    "Actor",
    "check_group",
    "check_person",
    "check_record",
    "check_review_item",
    "load_actor",
    "require_role",
    "system_actor",
    "visible_items",
    "visible_records",
]

# Roles whose view of case content is limited to the work of their teams.
TEAM_ROLES = frozenset({UserRole.REVIEWER, UserRole.SUPERVISOR})
# Roles that may read case content at all.
CASE_READERS = frozenset({UserRole.REVIEWER, UserRole.SUPERVISOR, UserRole.ANALYST})


@dataclass(frozen=True)
class Actor:
    """A signed-in user (or a pipeline stage) as access decisions see it."""

    user_id: int | None  # None only for a system actor (pipeline stages)
    username: str
    role: UserRole
    team_ids: frozenset[int]
    client: str | None = None

    @property
    def is_system(self) -> bool:
        return self.user_id is None


def system_actor(name: str = "system") -> Actor:
    """An actor for pipeline stages: reads like an analyst, belongs to no team, has no user row."""
    return Actor(user_id=None, username=name, role=UserRole.ANALYST, team_ids=frozenset())


def load_actor(conn: Connection, username: str, client: str | None = None) -> Actor:
    """The actor for `username`, with its current teams; NotFound or AccessDenied if disabled."""
    row = conn.execute(
        select(users.c.id, users.c.username, users.c.role, users.c.disabled).where(
            users.c.username == username
        )
    ).first()
    if row is None:
        raise NotFound(f"no such user: {username}")
    if row.disabled:
        raise AccessDenied(f"user {username} is disabled")
    teams = conn.execute(select(team_members.c.team_id).where(team_members.c.user_id == row.id))
    return Actor(
        user_id=int(row.id),
        username=str(row.username),
        role=UserRole(row.role),
        team_ids=frozenset(int(t) for t in teams.scalars()),
        client=client,
    )


def require_role(actor: Actor, *roles: UserRole) -> None:
    """Raise AccessDenied unless the actor holds one of `roles` (function-level access)."""
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise AccessDenied(f"{actor.role.value} may not do this (needs {allowed})")


# Aliases built once (building them per check costs more than the query itself), so the
# probes stay correlated to the caller's own `mentions` or `records` and never to these.
_ITEM = review_items.alias("access_item")
_MENTION = mentions.alias("access_mention")
_MENTION_PERSON = mention_person.alias("access_mention_person")
_GROUP_MEMBER = group_members.alias("access_group_member")


def _team_clause(
    team_column: ColumnElement[int | None], teams: list[int], unallocated: bool
) -> ColumnElement[bool]:
    """The item's team is one of `teams`, or (for a supervisor) the item has no team yet."""
    held = team_column.in_(teams) if teams else false()
    return or_(held, team_column.is_(None)) if unallocated else held


def visible_items(actor: Actor, table: Table | Alias | None = None) -> ColumnElement[bool]:
    """A WHERE clause on `review_items` (or an alias of it) true for the items `actor` sees:
    their teams' items, and for a supervisor also the items no team holds yet."""
    item = review_items if table is None else table
    if actor.role not in TEAM_ROLES:
        return false()
    return _team_clause(item.c.team_id, sorted(actor.team_ids), actor.role == UserRole.SUPERVISOR)


def _held_by(
    teams: list[int],
    subject_type: SubjectType,
    subject_id: ColumnElement[int],
    unallocated: bool = False,
) -> Exists:
    """EXISTS: one of `teams` holds the review item of this subject (one index probe on
    review_items(team_id, subject_type, subject_id)); with `unallocated`, also an item of no team."""
    item = _ITEM
    return exists().where(
        _team_clause(item.c.team_id, teams, unallocated),
        item.c.subject_type == subject_type.value,
        item.c.subject_id == subject_id,
    )


def _record_visible(
    teams: list[int], record_id: ColumnElement[int], unallocated: bool = False
) -> ColumnElement[bool]:
    """True for a record one of `teams` works on: its own item, or the item of a group one of
    whose members is mentioned in it. Both are correlated EXISTS probes that start from the
    record (mentions.record_id -> mention_person.mention_id -> group_members.person_id ->
    review_items), so a check never derives the whole set of a group's records."""
    m, mp, gm = _MENTION, _MENTION_PERSON, _GROUP_MEMBER
    via_group = (
        select(m.c.id)
        .join(mp, mp.c.mention_id == m.c.id)
        .join(gm, gm.c.person_id == mp.c.person_id)
        .where(
            m.c.record_id == record_id,
            _held_by(teams, SubjectType.GROUP, gm.c.group_id, unallocated),
        )
        .exists()
    )
    return or_(_held_by(teams, SubjectType.RECORD, record_id, unallocated), via_group)


def visible_records(actor: Actor, column: ColumnElement[int] | None = None) -> ColumnElement[bool]:
    """A WHERE clause true for the records `actor` may see.

    `column` is the record-id column to test (default `records.c.id`; pass e.g.
    `mentions.c.record_id` to filter mentions directly). The clause is a correlated EXISTS
    per row, backed by indexes, never a sub-query that lists every visible record.
    """
    column = records.c.id if column is None else column
    if actor.role == UserRole.ANALYST:
        return true()
    supervisor = actor.role == UserRole.SUPERVISOR
    if actor.role not in TEAM_ROLES or not (actor.team_ids or supervisor):
        return false()
    return _record_visible(sorted(actor.team_ids), column, supervisor)


def _deny_without_case_access(actor: Actor) -> None:
    if actor.role not in CASE_READERS:
        raise AccessDenied(f"{actor.role.value} users see no case content")


def _exists(conn: Connection, query: Select) -> bool:
    return bool(conn.execute(select(exists(query))).scalar())


def check_record(conn: Connection, actor: Actor, record_id: int) -> None:
    """NotFound if there is no such record; AccessDenied if `actor` may not see it."""
    _deny_without_case_access(actor)
    row = conn.execute(
        select(visible_records(actor).label("visible")).where(records.c.id == record_id)
    ).first()
    if row is None:
        raise NotFound(f"no record {record_id}")
    if not row.visible:
        raise AccessDenied(f"record {record_id} is not in the work of your teams")


def check_person(conn: Connection, actor: Actor, person_id: int) -> None:
    """NotFound if there is no such person; AccessDenied unless one of their records is visible."""
    _deny_without_case_access(actor)
    if not _exists(conn, select(persons.c.id).where(persons.c.id == person_id)):
        raise NotFound(f"no person {person_id}")
    if actor.role == UserRole.ANALYST:
        return
    query = (
        select(mentions.c.id)
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .where(
            mention_person.c.person_id == person_id,
            visible_records(actor, mentions.c.record_id),
        )
    )
    if not _exists(conn, query):
        raise AccessDenied(f"person {person_id} is not in the work of your teams")


def check_group(conn: Connection, actor: Actor, group_id: int) -> None:
    """NotFound if there is no such group; AccessDenied unless its item or a record is visible."""
    _deny_without_case_access(actor)
    if not _exists(conn, select(groups.c.id).where(groups.c.id == group_id)):
        raise NotFound(f"no group {group_id}")
    if actor.role == UserRole.ANALYST:
        return
    if _exists(
        conn,
        select(review_items.c.id).where(
            visible_items(actor),
            review_items.c.subject_type == SubjectType.GROUP.value,
            review_items.c.subject_id == group_id,
        ),
    ):
        return
    via_records = (
        select(mentions.c.id)
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .join(group_members, group_members.c.person_id == mention_person.c.person_id)
        .where(group_members.c.group_id == group_id, visible_records(actor, mentions.c.record_id))
    )
    if not _exists(conn, via_records):
        raise AccessDenied(f"group {group_id} is not in the work of your teams")


def check_review_item(conn: Connection, actor: Actor, item_id: int) -> None:
    """NotFound if there is no such item; AccessDenied unless it belongs to one of the actor's teams.

    Only reviewers and supervisors see review items; workflow actions need `require_role` too.
    """
    if actor.role not in TEAM_ROLES:
        raise AccessDenied(f"{actor.role.value} users take no part in the review workflow")
    team_id = conn.execute(
        select(review_items.c.team_id).where(review_items.c.id == item_id)
    ).first()
    if team_id is None:
        raise NotFound(f"no review item {item_id}")
    if team_id[0] is None and actor.role == UserRole.SUPERVISOR:
        return  # not allocated yet: any supervisor may see it, to allocate it
    if team_id[0] is None or int(team_id[0]) not in actor.team_ids:
        raise AccessDenied(f"review item {item_id} belongs to another team")
