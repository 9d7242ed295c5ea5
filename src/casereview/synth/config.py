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
    "DEFAULT_PROFILE",
    "GENERATOR_VERSION",
    "PROFILES",
    "FailureRates",
    "NoiseRates",
    "SynthConfig",
    "parse_overrides",
    "profile_noise",
]

GENERATOR_VERSION = "3.0.0"

# Police crime records per chunk. Each chunk is an independent slice of London
# 2010-2025 with its own people, so memory does not grow with --cases and the
# world for N cases is a prefix of the world for more cases with the same seed.
CHUNK_CASES = 1000


@dataclass(frozen=True, slots=True)
class NoiseRates:
    """Probability, per person mention, of each kind of recording noise.

    The defaults are the `typical` profile (`PROFILES`; docs/synthetic-data.md gives every
    rate of every profile and why it is plausible). Two kinds of rate:

    - how a value is written: typos, spelling variants, nicknames, wrong dates...;
    - whether a mention carries a value at all, per role (`no_dob_suspect`, ...). A value is
      missing when the role's rate says it was not taken OR the general rate
      (`missing_dob`, `missing_address`) says it was left blank, independently.

    Every rate at zero (`none()`) writes every person exactly as they are.
    """

    # how names are written
    typo: float = 0.04  # one character inserted, dropped, doubled or swapped in a name
    translit: float = 0.30  # a name with known spellings written in another (Mohammed/Muhammad)
    nickname: float = 0.10  # given name written as a known short form (James/Jimmy)
    swap_order: float = 0.04  # given and family name written the wrong way round
    hyphen_partial: float = 0.35  # a double-barrelled surname written as one of its parts
    alias: float = 0.05  # an offender recorded under a street name only
    initials: float = 0.02  # one name reduced to its initial ("A Gupta", "Amit G")
    one_word_name: float = 0.03  # only one of the two names written ("Tyrone")
    middle_name_varies: float = 0.25  # a middle name or patronymic dropped, or added
    non_latin: float = 0.05  # a council record writes a name in its own script (Cyrillic...)
    associate_name_only: float = (
        0.55  # an associate named by a child: a name, nickname or handle only
    )
    # how dates of birth are written
    dob_swap: float = 0.02  # day and month swapped (12/03 for 03/12)
    dob_wrong_year: float = 0.02  # year one off (a slip) or ten off (a mistyped digit)
    dob_year_only: float = 0.03  # only the year known: written 01/01/yyyy or yyyy
    dob_two_digit_year: float = 0.02  # police nominals: dd/mm/yy
    dob_age_only: float = 0.02  # an age at the event instead of a date of birth
    # what a mention carries
    missing_dob: float = 0.06  # no date of birth, any role (left blank)
    no_dob_victim: float = 0.03  # a crime's victim: date of birth not taken
    no_dob_suspect: float = 0.20  # a crime's suspect: not known or not taken
    no_dob_other: float = 0.25  # a witness or reporter
    no_dob_subject: float = 0.35  # the subject of an intelligence report
    no_dob_child: float = 0.0  # the child of a referral or a missing episode
    no_dob_family: float = 0.55  # a parent or sibling named in a referral
    no_dob_associate: float = 0.85  # anyone else named in a referral (named by the child)
    missing_sex: float = 0.03  # sex left blank
    missing_address: float = 0.08  # address and postcode left blank, any role
    no_address_victim: float = 0.10  # a crime's victim: address not taken
    no_address_suspect: float = 0.40  # a crime's suspect: no fixed or known address
    no_address_other: float = 0.20  # a witness or reporter
    no_address_child: float = 0.05  # the child of a referral or a missing episode
    stale_address: float = 0.08  # a previous address written instead of the current one
    missing_phone: float = 0.25  # a known phone not written
    # identifiers
    pnc_blank: float = 0.60  # a suspect or subject with a PNC id recorded without it
    child_id_blank: float = (
        0.40  # a missing episode of a child known to the council without its child id
    )
    child_id_only: float = 0.10  # ... and one with the council's child id and nothing else
    # recorded ethnicity
    ethnicity_blank_suspect: float = 0.55  # ethnicity not recorded, suspects
    ethnicity_blank_other: float = 0.25  # ethnicity not recorded, everyone else

    @classmethod
    def none(cls) -> NoiseRates:
        """Every rate zero: a clean rendering, for debugging and tests."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


# The profiles: how much evidence a mention carries and how it is written. `typical` is
# NoiseRates' defaults; the others change the rates below and keep the rest.
PROFILES: dict[str, NoiseRates] = {
    "clean": NoiseRates(
        typo=0.03,
        translit=0.25,
        nickname=0.05,
        swap_order=0.02,
        alias=0.03,
        initials=0.005,
        one_word_name=0.005,
        middle_name_varies=0.05,
        non_latin=0.01,
        associate_name_only=0.05,
        dob_swap=0.0125,
        dob_wrong_year=0.0125,
        dob_year_only=0.0125,
        dob_two_digit_year=0.0,
        dob_age_only=0.0125,
        no_dob_victim=0.0,
        no_dob_suspect=0.0,
        no_dob_other=0.0,
        no_dob_subject=0.0,
        no_dob_family=0.5,
        no_dob_associate=0.5,
        no_address_victim=0.0,
        no_address_suspect=0.0,
        no_address_other=0.0,
        no_address_child=0.0,
        stale_address=0.05,
        missing_phone=0.15,
        pnc_blank=0.3,
        child_id_blank=0.1,
        child_id_only=0.02,
    ),
    "typical": NoiseRates(),
    "sparse": NoiseRates(
        typo=0.06,
        translit=0.35,
        nickname=0.15,
        swap_order=0.06,
        alias=0.08,
        initials=0.04,
        one_word_name=0.06,
        middle_name_varies=0.35,
        non_latin=0.10,
        associate_name_only=0.75,
        dob_swap=0.03,
        dob_wrong_year=0.04,
        dob_year_only=0.06,
        dob_two_digit_year=0.04,
        dob_age_only=0.04,
        no_dob_victim=0.06,
        no_dob_suspect=0.30,
        no_dob_other=0.45,
        no_dob_subject=0.50,
        no_dob_child=0.03,
        no_dob_family=0.75,
        no_dob_associate=0.95,
        no_address_victim=0.25,
        no_address_suspect=0.55,
        no_address_other=0.40,
        no_address_child=0.20,
        stale_address=0.12,
        missing_phone=0.40,
        pnc_blank=0.8,
        child_id_blank=0.5,
        child_id_only=0.20,
    ),
}
DEFAULT_PROFILE = "typical"


def profile_noise(profile: str) -> NoiseRates:
    """The noise rates of a named profile; ConfigError naming the known ones otherwise."""
    try:
        return PROFILES[profile]
    except KeyError:
        raise ConfigError(
            f"--profile: unknown profile {profile!r}; known: {', '.join(PROFILES)}"
        ) from None


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
    """One generator run: how many police crime records, which seed, which profile and rates.

    `noise` defaults to the profile's rates; given, it replaces them (the profile is then
    only a name in the manifest). The world itself (who exists, what happened) does not
    depend on the profile: the same seed gives the same people in every profile, written
    with more or less evidence.
    """

    cases: int = 9000
    seed: int = 1
    noise: NoiseRates = None  # type: ignore[assignment]  # None: the profile's rates
    failures: FailureRates = field(default_factory=FailureRates)
    profile: str = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        if self.cases < 1:
            raise ConfigError(f"--cases must be at least 1, got {self.cases}")
        if self.seed < 0:
            raise ConfigError(f"--seed must be zero or positive, got {self.seed}")
        rates = profile_noise(self.profile)
        if self.noise is None:
            object.__setattr__(self, "noise", rates)

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready data (for the manifest)."""
        return {
            "cases": self.cases,
            "seed": self.seed,
            "profile": self.profile,
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
