"""Link charts on a pipeline-built store: the same positions on two loads, a legend for every
node, labels told apart, the date filter, a bounded expansion that keeps placed nodes, the
HTML table view, and the consultation audited."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from casereview.model.tables import audit_log, group_members, groups, records
from casereview.network.chart import EXPAND_LIMIT
from casereview.store.db import reading


def _group(world) -> int:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        return int(conn.execute(select(groups.c.id).order_by(groups.c.id)).scalars().first())


def test_two_loads_give_the_same_chart(world) -> None:  # type: ignore[no-untyped-def]
    gid = _group(world)
    first = world.run("ana", "chart", "group", str(gid))
    second = world.run("ana", "chart", "group", str(gid))
    assert first.code == 0 and first.out == second.out
    import json

    chart = json.loads(first.out)
    kinds = {n["kind"] for n in chart["nodes"]}
    assert {"person", "record", "place"} <= kinds
    assert {n["legend"] for n in chart["nodes"]} == {item["key"] for item in chart["legend"]}
    labels = [n["label"] for n in chart["nodes"] if n["kind"] == "person"]
    assert len(labels) == len(set(labels)) and all(labels)
    with reading(world.engine) as conn:
        members = {
            f"person:{p}"
            for p in conn.execute(
                select(group_members.c.person_id).where(group_members.c.group_id == gid)
            ).scalars()
        }
        consults = conn.execute(
            select(audit_log.c.object_type, audit_log.c.object_id).where(
                audit_log.c.action == "consult"
            )
        ).all()
    assert members <= {n["id"] for n in chart["nodes"]}
    ids = {n["id"] for n in chart["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids and e["records"] for e in chart["edges"])
    relations = {e["relation"].split(" ")[0] for e in chart["edges"]}
    assert "named_in" in relations and relations <= set(chart["relations"])
    assert [tuple(c) for c in consults] == [("group", str(gid)), ("group", str(gid))]


def test_date_range_and_bounded_expansion(world) -> None:  # type: ignore[no-untyped-def]
    gid = _group(world)
    import json

    full = json.loads(world.run("ana", "chart", "group", str(gid)).out)
    dates = sorted(
        n["detail"] for n in full["nodes"] if n["kind"] == "record" and n["detail"] != "undated"
    )
    middle = dates[len(dates) // 2]
    later = json.loads(world.run("ana", "chart", "group", str(gid), "--from", middle).out)
    later_records = [n for n in later["nodes"] if n["kind"] == "record"]
    assert later_records and all(n["detail"] >= middle for n in later_records)
    assert len(later_records) < len([n for n in full["nodes"] if n["kind"] == "record"])
    # A member's own network, expanded at each neighbour until one brings records it lacked.
    with reading(world.engine) as conn:
        member = (
            conn.execute(
                select(group_members.c.person_id)
                .where(group_members.c.group_id == gid)
                .order_by(group_members.c.person_id)
            )
            .scalars()
            .first()
        )
    base = json.loads(world.run("ana", "chart", "person", str(member)).out)
    placed = {n["id"]: (n["x"], n["y"]) for n in base["nodes"]}
    grown = None
    for node in (
        n["id"] for n in base["nodes"] if n["kind"] != "record" and n["id"] != f"person:{member}"
    ):
        wider = json.loads(world.run("ana", "chart", "person", str(member), "--expand", node).out)
        if len(wider["nodes"]) > len(base["nodes"]):
            grown = wider
            break
    assert grown is not None, "a neighbour of a group member is named in other records"
    new_records = {n["id"] for n in grown["nodes"] if n["kind"] == "record"} - {
        n["id"] for n in base["nodes"] if n["kind"] == "record"
    }
    assert 0 < len(new_records) <= EXPAND_LIMIT
    assert {n["id"]: (n["x"], n["y"]) for n in grown["nodes"] if n["id"] in placed} == placed


def test_html_table_view_lists_every_node_and_edge(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    gid = _group(world)
    chart = json.loads(world.run("ana", "chart", "group", str(gid)).out)
    out = tmp_path / "chart.html"
    assert (
        world.run("ana", "chart", "group", str(gid), "--format", "html", "--out", str(out)).code
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "<svg" in page
    for n in chart["nodes"]:
        assert f"<td>{n['id']}</td>" in page
    assert page.count("<tr><td>") >= len(chart["nodes"]) + len(chart["edges"])
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_reviewer_without_the_group_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    gid = _group(world)
    refused = world.run("rev_s", "chart", "group", str(gid))
    assert refused.code == 1
    with reading(world.engine) as conn:
        last = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
        assert conn.execute(select(records.c.id).limit(1)).first() is not None
    assert (last.actor, last.action, last.object_type, last.object_id) == (
        "rev_s",
        "denied",
        "group",
        str(gid),
    )


def test_positions_are_kept_per_chart(world) -> None:  # type: ignore[no-untyped-def]
    """Nodes placed on a narrower view of the chart keep their places when the whole chart is
    drawn (laid out afresh they would move: the whole chart has more nodes pulling on them)."""
    import json

    from casereview.model.tables import chart_layouts

    gid = _group(world)
    with reading(world.engine) as conn:
        assert conn.execute(select(chart_layouts)).all() == []
    first = json.loads(world.run("ana", "chart", "group", str(gid)).out)
    dates = sorted(
        n["detail"] for n in first["nodes"] if n["kind"] == "record" and n["detail"] != "undated"
    )
    with reading(world.engine) as conn:
        stored = {
            r.node_id: (r.x, r.y)
            for r in conn.execute(
                select(chart_layouts).where(chart_layouts.c.chart_key == f"group:{gid}")
            )
        }
    assert stored == {n["id"]: (n["x"], n["y"]) for n in first["nodes"]}
    # A narrower view of the same chart draws its nodes where the chart keeps them.
    narrow = json.loads(
        world.run("ana", "chart", "group", str(gid), "--from", dates[len(dates) // 2]).out
    )
    assert {n["id"]: (n["x"], n["y"]) for n in narrow["nodes"]} == {
        n["id"]: stored[n["id"]] for n in narrow["nodes"]
    }
    # Laid out afresh, without the kept positions, the narrower view would place them elsewhere.
    import datetime as dt

    from casereview.network.chart import ChartRequest, build_chart

    request = ChartRequest("group", gid, dt.date.fromisoformat(dates[len(dates) // 2]))
    with reading(world.engine) as conn:
        fresh = build_chart(conn, world.actor("ana"), request)
    assert fresh.positions() != {n["id"]: stored[n["id"]] for n in narrow["nodes"]}
