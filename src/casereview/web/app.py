"""The FastAPI application: `create_app(engine)` wires settings, clock, templates and routes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from casereview import __version__
from casereview.errors import AccessDenied, CaseReviewError, NotFound, StoreBusy, WorkflowError
from casereview.settings import WebSettings, get_settings
from casereview.store.audit import ConsultationQueue
from casereview.store.sessions import Clock
from casereview.web import filters
from casereview.web.auth import CsrfFailed, NotSignedIn, WebState
from casereview.web.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    ClientAddressMiddleware,
)
from casereview.web.render import ErrorOut, is_api, problem
from casereview.web.security import SecurityMiddleware

__all__ = ["create_app"]

HERE = Path(__file__).parent
log = logging.getLogger("casereview.web")
RETRY_AFTER_S = 5


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    engine: Engine,
    *,
    settings: WebSettings | None = None,
    clock: Clock | None = None,
    report_dir: Path | None = None,
) -> FastAPI:
    """The review web app on `engine`. `clock` is injectable so tests can freeze time;
    `report_dir` is the folder `casereview report` published into (the Reports page)."""
    from casereview.web.routes import ROUTERS

    web_settings = settings or get_settings().web
    consultations = ConsultationQueue(
        engine, wait_s=web_settings.write_wait_s, max_age_s=web_settings.audit_queue_max_age_s
    )
    app = FastAPI(
        lifespan=_flushing_lifespan(consultations),
        title="casereview",
        version=__version__,
        description="Review of historic CSE case records: every page has a JSON twin under /api.",
        docs_url=None,  # Swagger UI needs inline scripts and a CDN: not under our CSP
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    filters.install(templates.env)
    app.state.web = WebState(
        engine, web_settings, clock or _utc_now, templates, consultations, report_dir
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    from casereview.web.routes import charts, chronology, matches  # the analyst's pages (issue 18)

    analyst_routers = [r for m in (chronology, charts, matches) for r in (m.router, m.api)]
    for router in [*ROUTERS, *analyst_routers]:
        # 400: a body that is not JSON, or a CaseReviewError from the library (any route).
        app.include_router(router, responses={400: {"model": ErrorOut}})
    _install_error_handlers(app)
    # Added innermost first: the security headers wrap every answer, the 413 included.
    app.add_middleware(BlankFiltersMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=web_settings.max_body_bytes)
    app.add_middleware(ClientAddressMiddleware, trusted=web_settings.forwarded_allow_ips)
    if web_settings.access_log:
        app.add_middleware(AccessLogMiddleware)
    app.add_middleware(SecurityMiddleware)
    return app


def _flushing_lifespan(consultations: ConsultationQueue) -> Callable[[Any], Any]:
    """At shutdown, write the audit entries still queued (none is dropped on a clean stop)."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        if not consultations.flush(timeout_s=60):
            log.error("%d queued audit entries could not be written", len(consultations))

    return lifespan


class BlankFiltersMiddleware:
    """Drop empty query parameters from page requests: a filter form left at "all" sends
    `status=` (or `team=`, `year=`...), which means no filter, not an invalid value. The JSON
    API keeps its strict types (there an empty value is a 422 like any other bad value)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and not scope.get("path", "").startswith("/api/"):
            kept = [
                (k, v)
                for k, v in parse_qsl(
                    query.decode("latin-1"), keep_blank_values=True, encoding="latin-1"
                )
                if v
            ]
            scope = {**scope, "query_string": urlencode(kept, encoding="latin-1").encode("latin-1")}
        await self.app(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: Exception) -> Response:
        if is_api(request):
            return problem(request, 401, "sign in first")
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: Exception) -> Response:
        return problem(request, 403, "the form has expired: reload the page and try again")

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, _exc: Exception) -> Response:
        return problem(request, 403, "you may not see or do this")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, _exc: Exception) -> Response:
        return problem(request, 404, "not found")

    @app.exception_handler(WorkflowError)
    async def _workflow(request: Request, exc: Exception) -> Response:
        return problem(request, 409, str(exc)[:300])

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, _exc: Exception) -> Response:
        # A long write (a pipeline stage) holds the lock: a clear "try again", never a hang.
        response = problem(request, 503, "the store is busy with a long update: try again shortly")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.exception_handler(CaseReviewError)
    async def _other(request: Request, exc: Exception) -> Response:
        return problem(request, 400, str(exc)[:300])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return problem(request, exc.status_code, str(exc.detail)[:200])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if is_api(request):
            from fastapi.exception_handlers import request_validation_exception_handler

            return await request_validation_exception_handler(request, exc)
        return problem(request, 422, "the request is not valid")
