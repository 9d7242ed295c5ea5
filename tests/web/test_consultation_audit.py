"""A consultation's audit entry names the records the page showed (issue 22, item 13): the
person page lists the records of the mentions shown, the group page the records of its
timeline; never only a count. On a store built by the real pipeline."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from casereview.model.serial import from_json
from casereview.model.tables import audit_log
from casereview.store.db import reading
from conftest import Picks  # type: ignore[import-not-found]


def _last_consultation(world, object_type: str, object_id: int) -> dict:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        row = conn.execute(
            select(audit_log.c.details)
            .where(
                audit_log.c.action == "consult",
                audit_log.c.object_type == object_type,
                audit_log.c.object_id == str(object_id),
            )
            .order_by(audit_log.c.seq.desc())
        ).first()
    assert row is not None
    return from_json(row[0], {})


def test_person_and_group_pages_record_the_records_they_showed(
    world, picks: Picks, client_for: Callable
) -> None:  # type: ignore[no-untyped-def]
    client = client_for("rev_n")
    person = client.get(f"/api/persons/{picks.north_person}").json()
    shown = sorted({m["record_id"] for m in person["mentions"]})
    assert shown and _last_consultation(world, "person", picks.north_person)["records"] == shown
    group = client.get(f"/api/groups/{picks.group}").json()
    timeline = sorted({e["record_id"] for e in group["group"]["timeline"]})
    assert timeline and _last_consultation(world, "group", picks.group)["records"] == timeline
