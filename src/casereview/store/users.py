"""Users, teams and sign-in: Argon2id passwords, a password policy, throttled logins.

Every change to a user or team is written to the audit log (AuditAction.ADMIN) in the same
transaction; every sign-in attempt is recorded in `login_attempts` and audited (SIGN_IN or
SIGN_IN_FAILED). Passwords and hashes never reach the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Select, delete, func, insert, select, update

from casereview.errors import CaseReviewError, NotFound
from casereview.model.codes import AuditAction, UserRole
from casereview.model.tables import login_attempts, team_members, teams, users, web_sessions
from casereview.store import audit

__all__ = [
    "AccountError",
    "LoginResult",
    "PasswordRejected",
    "TeamInfo",
    "UserInfo",
    "add_member",
    "check_password_policy",
    "create_team",
    "create_user",
    "disable_user",
    "list_teams",
    "list_users",
    "remove_member",
    "set_password",
    "verify_login",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # long passphrases welcome; unbounded input is a hashing DoS
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")

# Argon2id (argon2-cffi's default type) with the RFC 9106 low-memory parameters.
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("casereview-dummy-password-for-timing")

# Passwords seen most often in breach corpora (and their obvious 12+ character variants).
COMMON_PASSWORDS = frozenset(
    """
    123456 123456789 12345678 password qwerty123 qwerty 1q2w3e4r 111111 1234567890 123123
    abc123 password1 iloveyou 000000 dragon monkey letmein football baseball welcome
    admin admin123 passw0rd trustno1 sunshine princess master shadow superman
    123456789012 1234567890123 12345678910 qwertyuiop123 qwertyuiopasdf password1234
    password12345 password123456 passwordpassword iloveyou1234 welcome12345 welcome123456
    administrator letmein12345 changeme1234 changemenow! 1q2w3e4r5t6y 1qaz2wsx3edc
    qazwsxedcrfv zaq12wsxcde3 abcdefghijkl abcdefghijklmnop aaaaaaaaaaaa 111111111111
    000000000000 123123123123 football1234 baseball1234 sunshine1234 princess1234
    monkey123456 dragon123456 superman1234 trustno11234 qwerty123456 qwertyqwerty
    asdfghjkl123 asdfasdfasdf zxcvbnm12345 mypassword123 secretpassword p@ssw0rd1234
    p@ssword1234 passw0rd1234 correcthorsebatterystaple casereview123 casereview2024
    casereview2025 changeme123! summer2024!! winter2024!! spring2024!! autumn2024!!
    """.split()
)


class AccountError(CaseReviewError):
    """A user or team operation that cannot be done (duplicate name, bad name)."""

    exit_code = 2


class PasswordRejected(AccountError):
    """The password does not meet the policy; the message says why (never echoes it)."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    teams: tuple[str, ...]
    created_at: dt.datetime


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    description: str | None
    members: tuple[str, ...]


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a sign-in attempt. `reason`: ok | bad_credentials | throttled."""

    ok: bool
    user_id: int | None
    reason: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_password_policy(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless `password` is long enough, not common, not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    folded = password.casefold()
    if folded in COMMON_PASSWORDS:
        raise PasswordRejected("password is too common")
    if username and username.casefold() in {folded, folded.strip("0123456789!")}:
        raise PasswordRejected("password must not be the username")
    if len(set(password)) < 5:
        raise PasswordRejected("password has too few different characters")


def _user_id(conn: Connection, user: int | str) -> int:
    column = users.c.id if isinstance(user, int) else users.c.username
    found = conn.execute(select(users.c.id).where(column == user)).scalar()
    if found is None:
        raise NotFound(f"no such user: {user}")
    return int(found)


def _team_id(conn: Connection, team: int | str) -> int:
    column = teams.c.id if isinstance(team, int) else teams.c.name
    found = conn.execute(select(teams.c.id).where(column == team)).scalar()
    if found is None:
        raise NotFound(f"no such team: {team}")
    return int(found)


def _audit_admin(
    conn: Connection,
    operation: str,
    object_type: str,
    object_id: int,
    actor: str,
    client: str | None,
    **details: object,
) -> None:
    """The one audit entry of a change to a user or team, in the caller's transaction."""
    audit.append(
        conn,
        actor=actor,
        action=AuditAction.ADMIN,
        object_type=object_type,
        object_id=object_id,
        client=client,
        details={"operation": operation, **details},
    )


