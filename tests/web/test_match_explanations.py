"""The match page shows each scored pair's explanation with real content: on a store built by
the real pipeline, a bar per comparison of the run's model, each with its level and, wherever
a level was reached (a value on both sides), the two values compared. (Explanations once came
out empty while hand-written fixtures passed: this reads what the link stage wrote.)"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from sqlalchemy import select

from casereview.link.explain import LEGEND_ARTIFACT, load_legends
from casereview.model.tables import match_pairs, run_artifacts
from casereview.store.db import reading

_ROW = re.compile(
    r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>"
)


def test_the_match_page_shows_levels_and_values(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        pairs = conn.execute(
            select(match_pairs.c.mention_a_id, match_pairs.c.mention_b_id, match_pairs.c.run_id)
            .order_by(match_pairs.c.match_weight.desc(), match_pairs.c.mention_a_id)
            .limit(5)
        ).all()
        legend = load_legends(conn, {pairs[0].run_id})[pairs[0].run_id]
        assert conn.execute(
            select(run_artifacts.c.name).where(run_artifacts.c.name == LEGEND_ARTIFACT)
        ).first()
    client = client_for("ana")
    names = [c["name"] for c in legend["comparisons"]]
    shown_values = 0
    for a, b, _run in pairs:
        page = client.get(f"/matches/{a}/{b}")
        assert page.status_code == 200, page.text
        this_pair = page.text.split("<h2>")[1]  # "This pair", before what holds each side
        rows = [tuple(html.unescape(x) for x in row) for row in _ROW.findall(this_pair)]
        bars = [row for row in rows if row[0] != "prior"]
        assert [row[0] for row in bars] == names
        for comparison, level, value_a, value_b, weight in bars:
            assert level, comparison
            assert re.fullmatch(r"[+-]\d+\.\d\d", weight), weight
            if comparison != "context" and level != "no value on one side":
                assert value_a and value_b, (a, b, comparison, level)
                shown_values += 1
    assert shown_values > 0
