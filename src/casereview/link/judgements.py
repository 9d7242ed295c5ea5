"""Human match judgements: "same", "not same" or "unsure" on a pair of mentions.

A judgement is human work, never derived output: it survives every re-link and is only
ever revoked (with who and when), never deleted. Recording or revoking one is audited as a
combination of data. Judgements take effect at the next `casereview link` run (which always
honours them: "not same" separates the two mentions, "same" joins them); they do not
re-cluster on their own, so that every change to persons happens inside a recorded run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update

from casereview.errors import NotFound, ValidationError
from casereview.link.cluster import Judgement
from casereview.model.codes import AuditAction, MatchJudgement
from casereview.model.tables import match_judgements, mentions, users
from casereview.store import audit
from casereview.store.db import writing
from casereview.store.runs import utc_now

__all__ = ["JudgementRecord", "active_judgements", "record_judgement", "revoke_judgement"]


@dataclass(frozen=True)
class JudgementRecord:
    """A stored judgement, as returned to the caller."""

    id: int
    mention_a: int
    mention_b: int
    judgement: str
    user_id: int
    reason: str


def _username(conn: Connection, user_id: int) -> str:
    name = conn.execute(select(users.c.username).where(users.c.id == user_id)).scalar()
    if name is None:
        raise NotFound(f"no user with id {user_id}")
    return str(name)


def record_judgement(
    engine: Engine,
    mention_a: int,
    mention_b: int,
    judgement: MatchJudgement | str,
    user_id: int,
    reason: str,
) -> JudgementRecord:
    """Store a judgement on two mentions (lower id first) and audit it. Effective from the
    next link run. An earlier standing judgement on the same pair is revoked by this one."""
    value = MatchJudgement.parse(judgement)
    if value is None:
        raise ValidationError(f"unknown judgement {judgement!r}: use same, not_same or unsure")
    if not reason or not reason.strip():
        raise ValidationError("a judgement needs a reason")
    a, b = sorted((int(mention_a), int(mention_b)))
    if a == b:
        raise ValidationError("a judgement needs two different mentions")
    now = utc_now()
    with writing(engine) as conn:
        actor = _username(conn, user_id)
        found = conn.execute(select(mentions.c.id).where(mentions.c.id.in_([a, b]))).scalars()
        if len(set(found)) != 2:
            raise NotFound(f"mentions {a} and {b} must both exist")
        earlier = (
            conn.execute(
                select(match_judgements.c.id).where(
                    match_judgements.c.mention_a_id == a,
                    match_judgements.c.mention_b_id == b,
                    match_judgements.c.revoked_at.is_(None),
                )
            )
            .scalars()
            .all()
        )
        if earlier:
            conn.execute(
                update(match_judgements)
                .where(match_judgements.c.id.in_(earlier))
                .values(revoked_at=now, revoked_by=user_id)
            )
        new_id = conn.execute(
            insert(match_judgements)
            .values(
                mention_a_id=a,
                mention_b_id=b,
                judgement=value.value,
                user_id=user_id,
                reason=reason.strip(),
                created_at=now,
            )
            .returning(match_judgements.c.id)
        ).scalar_one()
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.COMBINE,
            object_type="match_judgement",
            object_id=new_id,
            purpose=reason.strip(),
            details={
                "mention_a": a,
                "mention_b": b,
                "judgement": value.value,
                "replaces": list(earlier),
                "effective": "next link run",
            },
        )
    return JudgementRecord(int(new_id), a, b, value.value, user_id, reason.strip())


def revoke_judgement(engine: Engine, judgement_id: int, user_id: int, reason: str) -> None:
    """Revoke a standing judgement (it stays stored, marked revoked) and audit it."""
    if not reason or not reason.strip():
        raise ValidationError("revoking a judgement needs a reason")
    with writing(engine) as conn:
        actor = _username(conn, user_id)
        row = conn.execute(
            select(match_judgements).where(match_judgements.c.id == judgement_id)
        ).first()
        if row is None:
            raise NotFound(f"no match judgement with id {judgement_id}")
        if row.revoked_at is not None:
            raise ValidationError(f"match judgement {judgement_id} is already revoked")
        conn.execute(
            update(match_judgements)
            .where(match_judgements.c.id == judgement_id)
            .values(revoked_at=utc_now(), revoked_by=user_id)
        )
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.COMBINE,
            object_type="match_judgement",
            object_id=judgement_id,
            purpose=reason.strip(),
            details={
                "revoked": True,
                "mention_a": row.mention_a_id,
                "mention_b": row.mention_b_id,
                "judgement": row.judgement,
                "effective": "next link run",
            },
        )


def active_judgements(conn: Connection) -> list[Judgement]:
    """Every standing (not revoked) judgement, oldest first."""
    rows = conn.execute(
        select(
            match_judgements.c.mention_a_id,
            match_judgements.c.mention_b_id,
            match_judgements.c.judgement,
        )
        .where(match_judgements.c.revoked_at.is_(None))
        .order_by(match_judgements.c.id)
    ).all()
    return [Judgement(int(a), int(b), str(j)) for a, b, j in rows]
