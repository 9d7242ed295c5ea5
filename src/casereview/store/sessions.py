"""Web sessions (server side): a random token in the cookie, only its SHA-256 in `web_sessions`.

A session ends when idle for `session_idle_minutes`, `session_absolute_hours` after sign-in,
at sign-out, and when its user is disabled (`store.users.disable_user` deletes the rows).
Time comes from an injectable clock so that tests can freeze and advance it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from casereview.model.tables import users, web_sessions
from casereview.settings import WebSettings

__all__ = [
    "Clock",
    "Session",
    "end_session",
    "load_session",
    "start_session",
    "token_hash",
    "touch_session",
]

Clock = Callable[[], dt.datetime]
# last_seen_at is refreshed at most this often, to keep a write off most page views.
TOUCH_INTERVAL = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Session:
    """A live session as the app uses it (the raw token only exists in the cookie)."""

    token_hash: str
    user_id: int
    username: str
    csrf_token: str


def token_hash(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def start_session(
    conn: Connection, user_id: int, *, now: dt.datetime, client: str | None, old_token: str | None
) -> tuple[str, str]:
    """Open a new session (ending `old_token`'s, so the id rotates at sign-in).

    Returns (token for the cookie, CSRF token).
    """
    if old_token:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash(old_token)))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(
        insert(web_sessions).values(
            token_hash=token_hash(token),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            client=(client or "")[:100] or None,
        )
    )
    return token, csrf


def load_session(
    conn: Connection, token: str, *, now: dt.datetime, settings: WebSettings
) -> tuple[Session | None, str]:
    """Read the session for `token` (no writes, so page views stay concurrent).

    Returns (session or None, what the caller must write): "none", "touch" (refresh
    last_seen_at) or "end" (expired or its user disabled: delete it).
    """
    hashed = token_hash(token)
    row = conn.execute(
        select(
            web_sessions.c.user_id,
            web_sessions.c.csrf_token,
            web_sessions.c.created_at,
            web_sessions.c.last_seen_at,
            users.c.username,
            users.c.disabled,
        )
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.token_hash == hashed)
    ).first()
    if row is None:
        return None, "none"
    created, seen = _aware(row.created_at), _aware(row.last_seen_at)
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    absolute = dt.timedelta(hours=settings.session_absolute_hours)
    if row.disabled or now - seen > idle or now - created > absolute or now < created:
        return None, "end"
    session = Session(hashed, int(row.user_id), str(row.username), str(row.csrf_token))
    return session, "touch" if now - seen > TOUCH_INTERVAL else "none"


def touch_session(conn: Connection, token: str, now: dt.datetime) -> None:
    """Record activity, so that the idle timeout counts from now."""
    conn.execute(
        update(web_sessions)
        .where(web_sessions.c.token_hash == token_hash(token))
        .values(last_seen_at=now)
    )


def end_session(conn: Connection, token: str) -> bool:
    """Delete the session; True when there was one."""
    result = conn.execute(
        delete(web_sessions).where(web_sessions.c.token_hash == token_hash(token))
    )
    return bool(result.rowcount)
