"""Kept chart positions on both backends: stored once per node, never moved by a later
layout, and a second store of the same nodes changes nothing (the insert ignores conflicts)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from casereview.model.tables import chart_layouts
from casereview.network.chart import Chart, ChartNode, keep_positions, kept_positions
from casereview.store.db import reading, writing


def _chart(*placed: tuple[str, float, float]) -> Chart:
    nodes = [ChartNode(node, node.split(":")[0], None, node, None, x, y) for node, x, y in placed]
    return Chart("group:7", nodes, [], None, None, None, False)


def test_positions_are_stored_once_and_never_moved(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        assert keep_positions(conn, _chart(("person:1", 10.0, 20.0), ("record:5", 30.0, 40.0))) == 2
    with writing(fresh_store) as conn:
        moved = _chart(("person:1", 99.0, 99.0), ("place:-3", 50.0, 60.0))
        assert keep_positions(conn, moved) == 1
        assert keep_positions(conn, moved) == 0
    with reading(fresh_store) as conn:
        kept = kept_positions(conn, "group:7")
        other = conn.execute(
            select(chart_layouts).where(chart_layouts.c.chart_key != "group:7")
        ).all()
    assert kept == {"person:1": (10.0, 20.0), "record:5": (30.0, 40.0), "place:-3": (50.0, 60.0)}
    assert other == []
