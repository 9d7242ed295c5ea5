"""Sign in, sign out, the start page and `/api/me`."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from casereview.model.codes import AuditAction, UserRole
from casereview.store import audit
from casereview.store.db import writing
from casereview.store.sessions import end_session, start_session
from casereview.store.users import LoginPolicy, verify_login
from casereview.web.auth import (
    COOKIE,
    Ctx,
    client_address,
    csrf_checked,
    signed_in,
    web_state,
)
from casereview.web.render import ErrorOut, page
from casereview.web.security import LOGIN_CSRF_COOKIE, login_csrf_valid, new_login_csrf

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
THROTTLED = "Too many failed attempts. Wait a little and try again."
EXPIRED = "The form has expired. Try again."


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
    return _form(request, None, 200)


def _form(request: Request, error: str | None, status: int) -> Response:
    """The sign-in form with a fresh pre-session CSRF token (field and cookie)."""
    token = new_login_csrf()
    response = page(request, "login.html", {"error": error, "login_csrf": token}, status)
    secure = web_state(request).settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/login"
    )
    return response


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    csrf_token: str = Form("", max_length=200),
) -> Response:
    """Check the credentials, rotate the session. One answer for an unknown user, a wrong
    password and an account without access; the hashing runs outside any write."""
    web = web_state(request)
    if not login_csrf_valid(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _form(request, EXPIRED, 403)
    client = client_address(request)
    now = web.clock()
    old_token = request.cookies.get(COOKIE)
    result, session = verify_login(
        web.engine,
        username.strip(),
        password,
        client=client,
        policy=LoginPolicy.from_settings(web.settings),
        now=now,
        then=lambda conn, user_id: start_session(
            conn, user_id, now=now, client=client, old_token=old_token
        ),
    )
    if not result.ok or session is None:
        if result.reason == "throttled":
            response = _form(request, THROTTLED, 429)
            response.headers["Retry-After"] = str(result.retry_after_s or 1)
            return response
        return _form(request, FAILED, 401)
    response = RedirectResponse("/", status_code=303)
    secure = web.settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        COOKIE, session[0], httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
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
