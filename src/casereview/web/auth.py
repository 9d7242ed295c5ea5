"""Who is asking: the session cookie, the signed-in actor, CSRF, and audited access checks.

Every route that shows case content takes `Ctx` (from `signed_in`); every state change takes
it from `csrf_checked`. Object access goes through `guard`, which calls the one policy in
`store.access` and writes the DENIED audit entry when it refuses.
"""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection, Engine

from casereview.errors import AccessDenied, NotFound, StoreBusy
from casereview.model.codes import AuditAction, UserRole
from casereview.settings import WebSettings
from casereview.store import audit
from casereview.store.access import Actor, load_actor, require_role
from casereview.store.audit import ConsultationQueue
from casereview.store.db import reading, writing_briefly
from casereview.store.sessions import Clock, Session, end_session, load_session, touch_session
from casereview.web.security import csrf_matches

__all__ = [
    "COOKIE",
    "CsrfFailed",
    "Ctx",
    "NotSignedIn",
    "WebState",
    "audited",
    "client_address",
    "csrf_checked",
    "require",
    "signed_in",
    "write_audit",
]

COOKIE = "casereview_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class NotSignedIn(Exception):
    """No live session: pages redirect to the sign-in form, the API answers 401."""


class CsrfFailed(Exception):
    """A state change without the session's CSRF token: 403."""


@dataclass(frozen=True)
class WebState:
    """What every request shares: the store, the web settings, the clock, the templates, and
    the folder the report stage publishes into (served on the Reports page)."""

    engine: Engine
    settings: WebSettings
    clock: Clock
    templates: Jinja2Templates
    consultations: ConsultationQueue
    report_dir: Path | None = None


@dataclass(frozen=True)
class Ctx:
    """A signed-in request."""

    web: WebState
    actor: Actor
    session: Session
    request: Request

    @property
    def engine(self) -> Engine:
        return self.web.engine

    @property
    def now(self) -> dt.datetime:
        return self.web.clock()


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def client_address(request: Request) -> str | None:
    """The peer address (a deployment behind a proxy configures uvicorn's forwarded headers)."""
    return request.client.host if request.client else None


def signed_in(request: Request) -> Ctx:
    """The live session and its actor, or NotSignedIn (expired sessions are deleted here)."""
    web = web_state(request)
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        raise NotSignedIn()
    now = web.clock()
    client = client_address(request)
    with reading(web.engine) as conn:
        session, follow_up = load_session(conn, token, now=now, settings=web.settings)
        actor = None
        if session is not None:
            try:
                actor = load_actor(conn, session.username, client)
            except (AccessDenied, NotFound):
                follow_up = "end"
    if follow_up != "none":
        # Best effort within the bounded wait: a session not touched now is touched by a later
        # request, and one not deleted now is refused all the same.
        try:
            with writing_briefly(web.engine, min(web.settings.write_wait_s, 0.05)) as conn:
                if follow_up == "end":
                    end_session(conn, token)
                else:
                    touch_session(conn, token, now)
        except StoreBusy:
            pass
    if session is None or actor is None or follow_up == "end":
        raise NotSignedIn()
    request.state.actor = actor
    return Ctx(web, actor, session, request)


async def csrf_checked(request: Request, ctx: Ctx = Depends(signed_in)) -> Ctx:
    """`signed_in`, plus the session's CSRF token in the X-CSRF-Token header or form field."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(ctx.session.csrf_token, given):
        write_audit(ctx, AuditAction.DENIED, "csrf", None, details={"path": request.url.path})
        raise CsrfFailed()
    return ctx


def write_audit(
    ctx: Ctx,
    action: AuditAction,
    object_type: str | None,
    object_id: int | str | None,
    *,
    purpose: str | None = None,
    recipient: str | None = None,
    details: dict[str, Any] | None = None,
    conn: Connection | None = None,
) -> None:
    """One audit entry for this request's actor and client (own transaction unless `conn`).

    Consultations, searches and refusals go through the app's `ConsultationQueue`, so that a
    page view never waits long for the write lock; other entries wait at most
    `web.write_wait_s` (StoreBusy, answered 503, after that)."""
    kwargs: dict[str, Any] = {
        "actor": ctx.actor.username,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "purpose": purpose,
        "recipient": recipient,
        "client": ctx.actor.client,
        "details": details or {},
    }
    if conn is not None:
        audit.append(conn, **kwargs)
        return
    if action in _QUEUED:
        ctx.web.consultations.record(**kwargs)
        return
    with writing_briefly(ctx.engine, ctx.web.settings.write_wait_s) as own:
        audit.append(own, **kwargs)


# Entries that record a look, not a change: they may be written shortly after the answer.
_QUEUED = frozenset({AuditAction.CONSULT, AuditAction.SEARCH, AuditAction.DENIED})


@contextmanager
def audited(ctx: Ctx, object_type: str, object_id: int | str | None) -> Iterator[None]:
    """Around a read-side call: a refusal from `store.access` is audited as DENIED (in its own
    transaction, naming the object and the path), then re-raised for the error handler."""
    try:
        yield
    except AccessDenied:
        write_audit(
            ctx, AuditAction.DENIED, object_type, object_id, details={"path": ctx.request.url.path}
        )
        raise


def require(ctx: Ctx, *roles: UserRole, what: str) -> None:
    """Function-level access: the actor must hold one of `roles`; a refusal is audited."""
    try:
        require_role(ctx.actor, *roles)
    except AccessDenied:
        write_audit(
            ctx, AuditAction.DENIED, "function", what, details={"path": ctx.request.url.path}
        )
        raise
