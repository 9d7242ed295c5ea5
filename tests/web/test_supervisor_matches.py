"""The supervisor page shows the possible-matches counts (issue 18): the same numbers as
`/api/matches/counts`, on a store built by the real pipeline."""

from __future__ import annotations

import html
import re
from collections.abc import Callable


def test_the_supervisor_page_counts_the_possible_matches(world, client_for: Callable) -> None:  # type: ignore[no-untyped-def]
    client = client_for("sup_n")
    counts = client.get("/api/matches/counts").json()
    text = html.unescape(re.sub(r"<[^>]+>", "", client.get("/supervisor").text))
    said = re.search(
        r"(\d+) pair\(s\) just under the match threshold and (\d+) pair\(s\) a judgement split "
        r"wait for a judgement; (\d+) judged, (\d+) of them",
        " ".join(text.split()),
    )
    assert said is not None
    assert [int(n) for n in said.groups()] == [
        counts["near_miss_open"],
        counts["split_open"],
        counts["judged"],
        counts["awaiting_link_run"],
    ]
    assert counts["near_miss_open"] > 0  # the synthetic world has near misses
