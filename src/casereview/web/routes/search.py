"""Search by name (fuzzy), phone, vehicle, postcode or record reference, within visible records."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import difflib
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Connection, or_, select

from casereview.model.codes import AuditAction, UserRole
from casereview.model.tables import (
    locations,
    mentions,
    objects,
    record_locations,
    record_objects,
    records,
)
from casereview.store.access import visible_records
from casereview.store.db import reading
from casereview.values.phone import normalise_phone
from casereview.values.postcode import normalise_postcode
from casereview.values.vehicle import normalise_vrm
from casereview.web.auth import Ctx, require, signed_in, write_audit
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api", tags=["search"], responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}}
)

Kind = Literal["name", "phone", "vehicle", "postcode", "ref"]
LIMIT = 50


class HitOut(BaseModel):
    record_id: int
    source_ref: str
    record_type: str
    occurred_at: str | None
    borough: str | None


class SearchOut(BaseModel):
    kind: Kind
    query: str
    hits: list[HitOut]


def _surname_candidates(conn: Connection, text: str) -> list[str]:
    """Surnames starting like the query, plus close spellings (difflib) among all surnames."""
    folded = text.strip().split()[-1].lower() if text.strip() else ""
    if not folded:
        return []
    surnames = [s for s in conn.execute(select(mentions.c.surname).distinct()).scalars() if s]
    lowered = {s.lower(): s for s in surnames}
    close = difflib.get_close_matches(folded, list(lowered), n=20, cutoff=0.75)
    prefixed = [k for k in lowered if k.startswith(folded)][:20]
    return sorted({lowered[k] for k in close + prefixed})


def _match(conn: Connection, kind: Kind, q: str) -> ColumnElement[bool] | None:
    if kind == "ref":
        return records.c.source_ref == q.strip()
    if kind == "name":
        names = _surname_candidates(conn, q)
        if not names:
            return None
        return records.c.id.in_(select(mentions.c.record_id).where(mentions.c.surname.in_(names)))
    if kind == "postcode":
        pc = normalise_postcode(q)
        if not pc:
            return None
        return or_(
            records.c.id.in_(select(mentions.c.record_id).where(mentions.c.postcode == pc)),
            records.c.id.in_(
                select(record_locations.c.record_id)
                .join(locations, locations.c.id == record_locations.c.location_id)
                .where(locations.c.postcode == pc)
            ),
        )
    value = normalise_phone(q) if kind == "phone" else normalise_vrm(q)
    if not value:
        return None
    return records.c.id.in_(
        select(record_objects.c.record_id)
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(objects.c.kind == kind, objects.c.value == value)
    )


def search(ctx: Ctx, kind: Kind, q: str) -> SearchOut:
    require(ctx, UserRole.REVIEWER, UserRole.SUPERVISOR, UserRole.ANALYST, what="search")
    hits: list[HitOut] = []
    if q.strip():
        with reading(ctx.engine) as conn:
            condition = _match(conn, kind, q)
            if condition is not None:
                rows = conn.execute(
                    select(
                        records.c.id,
                        records.c.source_ref,
                        records.c.record_type,
                        records.c.occurred_at,
                        records.c.borough,
                    )
                    .where(condition, visible_records(ctx.actor))
                    .order_by(records.c.occurred_at.desc(), records.c.id)
                    .limit(LIMIT)
                ).all()
                hits = [
                    HitOut(
                        record_id=r.id,
                        source_ref=r.source_ref,
                        record_type=r.record_type,
                        occurred_at=r.occurred_at.isoformat() if r.occurred_at else None,
                        borough=r.borough,
                    )
                    for r in rows
                ]
        # The search terms are personal data: the log keeps the kind and what was shown.
        write_audit(
            ctx,
            AuditAction.SEARCH,
            "records",
            None,
            details={"kind": kind, "results": len(hits), "record_ids": [h.record_id for h in hits]},
        )
    return SearchOut(kind=kind, query=q, hits=hits)


@router.get("/search", include_in_schema=False)
def search_page(
    request: Request,
    q: str = Query("", max_length=200),
    kind: Kind = "name",
    ctx: Ctx = Depends(signed_in),
) -> Response:
    result = search(ctx, kind, q)
    return page(
        request,
        "search.html",
        {
            "session": ctx.session,
            "result": result,
            "kinds": ["name", "phone", "vehicle", "postcode", "ref"],
        },
    )


@api.get("/search", response_model=SearchOut)
def search_api(
    q: str = Query("", max_length=200),
    kind: Kind = "name",
    ctx: Ctx = Depends(signed_in),
) -> SearchOut:
    """Records matching a name, phone, vehicle, postcode or reference, among those you may see."""
    return search(ctx, kind, q)


__all__ = ["SearchOut", "api", "router", "search"]
