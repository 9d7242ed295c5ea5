"""The record page: source fields, narrative, persons, objects, places, typology, findings,
indicators, the review item with its decision history."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Connection, or_, select

from casereview.model.codes import AuditAction, DecisionOutcome, SubjectType, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    decisions,
    flag_findings,
    indicators,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    record_locations,
    record_objects,
    records,
    review_items,
    sources,
    teams,
    users,
)
from casereview.store.access import check_record
from casereview.store.db import reading
from casereview.web.auth import Ctx, guard, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["records"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
RecordId = Path(..., ge=1, le=2**62)


class MentionOut(BaseModel):
    mention_id: int
    role: str
    name: str | None
    dob: str | None
    age_at_event: int | None
    sex: str | None
    relationship: str | None
    person_id: int | None
    person_name: str | None
    match_probability: float | None


class ObjectOut(BaseModel):
    kind: str
    value: str
    relation: str | None


class PlaceOut(BaseModel):
    address: str | None
    postcode: str | None
    borough: str | None
    location_type: str | None
    relation: str | None


class EvidenceOut(BaseModel):
    code: str
    strength: float | None = None
    rule_ids: list[str] = []
    evidence: Any = None


class DecisionOut(BaseModel):
    kind: str
    outcome: str | None
    rationale: str
    user: str
    created_at: str


class ReviewOut(BaseModel):
    item_id: int
    status: str
    team: str | None
    assigned_to: str | None
    priority: float
    score_breakdown: Any
    needs_another_look: bool
    decisions: list[DecisionOut]


class RecordOut(BaseModel):
    id: int
    source: str
    source_ref: str
    record_type: str
    occurred_at: str | None
    occurred_to: str | None
    recorded_at: str | None
    closed_at: str | None
    borough: str | None
    cse_flag: bool | None
    factors: list[str]
    offence: str | None
    outcome: str | None
    referral_made: bool | None
    narrative: str | None
    persons: list[MentionOut]
    objects: list[ObjectOut]
    places: list[PlaceOut]
    typology: list[EvidenceOut]
    findings: list[EvidenceOut]
    indicators: list[EvidenceOut]
    review: ReviewOut | None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def review_of(conn: Connection, subject_type: str, subject_id: int, ctx: Ctx) -> ReviewOut | None:
    """The review item of a subject with its history, when the actor's teams hold it."""
    if ctx.actor.role not in (UserRole.REVIEWER, UserRole.SUPERVISOR):
        return None
    item = conn.execute(
        select(review_items, teams.c.name.label("team"), users.c.username.label("assignee"))
        .outerjoin(teams, teams.c.id == review_items.c.team_id)
        .outerjoin(users, users.c.id == review_items.c.assigned_to)
        .where(review_items.c.subject_type == subject_type, review_items.c.subject_id == subject_id)
    ).first()
    if item is None or item.team_id not in ctx.actor.team_ids:
        return None
    history = conn.execute(
        select(decisions, users.c.username)
        .join(users, users.c.id == decisions.c.user_id)
        .where(decisions.c.review_item_id == item.id)
        .order_by(decisions.c.created_at, decisions.c.id)
    ).all()
    return ReviewOut(
        item_id=item.id,
        status=item.status,
        team=item.team,
        assigned_to=item.assignee,
        priority=item.priority,
        score_breakdown=from_json(item.score_breakdown, {}),
        needs_another_look=bool(item.needs_another_look),
        decisions=[
            DecisionOut(
                kind=d.kind,
                outcome=d.outcome,
                rationale=d.rationale,
                user=d.username,
                created_at=_iso(d.created_at) or "",
            )
            for d in history
        ],
    )


