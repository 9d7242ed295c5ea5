"""Search: persons by name (any order, nicknames, variants, sound), date of birth or age
range; records by phone, vehicle, postcode or reference. Paged, within visible records."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from casereview.link.search import (
    PersonHit,
    PersonQuery,
    RecordHit,
    search_persons,
    search_records,
)
from casereview.model.codes import AuditAction, UserRole
from casereview.store.db import reading
from casereview.store.views import Page
from casereview.web.auth import Ctx, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

__all__ = ["SearchResult", "api", "router", "run_search"]

router = APIRouter()
api = APIRouter(
    prefix="/api", tags=["search"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)

Kind = Literal["person", "phone", "vehicle", "postcode", "ref"]
KINDS: dict[str, str] = {
    "person": "Person (name, date of birth, age)",
    "phone": "Phone number",
    "vehicle": "Vehicle registration",
    "postcode": "Postcode",
    "ref": "Record reference",
}


@dataclass(frozen=True)
class SearchResult:
    kind: str
    query: str
    dob: dt.date | None
    age_from: int | None
    age_to: int | None
    persons: Page[PersonHit] | None
    records: Page[RecordHit] | None


def run_search(
    ctx: Ctx,
    kind: Kind,
    q: str,
    dob: dt.date | None,
    age_from: int | None,
    age_to: int | None,
    page_number: int,
) -> SearchResult:
    require(ctx, UserRole.REVIEWER, UserRole.SUPERVISOR, UserRole.ANALYST, what="search")
    people: Page[PersonHit] | None = None
    found: Page[RecordHit] | None = None
    with reading(ctx.engine) as conn:
        if kind == "person":
            query = PersonQuery(q, dob, age_from, age_to)
            if not query.empty:
                people = search_persons(conn, ctx.actor, query, page_number)
        elif q.strip():
            found = search_records(conn, ctx.actor, kind, q, page_number)
    if people is not None or found is not None:
        # The search terms are personal data: the log keeps the kind and what was shown.
        shown = (
            {"person_ids": [p.person_id for p in people.items], "results": people.total}
            if people is not None
            else {"record_ids": [r.record_id for r in found.items], "results": found.total}  # type: ignore[union-attr]
        )
        write_audit(
            ctx,
            AuditAction.SEARCH,
            "persons" if kind == "person" else "records",
            None,
            details={"kind": kind, "page": page_number, **shown},
        )
    return SearchResult(kind, q, dob, age_from, age_to, people, found)


def _params(
    q: str = Query("", max_length=200),
    kind: Kind = "person",
    dob: dt.date | None = None,
    age_from: int | None = Query(None, ge=0, le=120),
    age_to: int | None = Query(None, ge=0, le=120),
    page: int = Query(1, ge=1, le=10_000),
) -> tuple[Kind, str, dt.date | None, int | None, int | None, int]:
    return kind, q, dob, age_from, age_to, page


@router.get("/search", include_in_schema=False)
def search_page(
    request: Request,
    params: tuple[Kind, str, dt.date | None, int | None, int | None, int] = Depends(_params),
    ctx: Ctx = Depends(signed_in),
) -> Response:
    result = run_search(ctx, *params)
    return page(request, "search.html", {"session": ctx.session, "result": result, "kinds": KINDS})


@api.get("/search", response_model=SearchResult)
def search_api(
    params: tuple[Kind, str, dt.date | None, int | None, int | None, int] = Depends(_params),
    ctx: Ctx = Depends(signed_in),
) -> SearchResult:
    """Persons by name (any order, nickname, variant, sound), date of birth or age at an
    event; or records by phone, vehicle, postcode or reference. Paged; audited."""
    return run_search(ctx, *params)
