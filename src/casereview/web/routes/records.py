"""The record page: source fields, narrative, persons (with the age at the event), objects,
places, the groups its persons belong to, typology, findings and indicators as sentences, and
the review item with its priority reasons, history and the decision form."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from casereview.ingest.views import RecordView, record_view
from casereview.model.codes import AuditAction, DecisionOutcome, SubjectType
from casereview.network.views import RecordGroup, groups_of_record
from casereview.review.evidence import SubjectEvidence, subject_evidence
from casereview.review.views import ItemView, item_for_subject
from casereview.store.db import reading
from casereview.web.auth import Ctx, audited, signed_in, write_audit
from casereview.web.render import ErrorOut, page

__all__ = ["RecordPage", "api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["records"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
RecordId = Path(..., ge=1, le=2**62)


@dataclass(frozen=True)
class RecordPage:
    record: RecordView
    groups: list[RecordGroup]
    evidence: SubjectEvidence
    review: ItemView | None


def _record(ctx: Ctx, record_id: int) -> RecordPage:
    with audited(ctx, "record", record_id), reading(ctx.engine) as conn:
        result = RecordPage(
            record=record_view(conn, ctx.actor, record_id),
            groups=groups_of_record(conn, ctx.actor, record_id),
            evidence=subject_evidence(conn, ctx.actor, SubjectType.RECORD, record_id),
            review=item_for_subject(conn, ctx.actor, SubjectType.RECORD, record_id),
        )
    write_audit(ctx, AuditAction.CONSULT, "record", record_id)
    return result


@router.get("/records/{record_id}", include_in_schema=False)
def record_page(
    request: Request, record_id: int = RecordId, ctx: Ctx = Depends(signed_in)
) -> Response:
    result = _record(ctx, record_id)
    return page(
        request,
        "record.html",
        {
            "session": ctx.session,
            "p": result,
            "record": result.record,
            "review": result.review,
            "evidence": result.evidence,
            "outcomes": list(DecisionOutcome),
            "saved": request.query_params.get("saved"),
        },
    )


@api.get("/records/{record_id}", response_model=RecordPage)
def record_api(record_id: int = RecordId, ctx: Ctx = Depends(signed_in)) -> RecordPage:
    """One record with everything derived from it (viewing it is audited)."""
    return _record(ctx, record_id)
