"""One chunk of the synthetic world: its people and the records each source holds about them.

A chunk is an independent slice of London 2010-2025 with its own RNG derived
from (seed, chunk index), so chunks can be generated in any order or in
parallel and the output stays byte-identical. Stories (`synth.stories`) call
the constructors here to create people and records.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from casereview.synth.config import CHUNK_CASES, FailureRates, NoiseRates
from casereview.synth.entities import (
    LA_CSC,
    MET_CRIME,
    MET_INTEL,
    MET_MISSING,
    Mention,
    Person,
    Record,
)
from casereview.synth.geo import Place, PlaceMaker, random_handle, random_phone, random_vrm
from casereview.synth.names import ORIGIN_BY_KEY, NameSampler

__all__ = ["WORLD_END", "WORLD_START", "ChunkWorld", "last_child_day"]

WORLD_START = date(2010, 1, 1)
WORLD_END = date(2025, 12, 31)


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 2, 28)


def last_child_day(person: Person) -> date:
    """The day before a person's 18th birthday."""
    born = person.birth
    try:
        return born.replace(year=born.year + 18) - timedelta(days=1)
    except ValueError:  # born on 29 February
        return date(born.year + 18, 2, 28)


class ChunkWorld:
    """People and records of one chunk, with constructors that keep ids unique and truth exact."""

    def __init__(
        self, seed: int, chunk: int, cases: int, failures: FailureRates, noise: NoiseRates
    ) -> None:
        if cases > CHUNK_CASES:
            raise ValueError(f"a chunk holds at most {CHUNK_CASES} crimes")
        # str seeds are hashed with SHA-512 by random.Random: stable across runs and platforms.
        self.rng = random.Random(f"casereview-synth:{seed}:{chunk}")  # noqa: S311
        self.chunk = chunk
        self.target = cases
        self.failures = failures
        self.noise = noise
        self.names = NameSampler(self.rng)
        self.places = PlaceMaker(self.rng)
        self.persons: list[Person] = []
        self.crimes: list[Record] = []
        self.intel: list[Record] = []
        self.referrals: list[Record] = []
        self.missing: list[Record] = []
        self.groups: list[tuple[str, list[Person], list[Person]]] = []

    # ---- budget -------------------------------------------------------------------

    def remaining(self) -> int:
        """Police crime records still to create in this chunk."""
        return self.target - len(self.crimes)

    # ---- random helpers -----------------------------------------------------------

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p

    def day_between(self, start: date, end: date) -> date:
        """A uniformly random day in [start, end] (end clipped to the world's end)."""
        end = min(end, WORLD_END)
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def child_day(self, kid: Person, start: date, end: date) -> date | None:
        """A day in [start, end] within the world's years on which `kid` is under 18, or None."""
        start = max(start, WORLD_START)
        end = min(end, last_child_day(kid))
        return self.day_between(start, end) if start <= end else None

    def moment(self, day: date) -> datetime:
        """A time on a day, weighted towards evenings and nights as such events are."""
        hour = self.rng.choice((0, 1, 2, 3, 10, 14, 16, 17, 18, 19, 20, 21, 21, 22, 22, 23, 23))
        return datetime.combine(day, time(hour, self.rng.choice((0, 5, 10, 15, 20, 30, 40, 45))))

    def story_start(self, latest: date = date(2024, 9, 30)) -> date:
        """When a story begins."""
        return self.day_between(WORLD_START, latest)

    # ---- people -------------------------------------------------------------------

    def person(
        self,
        kind: str,
        sex: str,
        birth: date,
        borough: int,
        *,
        family_of: Person | None = None,
        home: Place | None = None,
        phone: bool = True,
    ) -> Person:
        """A new person living in or near a borough; family members share name and home."""
        rng = self.rng
        given, family, origin, ethnicity = self.names.person(sex)
        if family_of is not None:
            origin, ethnicity = family_of.origin, family_of.ethnicity
            for _ in range(5):  # relatives rarely share a given name
                given = self.names.given(ORIGIN_BY_KEY[origin], sex)
                if given != family_of.given:
                    break
            if self.chance(0.8):
                family = family_of.family
        first_home = home or self.places.home(self.places.near(borough))
        homes = [(date(2000, 1, 1), first_home)]
        if home is None and self.chance(0.35):
            homes.append(
                (
                    self.day_between(date(2010, 6, 1), date(2024, 6, 1)),
                    self.places.home(self.places.near(borough)),
                )
            )
        pid = f"P{self.chunk:05d}{len(self.persons):06d}"
        person = Person(pid, kind, sex, birth, given, family, origin, ethnicity, homes)
        person.middle, person.middle_usual = self.names.middle(origin, sex)
        if family_of is not None:
            family_of.household = family_of.household or f"H{family_of.pid}"
            person.household = family_of.household
        if phone:
            person.phones.append((date(2000, 1, 1), random_phone(rng)))
            if self.chance(0.3):
                person.phones.append(
                    (self.day_between(date(2011, 1, 1), date(2024, 1, 1)), random_phone(rng))
                )
        self.persons.append(person)
        return person

    def give_pnc(self, person: Person, year: int) -> None:
        """A Police National Computer id (year of the first arrest / serial + check letter)."""
        if not person.pnc:
            year = max(year, person.birth.year + 10)
            letter = self.rng.choice("ABCDEFGHJKLMNPQRTUVWXYZ")
            person.pnc = f"{year % 100:02d}/{self.rng.randint(1, 999999):06d}{letter}"

    def birth_for_age(self, age: int, on: date) -> date:
        """A birth date giving `age` on day `on`."""
        latest = _years_before(on, age)  # born on this day: exactly `age` on `on`
        earliest = _years_before(on, age + 1) + timedelta(days=1)
        return self.day_between(earliest, latest)

    def child(self, borough: int, age: int, on: date, sex: str | None = None) -> Person:
        """A child aged `age` on a day, with usually one parent recorded."""
        sex = sex or ("F" if self.chance(0.8) else "M")
        return self.person("child", sex, self.birth_for_age(age, on), borough, phone=age >= 11)

    def sibling(self, kid: Person, parent: Person) -> Person:
        """A brother or sister of a child: same home and (mostly) surname, born 1-9 years
        apart, and after the parent turned 18."""
        sex = self.rng.choice("FM")
        gap = timedelta(days=self.rng.randint(365, 9 * 365))
        older = kid.birth - gap
        adult = _years_before(parent.birth, -18)
        birth = older if self.chance(0.5) and older > adult else kid.birth + gap
        return self.person(
            "family",
            sex,
            birth,
            kid.homes[0][1].borough,
            family_of=kid,
            home=kid.homes[0][1],
            phone=self.chance(0.6),
        )

    def parent(self, kid: Person) -> Person:
        """A parent or carer of a child, living at the child's first home."""
        sex = "F" if self.chance(0.7) else "M"
        age = self.rng.randint(22, 40)
        birth = self.birth_for_age(age, kid.birth)
        return self.person(
            "family", sex, birth, kid.homes[0][1].borough, family_of=kid, home=kid.homes[0][1]
        )

    def offender(self, borough: int, age: int, on: date, *, child: bool = False) -> Person:
        """An offender (adult, or under 18 when `child`), mostly male, sometimes with a car."""
        sex = "M" if self.chance(0.9) else "F"
        kind = "child_offender" if child else "adult_offender"
        person = self.person(kind, sex, self.birth_for_age(age, on), borough)
        if self.chance(0.45):
            person.alias = self.names.street_name()
        if not child and self.chance(0.4):
            person.vehicle = random_vrm(self.rng, self.rng.randint(1995, on.year))
        if self.chance(0.4):
            person.handle = random_handle(self.rng, person.alias or person.given)
        if self.chance(0.3 if child else 0.55):  # arrested before: the police hold a PNC id
            self.give_pnc(person, self.rng.randint(max(1995, person.birth.year + 12), on.year))
        return person

    # ---- records ------------------------------------------------------------------

    def crime(
        self,
        when: datetime,
        borough: int,
        offence: str,
        mentions: list[Mention],
        *,
        is_cse: bool,
        typology: tuple[str, ...] = (),
        group_id: str = "",
        outcome: str = "",
        place: Place | None = None,
        narrative: str = "",
        cce: bool = False,
    ) -> Record:
        """A police crime record; the CSE flag is set here, with the planted errors."""
        recorded = when.date() + timedelta(days=self.rng.choice((0, 0, 0, 1, 1, 2, 3, 7, 14, 30)))
        if is_cse and self.chance(0.08):  # historic disclosure, recorded years later
            recorded = when.date() + timedelta(days=self.rng.randint(365, 5 * 365))
        recorded = min(recorded, WORLD_END)
        index = self.chunk * CHUNK_CASES + len(self.crimes) + 1
        ref = f"CRIS/{index:07d}/{recorded.year % 100:02d}"
        rates = self.failures
        if is_cse:
            flag = ("N" if self.chance(0.6) else "") if self.chance(rates.missing_cse_flag) else "Y"
        else:
            wrong = (
                rates.wrong_flag_cce_pre2019 if cce and when.year < 2019 else rates.wrong_flag_other
            )
            flag = "Y" if self.chance(wrong) else ("N" if self.chance(0.7) else "")
        for m in mentions:
            self.show_objects(m, when.date(), 0.55 if m.role == "S" else 0.35)
            if m.arrested:
                self.give_pnc(m.person, when.year)
        record = Record(
            MET_CRIME,
            ref,
            when,
            borough,
            is_cse,
            typology,
            group_id,
            mentions,
            narrative,
            place,
            offence=offence,
            recorded=recorded,
            cse_flag=flag,
            outcome=outcome,
            cce=cce,
        )
        self.crimes.append(record)
        return record

    def show_objects(self, mention: Mention, on: date, phone_rate: float) -> None:
        """Decide whether the record shows the person's phone (a known phone is often not written)."""
        if not mention.phone and self.chance(phone_rate * (1 - self.noise.missing_phone)):
            mention.phone = mention.person.phone_at(on)

    def intelligence(
        self,
        when: datetime,
        borough: int,
        subjects: list[Mention],
        text: str,
        *,
        is_cse: bool,
        typology: tuple[str, ...] = (),
        group_id: str = "",
        linked: list[str] | None = None,
        vehicles: list[str] | None = None,
        phones: list[str] | None = None,
        places: list[str] | None = None,
        handles: list[str] | None = None,
    ) -> Record:
        """An intelligence report naming one or more subjects."""
        rng = self.rng
        if when.year < 2016:
            grading = f"{rng.choice('ABCDE')}{rng.randint(1, 5)}{rng.choice('1345')}"
        else:
            grading = f"{rng.choice('ABC')}/{rng.randint(1, 5)}/{rng.choice('PPPC')}"
        ref = f"IR{self.chunk:05d}{len(self.intel) + 1:05d}"
        for m in subjects:
            self.show_objects(m, when.date(), 0.4)
        record = Record(
            MET_INTEL,
            ref,
            when,
            borough,
            is_cse,
            typology,
            group_id,
            subjects,
            text,
            grading=grading,
            linked=list(linked or []),
            vehicles=list(vehicles or []),
            phones=list(phones or []),
            places=list(places or []),
            handles=list(handles or []),
        )
        self.intel.append(record)
        return record

    def referral(
        self,
        kid: Person,
        when: datetime,
        factors: list[str],
        *,
        cse_concern: bool,
        is_cse: bool,
        typology: tuple[str, ...] = (),
        group_id: str = "",
        associates: list[Mention] | None = None,
        summary: str = "",
        referrer: str = "Police",
    ) -> Record:
        """A social-care referral or assessment about a child, with named associates."""
        rng = self.rng
        ref = f"CSC{self.chunk:05d}{len(self.referrals) + 1:05d}"
        kind = "assessment" if self.chance(0.3) else "referral"
        outcome = rng.choice(("NFA", "EH", "S17", "S17", "S47", "CP", "LAC", "INFO"))
        mentions = [Mention(kid, "child"), *(associates or [])]
        for m in mentions[1:]:
            self.show_objects(m, when.date(), 0.3)
        record = Record(
            LA_CSC,
            ref,
            when,
            kid.home_at(when.date()).borough,
            is_cse,
            typology,
            group_id,
            mentions,
            summary,
            factors=factors,
            cse_concern=cse_concern,
            la_kind=kind,
            la_outcome=outcome,
            referrer=referrer,
        )
        self.referrals.append(record)
        return record

    def missing_episode(
        self,
        kid: Person,
        when: datetime,
        *,
        hours: int,
        found_at: str,
        risk: str,
        referral_made: str,
        is_cse: bool,
        typology: tuple[str, ...] = (),
        group_id: str = "",
        narrative: str = "",
    ) -> Record:
        """A missing-person episode of a child."""
        ref = f"ME{self.chunk:05d}{len(self.missing) + 1:05d}"
        returned = when + timedelta(hours=hours) if hours > 0 else None
        record = Record(
            MET_MISSING,
            ref,
            when,
            kid.home_at(when.date()).borough,
            is_cse,
            typology,
            group_id,
            [Mention(kid, "child")],
            narrative,
            returned=returned,
            found_at=found_at,
            risk=risk,
            referral_made=referral_made,
        )
        self.missing.append(record)
        return record
