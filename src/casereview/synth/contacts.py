"""What happens around a story: parents, reporters, missing episodes, referrals, arrests, intelligence.

Shared by every story in `synth.stories`: this is where children go missing,
are referred to social care (or not), are arrested themselves, and where
intelligence is written and (sometimes) linked to crimes.
"""

from __future__ import annotations

from datetime import date, timedelta

from casereview.synth.entities import Mention, Person, Record, age_at
from casereview.synth.geo import BOROUGHS, Place
from casereview.synth.narrative import Narrator
from casereview.synth.world import WORLD_END, ChunkWorld, last_child_day

__all__ = ["OUTCOMES", "AgencyContacts", "pick"]

ARREST_OFFENCES = (
    "Theft - shoplifting",
    "Common assault",
    "Criminal damage",
    "Possession of cannabis",
    "Public order offence",
)

OUTCOMES = {
    "cse": (
        ("16", 30),
        ("15", 18),
        ("14", 8),
        ("21", 5),
        ("1", 14),
        ("18", 5),
        ("20", 4),
        ("10", 2),
        ("", 4),
    ),
    "cce": (("1", 40), ("2", 10), ("15", 15), ("16", 10), ("22", 10), ("20", 5), ("", 5)),
    "other": (
        ("1", 20),
        ("3", 5),
        ("2", 5),
        ("8", 10),
        ("14", 10),
        ("15", 10),
        ("16", 10),
        ("18", 25),
        ("", 5),
    ),
    "arrest": (("8", 30), ("2", 20), ("22", 20), ("16", 10), ("1", 10), ("21", 10)),
}


# Missing episodes around a CSE victim's exploitation: children exploited by a group (taken
# to hotels and flats) go missing far more often than children abused by one person.
_MISSING_COUNTS = (0, 1, 2, 3, 4, 5, 6, 8)
_MISSING_IN_GROUP = (44, 25, 15, 7, 4, 2.5, 1.5, 1)  # 16% three or more
_MISSING_OTHER = (66, 22, 9, 1.5, 0.9, 0.4, 0.2, 0)  # 3% three or more
# Households: a child known to social care often has a brother or sister recorded with them;
# some of those siblings are themselves reported missing (other children of one home).
_SIBLING = 0.45  # a child has a sibling on record
_SIBLING_IN_REFERRAL = 0.35  # the sibling is named in one of the child's referrals
_SIBLING_MISSING = 0.25  # the sibling has missing episodes of their own
# A CSE victim placed or moving out of borough during their exploitation (children in care
# are often placed outside their home borough): records of two councils, two child ids.
_MOVES_COUNCIL = 0.12


def pick(world: ChunkWorld, table: tuple[tuple[str, int], ...]) -> str:
    """A value drawn from a (value, weight) table."""
    return world.rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


