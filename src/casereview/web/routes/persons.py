"""The person page: every visible mention on a timeline, why pairs of mentions were linked
(the match waterfall, as text and as a chart), human judgements, and the person's groups."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from casereview.errors import NotFound
from casereview.link.matches import judge_match
from casereview.link.views import PersonView, person_view
from casereview.model.codes import AuditAction, UserRole
from casereview.store.db import reading
from casereview.web.auth import Ctx, audited, csrf_checked, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["persons"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
PersonId = Path(..., ge=1, le=2**62)


def _person(ctx: Ctx, person_id: int) -> PersonView:
    with audited(ctx, "person", person_id), reading(ctx.engine) as conn:
        result = person_view(conn, ctx.actor, person_id)
    write_audit(
        ctx,
        AuditAction.CONSULT,
        "person",
        person_id,
        # The records the page showed, not a count (issue 22, item 13).
        details={"records": sorted({m.record_id for m in result.mentions})},
    )
    return result


@router.get("/persons/{person_id}", include_in_schema=False)
def person_page(
    request: Request, person_id: int = PersonId, ctx: Ctx = Depends(signed_in)
) -> Response:
    person = _person(ctx, person_id)
    saved = request.query_params.get("judged")
    return page(
        request,
        "person.html",
        {"session": ctx.session, "person": person, "judged": saved},
    )


@api.get("/persons/{person_id}", response_model=PersonView)
def person_api(person_id: int = PersonId, ctx: Ctx = Depends(signed_in)) -> PersonView:
    """A resolved person: visible mentions, match explanations, judgements, groups (audited)."""
    return _person(ctx, person_id)


class JudgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mention_a: int = Field(..., ge=1, le=2**62)
    mention_b: int = Field(..., ge=1, le=2**62)
    judgement: Literal["same", "not_same", "unsure"]
    reason: str = Field(..., min_length=1, max_length=5000)


class JudgementOut(BaseModel):
    judgement_id: int


def _judge(ctx: Ctx, person_id: int, body: JudgementIn) -> int:
    """A reviewer's judgement on two visible mentions (recorded and audited by the link stage)."""
    require(ctx, UserRole.REVIEWER, UserRole.SUPERVISOR, what="match_judgement")
    ids = {body.mention_a, body.mention_b}
    if len(ids) != 2:
        raise NotFound("a judgement needs two different mentions")
    with audited(ctx, "person", person_id), reading(ctx.engine) as conn:
        shown = {m.mention_id for m in person_view(conn, ctx.actor, person_id).mentions}
    if not ids <= shown:
        # The page judges its own person's mentions (the pairs it shows); a mention of anyone
        # else is refused before anything is recorded or audited under this person.
        raise NotFound("a judgement here names two mentions of this person")
    # The one path of every judgement (library, command line, both web pages): both records
    # visible to the actor, then `record_judgement`, which supersedes and audits.
    with audited(ctx, "mention_pair", f"{body.mention_a}-{body.mention_b}"):
        saved = judge_match(
            ctx.engine, ctx.actor, body.mention_a, body.mention_b, body.judgement, body.reason
        )
    return saved.id


@router.post("/persons/{person_id}/judgements", include_in_schema=False)
def judge_form(
    person_id: int = PersonId,
    mention_a: int = Form(..., ge=1, le=2**62),
    mention_b: int = Form(..., ge=1, le=2**62),
    judgement: Literal["same", "not_same", "unsure"] = Form(...),
    reason: str = Form(..., min_length=1, max_length=5000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    body = JudgementIn(mention_a=mention_a, mention_b=mention_b, judgement=judgement, reason=reason)
    _judge(ctx, person_id, body)
    pair = f"{min(mention_a, mention_b)}-{max(mention_a, mention_b)}"
    return RedirectResponse(f"/persons/{person_id}?judged={pair}#pair-{pair}", status_code=303)


@api.post("/persons/{person_id}/judgements", response_model=JudgementOut)
def judge_api(
    body: JudgementIn, person_id: int = PersonId, ctx: Ctx = Depends(csrf_checked)
) -> JudgementOut:
    """Same / not same / unsure on two of the person's mentions, with a reason (reviewers and
    supervisors); it takes effect at the next link run."""
    return JudgementOut(judgement_id=_judge(ctx, person_id, body))
