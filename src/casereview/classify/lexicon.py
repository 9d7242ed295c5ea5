"""Text indicators: a documented lexicon of signs of exploitation found in case narratives.

Each indicator has an id, a definition, a weight (how much it adds to the strength of
`cse_likely`) and word-boundary regular expressions. A match preceded in the same sentence by a
negation cue ("no concerns of", "denies", "no evidence of") does not count. Indicators of
*criminal* exploitation (county lines) are kept apart: they let the rules tell CCE from CSE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["INDICATORS", "Indicator", "IndicatorHit", "find_indicators"]


@dataclass(frozen=True)
class Indicator:
    """One text indicator of the lexicon."""

    id: str
    kind: str  # "cse_sexual", "cse_grooming", "cce", "online", "peer", "group", "staff"
    weight: float
    definition: str
    patterns: tuple[str, ...]

    def compiled(self) -> list[re.Pattern[str]]:
        return [re.compile(rf"(?<!\w)(?:{p})(?!\w)", re.IGNORECASE) for p in self.patterns]


@dataclass(frozen=True)
class IndicatorHit:
    """An indicator found in a text, with the words that matched."""

    id: str
    kind: str
    weight: float
    matched: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "X-SEX-01",
        "cse_sexual",
        0.7,
        "Sexual activity or contact with the child is described",
        (r"sexual (?:activity|contact|abuse)", r"sexually (?:exploited|abused)"),
    ),
    Indicator(
        "X-SEX-02",
        "cse_sexual",
        0.7,
        "Named exploitation: CSE team, sexual exploitation, sexual grooming",
        (r"cse team", r"sexual(?:ly)? exploit\w*", r"sexual grooming"),
    ),
    Indicator(
        "X-IMG-01",
        "cse_sexual",
        0.6,
        "Sexual images of the child asked for, sent or shared",
        (r"(?:asked for|sent|shared|circulated) images", r"images (?:circulated|shared)"),
    ),
    Indicator(
        "X-OLD-01",
        "cse_grooming",
        0.5,
        "An older or adult male (or males) with the child",
        (r"older (?:males?|men|man)", r"adult males?", r"older male friend"),
    ),
    Indicator(
        "X-GIRLS-01",
        "cse_grooming",
        0.6,
        "Adults seen with or meeting young or school-age girls",
        (r"(?:young|local|school-age|underage) (?:females|girls)", r"collecting girls"),
    ),
    Indicator(
        "X-BF-01",
        "cse_grooming",
        0.3,
        "An older 'boyfriend' (quoted or described as older)",
        (r"'boyfriend'", r"older boyfriend", r"boyfriend aged"),
    ),
    Indicator(
        "X-GIFT-01",
        "cse_grooming",
        0.3,
        "Gifts, new clothes, a new phone or money the child cannot explain",
        (r"gifts?", r"new clothes", r"new phone", r"buys them"),
    ),
    Indicator(
        "X-DRIVE-01",
        "cse_grooming",
        0.3,
        "Being driven, collected or given lifts; found in or getting into a car",
        (
            r"driven to",
            r"gave lifts",
            r"lifts",
            r"collects (?:her|him) in a car",
            r"getting into a car",
            r"found in a vehicle",
            r"taken to addresses",
        ),
    ),
    Indicator(
        "X-HOTEL-01",
        "cse_grooming",
        0.3,
        "Hotels, B&Bs or short-let addresses",
        (r"hotels?", r"b&b", r"short-let"),
    ),
    Indicator(
        "X-MISS-01",
        "cse_grooming",
        0.3,
        "Missing overnight or returning the next day without saying where",
        (r"missing overnight", r"returned next day", r"would not say where"),
    ),
    Indicator(
        "X-ALC-01",
        "cse_grooming",
        0.3,
        "Alcohol or drugs given or supplied to the child",
        (
            r"given (?:alcohol|drugs|cannabis)",
            r"supply alcohol",
            r"alcohol on breath",
            r"alcohol and cannabis",
        ),
    ),
    Indicator(
        "X-TOPUP-01",
        "cse_grooming",
        0.3,
        "Phone top-ups or phone credit provided",
        (r"top-?ups?", r"phone credit"),
    ),
    Indicator(
        "X-GRP-01",
        "group",
        0.5,
        "Several males acting together ('group of males', 'introduced to their friends')",
        (
            r"group of males",
            r"introduced to their friends",
            r"and associates",
            r"males known to each other",
            r"two adult males",
        ),
    ),
    Indicator(
        "X-ONL-01",
        "online",
        0.3,
        "Contact or grooming online (social media, a handle, messages online)",
        (
            r"contacted online",
            r"via social media",
            r"groomed via",
            r"online by user",
            r"account data",
        ),
    ),
    Indicator(
        "X-PEER-01",
        "peer",
        0.0,
        "The other party is described as a peer or a boy from school",
        (r"boy from school", r"year-old peer", r"peer"),
    ),
    Indicator(
        "X-STAFF-01",
        "staff",
        0.0,
        "The adult is a member of staff or a professional at the child's institution",
        (r"member of staff", r"staff member", r"designated safeguarding lead"),
    ),
    Indicator(
        "X-CCE-01",
        "cce",
        0.0,
        "County lines or drug supply by children (criminal exploitation)",
        (
            r"county lines?",
            r"drugs? line",
            r"deal line",
            r"trap house",
            r"class a",
            r"wraps",
            r"criminal exploitation",
            r"drug supply",
            r"running a county line",
            r"travel(?:l?ing|l?ed|s)? to \w+",
            r"(?:sell|selling|sold|deal|dealing|run|running|carry|carrying|hold|holding)"
            r" (?:drugs|crack|heroin|class a)",
            r"to deliver",
            r"going country",
            r"cuckoo(?:ing|ed)",
            r"plugging",
            r"drug debt",
            r"line phone",
        ),
    ),
)

_COMPILED = [(ind, ind.compiled()) for ind in INDICATORS]
# One search per indicator first: most texts hold few indicators, so most are ruled out at
# once; the per-pattern order (which decides the evidence shown) applies only on a hit.
_ANY = [
    re.compile(rf"(?<!\w)(?:{'|'.join(f'(?:{p})' for p in ind.patterns)})(?!\w)", re.IGNORECASE)
    for ind in INDICATORS
]
_NEGATION = re.compile(
    r"\b(?:no concerns? (?:of|about|for|regarding)|no (?:evidence|indication|suggestion) of|"
    r"not (?:believed|thought) to be|denies|denied|ruled out)\b[^.;]*$",
    re.IGNORECASE,
)


def _negated(text: str, start: int) -> bool:
    """True when a negation cue precedes `start` within the same sentence."""
    sentence_start = max(text.rfind(".", 0, start), text.rfind(";", 0, start)) + 1
    return bool(_NEGATION.search(text[sentence_start:start]))


def find_indicators(text: str) -> list[IndicatorHit]:
    """Every indicator found (once each, first non-negated match), in lexicon order."""
    hits: list[IndicatorHit] = []
    if not text:
        return hits
    for (indicator, patterns), any_pattern in zip(_COMPILED, _ANY, strict=True):
        if any_pattern.search(text) is None:
            continue
        for pattern in patterns:
            match = next((m for m in pattern.finditer(text) if not _negated(text, m.start())), None)
            if match is not None:
                hits.append(
                    IndicatorHit(indicator.id, indicator.kind, indicator.weight, match.group(0))
                )
                break
    return hits
