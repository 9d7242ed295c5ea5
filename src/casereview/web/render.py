"""Rendering pages and errors: one template context for every page, one error shape."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from casereview.model.codes import UserRole

__all__ = ["ErrorOut", "filters_query", "is_api", "nav_for", "page", "problem"]


class ErrorOut(BaseModel):
    """Every error the API returns: a generic message and the request's correlation id."""

    detail: str
    correlation_id: str | None = None


NAV: dict[UserRole, list[tuple[str, str]]] = {
    UserRole.REVIEWER: [
        ("/queue?scope=mine", "My queue"),
        ("/queue?scope=team", "Team queue"),
        ("/search", "Search"),
        ("/groups", "Groups"),
    ],
    UserRole.SUPERVISOR: [
        ("/queue?scope=mine", "My queue"),
        ("/queue?scope=team", "Team queue"),
        ("/supervisor", "Supervision"),
        ("/search", "Search"),
        ("/groups", "Groups"),
    ],
    UserRole.ANALYST: [
        ("/search", "Search"),
        ("/groups", "Groups"),
        ("/reports", "Reports"),
        ("/exports", "Exports"),
    ],
    UserRole.AUDITOR: [("/audit", "Audit log")],
    UserRole.ADMIN: [("/admin", "Users and teams")],
}


def nav_for(role: UserRole | None) -> list[tuple[str, str]]:
    return NAV.get(role, []) if role else []


def filters_query(filters: Any, **extra: object) -> str:
    """A filters dataclass (and extra values) as a query string: the links of a pager, the
    target of a form that keeps the filters. Empty values are left out, as "no filter"."""
    pairs = {k: getattr(v, "value", v) for k, v in asdict(filters).items()}
    pairs.update(extra)
    return urlencode({k: v for k, v in pairs.items() if v not in (None, False, "")})


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """Render a page with the actor, CSRF token and navigation every template expects."""
    web = request.app.state.web
    actor = getattr(request.state, "actor", None)
    session = context.pop("session", None)
    full = {
        "request": request,
        "actor": actor,
        "csrf_token": session.csrf_token if session is not None else "",
        "nav": nav_for(actor.role if actor else None),
        "correlation_id": request.scope.get("state", {}).get("correlation_id"),
        **context,
    }
    return web.templates.TemplateResponse(request, template, full, status_code=status)


def problem(request: Request, status: int, message: str) -> Response:
    """A generic error answer: JSON for the API, a page otherwise; never internal detail."""
    cid = request.scope.get("state", {}).get("correlation_id")
    if is_api(request):
        return JSONResponse(ErrorOut(detail=message, correlation_id=cid).model_dump(), status)
    return page(request, "error.html", {"status": status, "message": message}, status)
