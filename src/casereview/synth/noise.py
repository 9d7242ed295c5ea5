"""Recording noise applied to each person mention as it is written out.

Noise uses its own RNG stream (derived from seed and chunk), so changing a
noise rate changes how people are written but never who they are or what
happened to them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from casereview.synth.config import NoiseRates
from casereview.synth.entities import Person, age_at
from casereview.synth.geo import Place
from casereview.synth.names import nickname_of, spelling_variants

__all__ = ["Dob", "MentionNoise"]

_KEY_NEIGHBOURS = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


@dataclass(frozen=True, slots=True)
class Dob:
    """A date of birth as a source writes it: full (possibly wrong), year only, an age, or nothing."""

    kind: str  # full, year, age, none
    day: date | None = None
    year: int | None = None
    age: int | None = None


class MentionNoise:
    """Draws the noisy written form of a person's attributes for one mention."""

    def __init__(self, rng: random.Random, rates: NoiseRates) -> None:
        self.rng = rng
        self.rates = rates

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return p > 0 and self.rng.random() < p

    def typo(self, name: str) -> str:
        """One keyboard slip: a letter dropped, doubled, swapped with its neighbour or mistyped."""
        if len(name) < 3:
            return name
        rng = self.rng
        i = rng.randint(1, len(name) - 2)
        op = rng.randint(0, 3)
        if op == 0:
            return name[:i] + name[i + 1 :]
        if op == 1:
            return name[:i] + name[i] + name[i:]
        if op == 2:
            return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        near = _KEY_NEIGHBOURS.get(name[i].lower())
        return name[:i] + (rng.choice(near) if near else name[i]) + name[i + 1 :]

    def given(self, person: Person) -> str:
        """Given name with nickname, spelling variant or typo noise."""
        name = person.given
        nicks = nickname_of(name)
        variants = spelling_variants(name)
        if nicks and self.chance(self.rates.nickname):
            name = self.rng.choice(nicks)
        elif variants and self.chance(self.rates.translit):
            name = self.rng.choice(variants)
        if self.chance(self.rates.typo):
            name = self.typo(name)
        return name

    def family(self, person: Person) -> str:
        """Family name with partial double-barrel, spelling variant or typo noise."""
        name = person.family
        if "-" in name and self.chance(self.rates.hyphen_partial):
            name = self.rng.choice(name.split("-"))
        elif spelling_variants(name) and self.chance(self.rates.translit):
            name = self.rng.choice(spelling_variants(name))
        if self.chance(self.rates.typo):
            name = self.typo(name)
        return name

    def names(self, person: Person) -> tuple[str, str]:
        """(given, family) as written; offenders are sometimes recorded by street name only."""
        if person.alias and self.chance(self.rates.alias):
            return person.alias, ""
        given, family = self.given(person), self.family(person)
        if self.chance(self.rates.swap_order):
            given, family = family, given
        return given, family

    def dob(self, person: Person, on: date) -> Dob:
        """The date of birth as written, with its errors."""
        if self.chance(self.rates.missing_dob):
            return Dob("none")
        born = person.birth
        if not self.chance(self.rates.dob_error):
            return Dob("full", day=born)
        kind = self.rng.randint(0, 3)
        if kind == 0 and born.day <= 12 and born.day != born.month:
            return Dob("full", day=date(born.year, born.day, born.month))
        if kind <= 1:
            year = born.year + self.rng.choice((-1, 1, -10, 10))
            try:
                return Dob("full", day=born.replace(year=year))
            except ValueError:  # 29 February
                return Dob("full", day=date(year, 2, 28))
        if kind == 2:
            return Dob("year", year=born.year)
        return Dob("age", age=age_at(born, on))

    def sex(self, person: Person) -> str:
        """F, M or empty."""
        return "" if self.chance(self.rates.missing_sex) else person.sex

    def address(self, person: Person, on: date) -> Place | None:
        """The address written: usually the current one, sometimes stale, sometimes none."""
        if self.chance(self.rates.missing_address):
            return None
        if self.chance(self.rates.stale_address):
            previous = person.previous_home(on)
            if previous is not None:
                return previous
        return person.home_at(on)

    def ethnicity_shown(self, suspect: bool) -> bool:
        """Whether ethnicity was recorded at all on this mention."""
        blank = self.rates.ethnicity_blank_suspect if suspect else self.rates.ethnicity_blank_other
        return not self.chance(blank)
