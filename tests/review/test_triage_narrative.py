"""The repeat discount of the triage score and the narrative age rules."""

from __future__ import annotations

import pytest

from casereview.model.codes import IndicatorCode
from casereview.review.indicators import Indicator
from casereview.review.narrative import PEER_WORDS, child_age_in_text, partner_age_in_text
from casereview.review.triage import lead_factors, score
from casereview.settings import get_settings

WORDS = ["boyfriend", "girlfriend", "partner", "ex-partner"]
RM = IndicatorCode.REPEAT_MISSING
CG = IndicatorCode.CLOSED_DESPITE_GROUP_LINK


def _ind(code: IndicatorCode, rid: int, *persons: int, groups: tuple[int, ...] = ()) -> Indicator:
    return Indicator(code, rid, set(persons), set(groups))


def test_one_opportunity_counts_in_full_once_on_its_best_record() -> None:
    inds = [_ind(RM, 1, 7), _ind(RM, 2, 7), _ind(RM, 3, 8)]
    repeated = lead_factors(inds, [], {1: 3.0, 2: 9.0, 3: 3.0})
    assert repeated == {1: {"repeat_missing": ("record", 2)}}


def test_an_opportunity_on_a_group_item_is_discounted_on_its_records() -> None:
    inds = [_ind(CG, 1, 5), _ind(CG, 2, 5, 6)]
    groups = [_ind(CG, 1, 5, groups=(40,))]
    repeated = lead_factors(inds, groups, {1: 5.0, 2: 5.0})
    # record 2 still leads for person 6, so it counts in full there
    assert repeated == {1: {"closed_despite_group_link": ("group", 40)}}


def test_a_repeat_is_explained_in_the_breakdown() -> None:
    s = get_settings().review
    total, breakdown = score([_ind(RM, 1, 7)], [], None, s, {"repeat_missing": ("record", 2)})
    weight = s.indicator_weights["repeat_missing"]
    assert total == round(weight * s.repeat_indicator_factor, 6)
    assert breakdown["contributions"] == [
        {
            "kind": "indicator",
            "code": "repeat_missing",
            "points": total,
            "weight": weight,
            "factor": s.repeat_indicator_factor,
            "also_on": {"subject_type": "record", "subject_id": 2},
        }
    ]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("IP (F, 14) reported missing overnight", 14),
        ("Concern: IP (M,13) says a 'boyfriend' aged about 22 buys them", 13),
        ("Child aged 15 seen with adults", 15),
        ("a 12-year-old girl was found", 12),
        ("a 12 year old girl was found", 12),
        ("Report from school: IP (F, 14) and a 15-year-old peer", 14),  # the tag wins
        ("IP (F, 14) and IP (M, 15)", None),  # two children: ambiguous
        ("aged 14 and a 15-year-old", None),
        ("male aged 25 arrested", None),  # an adult's age is not the child's
        ("", None),
        (None, None),
    ],
)
def test_child_age_in_text(text: str | None, age: int | None) -> None:
    assert child_age_in_text(text, 18) == age


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("says a 'boyfriend' aged about 22 buys them", 22),
        ("her partner (31) collects her", 31),
        ("with her 24-year-old boyfriend", 24),
        ("Ex-Partner aged 40", 40),
        ("boyfriend aged 22, later says boyfriend aged 30", None),
        ("a 19-year-old peer", None),
        (None, None),
    ],
)
def test_partner_age_in_text(text: str | None, age: int | None) -> None:
    assert partner_age_in_text(text, WORDS) == age


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("IP (F, 14) reports that a boy from school (18) pressured her", 18),
        ("Report from school: IP (F, 15) and a 18-year-old peer; IP says", 18),
        ("Report from school: IP (F, 15) and a 14-year-old peer", 14),
        ("IP (F, 15) met a man aged 30 through a peer", None),  # no age given to the peer
    ],
)
def test_peer_words_give_the_only_suspect_his_age(text: str, age: int | None) -> None:
    """Where the partner is the record's only suspect, a peer described with an age is him
    (review/context.py decides that; here only the reading of the words)."""
    assert partner_age_in_text(text, {*WORDS, *PEER_WORDS}) == age
