"""Administration: users and teams (admins only; no case content). Every change is audited."""

# ruff: noqa: B008  (FastAPI declares dependencies and form fields as defaults)
from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from casereview.model.codes import UserRole
from casereview.store import users as accounts
from casereview.store.db import reading, writing
from casereview.web.auth import Ctx, csrf_checked, require, signed_in
from casereview.web.render import ErrorOut, page

router = APIRouter()
api = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    teams: list[str]


class TeamOut(BaseModel):
    id: int
    name: str
    members: list[str]


class AdminOut(BaseModel):
    users: list[UserOut]
    teams: list[TeamOut]


def _overview(ctx: Ctx) -> AdminOut:
    require(ctx, UserRole.ADMIN, what="admin")
    with reading(ctx.engine) as conn:
        users, teams = accounts.list_users(conn), accounts.list_teams(conn)
    return AdminOut(
        users=[
            UserOut(
                id=u.id,
                username=u.username,
                display_name=u.display_name,
                role=u.role,
                disabled=u.disabled,
                teams=list(u.teams),
            )
            for u in users
        ],
        teams=[TeamOut(id=t.id, name=t.name, members=list(t.members)) for t in teams],
    )


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request, ctx: Ctx = Depends(signed_in)) -> Response:
    return page(
        request,
        "admin.html",
        {
            "session": ctx.session,
            "a": _overview(ctx),
            "roles": list(UserRole),
            "new_password": None,
        },
    )


@api.get("", response_model=AdminOut)
def admin_api(ctx: Ctx = Depends(signed_in)) -> AdminOut:
    """Users and teams (admins only)."""
    return _overview(ctx)


@router.post("/admin/users", include_in_schema=False)
def add_user(
    request: Request,
    username: str = Form(..., max_length=64),
    display_name: str = Form("", max_length=200),
    role: UserRole = Form(...),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    """Create a user with a generated password shown once to the admin."""
    require(ctx, UserRole.ADMIN, what="admin")
    password = secrets.token_urlsafe(18)
    hashed = accounts.hash_password(password, username)  # Argon2 before the write, not in it
    with writing(ctx.engine) as conn:
        accounts.create_user(
            conn,
            username,
            display_name,
            role,
            hashed,
            actor=ctx.actor.username,
            client=ctx.actor.client,
        )
    return page(
        request,
        "admin.html",
        {
            "session": ctx.session,
            "a": _overview(ctx),
            "roles": list(UserRole),
            "new_password": (username, password),
        },
    )


@router.post("/admin/users/{username}/disable", include_in_schema=False)
def disable(username: str, ctx: Ctx = Depends(csrf_checked)) -> Response:
    require(ctx, UserRole.ADMIN, what="admin")
    with writing(ctx.engine) as conn:
        accounts.disable_user(conn, username, actor=ctx.actor.username, client=ctx.actor.client)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/teams", include_in_schema=False)
def add_team(name: str = Form(..., max_length=100), ctx: Ctx = Depends(csrf_checked)) -> Response:
    require(ctx, UserRole.ADMIN, what="admin")
    with writing(ctx.engine) as conn:
        accounts.create_team(conn, name, actor=ctx.actor.username, client=ctx.actor.client)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/members", include_in_schema=False)
def membership(
    team: str = Form(..., max_length=100),
    username: str = Form(..., max_length=64),
    action: str = Form("add", pattern="^(add|remove)$"),
    ctx: Ctx = Depends(csrf_checked),
) -> Response:
    require(ctx, UserRole.ADMIN, what="admin")
    change = accounts.add_member if action == "add" else accounts.remove_member
    with writing(ctx.engine) as conn:
        change(conn, team, username, actor=ctx.actor.username, client=ctx.actor.client)
    return RedirectResponse("/admin", status_code=303)


__all__ = ["api", "router"]
