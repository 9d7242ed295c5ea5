"""Link charts: the page (an SVG drawn on the server, a legend and tables of every node and
edge, so it works without JavaScript; each node links to the chart expanded there; a date
form) and its JSON twin. Each view is audited as a consultation."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from casereview.network.chart import EXPAND_LIMIT, RELATIONS, ChartRequest, consult_chart
from casereview.report.linkchart import chart_svg, legend_swatch
from casereview.web.auth import Ctx, signed_in
from casereview.web.render import ErrorOut, page

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(
    prefix="/api",
    tags=["charts"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
SubjectId = Path(..., ge=1, le=2**62)
Kind = Literal["group", "person"]
NODE = r"^[a-z_]{1,12}:-?\d{1,19}$"


def chart_request(
    kind: Kind,
    subject_id: int = SubjectId,
    date_from: dt.date | None = Query(None, alias="from"),
    date_to: dt.date | None = Query(None, alias="to"),
    expand: str | None = Query(None, pattern=NODE),
    limit: int = Query(EXPAND_LIMIT, ge=1, le=EXPAND_LIMIT),
) -> ChartRequest:
    """The chart asked for by the path and query (one declaration for the page and the API)."""
    return ChartRequest(kind, subject_id, date_from, date_to, expand, limit)


@router.get("/charts/{kind}/{subject_id}", include_in_schema=False)
def chart_page(
    request: Request,
    asked: ChartRequest = Depends(chart_request),
    ctx: Ctx = Depends(signed_in),
) -> Response:
    chart = consult_chart(ctx.engine, ctx.actor, asked)
    kept = {"from": chart.date_from, "to": chart.date_to}
    query = urlencode({k: v for k, v in kept.items() if v})
    link = f"/charts/{asked.kind}/{asked.subject_id}?{query + '&' if query else ''}expand="
    labels = {n.id: n.label for n in chart.nodes}
    return page(
        request,
        "chart.html",
        {
            "session": ctx.session,
            "chart": chart,
            "svg": chart_svg(chart, link=link),
            "swatch": legend_swatch,
            "labels": labels,
            "relations": RELATIONS,
            "expand_link": link,
            "kind": asked.kind,
            "subject_id": asked.subject_id,
        },
    )


@api.get("/charts/{kind}/{subject_id}")
def chart_api(
    asked: ChartRequest = Depends(chart_request), ctx: Ctx = Depends(signed_in)
) -> dict[str, Any]:
    """The link chart of a group or a person's network: nodes with positions (the same on
    every load), labelled edges with their records, legend (audited as a consultation)."""
    out: dict[str, Any] = consult_chart(ctx.engine, ctx.actor, asked).as_dict()
    return out
