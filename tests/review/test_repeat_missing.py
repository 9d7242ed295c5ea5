"""Missing episodes reach their child by the council's child id where linkage left them apart."""

from __future__ import annotations

import datetime as dt

from casereview.model.codes import IndicatorCode
from casereview.review.context import MentionFacts, RecordFacts, ReviewContext
from casereview.review.indicators import compute_indicators
from casereview.settings import ReviewSettings


def _record(
    rid: int, kind: str, record_type: str, day: str, cse: bool | None = None
) -> RecordFacts:
    return RecordFacts(
        id=rid,
        source_kind=kind,
        record_type=record_type,
        occurred_at=dt.date.fromisoformat(day),
        outcome=None,
        cse_flag=cse,
        factors=frozenset(),
        borough=None,
    )


def _child(mid: int, rid: int, person: int, council_id: str | None) -> MentionFacts:
    return MentionFacts(
        id=mid, record_id=rid, role="subject", age=14, relationship=None, person_id=person,
        name_key=frozenset({"zephyrine"}), council_id=council_id,
    )  # fmt: skip


def test_episodes_split_by_linkage_reach_the_child_by_the_council_child_id() -> None:
    """Three episodes of one child within a year, linkage holding the third apart (person 2):
    the council child id the reports quote joins them, so the third completes the count; no
    council record follows, so it has no referral either."""
    ctx = ReviewContext()
    ctx.records[1] = _record(1, "local_authority", "referral", "2019-01-01", cse=True)
    ctx.mentions_of[1].append(_child(1, 1, 1, "HK00000001"))
    for rid, day, person in ((2, "2020-02-01", 1), (3, "2020-03-01", 1), (4, "2020-04-01", 2)):
        ctx.records[rid] = _record(rid, "police", "missing_episode", day)
        ctx.mentions_of[rid].append(_child(rid, rid, person, "HK00000001"))
    found = {(i.code, i.record_id) for i in compute_indicators(ctx, ReviewSettings())}
    assert found == {
        (IndicatorCode.REPEAT_MISSING, 4),
        (IndicatorCode.REPEAT_MISSING_NO_REFERRAL, 4),
    }
