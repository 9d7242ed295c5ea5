"""Role x team over every route that takes an id: allowed pairs 200, others 403/404 with no
personal data in the body and a DENIED audit entry."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from casereview.model.tables import audit_log
from casereview.store.db import reading

ROUTES = [
    "/records/{}",
    "/api/records/{}",
    "/persons/{}",
    "/api/persons/{}",
    "/groups/{}",
    "/api/groups/{}",
]
# What each user may open: (records, persons, groups). North sees r1, r3 (via group 1) and
# their persons; South sees r2 and persons 1, 2; the analyst sees all; auditor and admin none.
ALLOWED = {
    "rev_n": ({1, 3}, {1, 3, 4}, {1}),
    "sup_n": ({1, 3}, {1, 3, 4}, {1}),
    "rev_s": ({2}, {1, 2}, {2}),
    "ana": ({1, 2, 3}, {1, 2, 3, 4}, {1, 2}),
    "aud": (set(), set(), set()),
    "adm": (set(), set(), set()),
}
IDS = {"records": [1, 2, 3], "persons": [1, 2, 3, 4], "groups": [1, 2]}
SECRETS = ["SMITH", "JONES", "BROWN", "WHITE", "narrative", "CR/"]


def _denials(world, username: str) -> int:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        return len(
            conn.execute(
                select(audit_log.c.seq).where(
                    audit_log.c.actor == username, audit_log.c.action == "denied"
                )
            ).all()
        )


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_matrix(world, client_for: Callable, username: str) -> None:  # type: ignore[no-untyped-def]
    client = client_for(username)
    got: dict[str, set[int]] = {}
    for kind, allowed in zip(("records", "persons", "groups"), ALLOWED[username], strict=True):
        for route in [r for r in ROUTES if f"/{kind}/" in r]:
            ok = set()
            for object_id in IDS[kind]:
                before = _denials(world, username)
                response = client.get(route.format(object_id))
                if response.status_code == 200:
                    ok.add(object_id)
                    continue
                assert response.status_code == 403, (route, object_id, response.status_code)
                assert not any(s in response.text for s in SECRETS), response.text
                assert _denials(world, username) == before + 1
            got[route] = ok
            assert ok == allowed, (route, ok)
    assert client.get("/api/records/999").status_code in (403, 404)


def test_revocation_is_immediate(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    from casereview.store.db import writing
    from casereview.store.users import remove_member

    client = client_for("rev_n")
    assert client.get("/api/records/1").status_code == 200
    with writing(world.engine) as conn:
        remove_member(conn, "North", "rev_n")
    assert client.get("/api/records/1").status_code == 403


@pytest.mark.parametrize(
    ("username", "path", "method"),
    [
        ("rev_n", "/api/supervisor", "get"),
        ("rev_n", "/api/admin", "get"),
        ("rev_n", "/api/audit", "get"),
        ("ana", "/api/queue", "get"),
        ("ana", "/api/audit", "get"),
        ("aud", "/api/search?q=smith", "get"),
        ("adm", "/api/audit", "get"),
        ("sup_n", "/api/exports", "post"),
    ],
)
def test_function_level_access(
    world, client_for: Callable, username: str, path: str, method: str
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(username)
    before = _denials(world, username)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, json={"purpose": "statistics", "recipient": "home office"})
    assert response.status_code == 403
    assert _denials(world, username) == before + 1
