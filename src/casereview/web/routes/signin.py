"""Sign in, sign out, the start page and `/api/me`."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from casereview.model.codes import AuditAction, UserRole
from casereview.store import audit
from casereview.store.db import writing
from casereview.store.sessions import end_session, start_session
from casereview.store.users import verify_login
from casereview.web.auth import (
    COOKIE,
    Ctx,
    client_address,
    csrf_checked,
    signed_in,
    web_state,
)
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(prefix="/api", tags=["session"], responses={401: {"model": ErrorOut}})

HOME = {
    UserRole.REVIEWER: "/queue?scope=mine",
    UserRole.SUPERVISOR: "/queue?scope=team",
    UserRole.ANALYST: "/search",
    UserRole.AUDITOR: "/audit",
    UserRole.ADMIN: "/admin",
}
FAILED = "Those details did not work. Check them and try again."
THROTTLED = "Too many failed attempts. Wait a few minutes and try again."


class MeOut(BaseModel):
    username: str
    role: str
    team_ids: list[int]
    csrf_token: str


@router.get("/", include_in_schema=False)
def home(ctx: Ctx = Depends(signed_in)) -> Response:
    return RedirectResponse(HOME.get(ctx.actor.role, "/login"), status_code=303)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (pages declare an empty one; a published report asks the browser's default)."""
    return Response(status_code=204)


@router.get("/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    return page(request, "login.html", {"error": None})


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
) -> Response:
    """Check the credentials (same answer for unknown user and wrong password), rotate the session."""
    web = web_state(request)
    client = client_address(request)
    now = web.clock()
    settings = web.settings
    with writing(web.engine) as conn:
        result = verify_login(
            conn,
            username.strip(),
            password,
            client=client,
            max_failures=settings.login_max_failures,
            window=dt.timedelta(minutes=settings.login_window_minutes),
            now=now,
        )
        if result.ok and result.user_id is not None:
            token, _csrf = start_session(
                conn, result.user_id, now=now, client=client, old_token=request.cookies.get(COOKIE)
            )
    if not result.ok:
        message = THROTTLED if result.reason == "throttled" else FAILED
        status = 429 if result.reason == "throttled" else 401
        return page(request, "login.html", {"error": message}, status)
    response = RedirectResponse("/", status_code=303)
    secure = settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(ctx: Ctx = Depends(csrf_checked)) -> Response:
    token = ctx.request.cookies.get(COOKIE, "")
    with writing(ctx.engine) as conn:
        end_session(conn, token)
        audit.append(
            conn,
            actor=ctx.actor.username,
            action=AuditAction.SIGN_OUT,
            object_type="user",
            object_id=ctx.actor.user_id,
            client=ctx.actor.client,
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@api.get("/me", response_model=MeOut)
def me(ctx: Ctx = Depends(signed_in)) -> MeOut:
    """The signed-in user, their teams and the CSRF token to send with state changes."""
    return MeOut(
        username=ctx.actor.username,
        role=ctx.actor.role.value,
        team_ids=sorted(ctx.actor.team_ids),
        csrf_token=ctx.session.csrf_token,
    )
