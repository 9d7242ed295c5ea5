"""Every router of the web app: pages (not in the OpenAPI schema) and their JSON twins."""

from __future__ import annotations

from fastapi import APIRouter

from casereview.web.routes import (
    actions,
    admin,
    analyst,
    auditlog,
    groups,
    persons,
    queue,
    records,
    search,
    signin,
    supervisor,
)

__all__ = ["ROUTERS"]

_MODULES = (
    signin,
    queue,
    records,
    actions,
    persons,
    groups,
    search,
    supervisor,
    analyst,
    auditlog,
    admin,
)
ROUTERS: list[APIRouter] = [r for m in _MODULES for r in (m.router, m.api)]
