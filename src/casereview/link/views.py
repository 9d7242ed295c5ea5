"""The read side of the link stage: a resolved person as an actor may see them.

`person_view` returns every visible mention of a person (with the age at the event), every
scored pair among them with its explanation (the prior and one bar per comparison, put
together from what the link stage stored by `link.explain.render`), the standing human
judgements and the groups the person belongs to. Visibility comes from `store.access` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, func, select

from casereview.errors import NotFound
from casereview.ingest.views import event_age, mention_name
from casereview.link.explain import (
    Bar,
    compared_of,
    load_legends,
    stored_explanation,
)
from casereview.model.tables import (
    group_members,
    groups,
    match_judgements,
    match_pairs,
    mention_person,
    mentions,
    persons,
    records,
    sources,
)
from casereview.store.access import Actor, check_person, visible_records

__all__ = [
    "GroupRef",
    "PairView",
    "PersonMention",
    "PersonView",
    "mention_by_key",
    "mention_names",
    "person_view",
    "visible_mentions",
]


@dataclass(frozen=True)
class PersonMention:
    """A mention of the person in a record the actor may see."""

    mention_id: int
    record_id: int
    source: str
    source_ref: str
    record_type: str
    occurred_at: dt.date | None
    role: str
    name: str | None
    dob: dt.date | None
    age_at_event: int | None
    postcode: str | None
    match_probability: float | None


@dataclass(frozen=True)
class PairView:
    """Why two of the person's mentions were scored as they were: prior + bars = weight."""

    mention_a: int
    mention_b: int
    ref_a: str
    ref_b: str
    name_a: str | None
    name_b: str | None
    prior: float
    bars: list[Bar]
    match_weight: float
    match_probability: float
    judgement: str | None  # the standing human judgement on the pair, if any

    @property
    def unexplained(self) -> float:
        """What the stored match weight holds beyond the prior and the bars (0 when they add
        up, as `link.explain` documents; shown on the page rather than hidden when not)."""
        rest = self.match_weight - self.prior - sum(b.weight for b in self.bars)
        return 0.0 if abs(rest) < 1e-9 else rest

    @property
    def steps(self) -> list[tuple[Bar, float, float]]:
        """(bar, running weight before, after) for each bar: the waterfall as numbers."""
        out, running = [], self.prior
        for bar in self.bars:
            out.append((bar, running, running + bar.weight))
            running += bar.weight
        return out


@dataclass(frozen=True)
class GroupRef:
    group_id: int
    role: str
    size: int


@dataclass(frozen=True)
class PersonView:
    id: int
    display_name: str | None
    mentions: list[PersonMention]
    pairs: list[PairView]
    groups: list[GroupRef]
    names: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return len({m.record_id for m in self.mentions})


def visible_mentions(conn: Connection, actor: Actor, mention_ids: set[int]) -> set[int]:
    """The ids among `mention_ids` whose records the actor may see."""
    if not mention_ids:
        return set()
    rows = conn.execute(
        select(mentions.c.id).where(
            mentions.c.id.in_(sorted(mention_ids)), visible_records(actor, mentions.c.record_id)
        )
    )
    return {int(i) for i in rows.scalars()}


def mention_names(conn: Connection, actor: Actor, mention_ids: set[int]) -> dict[int, str]:
    """mention id -> the name as recorded (with the role), for mentions in visible records."""
    rows = conn.execute(
        select(
            mentions.c.id,
            mentions.c.name_raw,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.role,
        ).where(
            mentions.c.id.in_(sorted(mention_ids)), visible_records(actor, mentions.c.record_id)
        )
    )
    return {
        int(r.id): f"{mention_name(r.name_raw, r.forenames, r.surname) or 'unnamed'} ({r.role})"
        for r in rows
    }


def mention_by_key(conn: Connection, source: str, key: str) -> int:
    """The id of the mention `key` of source `source`, or NotFound."""
    found = conn.execute(
        select(mentions.c.id)
        .join(sources, sources.c.id == mentions.c.source_id)
        .where(sources.c.name == source, mentions.c.mention_key == key)
    ).scalar()
    if found is None:
        raise NotFound(f"no mention {key!r} in source {source!r}")
    return int(found)


