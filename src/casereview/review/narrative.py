"""Ages written in a record's narrative, for mentions whose structured age and DOB are missing.

Exports often leave the age and date of birth blank while the free text still says how old
the child (or the adult described as their partner) was. Two rules read it, both documented in
docs/indicators.md ("Ages read from the narrative"):

- the child's age: an "(F, 14)"-style tag (sex, age in brackets, as in "IP (F, 14)") names the
  record's subject, so when one is present only tagged ages count; otherwise "aged 14",
  "age 14" and "14-year-old". Only ages under `below` (a child's) count, and only one distinct
  age may be found: two different child ages in one text are ambiguous and give none;
- the partner's age: a partner word ("boyfriend", ...; quotes allowed) followed by "aged
  [about] 22" or "(22)", or preceded by "22-year-old". Again one distinct age, or none. When
  the partner is the record's only suspect, the words that describe a peer ("a boy from school
  (18)", "a 18-year-old peer") count as partner words.

Both are used only for a record with exactly one victim or subject (the child) and, for the
partner, exactly one mention written with a partner word, so the age cannot go to the wrong
person. Written ages are read as given; "about 22" is read as 22.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["PEER_WORDS", "child_age_in_text", "partner_age_in_text"]

# How a narrative describes the other party of peer abuse: read like a partner word when that
# person is the record's only suspect.
PEER_WORDS = frozenset({"peer", "boy from school"})

_TAGGED = re.compile(r"\(\s*(?:f|m|female|male)\s*,\s*(\d{1,2})\s*\)", re.IGNORECASE)
_APPROX = r"(?:about\s+|around\s+|approximately\s+|approx\.?\s+|c\.\s*)?"
_AGED = re.compile(rf"\bage[d]?\s+{_APPROX}(\d{{1,2}})\b", re.IGNORECASE)
_YEAR_OLD = re.compile(r"\b(\d{1,2})[\s-]*(?:years?|yrs?)[\s-]*old\b", re.IGNORECASE)


def _one(ages: Iterable[int]) -> int | None:
    distinct = set(ages)
    return distinct.pop() if len(distinct) == 1 else None


@lru_cache(maxsize=4096)
def child_age_in_text(text: str | None, below: int = 18) -> int | None:
    """The child's age as the narrative writes it, or None when absent or ambiguous."""
    if not text:
        return None
    tagged = [int(a) for a in _TAGGED.findall(text)]
    if tagged:
        return _one(a for a in tagged if a < below)
    loose = [int(a) for a in _AGED.findall(text)] + [int(a) for a in _YEAR_OLD.findall(text)]
    return _one(a for a in loose if a < below)


@lru_cache(maxsize=64)
def _partner_patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    word = rf"['\"‘’“”]?\b(?:{alternatives})\b['\"‘’“”]?"
    after = re.compile(
        rf"{word}\s*,?\s*(?:aged\s+{_APPROX}(\d{{1,2}})\b|\(\s*(\d{{1,2}})\s*\))", re.IGNORECASE
    )
    before = re.compile(rf"\b(\d{{1,2}})[\s-]*(?:years?|yrs?)[\s-]*old\s+{word}", re.IGNORECASE)
    return after, before


def partner_age_in_text(text: str | None, words: Iterable[str]) -> int | None:
    """The age the narrative gives the person written as a partner, or None."""
    if not text:
        return None
    after, before = _partner_patterns(tuple(sorted({w.lower() for w in words})))
    ages = [int(a or b) for a, b in after.findall(text)]
    ages += [int(a) for a in before.findall(text)]
    return _one(ages)
