"""Users, teams and sign-in: Argon2id passwords, a password policy, throttled logins.

Every change to a user or team is written to the audit log (AuditAction.ADMIN) in the same
transaction. Every sign-in attempt is recorded in `login_attempts`; attempts on real accounts
are audited one by one (SIGN_IN or SIGN_IN_FAILED), attempts on unknown names and throttled
ones in aggregate per interval, without what was typed. Passwords and hashes never reach the
audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, Select, delete, func, insert, select, update

from casereview.errors import CaseReviewError, NotFound
from casereview.model.codes import AuditAction, UserRole
from casereview.model.tables import login_attempts, team_members, teams, users, web_sessions
from casereview.settings import WebSettings
from casereview.store import audit
from casereview.store.db import reading, writing

T = TypeVar("T")

__all__ = [
    "NOBODY",
    "AccountError",
    "LoginPolicy",
    "LoginResult",
    "PasswordHash",
    "PasswordRejected",
    "TeamInfo",
    "UserInfo",
    "add_member",
    "admin_exists",
    "assignable_user_id",
    "assignee_or_nobody",
    "check_password_policy",
    "create_team",
    "create_user",
    "disable_user",
    "hash_password",
    "list_teams",
    "list_users",
    "remove_member",
    "set_password",
    "unlock_user",
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
    retry_after_s: int | None = None


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


@dataclass(frozen=True)
class PasswordHash:
    """A new password already checked against the policy and hashed (`hash_password`), for
    `create_user` and `set_password`: Argon2 takes a good part of a second, which must not
    be spent inside a write transaction holding the store's write lock."""

    username: str
    encoded: str = field(repr=False)


def hash_password(password: str, username: str) -> PasswordHash:
    """Check `password` against the policy and hash it with Argon2id, outside any
    transaction (call this before opening the write that stores it)."""
    check_password_policy(password, username)
    return PasswordHash(username, _hasher.hash(password))


def _hashed(password: str | PasswordHash, username: str) -> str:
    """The encoded hash to store: a `PasswordHash` made for this user as it is; a plain
    password (scripts, the demo, tests) is checked and hashed here, inside the caller's
    transaction."""
    if isinstance(password, PasswordHash):
        if password.username != username:
            raise AccountError(f"the new password was hashed for another user than {username}")
        return password.encoded
    return hash_password(password, username).encoded


def _end_sessions(conn: Connection, user_id: int) -> int:
    """Delete every web session of the user (revocation takes effect at their next request)."""
    return int(conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id)).rowcount)


def create_user(
    conn: Connection,
    username: str,
    display_name: str,
    role: UserRole | str,
    password: str | PasswordHash,
    *,
    actor: str = "system",
    client: str | None = None,
) -> int:
    """Create a user with an Argon2id password hash; returns the new id (audited). Pass a
    `hash_password` result to keep the hashing out of the caller's write transaction."""
    role = UserRole(role)
    if not _USERNAME.match(username):
        raise AccountError(
            "username must be 2-64 letters, digits or . _ @ - and start with a letter or digit"
        )
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise AccountError(f"user {username} already exists")
    hashed = _hashed(password, username)
    now = _now()
    user_id = conn.execute(
        insert(users).values(
            username=username,
            display_name=display_name or username,
            role=role.value,
            password_hash=hashed,
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
    password: str | PasswordHash,
    *,
    actor: str = "system",
    client: str | None = None,
) -> None:
    """Replace a user's password (policy applies) and end their sessions (audited). Pass a
    `hash_password` result to keep the hashing out of the caller's write transaction."""
    user_id = _user_id(conn, username)
    hashed = _hashed(password, username)
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=hashed, password_changed_at=_now())
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


# The user id of nobody (ids start at 1): what a caller passes on for a refused name.
NOBODY = 0


def assignable_user_id(
    conn: Connection, username: str, team_ids: frozenset[int] | set[int]
) -> int | None:
    """The id of `username` if a supervisor of `team_ids` may give them work: an enabled
    reviewer or supervisor in one of those teams; else None, whether the name is unknown or
    belongs to someone elsewhere, so that a refusal tells nobody which names exist."""
    if not team_ids:
        return None
    member = (
        select(team_members.c.user_id)
        .where(team_members.c.user_id == users.c.id, team_members.c.team_id.in_(sorted(team_ids)))
        .exists()
    )
    found = conn.execute(
        select(users.c.id).where(
            users.c.username == username,
            users.c.disabled.is_(False),
            users.c.role.in_([UserRole.REVIEWER.value, UserRole.SUPERVISOR.value]),
            member,
        )
    ).scalar()
    return None if found is None else int(found)