def _end_sessions(conn: Connection, user_id: int) -> int:
    """Delete every web session of the user (revocation takes effect at their next request)."""
    return int(conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id)).rowcount)


def create_user(
    conn: Connection,
    username: str,
    display_name: str,
    role: UserRole | str,
    password: str,
    *,
    actor: str = "system",
    client: str | None = None,
) -> int:
    """Create a user with an Argon2id password hash; returns the new id (audited)."""
    role = UserRole(role)
    if not _USERNAME.match(username):
        raise AccountError(
            "username must be 2-64 letters, digits or . _ @ - and start with a letter or digit"
        )
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise AccountError(f"user {username} already exists")
    check_password_policy(password, username)
    now = _now()
    user_id = conn.execute(
        insert(users).values(
            username=username,
            display_name=display_name or username,
            role=role.value,
            password_hash=_hasher.hash(password),
            disabled=False,
            created_at=now,
            password_changed_at=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    _audit_admin(conn, "create_user", "user", user_id, actor, client, role=role.value)
    return int(user_id)


def set_password(
    conn: Connection,
    username: str,
    password: str,
    *,
    actor: str = "system",
    client: str | None = None,
) -> None:
    """Replace a user's password (policy applies) and end their sessions (audited)."""
    user_id = _user_id(conn, username)
    check_password_policy(password, username)
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=_hasher.hash(password), password_changed_at=_now())
    )
    ended = _end_sessions(conn, user_id)
    _audit_admin(conn, "set_password", "user", user_id, actor, client, sessions_ended=ended)


def disable_user(
    conn: Connection, username: str, *, actor: str = "system", client: str | None = None
) -> None:
    """Disable a user and delete all their web sessions, so that revocation is immediate."""
    user_id = _user_id(conn, username)
    conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
    ended = _end_sessions(conn, user_id)
    _audit_admin(conn, "disable_user", "user", user_id, actor, client, sessions_ended=ended)


def _names_by_id(conn: Connection, query: Select[Any]) -> dict[int, list[str]]:
    """(id, name) rows grouped by id, names in the query's order (memberships both ways)."""
    grouped: dict[int, list[str]] = {}
    for row in conn.execute(query):
        grouped.setdefault(int(row[0]), []).append(str(row[1]))
    return grouped


def list_users(conn: Connection) -> list[UserInfo]:
    """Every user with their team names, by username."""
    memberships = _names_by_id(
        conn,
        select(team_members.c.user_id, teams.c.name)
        .join(teams, teams.c.id == team_members.c.team_id)
        .order_by(teams.c.name),
    )
    rows = conn.execute(
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.role,
            users.c.disabled,
            users.c.created_at,
        ).order_by(users.c.username)
    )
    return [
        UserInfo(
            id=int(r.id),
            username=r.username,
            display_name=r.display_name,
            role=r.role,
            disabled=bool(r.disabled),
            teams=tuple(memberships.get(int(r.id), ())),
            created_at=r.created_at,
        )
        for r in rows
    ]


