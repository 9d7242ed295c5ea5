"""Workflow actions on review items: start, decide, sign off, return, assign, reopen.

The rules live in `casereview.review.workflow` (it checks role and team, and audits both the
change and any refusal). Here: explicit form fields for pages and `extra="forbid"` JSON
bodies for the API, so a request cannot smuggle team, assignee or status into a decision.
"""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from casereview.model.codes import DecisionOutcome
from casereview.review import workflow
from casereview.review.views import item_subject
from casereview.store.db import reading
from casereview.store.users import assignee_or_nobody
from casereview.web.auth import Ctx, audited, csrf_checked
from casereview.web.render import ErrorOut

router = APIRouter()
api = APIRouter(
    prefix="/api/items",
    tags=["workflow"],
    responses={
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        409: {"model": ErrorOut},
    },
)
ItemId = Path(..., ge=1, le=2**62)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionIn(Strict):
    outcome: DecisionOutcome
    rationale: str = Field(..., min_length=1, max_length=20_000)


class ReasonIn(Strict):
    reason: str = Field(..., min_length=1, max_length=20_000)


class CommentIn(Strict):
    comment: str = Field("", max_length=20_000)


class AssignIn(Strict):
    assignee: str = Field(..., min_length=1, max_length=64)


class EmptyIn(Strict):
    pass


class TransitionOut(BaseModel):
    item_id: int
    transition: str
    from_status: str
    to_status: str
    decision_id: int | None


def _out(t: workflow.Transition) -> TransitionOut:
    return TransitionOut(
        item_id=t.item_id,
        transition=t.transition,
        from_status=t.from_status.value,
        to_status=t.to_status.value,
        decision_id=t.decision_id,
    )


def _back(ctx: Ctx, item_id: int, saved: str) -> Response:
    """Back to the item's subject page, saying what was saved (no Referer: the referrer
    policy withholds it)."""
    with audited(ctx, "review_item", item_id), reading(ctx.engine) as conn:
        subject_type, subject_id = item_subject(conn, ctx.actor, item_id)
    target = f"/{subject_type}s/{subject_id}?saved={saved}#review"
    return RedirectResponse(target, status_code=303)


def _assignee_id(ctx: Ctx, username: str) -> int:
    """The assignee's id, or `NOBODY` for a name the actor may not give work to (unknown, or
    of another team, or not a reviewer): the workflow then checks the item first and refuses
    every such name alike, so an assignment cannot be used to probe usernames."""
    with reading(ctx.engine) as conn:
        return assignee_or_nobody(conn, username, ctx.actor.team_ids)


# ---------------------------------------------------------------- pages (forms)


@router.post("/items/{item_id}/start", include_in_schema=False)
def start_form(item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)) -> Response:
    workflow.start_review(ctx.engine, item_id, actor=ctx.actor)
    return _back(ctx, item_id, "start")


@router.post("/items/{item_id}/decision", include_in_schema=False)
def decide_form(
    item_id: int = ItemId,
    outcome: DecisionOutcome = Form(...),
    rationale: str = Form(..., min_length=1, max_length=20_000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    workflow.decide(ctx.engine, item_id, outcome=outcome, rationale=rationale, actor=ctx.actor)
    return _back(ctx, item_id, "decision")


@router.post("/items/{item_id}/sign-off", include_in_schema=False)
def sign_off_form(
    item_id: int = ItemId,
    comment: str = Form("", max_length=20_000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    workflow.sign_off(ctx.engine, item_id, actor=ctx.actor, comment=comment)
    return _back(ctx, item_id, "sign_off")


@router.post("/items/{item_id}/return", include_in_schema=False)
def return_form(
    item_id: int = ItemId,
    reason: str = Form(..., min_length=1, max_length=20_000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    workflow.return_decision(ctx.engine, item_id, reason=reason, actor=ctx.actor)
    return _back(ctx, item_id, "return")


@router.post("/items/{item_id}/reopen", include_in_schema=False)
def reopen_form(
    item_id: int = ItemId,
    reason: str = Form(..., min_length=1, max_length=20_000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    workflow.reopen(ctx.engine, item_id, reason=reason, actor=ctx.actor)
    return _back(ctx, item_id, "reopen")


@router.post("/items/{item_id}/assign", include_in_schema=False)
def assign_form(
    item_id: int = ItemId,
    assignee: str = Form(..., min_length=1, max_length=64),
    to_team: int | None = Form(None, ge=1, le=2**62),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    workflow.assign(
        ctx.engine,
        item_id,
        assignee_id=_assignee_id(ctx, assignee),
        team_id=to_team,
        actor=ctx.actor,
    )
    return _back(ctx, item_id, "assign")


# ---------------------------------------------------------------- JSON twins


@api.post("/{item_id}/start", response_model=TransitionOut)
def start_api(
    body: EmptyIn, item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)
) -> TransitionOut:
    """The assignee starts work on the item."""
    return _out(workflow.start_review(ctx.engine, item_id, actor=ctx.actor))


@api.post("/{item_id}/decision", response_model=TransitionOut)
def decide_api(
    body: DecisionIn, item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)
) -> TransitionOut:
    """The assignee records a decision; any field besides outcome and rationale is refused (422)."""
    return _out(
        workflow.decide(
            ctx.engine, item_id, outcome=body.outcome, rationale=body.rationale, actor=ctx.actor
        )
    )


@api.post("/{item_id}/sign-off", response_model=TransitionOut)
def sign_off_api(
    body: CommentIn, item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)
) -> TransitionOut:
    """A supervisor of the item's team (not the decider) signs the decision off."""
    return _out(workflow.sign_off(ctx.engine, item_id, actor=ctx.actor, comment=body.comment))


@api.post("/{item_id}/return", response_model=TransitionOut)
def return_api(
    body: ReasonIn, item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)
) -> TransitionOut:
    """A supervisor returns the decision to the reviewer with a reason."""
    return _out(workflow.return_decision(ctx.engine, item_id, reason=body.reason, actor=ctx.actor))


@api.post("/{item_id}/reopen", response_model=TransitionOut)
def reopen_api(
    body: ReasonIn, item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)
) -> TransitionOut:
    """A supervisor reopens a closed item with a reason."""
    return _out(workflow.reopen(ctx.engine, item_id, reason=body.reason, actor=ctx.actor))


@api.post("/{item_id}/assign", response_model=TransitionOut)
def assign_api(
    body: AssignIn, item_id: int = ItemId, ctx: Ctx = Depends(csrf_checked)
) -> TransitionOut:
    """A supervisor allocates the item to a member of its team."""
    return _out(
        workflow.assign(
            ctx.engine, item_id, assignee_id=_assignee_id(ctx, body.assignee), actor=ctx.actor
        )
    )


__all__ = ["DecisionIn", "TransitionOut", "api", "router"]