def assignee_or_nobody(conn: Connection, username: str, team_ids: frozenset[int] | set[int]) -> int:
    """`assignable_user_id`, or `NOBODY` for any name the supervisor may not give work to: the
    workflow then checks the item first and refuses every such name alike (web and CLI)."""
    found = assignable_user_id(conn, username, team_ids)
    return NOBODY if found is None else found


def admin_exists(conn: Connection) -> bool:
    """Whether the store has an enabled admin (until then the first one may be bootstrapped)."""
    query = select(users.c.id).where(
        users.c.role == UserRole.ADMIN.value, users.c.disabled.is_(False)
    )
    return conn.execute(query.limit(1)).first() is not None


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


# login_attempts keys that hold no typed text: an unknown username is kept as a keyed hash
# (the key lives in this process only), and throttled attempts (never checked) as one marker.
# Both are audited in aggregate, then their key is replaced by AGGREGATED.
_ANONYMOUS_PREFIX = "?"
THROTTLED_KEY = "?throttled"
AGGREGATED_KEY = "?counted"
_KEY_SECRET = secrets.token_bytes(32)
# How far back failures of a (username, client) pair count towards its delay.
_DELAY_MEMORY = dt.timedelta(hours=24)


@dataclass(frozen=True)
class LoginPolicy:
    """Throttling of sign-ins that a remote attacker cannot turn into a lock-out of a user.

    Per (username, client address): `free_failures` failures, then each further attempt must
    wait `base_delay_s * 2 ** (failures - free_failures)` (at most `max_delay_s`) after the
    last failure; a success or `unlock_user` clears it. Failures from another address do not
    delay this one. Per client address, across usernames (spraying): more than
    `client_max_failures` failures in `window` and that address is throttled until they age.
    """

    free_failures: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 900.0
    client_max_failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    audit_interval: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_settings(cls, web: WebSettings) -> LoginPolicy:
        return cls(
            free_failures=web.login_max_failures,
            max_delay_s=web.login_max_delay_seconds,
            client_max_failures=4 * web.login_max_failures,
            window=dt.timedelta(minutes=web.login_window_minutes),
        )

    def delay(self, failures: int) -> dt.timedelta:
        if failures < self.free_failures:
            return dt.timedelta(0)
        exponent = min(failures - self.free_failures, 40)
        return dt.timedelta(seconds=min(self.base_delay_s * 2**exponent, self.max_delay_s))


def _attempt_key(username: str, known: bool) -> str:
    """What login_attempts keeps of the typed username: the name of a real account, or a
    keyed hash (never the text: a password typed in the username box is not stored)."""
    if known:
        return username
    digest = hmac.new(_KEY_SECRET, username.encode("utf-8"), hashlib.sha256).hexdigest()
    return _ANONYMOUS_PREFIX + digest[:40]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _throttle(
    conn: Connection, key: str, client: str | None, policy: LoginPolicy, now: dt.datetime
) -> dt.timedelta | None:
    """How long this attempt must still wait (None: it may be checked now)."""
    if client is not None:
        spraying = conn.execute(
            select(func.count(), func.max(login_attempts.c.at))
            .select_from(login_attempts)
            .where(
                login_attempts.c.client == client,
                login_attempts.c.success.is_(False),
                login_attempts.c.username != THROTTLED_KEY,  # guesses only, not refusals
                login_attempts.c.at >= now - policy.window,
            )
        ).one()
        if spraying[0] >= policy.client_max_failures:
            return policy.window
    pair = [login_attempts.c.username == key, login_attempts.c.at >= now - _DELAY_MEMORY]
    pair.append(
        login_attempts.c.client == client
        if client is not None
        else login_attempts.c.client.is_(None)
    )
    last_ok = conn.execute(
        select(func.max(login_attempts.c.at)).where(*pair, login_attempts.c.success.is_(True))
    ).scalar()
    query = select(func.count(), func.max(login_attempts.c.at)).where(
        *pair, login_attempts.c.success.is_(False)
    )
    if last_ok is not None:
        query = query.where(login_attempts.c.at > last_ok)
    failures, last_failure = conn.execute(query).one()
    if not failures:
        return None
    ready = _aware(last_failure) + policy.delay(int(failures))
    return ready - now if now < ready else None