def create_team(
    conn: Connection,
    name: str,
    description: str | None = None,
    *,
    actor: str = "system",
    client: str | None = None,
) -> int:
    """Create a team; returns its id (audited)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("team name must be 1-100 characters")
    if conn.execute(select(teams.c.id).where(teams.c.name == name)).first():
        raise AccountError(f"team {name} already exists")
    team_id = conn.execute(
        insert(teams).values(name=name, description=description, created_at=_now())
    ).inserted_primary_key[0]  # type: ignore[index]
    _audit_admin(conn, "create_team", "team", team_id, actor, client)
    return int(team_id)


def add_member(
    conn: Connection,
    team: int | str,
    user: int | str,
    *,
    actor: str = "system",
    client: str | None = None,
) -> None:
    """Put a user in a team (by id or name); a no-op if already there (audited when it changes)."""
    team_id, user_id = _team_id(conn, team), _user_id(conn, user)
    present = conn.execute(
        select(team_members.c.user_id).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    ).first()
    if present:
        return
    conn.execute(insert(team_members).values(team_id=team_id, user_id=user_id, added_at=_now()))
    _audit_admin(conn, "add_member", "team", team_id, actor, client, user_id=user_id)


def remove_member(
    conn: Connection,
    team: int | str,
    user: int | str,
    *,
    actor: str = "system",
    client: str | None = None,
) -> None:
    """Take a user out of a team; their next request no longer sees that team's work."""
    team_id, user_id = _team_id(conn, team), _user_id(conn, user)
    removed = conn.execute(
        delete(team_members).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    ).rowcount
    if not removed:
        raise NotFound(f"user {user} is not a member of team {team}")
    _audit_admin(conn, "remove_member", "team", team_id, actor, client, user_id=user_id)


def list_teams(conn: Connection) -> list[TeamInfo]:
    """Every team with its members' usernames, by name."""
    members = _names_by_id(
        conn,
        select(team_members.c.team_id, users.c.username)
        .join(users, users.c.id == team_members.c.user_id)
        .order_by(users.c.username),
    )
    rows = conn.execute(
        select(teams.c.id, teams.c.name, teams.c.description).order_by(teams.c.name)
    )
    return [
        TeamInfo(int(r.id), r.name, r.description, tuple(members.get(int(r.id), ()))) for r in rows
    ]


def _recent_failures(conn: Connection, since: dt.datetime, **where: str | None) -> int:
    query = (
        select(func.count())
        .select_from(login_attempts)
        .where(login_attempts.c.at >= since, login_attempts.c.success.is_(False))
    )
    for name, value in where.items():
        query = query.where(login_attempts.c[name] == value)
    return int(conn.execute(query).scalar_one())


def verify_login(
    conn: Connection,
    username: str,
    password: str,
    *,
    client: str | None = None,
    max_failures: int = 5,
    window: dt.timedelta = dt.timedelta(minutes=15),
    client_max_failures: int | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a sign-in attempt inside a write transaction; record and audit it.

    Throttled when the username has `max_failures` failures in `window`, or the client has
    `client_max_failures` (default 4 x max_failures). An unknown user, a disabled user and a
    wrong password all give `bad_credentials` after the same amount of hashing work.
    """
    now = now or _now()
    username = username[:64]
    since = now - window
    client_limit = client_max_failures if client_max_failures is not None else 4 * max_failures
    throttled = _recent_failures(conn, since, username=username) >= max_failures or (
        client is not None and _recent_failures(conn, since, client=client) >= client_limit
    )
    row = conn.execute(
        select(users.c.id, users.c.password_hash, users.c.disabled).where(
            users.c.username == username
        )
    ).first()
    reason = "throttled" if throttled else "bad_credentials"
    user_id: int | None = None
    if not throttled:
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        matched: bool
        try:
            matched = _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            matched = False
        if matched and row is not None and row.password_hash and not row.disabled:
            reason, user_id = "ok", int(row.id)
            if _hasher.check_needs_rehash(row.password_hash):
                conn.execute(
                    update(users)
                    .where(users.c.id == user_id)
                    .values(password_hash=_hasher.hash(password))
                )
    ok = reason == "ok"
    conn.execute(
        insert(login_attempts).values(username=username, client=client, at=now, success=ok)
    )
    audit.append(
        conn,
        actor=username,
        action=AuditAction.SIGN_IN if ok else AuditAction.SIGN_IN_FAILED,
        object_type="user",
        object_id=user_id if user_id is not None else (int(row.id) if row is not None else None),
        client=client,
        details={"reason": reason},
    )
    return LoginResult(ok=ok, user_id=user_id, reason=reason)
