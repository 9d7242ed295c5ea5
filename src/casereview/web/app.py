"""The FastAPI application: `create_app(engine)` wires settings, clock, templates and routes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from casereview import __version__
from casereview.errors import (
    AccessDenied,
    CaseReviewError,
    NotFound,
    StoreBusy,
    StoreError,
    WorkflowError,
)
from casereview.settings import WebSettings, get_settings
from casereview.store.audit import ConsultationQueue
from casereview.store.sessions import Clock
from casereview.web import filters
from casereview.web.auth import CsrfFailed, Ctx, NotSignedIn, WebState, signed_in
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
        openapi_url=None,  # served below to signed-in users only
        redirect_slashes=False,  # Starlette's redirect names the Host header: ours is relative
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
    _install_schema_route(app)
    _install_error_handlers(app)
    # Added innermost first: the security headers wrap every answer, the 413 included.
    app.add_middleware(BlankFiltersMiddleware)
    app.add_middleware(TrailingSlashMiddleware)
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


class TrailingSlashMiddleware:
    """`/queue/` -> `/queue`: a 307 to the same path without its trailing slashes, as a
    relative Location built from the path alone, never from the Host header (Starlette's own
    redirect does, which makes an open redirect of a forged Host). Leading slashes are folded
    into one, so the target can never read as another host (`//evil.example`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if len(path) > 1 and path.endswith("/"):
            target = "/" + path.strip("/")
            query = scope.get("query_string", b"").decode("latin-1")
            location = quote(target, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
            response = Response(status_code=307, headers={"location": location})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


_SIGNED_IN = Depends(signed_in)


def _install_schema_route(app: FastAPI) -> None:
    """The OpenAPI schema of the JSON API, for signed-in users only (it maps every route)."""

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi_schema(_ctx: Ctx = _SIGNED_IN) -> JSONResponse:
        return JSONResponse(app.openapi())


# Modules whose exceptions carry driver text (SQL, table names, file paths, parameters).
_DRIVER_MODULES = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2", "duckdb")
STORE_FAILED = (
    "the store could not complete this request: quote the reference to your administrator"
)


def _from_the_driver(exc: BaseException) -> bool:
    """Whether `exc` is a StoreError or was raised from (or while handling) a database
    driver's error: its message may then hold the driver's words."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreError):
            return True
        if type(current).__module__.split(".")[0] in _DRIVER_MODULES:
            return True
        current = current.__cause__ or current.__context__
    return False


def _user_message(request: Request, exc: Exception, limit: int) -> str:
    """The error's own words, unless they may be a driver's: then a generic line, and the
    detail goes to the server log under the request's correlation id."""
    if _from_the_driver(exc):
        cid = request.scope.get("state", {}).get("correlation_id")
        log.error("store error, correlation id %s: %s", cid, exc)
        return STORE_FAILED
    return str(exc)[:limit]


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
        return problem(request, 409, _user_message(request, exc, 300))

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, _exc: Exception) -> Response:
        # A long write (a pipeline stage) holds the lock: a clear "try again", never a hang.
        response = problem(request, 503, "the store is busy with a long update: try again shortly")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.exception_handler(CaseReviewError)
    async def _other(request: Request, exc: Exception) -> Response:
        return problem(request, 400, _user_message(request, exc, 300))

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