def load_record(conn: Connection, ctx: Ctx, record_id: int) -> RecordOut:
    """Everything the record page shows (access already checked)."""
    r = conn.execute(
        select(records, sources.c.name.label("source_name"))
        .join(sources, sources.c.id == records.c.source_id)
        .where(records.c.id == record_id)
    ).one()
    people = conn.execute(
        select(
            mentions,
            mention_person.c.person_id,
            mention_person.c.match_probability,
            persons.c.display_name.label("person_name"),
        )
        .outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id)
        .outerjoin(persons, persons.c.id == mention_person.c.person_id)
        .where(mentions.c.record_id == record_id)
        .order_by(mentions.c.id)
    ).all()
    objs = conn.execute(
        select(objects.c.kind, objects.c.value, record_objects.c.relation)
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(record_objects.c.record_id == record_id)
        .order_by(objects.c.kind, objects.c.value)
    ).all()
    places = conn.execute(
        select(locations, record_locations.c.relation)
        .join(locations, locations.c.id == record_locations.c.location_id)
        .where(record_locations.c.record_id == record_id)
        .order_by(record_locations.c.id)
    ).all()
    typology = conn.execute(
        select(classifications)
        .where(classifications.c.record_id == record_id)
        .order_by(classifications.c.label)
    ).all()
    findings = conn.execute(
        select(flag_findings)
        .where(flag_findings.c.record_id == record_id)
        .order_by(flag_findings.c.code)
    ).all()
    flags = conn.execute(
        select(indicators)
        .where(
            or_(
                indicators.c.record_id == record_id,
                (indicators.c.subject_type == SubjectType.RECORD.value)
                & (indicators.c.subject_id == record_id),
            )
        )
        .order_by(indicators.c.code)
    ).all()
    return RecordOut(
        id=r.id,
        source=r.source_name,
        source_ref=r.source_ref,
        record_type=r.record_type,
        occurred_at=_iso(r.occurred_at),
        occurred_to=_iso(r.occurred_to),
        recorded_at=_iso(r.recorded_at),
        closed_at=_iso(r.closed_at),
        borough=r.borough,
        cse_flag=r.cse_flag,
        factors=from_json(r.factors, []),
        offence=r.offence,
        outcome=r.outcome,
        referral_made=r.referral_made,
        narrative=r.narrative,
        persons=[
            MentionOut(
                mention_id=m.id,
                role=m.role,
                name=m.name_raw or " ".join(p for p in (m.forenames, m.surname) if p) or None,
                dob=_iso(m.dob),
                age_at_event=m.age_at_event,
                sex=m.sex,
                relationship=m.relationship,
                person_id=m.person_id,
                person_name=m.person_name,
                match_probability=m.match_probability,
            )
            for m in people
        ],
        objects=[ObjectOut(kind=o.kind, value=o.value, relation=o.relation) for o in objs],
        places=[
            PlaceOut(
                address=p.address,
                postcode=p.postcode,
                borough=p.borough,
                location_type=p.location_type,
                relation=p.relation,
            )
            for p in places
        ],
        typology=[
            EvidenceOut(
                code=c.label,
                strength=c.strength,
                rule_ids=from_json(c.rule_ids, []),
                evidence=from_json(c.evidence),
            )
            for c in typology
        ],
        findings=[EvidenceOut(code=f.code, evidence=from_json(f.evidence)) for f in findings],
        indicators=[EvidenceOut(code=i.code, evidence=from_json(i.evidence)) for i in flags],
        review=review_of(conn, SubjectType.RECORD.value, record_id, ctx),
    )


def _record(ctx: Ctx, record_id: int) -> RecordOut:
    with reading(ctx.engine) as conn:
        guard(ctx, conn, check_record, "record", record_id)
        result = load_record(conn, ctx, record_id)
    write_audit(ctx, AuditAction.CONSULT, "record", record_id)
    return result


@router.get("/records/{record_id}", include_in_schema=False)
def record_page(
    request: Request,
    record_id: int = RecordId,
    ctx: Ctx = Depends(signed_in),
) -> Response:
    record = _record(ctx, record_id)
    return page(
        request,
        "record.html",
        {"session": ctx.session, "record": record, "outcomes": list(DecisionOutcome)},
    )


@api.get("/records/{record_id}", response_model=RecordOut)
def record_api(record_id: int = RecordId, ctx: Ctx = Depends(signed_in)) -> RecordOut:
    """One record with everything derived from it (viewing it is audited)."""
    return _record(ctx, record_id)


__all__ = ["RecordOut", "ReviewOut", "api", "load_record", "review_of", "router"]