class AgencyContacts:
    """Agency contacts around a child or offender, bound to one chunk."""

    def __init__(self, world: ChunkWorld) -> None:
        self.w = world
        self.rng = world.rng
        self.say = Narrator(world.rng)
        self._parents: dict[str, Person] = {}
        self._siblings: dict[str, Person | None] = {}

    def parent_of(self, kid: Person) -> Person:
        """The child's recorded parent or carer, created on first need."""
        if kid.pid not in self._parents:
            self._parents[kid.pid] = self.w.parent(kid)
        return self._parents[kid.pid]

    def parent_mention(self, kid: Person) -> Mention:
        """The child's parent as a social-care associate."""
        parent = self.parent_of(kid)
        rel = "mother" if parent.sex == "F" else "father"
        return Mention(parent, rel, rel)

    def sibling_of(self, kid: Person) -> Person | None:
        """The child's recorded brother or sister (decided on first need), or None."""
        if kid.pid not in self._siblings:
            sibling = None
            if self.w.chance(_SIBLING):
                parent = self.parent_of(kid)
                sibling = self.w.sibling(kid, parent)
                # One household: the same parent, each the other's sibling.
                self._parents[sibling.pid] = parent
                self._siblings[sibling.pid] = kid
            self._siblings[kid.pid] = sibling
            if sibling is not None and self.w.chance(_SIBLING_MISSING):
                # Children go missing from about ten, so the run starts after then.
                ten = sibling.birth + timedelta(days=3653)
                start = self.w.child_day(sibling, ten, date(2024, 9, 30))
                if start is not None:
                    self.missing_run(
                        sibling,
                        start,
                        start + timedelta(days=300),
                        "plain",
                        (),
                        "",
                        False,
                        count=self.rng.choice((1, 1, 2, 3)),
                    )
        return self._siblings[kid.pid]

    def family_associates(self, kid: Person) -> list[Mention]:
        """The people of a child's household a referral names: a parent, sometimes a sibling."""
        found = [self.parent_mention(kid)]
        sibling = self.sibling_of(kid)
        if sibling is not None and self.w.chance(_SIBLING_IN_REFERRAL):
            rel = "sister" if sibling.sex == "F" else "brother"
            found.append(Mention(sibling, rel, rel))
        return found

    def reporter(self, kid: Person, mentions: list[Mention]) -> None:
        """Sometimes add a parent (R) to a crime's people."""
        if self.w.chance(0.4):
            parent = self.parent_of(kid)
            mentions.append(Mention(parent, "R", "mother" if parent.sex == "F" else "father"))

    def cse_agency(
        self,
        kid: Person,
        start: date,
        end: date,
        typology: tuple[str, ...],
        gid: str,
        offenders: list[Person],
        crime_days: list[date],
    ) -> None:
        """Missing episodes, referrals and arrests around a CSE victim's exploitation."""
        w, rates = self.w, self.w.failures
        if w.chance(_MOVES_COUNCIL):  # placed or moved out of borough during the story
            home = kid.home_at(start)
            others = [b for b in range(len(BOROUGHS)) if b != home.borough]
            moved = w.places.home(self.rng.choice(others))
            kid.homes.append((w.day_between(start, end), moved))
            kid.homes.sort(key=lambda h: h[0])
        referred = not w.chance(rates.victim_no_la_referral)
        concern = referred and not w.chance(rates.la_no_cse_marker)
        alias = next((o.alias for o in offenders if o.alias), "")
        weights = _MISSING_IN_GROUP if gid else _MISSING_OTHER
        self.missing_run(
            kid,
            start,
            end,
            "cse",
            typology,
            gid,
            concern,
            count=self.rng.choices(_MISSING_COUNTS, weights=weights)[0],
            alias=alias,
        )
        if referred:
            for _ in range(self.rng.choices((1, 2, 3), weights=(55, 30, 15))[0]):
                maybe = w.child_day(kid, start, end + timedelta(days=60))
                if maybe is None:
                    continue
                day = maybe
                associates = self.family_associates(kid)
                if offenders and w.chance(0.5):
                    off = self.rng.choice(offenders)
                    rel = "boyfriend" if w.chance(rates.boyfriend) else "older male friend"
                    associates.append(Mention(off, rel, rel))
                factors = ["CSE"] if concern else []
                factors += self.rng.sample(
                    ("MISS", "SUB", "SH", "DA", "SA", "NEG"),
                    self.rng.randint(0 if concern else 1, 2),
                )
                if "online_facilitated" in typology and w.chance(0.6):
                    factors.append("ONL")
                if "gang_associated" in typology and w.chance(0.5):
                    factors.append("GANG")
                w.referral(
                    kid,
                    w.moment(day),
                    sorted(set(factors)),
                    cse_concern=concern,
                    is_cse=True,
                    typology=typology,
                    group_id=gid,
                    associates=associates,
                    summary=self.say.cse_crime(
                        "", sex=kid.sex, age=age_at(kid.birth, day), venue="hotel", alias=alias
                    ),
                    referrer=self.rng.choice(("Police", "School", "Parent", "Health")),
                )
        if crime_days and w.chance(rates.victim_arrested):
            base = self.rng.choice(crime_days)
            arrest_day = w.child_day(kid, base - timedelta(days=90), base + timedelta(days=90))
            if arrest_day is not None:
                self.arrest(kid, arrest_day)

    def arrest(self, kid: Person, day: date) -> Record:
        """A child recorded as suspect (arrested) for an ordinary offence."""
        w = self.w
        offence = self.rng.choice(ARREST_OFFENCES)
        venue = w.places.venue(
            self.rng.choice(("care_home", "park", "transport", "takeaway")),
            kid.home_at(day).borough,
        )
        mentions = [Mention(kid, "S", arrested=True)]
        if w.chance(0.4):
            staff = w.person(
                "associate",
                self.rng.choice("FM"),
                w.birth_for_age(self.rng.randint(20, 60), day),
                venue.borough,
            )
            mentions.insert(0, Mention(staff, "V"))
        return w.crime(
            w.moment(day),
            venue.borough,
            offence,
            mentions,
            is_cse=False,
            outcome=pick(w, OUTCOMES["arrest"]),
            place=venue,
            narrative=self.say.arrest(
                sex=kid.sex, age=age_at(kid.birth, day), offence_l=offence.lower(), venue=venue.name
            ),
        )

    def missing_run(
        self,
        kid: Person,
        start: date,
        end: date,
        kind: str,
        typology: tuple[str, ...],
        gid: str,
        concern: bool,
        *,
        count: int,
        alias: str = "",
    ) -> None:
        """A child's missing episodes; a referral follows the third in 12 months unless planted."""
        w = self.w
        if count == 0:
            return
        span = self.rng.randint(60, 400)
        first = w.child_day(kid, start - timedelta(days=60), end)
        if first is None:
            return
        drawn = (w.child_day(kid, first, first + timedelta(days=span)) for _ in range(count))
        days = sorted(d for d in drawn if d is not None)
        earlier: list[date] = []
        run_referred = False
        for day in days:
            recent = [d for d in earlier if (day - d).days <= 365]
            earlier.append(day)
            third = len(recent) >= 2
            if third and not run_referred:
                refer = not w.chance(w.failures.missing_no_referral)
                run_referred = True
                made = "Y" if refer else "N"
            else:
                refer = w.chance(0.12)
                made = "Y" if refer else self.rng.choice(("N", "N", ""))
            in_story = kind != "plain" and start <= day <= end
            venue = w.places.venue(
                self.rng.choice(("hotel", "takeaway", "park", "transport")),
                kid.home_at(day).borough,
            )
            found = {"cse": venue.name, "cce": self.say.town()}.get(kind, "Friend's address")
            when = w.moment(day)
            w.missing_episode(
                kid,
                when,
                hours=self.rng.choice((0, 6, 12, 18, 24, 36, 48, 72)),
                found_at=found if self.w.chance(0.8) else "",
                risk=self.rng.choice(("Low", "Medium", "Medium", "High", "No apparent risk")),
                referral_made=made,
                is_cse=in_story and kind == "cse",
                typology=typology if in_story and kind == "cse" else (),
                group_id=gid if in_story else "",
                narrative=self.say.missing(
                    kind if in_story else "plain",
                    sex=kid.sex,
                    venue=venue.name,
                    alias=alias,
                    reporter=self.rng.choice(("mother", "carer", "staff")),
                ),
            )
            if refer:
                ref_day = min(
                    day + timedelta(days=self.rng.randint(2, 20)), WORLD_END, last_child_day(kid)
                )
                factors = [
                    "MISS",
                    *(["CSE"] if concern else []),
                    *(["CCE"] if kind == "cce" else []),
                    *(["GANG"] if kind == "cce" and w.chance(0.4) else []),
                ]
                w.referral(
                    kid,
                    w.moment(ref_day),
                    sorted(factors),
                    cse_concern=concern,
                    is_cse=in_story and kind == "cse",
                    typology=typology if in_story and kind == "cse" else (),
                    group_id=gid if in_story else "",
                    associates=self.family_associates(kid),
                    summary="Referral following repeat missing episodes.",
                    referrer="Police - missing persons",
                )

    def _intel_about(
        self,
        subjects: list[Person],
        day: date,
        borough: int,
        crimes: list[Record],
        kind: str,
        venues: list[Place],
        is_cse: bool,
        typology: tuple[str, ...],
        gid: str,
    ) -> None:
        w, rng = self.w, self.rng
        theirs = [r.ref for r in crimes if any(s in r.of_role("S") for s in subjects)]
        linked: list[str] = []
        if theirs and not w.chance(w.failures.intel_unlinked):
            linked = rng.sample(theirs, min(len(theirs), rng.randint(1, 2)))
        lead = subjects[0]
        vehicles = [s.vehicle for s in subjects if s.vehicle and w.chance(0.6)]
        phones = [s.phone_at(day) for s in subjects if s.phones and w.chance(0.5)]
        handles = [s.handle for s in subjects if s.handle and w.chance(0.5)]
        places = [v.name or v.address for v in venues if w.chance(0.5)]
        text = self.say.intel(
            kind,
            alias=lead.alias,
            venue=venues[0].name if venues else "",
            vrm=vehicles[0] if vehicles else "unknown",
            phone=phones[0] if phones else "unknown",
        )
        w.intelligence(
            w.moment(day),
            borough,
            [Mention(s, "subject") for s in subjects],
            text,
            is_cse=is_cse,
            typology=typology,
            group_id=gid,
            linked=linked,
            vehicles=vehicles,
            phones=phones,
            places=places,
            handles=handles,
        )
