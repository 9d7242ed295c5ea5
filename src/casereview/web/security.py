"""Response hardening in one place: security headers, generic error pages, CSRF, safe CSV.

`SecurityMiddleware` is pure ASGI (cheap on every request): it gives each request a
correlation id, adds the headers below to every response, and turns any unhandled exception
into a generic 500 page naming only that id (the traceback goes to the server log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "DOCUMENT_CSP",
    "LOGIN_CSRF_COOKIE",
    "SecurityMiddleware",
    "csrf_matches",
    "login_csrf_valid",
    "new_login_csrf",
    "security_headers",
]

log = logging.getLogger("casereview.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# A published document (the report): its own inline styles and images, never a script.
DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_STATIC_PREFIX = "/static/"


def security_headers(path: str, correlation_id: str) -> list[tuple[bytes, bytes]]:
    """Headers every response carries; pages and API answers are never cached."""
    cache = "public, max-age=3600" if path.startswith(_STATIC_PREFIX) else "no-store"
    pairs = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
        "cache-control": cache,
        "x-correlation-id": correlation_id,
    }
    return [(k.encode(), v.encode()) for k, v in pairs.items()]


def _merge(headers: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]) -> list[Any]:
    """The response's headers with ours; a route's own Content-Security-Policy is kept (the
    published report sets a stricter one of its own: no script at all)."""
    kept = list(headers)
    own = {name.lower() for name, _ in kept if name.lower() == b"content-security-policy"}
    extra = [h for h in extra if h[0] not in own]
    names = {name for name, _ in extra}
    return [h for h in kept if h[0].lower() not in names] + extra


ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Something went wrong</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main><h1>Something went wrong</h1>
<p>The request could not be completed. Quote this reference to your administrator:
<code>{cid}</code></p><p><a href="/">Back to the start</a></p></main></body></html>"""


class SecurityMiddleware:
    """Correlation id, security headers and the generic 500 answer for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["correlation_id"] = cid
        extra = security_headers(scope.get("path", ""), cid)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _merge(message.get("headers", []), extra)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error, correlation id %s", cid)
            if started:
                raise
            await self._error(scope, send, cid, extra)

    @staticmethod
    async def _error(scope: Scope, send: Send, cid: str, extra: list[tuple[bytes, bytes]]) -> None:
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps({"detail": "internal error", "correlation_id": cid}).encode()
            kind = b"application/json"
        else:
            body, kind = ERROR_PAGE.format(cid=cid).encode(), b"text/html; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one sent."""
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())


# The sign-in form's CSRF token, before there is a session: a signed double-submit cookie.
# The same random value goes in a cookie and in the form; the server accepts the form only
# when both match and carry this process's signature, so a cross-site page can neither read
# the token nor plant a pair of its own (login CSRF).
LOGIN_CSRF_COOKIE = "casereview_login_csrf"
_LOGIN_CSRF_KEY = secrets.token_bytes(32)


def _signature(nonce: str) -> str:
    return hmac.new(_LOGIN_CSRF_KEY, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def new_login_csrf() -> str:
    """A fresh signed token for the sign-in form and its cookie."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(nonce)}"


def login_csrf_valid(cookie: str | None, given: str | None) -> bool:
    """The form's token equals the cookie's and is signed by this server."""
    if not cookie or not given or len(given) > 200 or not csrf_matches(cookie, given):
        return False
    nonce, _, signature = given.partition(".")
    return secrets.compare_digest(signature.encode(), _signature(nonce).encode())
