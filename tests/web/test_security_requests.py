"""Issue 22 items 3, 5, 11: the client address behind a proxy, the access log, the body limit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from casereview.model.tables import audit_log, login_attempts
from casereview.settings import WebSettings
from casereview.store.db import reading
from casereview.web.app import create_app
from conftest import PASSWORD, TestClient  # type: ignore[import-not-found]


@pytest.fixture
def app_with(world) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    """A TestClient on an app with the given web settings (peer address: "testclient")."""
    opened: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        app = create_app(world.engine, settings=WebSettings(**settings), clock=world.clock)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _attempt_clients(world) -> list[str | None]:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        return [r[0] for r in conn.execute(select(login_attempts.c.client))]


def _audit_clients(world, actor: str) -> list[str | None]:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        rows = conn.execute(select(audit_log.c.client).where(audit_log.c.actor == actor))
        return [r[0] for r in rows]


def _post_login(client: TestClient, username: str, password: str, **headers: str) -> Any:
    """The sign-in form as a browser sends it (with the form's CSRF token when it has one)."""
    form = client.get("/login")
    token = form.cookies.get("casereview_login_csrf") or client.cookies.get("casereview_login_csrf")
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token
    return client.post("/login", data=data, headers=headers, follow_redirects=False)


def _sign_in(client: TestClient, username: str, password: str, **headers: str) -> int:
    return int(_post_login(client, username, password, **headers).status_code)


def test_forwarded_for_is_ignored_unless_the_peer_is_an_allowed_proxy(world, app_with) -> None:  # type: ignore[no-untyped-def]
    """Default (no proxy allowed): a forged X-Forwarded-For changes neither the throttling key
    nor the audited address, so spraying with a new header each time is still throttled."""
    client = app_with()
    for n in range(8):
        _sign_in(client, "rev_n", "not-the-password", **{"X-Forwarded-For": f"10.0.0.{n}"})
    assert set(_attempt_clients(world)) == {"testclient"}
    assert set(_audit_clients(world, "rev_n")) == {"testclient"}
    # Still refused with the right password and yet another forged address.
    assert _sign_in(client, "rev_n", PASSWORD, **{"X-Forwarded-For": "10.9.9.9"}) != 303


def test_forwarded_for_names_the_client_behind_an_allowed_proxy(world, app_with) -> None:  # type: ignore[no-untyped-def]
    """Behind an allowed proxy the client is the right-most address the proxy did not add
    itself; what the client wrote further left proves nothing."""
    client = app_with(forwarded_allow_ips=["testclient", "10.1.0.0/16"])
    response = _post_login(
        client,
        "rev_n",
        PASSWORD,
        **{"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.1.2.3", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 303
    assert _attempt_clients(world) == ["198.51.100.7"]
    assert _audit_clients(world, "rev_n") == ["198.51.100.7"]
    # X-Forwarded-Proto from the proxy makes the session cookie Secure.
    assert "secure" in response.headers["set-cookie"].lower()


def test_serve_trusts_no_proxy_and_keeps_query_strings_out_of_the_log(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """`casereview serve` hands uvicorn no proxy trust and no access log of its own;
    `--forwarded-allow-ips` reaches the app."""
    import uvicorn

    from casereview.cli import main

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.append({"app": app, **kw}))
    db = ["--database", f"sqlite:///{tmp_path / 'cr.db'}"]
    assert main([*db, "init"]) == 0
    assert main([*db, "serve"]) == 0
    assert main([*db, "serve", "--forwarded-allow-ips", "10.0.0.1, 10.2.0.0/16"]) == 0
    assert [(s["proxy_headers"], s["forwarded_allow_ips"], s["access_log"]) for s in seen] == [
        (False, "", False),
        (False, "", False),
    ]
    trusted = [s["app"].state.web.settings.forwarded_allow_ips for s in seen]
    assert trusted == [[], ["10.0.0.1", "10.2.0.0/16"]]


def test_access_log_has_no_query_string_and_no_client(
    world, app_with, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    client = app_with(access_log=True)
    _sign_in(client, "ana", PASSWORD)
    with caplog.at_level(logging.INFO, logger="casereview.access"):
        client.get("/search?kind=name&q=smith")
        client.get("/api/search?kind=name&q=smith")
    lines = [r.getMessage() for r in caplog.records if r.name == "casereview.access"]
    assert len(lines) == 2
    assert all("smith" not in line and "testclient" not in line for line in lines)
    assert all('"path":"/' in line and '"status":' in line for line in lines)


def test_request_body_over_the_limit_is_413_before_it_is_read(world, app_with) -> None:  # type: ignore[no-untyped-def]
    """An anonymous 2 MB body (declared or streamed) is refused 413 and nothing is recorded."""
    client = app_with(max_body_bytes=64 * 1024)
    big = "x" * (2 * 1024 * 1024)
    declared = client.post("/login", data={"username": "rev_n", "password": big})
    assert declared.status_code == 413
    assert declared.headers["x-content-type-options"] == "nosniff"
    assert client.post("/api/items/1/start", content=big.encode()).status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"y" * 32 * 1024

    streamed = client.post(
        "/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert streamed.status_code == 413
    assert len(streamed.content) < 200  # the body is not echoed back
    assert _attempt_clients(world) == []
    # A body under the limit still works.
    assert _sign_in(client, "rev_n", PASSWORD) == 303


def test_default_body_limit_is_documented_and_one_mebibyte() -> None:
    assert WebSettings().max_body_bytes == 1024 * 1024
    assert WebSettings().forwarded_allow_ips == []
    assert WebSettings().access_log is False
