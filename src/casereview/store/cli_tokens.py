"""Command-line sign-in: a per-user token, so that `--as` alone cannot make anyone anyone else.

`casereview login USERNAME` checks the user's password exactly as the web sign-in does
(`users.verify_login`: Argon2id, throttling, every attempt audited with the OS user), then
issues a random token. Only its SHA-256 is stored (`cli_tokens`, with the OS user and an
expiry); the token itself goes to the signing-in OS user's token file, created 0600
(`~/.config/casereview/token`, or CASEREVIEW_TOKEN_FILE), or can be handed to a script in
CASEREVIEW_TOKEN. Commands that change review state act as the token's user only.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from casereview.errors import AccessDenied, ConfigError
from casereview.model.tables import cli_tokens, users
from casereview.store.files import open_private
from casereview.store.users import LoginPolicy, LoginResult, verify_login

__all__ = [
    "TOKEN_ENV",
    "TOKEN_FILE_ENV",
    "IssuedToken",
    "issue_token",
    "os_user",
    "read_token",
    "resolve_token",
    "revoke_token",
    "sign_in",
    "token_file",
    "write_token_file",
]

TOKEN_ENV = "CASEREVIEW_TOKEN"  # noqa: S105  # a variable name  # nosec B105
TOKEN_FILE_ENV = "CASEREVIEW_TOKEN_FILE"  # noqa: S105  # a variable name  # nosec B105


@dataclass(frozen=True)
class IssuedToken:
    token: str
    user_id: int
    expires_at: dt.datetime


def os_user() -> str:
    """The operating-system account running this process (recorded beside the signed-in user)."""
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def issue_token(
    conn: Connection, user_id: int, *, hours: float = 12, now: dt.datetime | None = None
) -> IssuedToken:
    """A new token for `user_id`, valid for `hours`; only its digest is stored."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=hours)
    conn.execute(
        insert(cli_tokens).values(
            token_hash=_digest(token),
            user_id=user_id,
            os_user=os_user(),
            created_at=now,
            expires_at=expires,
        )
    )
    return IssuedToken(token, user_id, expires)


def sign_in(
    engine: Engine,
    username: str,
    password: str,
    *,
    hours: float = 12,
    policy: LoginPolicy | None = None,
) -> tuple[LoginResult, IssuedToken | None]:
    """Check the password as the web sign-in does (recorded and audited), then issue a token
    in the same short write. Returns the login result and, when it succeeded, the token."""
    return verify_login(
        engine,
        username,
        password,
        client=f"cli os-user={os_user()}",
        policy=policy,
        then=lambda conn, user_id: issue_token(conn, user_id, hours=hours),
    )


def resolve_token(conn: Connection, token: str, *, now: dt.datetime | None = None) -> str:
    """The username a token signs in; AccessDenied when unknown, revoked or expired."""
    now = now or _now()
    row = conn.execute(
        select(cli_tokens.c.expires_at, cli_tokens.c.revoked_at, users.c.username)
        .join(users, users.c.id == cli_tokens.c.user_id)
        .where(cli_tokens.c.token_hash == _digest(token))
    ).first()
    if row is None or row.revoked_at is not None:
        raise AccessDenied("the command-line sign-in is not valid: sign in with `casereview login`")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires <= now:
        raise AccessDenied("the command-line sign-in has expired: sign in with `casereview login`")
    return str(row.username)


def revoke_token(conn: Connection, token: str) -> bool:
    """End a sign-in; True when the token was live."""
    done = conn.execute(
        update(cli_tokens)
        .where(cli_tokens.c.token_hash == _digest(token), cli_tokens.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    return bool(done.rowcount)


def token_file() -> Path:
    """Where this OS user's token is kept."""
    named = os.environ.get(TOKEN_FILE_ENV)
    return Path(named) if named else Path.home() / ".config" / "casereview" / "token"


def write_token_file(token: str, path: Path | None = None) -> Path:
    """Write the token to the token file (0600, in a folder created 0700)."""
    path = path or token_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open_private(path) as handle:
        handle.write(token + "\n")
    return path


def read_token(path: Path | None = None) -> str | None:
    """CASEREVIEW_TOKEN, else the token file; None when neither exists.

    A token file that another account owns, or that others may read, is refused.
    """
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV].strip()
    path = path or token_file()
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigError(
            f"token file {path} may be read by others or is not yours: chmod 600 it, "
            "or sign in again with `casereview login`"
        )
    return path.read_text(encoding="utf-8").strip() or None
