"""Two more places where linkage's persons mislead an absence-asserting indicator (issue 16,
seventh session): a crime suspect who is another subject of the same intelligence report, and
a partner linkage put in the child's own person. Contexts of stored rows (tests/review/facts.py)."""

from __future__ import annotations

from casereview.model.codes import IndicatorCode
from casereview.review.indicators import compute_indicators
from casereview.settings import ReviewSettings
from review.facts import context, record, stored


def test_a_linked_suspect_who_is_another_subject_of_the_report_is_not_him() -> None:
    """The report names "Tiny" (person 1, suspect of crime 1) and "Kweku Tiwaa" (person 2); it
    is linked to crime 2, whose suspect "Kwesi T" is person 2. "Tiny" agrees with "Kwesi T" by
    the initial alone, but "Kweku Tiwaa" is the report's other subject: Tiny's crime is
    unlinked. Without the other subject on the report, the initial is taken for him (no firing)."""

    def fired(other_subject: bool) -> bool:
        mentions = [
            stored(1, 1, "suspect", 1, "Nathan Patel", "1986-11-20"),
            stored(2, 2, "suspect", 2, "Kwesi T", "1994-12-12"),
            stored(3, 3, "subject", 1, "Tiny"),
        ]
        if other_subject:
            mentions.append(stored(4, 3, "subject", 2, "Kweku Tiwaa", "1994-12-12"))
        ctx = context(
            [
                record(1, "police", "crime", "2018-03-06", cse=True),
                record(2, "police", "crime", "2018-05-02", cse=True),
                record(3, "police", "intelligence", "2019-01-26"),
            ],
            mentions,
        )
        ctx.links[3].add(2)
        ctx.links[2].add(3)
        codes = {(i.code, i.record_id) for i in compute_indicators(ctx, ReviewSettings())}
        return (IndicatorCode.UNLINKED_INTELLIGENCE, 3) in codes

    assert fired(other_subject=True)
    assert not fired(other_subject=False)


def test_a_partner_in_the_childs_person_keeps_his_own_age() -> None:
    """Linkage put the referral's boyfriend "Kaysan A" in the person of the child "Amna K"
    (15): the person's age is hers, not his. His age is read from the suspect of her police
    crime he agrees with ("Adnan Kaysan", born 1982): 39, an adult partner."""
    ctx = context(
        [
            record(1, "police", "crime", "2021-11-26", cse=True),
            record(2, "local_authority", "referral", "2021-12-24", cse=True),
        ],
        [
            stored(1, 1, "victim", 1, "Amna Ayesha Kaysan", "2006-08-05"),
            stored(2, 1, "suspect", 2, "Adnan Kaysan", "1982-11-15"),
            stored(3, 2, "subject", 1, "Amna K", "2006-08-05"),
            stored(4, 2, "associate", 1, "Kaysan A", relationship="boyfriend"),
        ],
    )
    found = [
        i for i in compute_indicators(ctx, ReviewSettings())
        if i.code == IndicatorCode.AGE_GAP_PARTNER
    ]  # fmt: skip
    assert [(i.record_id, i.evidence[0]["partner_age"]) for i in found] == [(2, 39)]
