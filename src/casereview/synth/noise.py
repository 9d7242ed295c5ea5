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
from casereview.synth.scripts import in_script

__all__ = ["SLOTS", "Dob", "MentionNoise"]

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


# The roles whose evidence a profile sets apart (NoiseRates `no_dob_<slot>`, `no_address_<slot>`).
SLOTS = ("victim", "suspect", "other", "subject", "child", "family", "associate")
_INITIAL_FAMILY = 0.5  # of initials: the family name reduced ("Amit G"), else the given name
_ONE_WORD_GIVEN = 0.7  # of one-word names: the given name kept ("Tyrone"), else the family name


@dataclass(frozen=True, slots=True)
class Dob:
    """A date of birth as a source writes it: full (possibly wrong), year only, an age, or nothing.

    `two_digit`: a police nominal writes the year with two digits (dd/mm/yy).
    """

    kind: str  # full, year, age, none
    day: date | None = None
    year: int | None = None
    age: int | None = None
    two_digit: bool = False


class MentionNoise:
    """Draws the noisy written form of a person's attributes for one mention.

    `begin()` starts a mention; every kind of noise drawn for it is noted, and `take()`
    returns their codes (for truth/mention_noise.csv).
    """

    def __init__(self, rng: random.Random, rates: NoiseRates) -> None:
        self.rng = rng
        self.rates = rates
        self._applied: set[str] = set()

    def begin(self) -> None:
        """Start a new mention."""
        self._applied = set()

    def note(self, code: str) -> None:
        """Record that a kind of noise was applied to the current mention."""
        self._applied.add(code)

    def take(self) -> str:
        """The codes of the noise applied to the current mention, sorted, `;`-separated."""
        return ";".join(sorted(self._applied))

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
        self.note("typo")
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
            self.note("nickname")
        elif variants and self.chance(self.rates.translit):
            name = self.rng.choice(variants)
            self.note("translit")
        if self.chance(self.rates.typo):
            name = self.typo(name)
        return name

    def family(self, person: Person) -> str:
        """Family name with partial double-barrel, spelling variant or typo noise."""
        name = person.family
        if "-" in name and self.chance(self.rates.hyphen_partial):
            name = self.rng.choice(name.split("-"))
            self.note("hyphen_partial")
        elif spelling_variants(name) and self.chance(self.rates.translit):
            name = self.rng.choice(spelling_variants(name))
            self.note("translit")
        if self.chance(self.rates.typo):
            name = self.typo(name)
        return name

    def middle(self, person: Person) -> str:
        """The middle names as this record writes them: as usual, or dropped, or added."""
        if not person.middle:
            return ""
        written = person.middle_usual
        if self.chance(self.rates.middle_name_varies):
            written = not written
            self.note("middle_added" if written else "middle_dropped")
        return person.middle if written else ""

    def names(self, person: Person, *, scripts: bool = False) -> tuple[str, str]:
        """(given, family) as written; offenders are sometimes recorded by street name only.

        The given part holds any middle names written. `scripts`: the source may write a
        name in its own script (some council records).
        """
        if person.alias and self.chance(self.rates.alias):
            self.note("alias")
            return person.alias, ""
        middle = self.middle(person)
        if scripts and self.chance(self.rates.non_latin):
            given_true = f"{person.given} {middle}".strip()
            written = in_script(person.origin, given_true, person.family)
            if written is not None:
                self.note("non_latin")
                return written
        given, family = self.given(person), self.family(person)
        if middle:
            given = f"{given} {middle}"
        if self.chance(self.rates.initials):
            self.note("initials")
            if self.chance(_INITIAL_FAMILY):
                family = family[:1]
            else:
                given = given[:1]
        if self.chance(self.rates.one_word_name):
            self.note("one_word")
            if self.chance(_ONE_WORD_GIVEN):
                family = ""
            else:
                given = ""
        if given and family and self.chance(self.rates.swap_order):
            self.note("swap")
            given, family = family, given
        return given, family

    def name_only(self, person: Person) -> tuple[str, str] | None:
        """How a child names an associate they know only by name: (name, handle), or None
        when this record names them in full. The name is a given name (sometimes a
        nickname), a street name, or empty beside the online handle."""
        if not self.chance(self.rates.associate_name_only):
            return None
        self.note("name_only")
        forms = ["given", "given"]
        if person.alias:
            forms += ["alias", "alias"]
        if person.handle:
            forms += ["handle"]
        form = self.rng.choice(forms)
        handle = f"@{person.handle}" if person.handle and self.chance(0.5) else ""
        if form == "alias":
            return person.alias, handle
        if form == "handle":
            return "", f"@{person.handle}"
        nicks = nickname_of(person.given)
        if nicks and self.chance(0.4):
            return self.rng.choice(nicks), handle
        return person.given, handle

    def dob(self, person: Person, on: date, slot: str) -> Dob:
        """The date of birth as written by a source for a mention in a role, with its errors."""
        if self.chance(getattr(self.rates, f"no_dob_{slot}")) or self.chance(
            self.rates.missing_dob
        ):
            self.note("dob_missing")
            return Dob("none")
        born = person.birth
        if self.chance(self.rates.dob_year_only):
            self.note("dob_year_only")
            return Dob("year", year=born.year)
        if self.chance(self.rates.dob_age_only):
            self.note("dob_age_only")
            return Dob("age", age=age_at(born, on))
        day = born
        if born.day <= 12 and born.day != born.month and self.chance(self.rates.dob_swap):
            self.note("dob_swap")
            day = date(born.year, born.day, born.month)
        if self.chance(self.rates.dob_wrong_year):
            self.note("dob_wrong_year")
            year = day.year + self.rng.choice((-1, 1, -1, 1, -10, 10))
            try:
                day = day.replace(year=year)
            except ValueError:  # 29 February
                day = date(year, 2, 28)
        two_digit = self.chance(self.rates.dob_two_digit_year)
        return Dob("full", day=day, two_digit=two_digit)

    def sex(self, person: Person) -> str:
        """F, M or empty."""
        return "" if self.chance(self.rates.missing_sex) else person.sex

    def address(self, person: Person, on: date, slot: str) -> Place | None:
        """The address written: usually the current one, sometimes stale, sometimes none."""
        role_rate = getattr(self.rates, f"no_address_{slot}", 0.0)
        if self.chance(role_rate) or self.chance(self.rates.missing_address):
            self.note("address_missing")
            return None
        if self.chance(self.rates.stale_address):
            previous = person.previous_home(on)
            if previous is not None:
                self.note("address_stale")
                return previous
        return person.home_at(on)

    def ethnicity_shown(self, suspect: bool) -> bool:
        """Whether ethnicity was recorded at all on this mention."""
        blank = self.rates.ethnicity_blank_suspect if suspect else self.rates.ethnicity_blank_other
        return not self.chance(blank)
