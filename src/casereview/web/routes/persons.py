"""The person page: every visible mention on a timeline, match explanations, judgements, groups."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, insert, select

from casereview.errors import AccessDenied, NotFound
from casereview.model.codes import AuditAction, MatchJudgement, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import (
    group_members,
    groups,
    match_judgements,
    match_pairs,
    mention_person,
    mentions,
    persons,
    records,
)
from casereview.store.access import check_person, visible_records
from casereview.store.db import reading, writing
from casereview.web.auth import Ctx, csrf_checked, guard, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["persons"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
PersonId = Path(..., ge=1, le=2**62)


class PersonMentionOut(BaseModel):
    mention_id: int
    record_id: int
    source_ref: str
    record_type: str
    occurred_at: str | None
    role: str
    name: str | None
    dob: str | None
    postcode: str | None
    match_probability: float | None


class ComparisonOut(BaseModel):
    comparison: str
    level: str | None
    match_weight: float
    value_l: Any = None
    value_r: Any = None


class PairOut(BaseModel):
    mention_a: int
    mention_b: int
    match_weight: float
    match_probability: float
    comparisons: list[ComparisonOut]
    judgement: str | None


class GroupRefOut(BaseModel):
    group_id: int
    role: str
    size: int


class PersonOut(BaseModel):
    id: int
    display_name: str | None
    mentions: list[PersonMentionOut]
    roles_over_time: list[tuple[str, str]]
    pairs: list[PairOut]
    groups: list[GroupRefOut]


def _comparisons(text: str) -> list[ComparisonOut]:
    out = []
    for item in from_json(text, []) or []:
        if isinstance(item, dict):
            out.append(
                ComparisonOut(
                    comparison=str(item.get("comparison", "")),
                    level=None if item.get("level") is None else str(item.get("level")),
                    match_weight=float(item.get("match_weight") or 0.0),
                    value_l=item.get("value_l"),
                    value_r=item.get("value_r"),
                )
            )
    return out


def load_person(conn: Connection, ctx: Ctx, person_id: int) -> PersonOut:
    """The person as the actor may see them: only mentions in records visible to the actor."""
    p = conn.execute(select(persons).where(persons.c.id == person_id)).one()
    rows = conn.execute(
        select(
            mentions.c.id,
            mentions.c.record_id,
            mentions.c.role,
            mentions.c.name_raw,
            mentions.c.forenames,
            mentions.c.surname,
            mentions.c.dob,
            mentions.c.postcode,
            mention_person.c.match_probability,
            records.c.source_ref,
            records.c.record_type,
            records.c.occurred_at,
        )
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .join(records, records.c.id == mentions.c.record_id)
        .where(mention_person.c.person_id == person_id, visible_records(ctx.actor))
        .order_by(records.c.occurred_at, mentions.c.id)
    ).all()
    seen = [r.id for r in rows]
    pairs = (
        conn.execute(
            select(match_pairs)
            .where(match_pairs.c.mention_a_id.in_(seen), match_pairs.c.mention_b_id.in_(seen))
            .order_by(match_pairs.c.mention_a_id, match_pairs.c.mention_b_id)
        ).all()
        if seen
        else []
    )
    judged: dict[tuple[int, int], str] = {}
    if seen:
        for j in conn.execute(
            select(match_judgements)
            .where(
                match_judgements.c.mention_a_id.in_(seen), match_judgements.c.revoked_at.is_(None)
            )
            .order_by(match_judgements.c.id)
        ):
            judged[(j.mention_a_id, j.mention_b_id)] = j.judgement
    member_of = conn.execute(
        select(group_members.c.group_id, group_members.c.role, groups.c.size)
        .join(groups, groups.c.id == group_members.c.group_id)
        .where(group_members.c.person_id == person_id, groups.c.active.is_(True))
        .order_by(group_members.c.group_id)
    ).all()
    return PersonOut(
        id=p.id,
        display_name=p.display_name,
        mentions=[
            PersonMentionOut(
                mention_id=r.id,
                record_id=r.record_id,
                source_ref=r.source_ref,
                record_type=r.record_type,
                occurred_at=r.occurred_at.isoformat() if r.occurred_at else None,
                role=r.role,
                name=r.name_raw or " ".join(x for x in (r.forenames, r.surname) if x) or None,
                dob=r.dob.isoformat() if r.dob else None,
                postcode=r.postcode,
                match_probability=r.match_probability,
            )
            for r in rows
        ],
        roles_over_time=[
            (r.occurred_at.isoformat() if r.occurred_at else "undated", r.role) for r in rows
        ],
        pairs=[
            PairOut(
                mention_a=m.mention_a_id,
                mention_b=m.mention_b_id,
                match_weight=m.match_weight,
                match_probability=m.match_probability,
                comparisons=_comparisons(m.comparison),
                judgement=judged.get((m.mention_a_id, m.mention_b_id)),
            )
            for m in pairs
        ],
        groups=[GroupRefOut(group_id=g.group_id, role=g.role, size=g.size) for g in member_of],
    )


def _person(ctx: Ctx, person_id: int) -> PersonOut:
    with reading(ctx.engine) as conn:
        guard(ctx, conn, check_person, "person", person_id)
        result = load_person(conn, ctx, person_id)
    write_audit(
        ctx, AuditAction.CONSULT, "person", person_id, details={"mentions": len(result.mentions)}
    )
    return result


@router.get("/persons/{person_id}", include_in_schema=False)
def person_page(
    request: Request, person_id: int = PersonId, ctx: Ctx = Depends(signed_in)
) -> Response:
    person = _person(ctx, person_id)
    return page(request, "person.html", {"session": ctx.session, "person": person})


@api.get("/persons/{person_id}", response_model=PersonOut)
def person_api(person_id: int = PersonId, ctx: Ctx = Depends(signed_in)) -> PersonOut:
    """A resolved person: visible mentions, match explanations, judgements, groups (audited)."""
    return _person(ctx, person_id)


class JudgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mention_a: int = Field(..., ge=1, le=2**62)
    mention_b: int = Field(..., ge=1, le=2**62)
    judgement: Literal["same", "not_same", "unsure"]
    reason: str = Field("", max_length=5000)


class JudgementOut(BaseModel):
    judgement_id: int


def _judge(ctx: Ctx, person_id: int, body: JudgementIn) -> int:
    """Record a reviewer's judgement on a pair of this person's mentions (audited as COMBINE)."""
    require(ctx, UserRole.REVIEWER, UserRole.SUPERVISOR, what="match_judgement")
    with reading(ctx.engine) as conn:
        guard(ctx, conn, check_person, "person", person_id)
        ids = {body.mention_a, body.mention_b}
        found = (
            conn.execute(
                select(mentions.c.id).where(
                    mentions.c.id.in_(sorted(ids)), visible_records(ctx.actor, mentions.c.record_id)
                )
            )
            .scalars()
            .all()
        )
    if len(ids) != 2:
        raise NotFound("a judgement needs two different mentions")
    if set(found) != ids:
        write_audit(ctx, AuditAction.DENIED, "mention_pair", f"{body.mention_a}-{body.mention_b}")
        raise AccessDenied("mention not visible")
    a, b = sorted(ids)
    assert ctx.actor.user_id is not None
    with writing(ctx.engine) as conn:
        judgement_id = conn.execute(
            insert(match_judgements).values(
                mention_a_id=a,
                mention_b_id=b,
                judgement=MatchJudgement(body.judgement).value,
                user_id=ctx.actor.user_id,
                reason=body.reason,
                created_at=ctx.now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        write_audit(
            ctx,
            AuditAction.COMBINE,
            "mention_pair",
            f"{a}-{b}",
            details={
                "judgement": body.judgement,
                "judgement_id": judgement_id,
                "person_id": person_id,
            },
            conn=conn,
        )
    return int(judgement_id)


@router.post("/persons/{person_id}/judgements", include_in_schema=False)
def judge_form(
    person_id: int = PersonId,
    mention_a: int = Form(..., ge=1, le=2**62),
    mention_b: int = Form(..., ge=1, le=2**62),
    judgement: Literal["same", "not_same", "unsure"] = Form(...),
    reason: str = Form("", max_length=5000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    _judge(
        ctx,
        person_id,
        JudgementIn(mention_a=mention_a, mention_b=mention_b, judgement=judgement, reason=reason),
    )
    return RedirectResponse(f"/persons/{person_id}", status_code=303)


@api.post("/persons/{person_id}/judgements", response_model=JudgementOut)
def judge_api(
    body: JudgementIn, person_id: int = PersonId, ctx: Ctx = Depends(csrf_checked)
) -> JudgementOut:
    """Same / not same / unsure on two of the person's mentions (reviewers and supervisors)."""
    return JudgementOut(judgement_id=_judge(ctx, person_id, body))


__all__ = ["PersonOut", "api", "load_person", "router"]
