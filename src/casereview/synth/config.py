"""Settings of the synthetic world: size, seed, noise rates and planted-failure rates.

Rates are plain dataclasses so that a run is fully described by its manifest, and
so that the CLI can override any of them by name (`--noise typo=0.05`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TypeVar

from casereview.errors import ConfigError

__all__ = [
    "CHUNK_CASES",
    "GENERATOR_VERSION",
    "FailureRates",
    "NoiseRates",
    "SynthConfig",
    "parse_overrides",
]

GENERATOR_VERSION = "2.2.0"

# Police crime records per chunk. Each chunk is an independent slice of London
# 2010-2025 with its own people, so memory does not grow with --cases and the
# world for N cases is a prefix of the world for more cases with the same seed.
CHUNK_CASES = 1000


@dataclass(frozen=True, slots=True)
class NoiseRates:
    """Probability, per person mention, of each kind of recording noise.

    Defaults keep a typical person recognisable across most mentions: no single
    field is noisy in more than about 5-10% of mentions.
    """

    typo: float = 0.03  # one character inserted, dropped, doubled or swapped in a name
    translit: float = 0.25  # a name with known spellings written in another (Mohammed/Muhammad)
    nickname: float = 0.05  # given name written as a known short form (Robert/Bob)
    swap_order: float = 0.02  # given and family name written the wrong way round
    hyphen_partial: float = 0.35  # a double-barrelled surname written as one of its parts
    alias: float = 0.03  # an offender recorded under a street name only
    missing_dob: float = 0.06  # no date of birth at all
    dob_error: float = 0.05  # day/month swapped, year typo, year only or age only
    missing_sex: float = 0.03  # sex left blank
    missing_address: float = 0.08  # address and postcode left blank
    stale_address: float = 0.05  # a previous address written instead of the current one
    missing_phone: float = 0.15  # a known phone not written
    ethnicity_blank_suspect: float = 0.55  # ethnicity not recorded, suspects
    ethnicity_blank_other: float = 0.25  # ethnicity not recorded, everyone else

    @classmethod
    def none(cls) -> NoiseRates:
        """Every rate zero: a clean rendering, for debugging and tests."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class FailureRates:
    """Probabilities that drive the planted recording failures.

    The truth file lists what actually holds in the exports after generation,
    so these are the knobs, not the counts.
    """

    missing_cse_flag: float = 0.25  # a CSE crime exported without the CSE flag
    wrong_flag_cce_pre2019: float = 0.35  # a criminal-exploitation crime before 2019 flagged CSE
    wrong_flag_other: float = 0.01  # any other non-CSE crime flagged CSE
    intel_unlinked: float = 0.12  # an intelligence report on a known suspect with no linked crime
    police_link_group: float = 0.3  # police linked a group's crimes to one another
    suspect_unlinked: float = 0.3  # a lone offender's crimes left unlinked to one another
    missing_no_referral: float = 0.75  # a child's repeat missing run followed by no referral
    victim_no_la_referral: float = 0.2  # a CSE victim never referred to social care
    la_no_cse_marker: float = 0.15  # a referred CSE victim's referrals carry no CSE concern
    la_only_concern: float = 0.015  # children with an LA CSE concern and no crime, per crime
    victim_arrested: float = 0.04  # a CSE victim recorded as a suspect near the exploitation
    boyfriend: float = 0.05  # an adult offender described as the child's boyfriend


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """One generator run: how many police crime records, which seed, which rates."""

    cases: int = 9000
    seed: int = 1
    noise: NoiseRates = field(default_factory=NoiseRates)
    failures: FailureRates = field(default_factory=FailureRates)

    def __post_init__(self) -> None:
        if self.cases < 1:
            raise ConfigError(f"--cases must be at least 1, got {self.cases}")
        if self.seed < 0:
            raise ConfigError(f"--seed must be zero or positive, got {self.seed}")

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready data (for the manifest)."""
        return {
            "cases": self.cases,
            "seed": self.seed,
            "noise": asdict(self.noise),
            "failures": asdict(self.failures),
        }


R = TypeVar("R", NoiseRates, FailureRates)


def parse_overrides(base: R, text: str | None, option: str) -> R:
    """Apply `name=value,name=value` overrides to a rates dataclass.

    `none` sets every rate to zero. Unknown names and values outside [0, 1]
    raise ConfigError naming the option and the key.
    """
    if text is None or not text.strip():
        return base
    known = {f.name for f in fields(base)}
    changes: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part == "none":
            changes.update({name: 0.0 for name in sorted(known)})
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            raise ConfigError(f"{option}: expected name=value, got {part!r}")
        if name not in known:
            raise ConfigError(f"{option}: unknown rate {name!r}; known: {', '.join(sorted(known))}")
        try:
            rate = float(value)
        except ValueError:
            raise ConfigError(f"{option}: {name} must be a number, got {value!r}") from None
        if not 0.0 <= rate <= 1.0:
            raise ConfigError(f"{option}: {name} must be between 0 and 1, got {rate}")
        changes[name] = rate
    return replace(base, **changes)
