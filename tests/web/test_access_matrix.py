"""Role x team over every route that takes an id, on the pipeline-built store: allowed pairs
200, others 403 with no personal data in the body and one DENIED audit entry each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from casereview.model.tables import audit_log, records
from casereview.store.db import reading
from conftest import Picks, World  # type: ignore[import-not-found]

ROUTES = ["/records/{}", "/api/records/{}", "/persons/{}", "/api/persons/{}", "/groups/{}", "/api/groups/{}"]  # fmt: skip


def _denials(world: World, username: str) -> int:
    with reading(world.engine) as conn:
        return int(
            conn.execute(
                select(func.count()).where(
                    audit_log.c.actor == username, audit_log.c.action == "denied"
                )
            ).scalar_one()
        )


def _allowed(picks: Picks) -> dict[str, dict[str, set[int]]]:
    """Who may open what: North works on its items and its group, South on its own; a
    supervisor also on the items no team holds yet; the analyst on everything; the auditor
    and the admin on no case content."""
    north = {picks.north_record}
    everything = {picks.north_record, picks.south_record, picks.unallocated_record}
    return {
        "rev_n": {"records": north, "groups": {picks.group}},
        "sup_n": {"records": north | {picks.unallocated_record}, "groups": {picks.group}},
        # South may reach the group through a record of its own: the check of group access by
        # record is tested in tests/store/test_access.py; here only the records are asserted.
        "rev_s": {"records": {picks.south_record}},
        "sup_s": {"records": {picks.south_record, picks.unallocated_record}},
        "ana": {"records": everything, "groups": {picks.group}},
        "aud": {"records": set(), "groups": set()},
        "adm": {"records": set(), "groups": set()},
    }


@pytest.mark.parametrize("username", ["rev_n", "sup_n", "rev_s", "sup_s", "ana", "aud", "adm"])
def test_matrix(world: World, picks: Picks, client_for: Callable, username: str) -> None:  # type: ignore[type-arg]
    client = client_for(username)
    allowed = _allowed(picks)[username]
    with reading(world.engine) as conn:
        refs = {
            r.source_ref
            for r in conn.execute(
                select(records.c.source_ref).where(
                    records.c.id.in_(
                        [picks.north_record, picks.south_record, picks.unallocated_record]
                    )
                )
            )
        }
    for kind, ids in (
        ("records", [picks.north_record, picks.south_record, picks.unallocated_record]),
        ("groups", [picks.group]),
    ):
        if kind not in allowed:
            continue
        for route in [r for r in ROUTES if f"/{kind}/" in r]:
            ok = set()
            for object_id in ids:
                before = _denials(world, username)
                response = client.get(route.format(object_id))
                if response.status_code == 200:
                    ok.add(object_id)
                    continue
                assert response.status_code == 403, (route, object_id, response.status_code)
                assert not any(ref in response.text for ref in refs), response.text
                assert _denials(world, username) == before + 1
            assert ok == allowed[kind] & set(ids), (route, ok)
    person = client.get(f"/api/persons/{picks.north_person}").status_code
    if username in {"rev_n", "sup_n", "ana", "aud", "adm"}:  # South may meet them elsewhere
        assert person == (200 if username in {"rev_n", "sup_n", "ana"} else 403)
    assert client.get("/api/records/999999").status_code in (403, 404)


def test_revocation_is_immediate(world: World, picks: Picks, client_for: Callable) -> None:  # type: ignore[type-arg]
    from casereview.store.db import writing
    from casereview.store.users import remove_member

    client = client_for("rev_n")
    assert client.get(f"/api/records/{picks.north_record}").status_code == 200
    with writing(world.engine) as conn:
        remove_member(conn, "North", "rev_n")
    assert client.get(f"/api/records/{picks.north_record}").status_code == 403


@pytest.mark.parametrize(
    ("username", "path", "method"),
    [
        ("rev_n", "/api/supervisor", "get"),
        ("rev_n", "/api/admin", "get"),
        ("rev_n", "/api/audit", "get"),
        ("rev_n", "/api/reports", "get"),
        ("ana", "/api/queue", "get"),
        ("ana", "/api/audit", "get"),
        ("aud", "/api/search?q=smith", "get"),
        ("aud", "/api/groups", "get"),
        ("adm", "/api/audit", "get"),
        ("sup_n", "/api/exports", "post"),
        ("rev_n", "/api/queue/allocate?assignee=rev_n&to_team=1", "post"),
    ],
)
def test_function_level_access(
    world: World,
    client_for: Callable,
    username: str,
    path: str,
    method: str,  # type: ignore[type-arg]
) -> None:
    client = client_for(username)
    before = _denials(world, username)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, json={"purpose": "statistics", "recipient": "home office"})
    assert response.status_code == 403
    assert _denials(world, username) == before + 1
