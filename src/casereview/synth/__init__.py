"""Synthetic world with ground truth, rendered as messy exports of four source systems.

`generate_world(SynthConfig(cases=9000, seed=1, profile="sparse"), Path("out"))` writes police crime,
police intelligence, social-care and missing-episode exports under `out/`, and the
truth (who is who, groups, typologies, planted failures) under `out/truth/`.
Only synthetic people: names are drawn from lists, numbers and marks at random.
The package never imports `casereview.ingest`: it writes files as a foreign system would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casereview.synth.config import (
    CHUNK_CASES,
    DEFAULT_PROFILE,
    GENERATOR_VERSION,
    PROFILES,
    FailureRates,
    NoiseRates,
    SynthConfig,
    parse_overrides,
    profile_noise,
)

if TYPE_CHECKING:
    from casereview.synth.generate import TRUTH_HEADERS, SynthSummary, generate_world

# The generator is imported on first use, so that the command line's `--help` (which lists
# the rate names of `config`) does not load it.
_FROM_GENERATE = ("TRUTH_HEADERS", "SynthSummary", "generate_world")


def __getattr__(name: str) -> Any:
    if name in _FROM_GENERATE:
        from casereview.synth import generate

        return getattr(generate, name)
    raise AttributeError(f"module 'casereview.synth' has no attribute {name!r}")


__all__ = [
    "CHUNK_CASES",
    "DEFAULT_PROFILE",
    "GENERATOR_VERSION",
    "PROFILES",
    "TRUTH_HEADERS",
    "FailureRates",
    "NoiseRates",
    "SynthConfig",
    "SynthSummary",
    "generate_world",
    "parse_overrides",
    "profile_noise",
]
