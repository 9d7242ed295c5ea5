"""Possible matches: the queue, a pair with both records and the waterfalls, and one-click
same / not same / unsure with a reason (through the one judgement function), and the counts
for the supervisor page. Listing and showing are consultations; a refusal is audited."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from casereview.errors import AccessDenied
from casereview.link.matches import (
    judge_match,
    match_counts,
    possible_matches,
    show_match,
)
from casereview.model.codes import AuditAction
from casereview.store.db import reading
from casereview.web.auth import Ctx, csrf_checked, signed_in, write_audit
from casereview.web.render import ErrorOut, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["matches"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
T = TypeVar("T")


class JudgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    judgement: Literal["same", "not_same", "unsure"]
    reason: str = Field(..., min_length=1, max_length=5000)


def _audited(ctx: Ctx, what: str, work: Callable[[], T]) -> T:
    try:
        return work()
    except AccessDenied:
        write_audit(
            ctx, AuditAction.DENIED, "function", what, details={"path": ctx.request.url.path}
        )
        raise


def _queue(ctx: Ctx, kind: str | None, status: str | None, limit: int) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        with reading(ctx.engine) as conn:
            queue = possible_matches(conn, ctx.actor, kind=kind, status=status, limit=limit)
            counts = match_counts(conn, ctx.actor)
        return {"counts": counts.as_dict(), "pairs": [m.as_dict() for m in queue]}

    listing = _audited(ctx, "possible_matches", work)
    write_audit(
        ctx, AuditAction.CONSULT, "possible_matches", None,
        details={"pairs": len(listing["pairs"]), "kind": kind, "status": status},
    )  # fmt: skip
    return listing


def _detail(ctx: Ctx, a: int, b: int) -> dict[str, Any]:
    detail = _audited(ctx, "possible_match", lambda: show_match(ctx.engine, ctx.actor, a, b))
    write_audit(
        ctx, AuditAction.CONSULT, "mention_pair", f"{detail.match.mention_a}-{detail.match.mention_b}",
        details={"view": "possible match"},
    )  # fmt: skip
    return detail.as_dict()


def _judge(ctx: Ctx, a: int, b: int, body: JudgementIn) -> dict[str, Any]:
    record = _audited(
        ctx,
        "match_judgement",
        lambda: judge_match(ctx.engine, ctx.actor, a, b, body.judgement, body.reason),
    )
    return {"judgement_id": record.id, "judgement": record.judgement, "effective": "next link run"}


@router.get("/matches", include_in_schema=False)
def matches_page(
    request: Request,
    kind: Literal["near_miss", "split", "judged"] | None = Query(None),
    status: Literal["open", "judged"] | None = Query(None),
    ctx: Ctx = Depends(signed_in),
) -> Response:
    listing = _queue(ctx, kind, status, 500)
    return page(
        request, "matches.html", {"session": ctx.session, **listing, "kind": kind, "status": status}
    )


@api.get("/matches")
def matches_api(
    kind: Literal["near_miss", "split", "judged"] | None = Query(None),
    status: Literal["open", "judged"] | None = Query(None),
    limit: int = Query(100, ge=1, le=5000),
    ctx: Ctx = Depends(signed_in),
) -> dict[str, Any]:
    """The possible-matches queue (near misses, splits, judged pairs), strongest first."""
    return _queue(ctx, kind, status, limit)


@api.get("/matches/counts")
def match_counts_api(ctx: Ctx = Depends(signed_in)) -> dict[str, int]:
    """Open near misses, open splits, judged pairs and those awaiting the next link run."""

    def work() -> dict[str, int]:
        with reading(ctx.engine) as conn:
            return match_counts(conn, ctx.actor).as_dict()

    return _audited(ctx, "possible_matches", work)


@router.get("/matches/{mention_a}/{mention_b}", include_in_schema=False)
def match_page(
    request: Request,
    mention_a: int = Path(..., ge=1, le=2**62),
    mention_b: int = Path(..., ge=1, le=2**62),
    ctx: Ctx = Depends(signed_in),
) -> Response:
    detail = _detail(ctx, mention_a, mention_b)
    return page(request, "match.html", {"session": ctx.session, "d": detail})


@api.get("/matches/{mention_a}/{mention_b}")
def match_api(
    mention_a: int = Path(..., ge=1, le=2**62),
    mention_b: int = Path(..., ge=1, le=2**62),
    ctx: Ctx = Depends(signed_in),
) -> dict[str, Any]:
    """A pair with both records side by side and the waterfalls (audited as a consultation)."""
    return _detail(ctx, mention_a, mention_b)


@router.post("/matches/{mention_a}/{mention_b}/judgement", include_in_schema=False)
def judge_form(
    mention_a: int = Path(..., ge=1, le=2**62),
    mention_b: int = Path(..., ge=1, le=2**62),
    judgement: Literal["same", "not_same", "unsure"] = Form(...),
    reason: str = Form(..., min_length=1, max_length=5000),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    _judge(ctx, mention_a, mention_b, JudgementIn(judgement=judgement, reason=reason))
    return RedirectResponse(f"/matches/{mention_a}/{mention_b}", status_code=303)


@api.post("/matches/{mention_a}/{mention_b}/judgement")
def judge_api(
    body: JudgementIn,
    mention_a: int = Path(..., ge=1, le=2**62),
    mention_b: int = Path(..., ge=1, le=2**62),
    ctx: Ctx = Depends(csrf_checked),
) -> dict[str, Any]:
    """Judge a pair with a reason (audited; supersedes an earlier judgement on the pair;
    effective at the next link run)."""
    return _judge(ctx, mention_a, mention_b, body)
