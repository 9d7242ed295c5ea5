"""Synthetic names: a realistic spread (common names recur, a long tail of rarer ones)."""

from __future__ import annotations

import random
from collections import Counter

from casereview.synth.names import ORIGINS, NameSampler, tail_names


def _draw(seed: int, n: int) -> list[tuple[str, str]]:
    sampler = NameSampler(random.Random(seed))
    return [sampler.person("M" if i % 2 else "F")[:2] for i in range(n)]


def test_no_full_name_dominates_and_the_tail_is_used() -> None:
    names = _draw(1, 100_000)
    full = Counter(names)
    family = Counter(f for _g, f in names)
    # Before the long tail, one full name ("Oliver Smith") was 0.9% of all people.
    assert full.most_common(1)[0][1] / len(names) < 0.0025
    assert family.most_common(1)[0][1] / len(names) < 0.03
    assert len(family) > 5_000
    english_tail = set(tail_names("english", "family"))
    assert len(english_tail) >= 400
    assert sum(n for f, n in family.items() if f in english_tail) > 10_000


def test_tail_lists_are_latin_script_and_names_are_deterministic() -> None:
    for origin in ORIGINS:
        for kind in ("family", "male", "female"):
            for name in tail_names(origin.key, kind):
                assert name.strip() == name and name
                assert all(ch.isascii() or ch.isalpha() for ch in name), name
    assert _draw(7, 2_000) == _draw(7, 2_000)
    assert _draw(7, 2_000) != _draw(8, 2_000)