def _audit_aggregates(conn: Connection, policy: LoginPolicy, now: dt.datetime) -> None:
    """One SIGN_IN_FAILED entry per past interval with anonymous or throttled attempts:
    counts only (attempts, throttled, client addresses), never what was typed."""
    interval = policy.audit_interval
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    current = epoch + ((now - epoch) // interval) * interval
    pending = login_attempts.c.username.startswith(_ANONYMOUS_PREFIX, autoescape=True) & (
        login_attempts.c.username != AGGREGATED_KEY
    )
    rows = conn.execute(
        select(
            login_attempts.c.id,
            login_attempts.c.username,
            login_attempts.c.client,
            login_attempts.c.at,
        ).where(pending, login_attempts.c.at < current)
    ).all()
    if not rows:
        return
    buckets: dict[dt.datetime, list[Any]] = {}
    for row in rows:
        start = epoch + ((_aware(row.at) - epoch) // interval) * interval
        buckets.setdefault(start, []).append(row)
    for start in sorted(buckets):
        bucket = buckets[start]
        audit.append(
            conn,
            actor="anonymous",
            action=AuditAction.SIGN_IN_FAILED,
            object_type="sign_in",
            details={
                "interval_start": start.isoformat(),
                "interval_end": (start + interval).isoformat(),
                "attempts": len(bucket),
                "throttled": sum(r.username == THROTTLED_KEY for r in bucket),
                "clients": len({r.client for r in bucket}),
            },
        )
    ids = [r.id for r in rows]
    for chunk in range(0, len(ids), 500):
        conn.execute(
            update(login_attempts)
            .where(login_attempts.c.id.in_(ids[chunk : chunk + 500]))
            .values(username=AGGREGATED_KEY)
        )


def verify_login(
    engine: Engine,
    username: str,
    password: str,
    *,
    client: str | None = None,
    policy: LoginPolicy | None = None,
    now: dt.datetime | None = None,
    then: Callable[[Connection, int], T] | None = None,
) -> tuple[LoginResult, T | None]:
    """Check a sign-in attempt; record it; run `then(conn, user_id)` on success.

    The Argon2 work happens with no transaction open: reading the account and the throttle
    state is one read, recording the attempt (and `then`, e.g. opening the session) one short
    write. An unknown user, a disabled user and a wrong password all give `bad_credentials`
    after the same hashing work, and the same delays. Attempts on real accounts are audited
    one by one; attempts on unknown names and throttled attempts in aggregate, per interval.
    """
    policy = policy or LoginPolicy()
    now = now or _now()
    username = username[:64]
    with reading(engine) as conn:
        row = conn.execute(
            select(users.c.id, users.c.password_hash, users.c.disabled).where(
                users.c.username == username
            )
        ).first()
        key = _attempt_key(username, row is not None)
        wait = _throttle(conn, key, client, policy, now)
    reason, user_id, new_hash = "throttled", None, None
    if wait is None:
        reason = "bad_credentials"
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        matched: bool
        try:
            matched = _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            matched = False
        if matched and row is not None and row.password_hash and not row.disabled:
            reason, user_id = "ok", int(row.id)
            if _hasher.check_needs_rehash(row.password_hash):
                new_hash = _hasher.hash(password)
    ok = reason == "ok"
    followed: T | None = None
    with writing(engine) as conn:
        conn.execute(
            insert(login_attempts).values(
                username=THROTTLED_KEY if wait is not None else key,
                client=client,
                at=now,
                success=ok,
            )
        )
        if row is not None and wait is None:
            audit.append(
                conn,
                actor=username,
                action=AuditAction.SIGN_IN if ok else AuditAction.SIGN_IN_FAILED,
                object_type="user",
                object_id=int(row.id),
                client=client,
                details={"reason": reason},
            )
        if new_hash is not None:
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=new_hash))
        if ok and user_id is not None and then is not None:
            followed = then(conn, user_id)
        _audit_aggregates(conn, policy, now)
    retry = None if wait is None else max(1, int(wait.total_seconds() + 0.999))
    return LoginResult(ok=ok, user_id=user_id, reason=reason, retry_after_s=retry), followed


def unlock_user(
    conn: Connection, username: str, *, actor: str = "system", client: str | None = None
) -> int:
    """Clear a user's sign-in delays (every client's failed attempts are forgotten; the audit
    log keeps them). Returns how many failures were cleared (audited)."""
    user_id = _user_id(conn, username)
    cleared = int(
        conn.execute(
            delete(login_attempts).where(
                login_attempts.c.username == username, login_attempts.c.success.is_(False)
            )
        ).rowcount
    )
    _audit_admin(conn, "unlock_user", "user", user_id, actor, client, failures_cleared=cleared)
    return cleared
