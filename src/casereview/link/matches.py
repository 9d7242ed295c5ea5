"""Possible matches: the pairs of mentions a human should look at, and judging them.

Two kinds of pair come from the last link run's scored pairs (`match_pairs`):

- **near miss**: scored just under the match threshold (within `link.near_miss_margin` of it)
  and left in two different persons;
- **split**: scored at or over the threshold and still in two different persons (a "not same"
  judgement, or a guard of the link stage, kept them apart).

Pairs with a standing judgement stay in the queue, marked with it, and with whether the
current persons already agree with it (a judgement takes effect at the next link run).

Judging goes through the one judgement function, `link.judgements.record_judgement`, after
the access checks: the actor's role, and both mentions' records visible to the actor.
A reviewer or supervisor only ever sees pairs whose two records their teams may see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from casereview.errors import NotFound, StageError
from casereview.link.explain import Explanation, explain_pair
from casereview.link.judgements import JudgementRecord, record_judgement
from casereview.model.codes import MatchJudgement, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import (
    match_judgements,
    match_pairs,
    mention_person,
    mentions,
    records,
    sources,
    users,
)
from casereview.settings import get_settings
from casereview.store.access import Actor, check_record, require_role, visible_records
from casereview.store.db import id_batches, reading
from casereview.store.runs import latest_run

__all__ = [
    "JUDGES",
    "MatchCounts",
    "MatchDetail",
    "MentionSide",
    "PossibleMatch",
    "excerpt",
    "judge_match",
    "match_counts",
    "possible_matches",
    "show_match",
]

# Who may judge a possible match (analysts work the queue; reviewers and supervisors judge
# pairs of records their teams see, as on the person page).
JUDGES = (UserRole.ANALYST, UserRole.REVIEWER, UserRole.SUPERVISOR)
KINDS = ("near_miss", "split", "judged")
STATUSES = ("open", "judged")


@dataclass(frozen=True)
class PossibleMatch:
    """A pair in the queue: its score, where each side sits now, and any standing judgement."""

    mention_a: int
    mention_b: int
    kind: str  # near_miss | split | judged (a judged pair the last run did not keep)
    match_weight: float | None
    match_probability: float | None
    person_a: int | None
    person_b: int | None
    judgement: str | None = None
    judged_by: str | None = None
    judged_at: str | None = None
    reason: str | None = None

    @property
    def status(self) -> str:
        return "open" if self.judgement is None else "judged"

    @property
    def in_effect(self) -> bool | None:
        """Whether the current persons agree with the standing judgement (None: nothing to
        agree with, i.e. no judgement or "unsure")."""
        if self.judgement == MatchJudgement.SAME.value:
            return self.person_a is not None and self.person_a == self.person_b
        if self.judgement == MatchJudgement.NOT_SAME.value:
            return self.person_a != self.person_b
        return None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status, "in_effect": self.in_effect}


@dataclass(frozen=True)
class MatchCounts:
    """The queue in numbers (for the supervisor page)."""

    near_miss_open: int
    split_open: int
    judged: int
    awaiting_link_run: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class MentionSide:
    """One side of a pair as the queue shows it: the mention and its record."""

    mention_id: int
    person_id: int | None
    name: str | None
    role: str
    dob: str | None
    postcode: str | None
    source: str
    source_ref: str
    record_id: int
    record_type: str
    occurred_at: str | None
    excerpt: str | None


@dataclass
class MatchDetail:
    """A pair with both records side by side and the waterfalls: the pair's own, and for each
    side the strongest scored pair that holds it in its current person (None if alone)."""

    match: PossibleMatch
    side_a: MentionSide
    side_b: MentionSide
    pair: Explanation
    holds_a: Explanation | None = None
    holds_b: Explanation | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "match": self.match.as_dict(),
            "side_a": asdict(self.side_a),
            "side_b": asdict(self.side_b),
            "pair": self.pair.to_dict(),
            "holds_a": self.holds_a.to_dict() if self.holds_a else None,
            "holds_b": self.holds_b.to_dict() if self.holds_b else None,
            "history": self.history,
        }


def _threshold(conn: Connection) -> float:
    run = latest_run(conn, "link")
    if run is None:
        raise StageError("no link run yet: run `casereview link` first")
    params = from_json(run["parameters"], {})
    return float(params.get("match_weight_threshold", get_settings().link.match_weight_threshold))


def _standing(conn: Connection) -> dict[tuple[int, int], Any]:
    """(mention_a, mention_b) -> the standing judgement row (with the judge's username)."""
    rows = conn.execute(
        select(
            match_judgements.c.mention_a_id,
            match_judgements.c.mention_b_id,
            match_judgements.c.judgement,
            match_judgements.c.reason,
            match_judgements.c.created_at,
            users.c.username,
        )
        .join(users, users.c.id == match_judgements.c.user_id)
        .where(match_judgements.c.revoked_at.is_(None))
        .order_by(match_judgements.c.id)
    ).all()
    return {(int(r.mention_a_id), int(r.mention_b_id)): r for r in rows}


def _visible_mentions(conn: Connection, actor: Actor, ids: set[int]) -> dict[int, int | None]:
    """mention id -> person id, for the mentions among `ids` whose records `actor` may see."""
    out: dict[int, int | None] = {}
    for part in id_batches(ids):
        rows = conn.execute(
            select(mentions.c.id, mention_person.c.person_id)
            .outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
            .where(mentions.c.id.in_(part), visible_records(actor, mentions.c.record_id))
        ).all()
        out.update({int(m): (int(p) if p is not None else None) for m, p in rows})
    return out


def possible_matches(
    conn: Connection,
    actor: Actor,
    *,
    kind: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[PossibleMatch]:
    """The queue, strongest pairs first: near misses, splits and judged pairs whose two
    records `actor` may see. `kind` and `status` ("open" or "judged") filter it."""
    require_role(actor, *JUDGES)
    if kind is not None and kind not in KINDS:
        raise NotFound(f"no kind {kind!r}: use one of {', '.join(KINDS)}")
    if status is not None and status not in STATUSES:
        raise NotFound(f"no status {status!r}: use one of {', '.join(STATUSES)}")
    threshold = _threshold(conn)
    floor = threshold - get_settings().link.near_miss_margin
    person_a, person_b = mention_person.alias("pa"), mention_person.alias("pb")
    scored = conn.execute(
        select(
            match_pairs.c.mention_a_id,
            match_pairs.c.mention_b_id,
            match_pairs.c.match_weight,
            match_pairs.c.match_probability,
        )
        .join(person_a, person_a.c.mention_id == match_pairs.c.mention_a_id)
        .join(person_b, person_b.c.mention_id == match_pairs.c.mention_b_id)
        .where(person_a.c.person_id != person_b.c.person_id, match_pairs.c.match_weight >= floor)
    ).all()
    standing = _standing(conn)
    found: dict[tuple[int, int], tuple[str, float | None, float | None]] = {}
    for a, b, weight, prob in scored:
        key = (min(int(a), int(b)), max(int(a), int(b)))
        found[key] = ("split" if weight >= threshold else "near_miss", float(weight), float(prob))
    unscored = [k for k in standing if k not in found]
    for key in unscored:
        found[key] = ("judged", None, None)
    if unscored:  # a judged pair the last run scored (e.g. now within one person)
        ors = [
            and_(match_pairs.c.mention_a_id == a, match_pairs.c.mention_b_id == b)
            for a, b in unscored
        ]
        for a, b, weight, prob in conn.execute(
            select(
                match_pairs.c.mention_a_id,
                match_pairs.c.mention_b_id,
                match_pairs.c.match_weight,
                match_pairs.c.match_probability,
            ).where(or_(*ors))
        ).all():
            found[(int(a), int(b))] = ("judged", float(weight), float(prob))
    visible = _visible_mentions(conn, actor, {m for key in found for m in key})
    out: list[PossibleMatch] = []
    for (a, b), (pair_kind, weight, prob) in found.items():
        if a not in visible or b not in visible:
            continue
        judged = standing.get((a, b))
        match = PossibleMatch(
            mention_a=a,
            mention_b=b,
            kind=pair_kind,
            match_weight=weight,
            match_probability=prob,
            person_a=visible[a],
            person_b=visible[b],
            judgement=judged.judgement if judged is not None else None,
            judged_by=judged.username if judged is not None else None,
            judged_at=judged.created_at.isoformat() if judged is not None else None,
            reason=judged.reason if judged is not None else None,
        )
        if (kind is None or match.kind == kind) and (status is None or match.status == status):
            out.append(match)
    out.sort(
        key=lambda m: (
            -(m.match_weight if m.match_weight is not None else -1e9),
            m.mention_a,
            m.mention_b,
        )
    )
    return out[:limit] if limit is not None else out


def match_counts(conn: Connection, actor: Actor) -> MatchCounts:
    """Open near misses, open splits, judged pairs and those a link run has yet to apply."""
    queue = possible_matches(conn, actor)
    return MatchCounts(
        near_miss_open=sum(1 for m in queue if m.kind == "near_miss" and m.status == "open"),
        split_open=sum(1 for m in queue if m.kind == "split" and m.status == "open"),
        judged=sum(1 for m in queue if m.status == "judged"),
        awaiting_link_run=sum(1 for m in queue if m.in_effect is False),
    )


def _side(conn: Connection, mention_id: int) -> MentionSide:
    row = conn.execute(
        select(
            mentions.c.id,
            mention_person.c.person_id,
            mentions.c.name_raw,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.role,
            mentions.c.dob,
            mentions.c.dob_raw,
            mentions.c.postcode,
            sources.c.name.label("source"),
            records.c.source_ref,
            records.c.id.label("record_id"),
            records.c.record_type,
            records.c.occurred_at,
            records.c.narrative,
        )
        .join(records, records.c.id == mentions.c.record_id)
        .join(sources, sources.c.id == records.c.source_id)
        .outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
        .where(mentions.c.id == mention_id)
    ).one()
    name = row.name_raw or " ".join(p for p in (row.forenames, row.surname) if p) or None
    dob = row.dob.isoformat() if row.dob else row.dob_raw
    return MentionSide(
        mention_id=int(row.id),
        person_id=int(row.person_id) if row.person_id is not None else None,
        name=name,
        role=row.role,
        dob=dob,
        postcode=row.postcode,
        source=row.source,
        source_ref=row.source_ref,
        record_id=int(row.record_id),
        record_type=row.record_type,
        occurred_at=row.occurred_at.isoformat() if row.occurred_at else None,
        excerpt=excerpt(row.narrative),
    )


def excerpt(text: str | None, limit: int = 160) -> str | None:
    """The first `limit` characters of a narrative, cut at a word, with an ellipsis if cut."""
    if not text:
        return None
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _holding_pair(conn: Connection, mention_id: int, other: int) -> tuple[int, int] | None:
    """The strongest stored pair joining `mention_id` to another mention of its own person."""
    person = conn.execute(
        select(mention_person.c.person_id).where(mention_person.c.mention_id == mention_id)
    ).scalar()
    if person is None:
        return None
    mates = select(mention_person.c.mention_id).where(
        mention_person.c.person_id == person,
        mention_person.c.mention_id != mention_id,
        mention_person.c.mention_id != other,
    )
    row = conn.execute(
        select(match_pairs.c.mention_a_id, match_pairs.c.mention_b_id)
        .where(
            or_(
                and_(
                    match_pairs.c.mention_a_id == mention_id, match_pairs.c.mention_b_id.in_(mates)
                ),
                and_(
                    match_pairs.c.mention_b_id == mention_id, match_pairs.c.mention_a_id.in_(mates)
                ),
            )
        )
        .order_by(match_pairs.c.match_weight.desc(), match_pairs.c.mention_a_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    a, b = int(row.mention_a_id), int(row.mention_b_id)
    return (a, b) if a == mention_id else (b, a)


def show_match(engine: Engine, actor: Actor, mention_a: int, mention_b: int) -> MatchDetail:
    """A pair of the queue (or any pair the actor may see) with both records and waterfalls."""
    require_role(actor, *JUDGES)
    a, b = sorted((int(mention_a), int(mention_b)))
    with reading(engine) as conn:
        record_of = dict(
            conn.execute(
                select(mentions.c.id, mentions.c.record_id).where(mentions.c.id.in_([a, b]))
            ).all()
        )
        if len(record_of) != 2 or a == b:
            raise NotFound(f"mentions {a} and {b} must be two existing mentions")
        for m in (a, b):
            check_record(conn, actor, int(record_of[m]))
        listed = {(m.mention_a, m.mention_b): m for m in possible_matches(conn, actor)}
        side_a, side_b = _side(conn, a), _side(conn, b)
        holds = (_holding_pair(conn, a, b), _holding_pair(conn, b, a))
        history = [
            {
                "judgement": r.judgement,
                "by": r.username,
                "at": r.created_at.isoformat(),
                "reason": r.reason,
                "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            }
            for r in conn.execute(
                select(
                    match_judgements.c.judgement,
                    match_judgements.c.reason,
                    match_judgements.c.created_at,
                    match_judgements.c.revoked_at,
                    users.c.username,
                )
                .join(users, users.c.id == match_judgements.c.user_id)
                .where(match_judgements.c.mention_a_id == a, match_judgements.c.mention_b_id == b)
                .order_by(match_judgements.c.id)
            ).all()
        ]
    pair = explain_pair(engine, a, b)
    match = listed.get((a, b)) or PossibleMatch(
        a, b, "judged" if history else "other", pair.match_weight, pair.match_probability,
        side_a.person_id, side_b.person_id,
    )  # fmt: skip
    detail = MatchDetail(match, side_a, side_b, pair, history=history)
    if holds[0] is not None:
        detail.holds_a = explain_pair(engine, *holds[0])
    if holds[1] is not None:
        detail.holds_b = explain_pair(engine, *holds[1])
    return detail


def judge_match(
    engine: Engine,
    actor: Actor,
    mention_a: int,
    mention_b: int,
    judgement: MatchJudgement | str,
    reason: str,
) -> JudgementRecord:
    """Record a human judgement on a pair (effective at the next link run), after checking
    that the actor may judge and may see both records. The one judgement function records it,
    supersedes any earlier standing judgement on the pair and audits both."""
    require_role(actor, *JUDGES)
    if actor.user_id is None:
        raise NotFound("a judgement needs a signed-in user")
    with reading(engine) as conn:
        record_of = dict(
            conn.execute(
                select(mentions.c.id, mentions.c.record_id).where(
                    mentions.c.id.in_([int(mention_a), int(mention_b)])
                )
            ).all()
        )
        for m in (int(mention_a), int(mention_b)):
            if m not in record_of:
                raise NotFound(f"no mention {m}")
            check_record(conn, actor, int(record_of[m]))
    return record_judgement(engine, mention_a, mention_b, judgement, actor.user_id, reason)
