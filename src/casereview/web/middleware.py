"""Request-level ASGI middleware: the real client address, a body-size limit, the access log.

- `ClientAddressMiddleware` takes the client address (and scheme) from `X-Forwarded-For`
  (`X-Forwarded-Proto`) only when the peer is one of the proxies in `web.forwarded_allow_ips`
  (default: none), so that throttling and the audit log cannot be given a forged address.
- `BodyLimitMiddleware` answers 413 to a request whose body is larger than
  `web.max_body_bytes`, before the app reads or parses it (a declared Content-Length is
  refused at once; a streamed body is counted as it arrives).
- `AccessLogMiddleware` writes one structured line per request to the `casereview.access`
  logger: method, path without its query string, status, duration and correlation id. No
  client address, user name or query string, so no personal data (uvicorn's own access log,
  which prints query strings, is switched off by `casereview serve`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "AccessLogMiddleware",
    "BodyLimitMiddleware",
    "ClientAddressMiddleware",
    "TrustedProxies",
]

access_log = logging.getLogger("casereview.access")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The peers whose forwarded headers are believed: addresses, networks, or "*" (any)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.any = False
        self.networks: list[Network] = []
        self.names: set[str] = set()
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            if entry == "*":
                self.any = True
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry)  # a unix socket path or a test client's name

    def __bool__(self) -> bool:
        return self.any or bool(self.networks) or bool(self.names)

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str):
            return False
        if self.any or host in self.names:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class ClientAddressMiddleware:
    """Replace the peer address by the forwarded client's, only behind a trusted proxy.

    The client is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy
    (entries further left were written by the client and prove nothing).
    """

    def __init__(self, app: ASGIApp, trusted: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = TrustedProxies(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = (scope.get("client") or (None, 0))[0]
            if peer in self.trusted:
                scope = dict(scope)
                forwarded = _header(scope, b"x-forwarded-for")
                if forwarded:
                    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
                    untrusted = [h for h in reversed(hops) if h not in self.trusted]
                    client = untrusted[0] if untrusted else hops[0] if hops else str(peer)
                    scope["client"] = (client[:100], 0)
                proto = (_header(scope, b"x-forwarded-proto") or "").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    """The body went past the limit while the app was reading it."""


class BodyLimitMiddleware:
    """413 for a request body larger than `limit` bytes, never read in full or parsed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app says about the cut body, the answer is the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if exceeded and not started:
            await self._refuse(scope, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        if str(scope.get("path", "")).startswith("/api/"):
            body, kind = b'{"detail":"the request body is too large"}', b"application/json"
        else:
            body, kind = b"The request body is too large.", b"text/plain; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class AccessLogMiddleware:
    """One JSON line per request on `casereview.access`, with no query string or client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            line = {
                "method": scope.get("method"),
                "path": scope.get("path"),  # the query string is never logged
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "correlation_id": scope.get("state", {}).get("correlation_id"),
            }
            access_log.info(json.dumps(line, separators=(",", ":")))
