"""Missing episodes reach their child by the council's child id where linkage left them apart.
A context of stored rows (tests/review/facts.py): the split is the case under test."""

from __future__ import annotations

from casereview.model.codes import IndicatorCode
from casereview.review.indicators import compute_indicators
from casereview.settings import ReviewSettings
from review.facts import context, record, stored


def test_episodes_split_by_linkage_reach_the_child_by_the_council_child_id() -> None:
    """Three episodes of one child within a year, linkage holding the third apart (person 2):
    the council child id the reports quote joins them, so the third completes the count; no
    council record follows, so it has no referral either."""
    episodes = ((2, "2020-02-01", 1), (3, "2020-03-01", 1), (4, "2020-04-01", 2))
    ctx = context(
        [
            record(1, "local_authority", "referral", "2019-01-01", cse=True),
            *(record(rid, "police", "missing_episode", day) for rid, day, _ in episodes),
        ],
        [
            stored(rid, rid, "subject", person, "Zephyrine", age=14, council_id="HK00000001")
            for rid, _, person in ((1, None, 1), *episodes)
        ],
    )
    found = {(i.code, i.record_id) for i in compute_indicators(ctx, ReviewSettings())}
    assert found == {
        (IndicatorCode.REPEAT_MISSING, 4),
        (IndicatorCode.REPEAT_MISSING_NO_REFERRAL, 4),
    }