def person_view(conn: Connection, actor: Actor, person_id: int) -> PersonView:
    """The person as `actor` may see them (NotFound / AccessDenied from `store.access`)."""
    check_person(conn, actor, person_id)
    person = conn.execute(select(persons).where(persons.c.id == person_id)).one()
    rows = conn.execute(
        select(
            mentions.c.id,
            mentions.c.record_id,
            mentions.c.role,
            mentions.c.name_raw,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.dob,
            mentions.c.age_at_event,
            mentions.c.postcode,
            mention_person.c.match_probability,
            records.c.source_ref,
            records.c.record_type,
            records.c.occurred_at,
            sources.c.name.label("source"),
        )
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .join(records, records.c.id == mentions.c.record_id)
        .join(sources, sources.c.id == records.c.source_id)
        .where(mention_person.c.person_id == person_id, visible_records(actor))
        .order_by(records.c.occurred_at, mentions.c.id)
    ).all()
    shown = [
        PersonMention(
            mention_id=int(r.id),
            record_id=int(r.record_id),
            source=r.source,
            source_ref=r.source_ref,
            record_type=r.record_type,
            occurred_at=r.occurred_at,
            role=r.role,
            name=mention_name(r.name_raw, r.forenames, r.surname),
            dob=r.dob,
            age_at_event=event_age(r.age_at_event, r.dob, r.occurred_at),
            postcode=r.postcode,
            match_probability=r.match_probability,
        )
        for r in rows
    ]
    by_id = {m.mention_id: m for m in shown}
    return PersonView(
        id=int(person.id),
        display_name=person.display_name,
        mentions=shown,
        pairs=_pairs(conn, by_id),
        groups=_groups(conn, person_id),
        names=sorted({m.name for m in shown if m.name}),
    )


def _pairs(conn: Connection, by_id: dict[int, PersonMention]) -> list[PairView]:
    ids = sorted(by_id)
    if len(ids) < 2:
        return []
    stored = conn.execute(
        select(match_pairs)
        .where(match_pairs.c.mention_a_id.in_(ids), match_pairs.c.mention_b_id.in_(ids))
        .order_by(
            match_pairs.c.match_weight.desc(),
            match_pairs.c.mention_a_id,
            match_pairs.c.mention_b_id,
        )
    ).all()
    judged: dict[tuple[int, int], str] = {}
    for j in conn.execute(
        select(
            match_judgements.c.mention_a_id,
            match_judgements.c.mention_b_id,
            match_judgements.c.judgement,
        )
        .where(
            match_judgements.c.mention_a_id.in_(ids),
            match_judgements.c.mention_b_id.in_(ids),
            match_judgements.c.revoked_at.is_(None),
        )
        .order_by(match_judgements.c.id)
    ):
        judged[(int(j.mention_a_id), int(j.mention_b_id))] = j.judgement
    legends = load_legends(conn, {int(r.run_id) for r in stored if r.levels is not None})
    compared = compared_of(conn, ids) if legends else {}
    out = []
    for row in stored:
        a, b = by_id[int(row.mention_a_id)], by_id[int(row.mention_b_id)]
        prior, bars = stored_explanation(row, legends, compared)
        out.append(
            PairView(
                mention_a=a.mention_id,
                mention_b=b.mention_id,
                ref_a=a.source_ref,
                ref_b=b.source_ref,
                name_a=a.name,
                name_b=b.name,
                prior=prior,
                bars=bars,
                match_weight=float(row.match_weight),
                match_probability=float(row.match_probability),
                judgement=judged.get((a.mention_id, b.mention_id)),
            )
        )
    return out


def _groups(conn: Connection, person_id: int) -> list[GroupRef]:
    rows = conn.execute(
        select(group_members.c.group_id, group_members.c.role, groups.c.size)
        .join(groups, groups.c.id == group_members.c.group_id)
        .where(group_members.c.person_id == person_id, groups.c.active.is_(True))
        .order_by(group_members.c.group_id)
    ).all()
    return [GroupRef(int(g.group_id), g.role, int(g.size)) for g in rows]


def person_mention_counts(
    conn: Connection, actor: Actor, person_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """person id -> (visible mentions, visible records)."""
    if not person_ids:
        return {}
    rows = conn.execute(
        select(
            mention_person.c.person_id,
            func.count(mentions.c.id),
            func.count(func.distinct(mentions.c.record_id)),
        )
        .join(mentions, and_(mentions.c.id == mention_person.c.mention_id))
        .where(
            mention_person.c.person_id.in_(person_ids),
            visible_records(actor, mentions.c.record_id),
        )
        .group_by(mention_person.c.person_id)
    ).all()
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
