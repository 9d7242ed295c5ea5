"""Stories: how offending, victims and agency contacts unfold in one chunk of the world.

Each story creates its people and all the records the four sources hold about
them: police crimes, intelligence, social-care referrals and missing episodes.
Offending roles are drawn before any name is drawn, and names never depend on
role, so nothing about origin or ethnicity drives who offends.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from casereview.synth.contacts import OUTCOMES, AgencyContacts, pick
from casereview.synth.entities import Mention, Person, Record, age_at
from casereview.synth.geo import Place, random_vrm
from casereview.synth.world import WORLD_END, ChunkWorld

__all__ = ["build_chunk"]

CSE_OFFENCES = (
    "Sexual activity with a child",
    "Rape of a female child under 16",
    "Causing or inciting a child to engage in sexual activity",
    "Meeting a child following sexual grooming",
    "Paying for the sexual services of a child",
    "Arranging or facilitating a child sex offence",
    "Trafficking for sexual exploitation",
    "Child abduction",
)
ONLINE_OFFENCES = (
    "Sexual communication with a child",
    "Causing a child to watch a sexual act",
    "Making indecent photographs of a child",
    "Meeting a child following sexual grooming",
)
INTRA_OFFENCES = (
    "Sexual activity with a child family member",
    "Sexual assault of a child",
    "Rape of a female child under 16",
)
CCE_OFFENCES = (
    "Possession with intent to supply class A",
    "Being concerned in the supply of class A",
    "Modern slavery - criminal exploitation",
)
OTHER_OFFENCES = (
    "Common assault",
    "Assault occasioning actual bodily harm",
    "Robbery of personal property",
    "Theft from the person",
    "Theft - shoplifting",
    "Burglary - residential",
    "Criminal damage",
    "Possession of cannabis",
    "Harassment",
    "Malicious communications",
    "Possession of an offensive weapon",
    "Sexual assault on a female",
    "Domestic abuse - assault",
)
# Story kind -> weight; tuned so that about 40-45% of police crimes are CSE and there are
# about 10 offender groups per 1,000 crimes (docs/synthetic-data.md, "Calibration").
_STORY_WEIGHTS = (
    ("group", 0.4),
    ("gang", 0.12),
    ("lone", 5.2),
    ("online", 3.4),
    ("intra", 5.6),
    ("peer", 5.8),
    ("institutional", 0.75),
    ("cce", 3.0),
    ("other", 32.0),
)
# Most single-offender cases are one crime record about one child: a second victim, or a
# second crime about the same child, is the exception.
_LONE_VICTIMS = (95, 4, 1)  # 1, 2 or 3 victims
_REPEAT_CRIMES = (97, 3)  # 1 or 2 crime records about one child
_INTRA_CRIMES = (96, 3, 1)  # 1, 2 or 3 crime records
_INSTITUTION_VICTIMS = (80, 14, 5, 1)  # 1-4 children
_RUNNER_CRIMES = (75, 25)  # 1 or 2 arrests of a county-lines runner
_RUNNER_NAMES_BOSS = 0.5  # an arrested runner's crime names an adult of the line
_RUNNER_MISSING = (50, 30, 12, 6, 2)  # 0-4 missing episodes of a county-lines runner
_LA_ONLY_MISSING = (45, 30, 17, 8)  # 0-3 missing episodes of a child known only to social care
_PROLIFIC_SHARE = 0.015
# Children who go missing with no exploitation recorded anywhere (per crime), and how often:
# most of a missing-persons export; a few children (often in care) go missing many times.
_MISSING_ONLY_CHILDREN = 0.2
_MISSING_ONLY_COUNTS = (1, 2, 3, 4, 5, 6, 8, 10)
_MISSING_ONLY_WEIGHTS = (
    25,
    18,
    13,
    11,
    9,
    8,
    9,
    7,
)  # ordinary crimes whose suspect is a repeat offender of the chunk


def build_chunk(world: ChunkWorld) -> ChunkWorld:
    """Fill a chunk with stories until it holds exactly its number of police crimes."""
    stories = Stories(world)
    kinds = [k for k, _ in _STORY_WEIGHTS]
    weights = [w for _, w in _STORY_WEIGHTS]
    while world.remaining() > 50:
        stories.run(world.rng.choices(kinds, weights=weights)[0])
    while world.remaining() > 12:
        stories.run(world.rng.choice(("other", "other", "other", "lone", "peer", "intra")))
    while world.remaining() > 0:
        stories.other()
    for _ in range(round(_MISSING_ONLY_CHILDREN * world.target)):
        stories.missing_only()
    for _ in range(round(world.failures.la_only_concern * world.target)):
        stories.la_only()
    for _ in range(round(0.2 * world.target)):
        stories.background_intel()
    return world


class Stories(AgencyContacts):
    """Story generators bound to one chunk."""

    def __init__(self, world: ChunkWorld) -> None:
        super().__init__(world)
        self.prolific: list[Person] = []  # repeat non-CSE offenders of the chunk
        self.crimes_of: dict[str, list[Record]] = {}  # a repeat offender's crimes so far
        self.linked_offender: dict[str, bool] = {}  # whether police link a repeat offender's crimes

    def run(self, kind: str) -> None:
        """Run one story of a kind."""
        if kind == "group":
            self.group(gang=False)
        elif kind == "gang":
            self.group(gang=True)
        elif kind == "lone":
            self.lone(online=False)
        elif kind == "online":
            self.lone(online=True)
        else:
            getattr(self, kind)()

    # ---- CSE stories --------------------------------------------------------------------

    def group(self, *, gang: bool) -> None:
        """Group-based (or gang-associated) exploitation: 2-9 offenders sharing victims."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        start = w.story_start(date(2023, 6, 30))
        end = min(start + timedelta(days=30 * rng.randint(6, 48)), WORLD_END)
        gid = f"G{w.chunk:05d}{len(w.groups) + 1:03d}"
        n_off = rng.choices(range(2, 10), weights=(20, 22, 18, 13, 9, 7, 6, 5))[0]
        offenders = []
        for _ in range(n_off):
            peer = w.chance(0.3 if gang else 0.08)
            age = rng.randint(15, 17) if peer else rng.randint(18, 30 if gang else 48)
            offenders.append(w.offender(w.places.near(borough), age, start, child=peer))
        adults = [o for o in offenders if o.kind == "adult_offender"] or offenders
        if not any(o.vehicle for o in offenders):
            adults[0].vehicle = random_vrm(rng, rng.randint(1998, start.year))
        venues = [
            w.places.venue(k, borough)
            for k in rng.sample(
                ("hotel", "takeaway", "shisha_bar", "park", "hotel", "takeaway"), rng.randint(1, 3)
            )
        ]
        venues.append(rng.choice(adults).home_at(start))
        n_victims = rng.choices(range(2, 9), weights=(25, 22, 17, 12, 10, 8, 6))[0]
        windows = [w.day_between(start, end - timedelta(days=30)) for _ in range(n_victims)]
        # Each victim is 12-16 when their own part of the story begins, so under 18 throughout.
        victims = [w.child(w.places.near(borough), rng.randint(12, 16), first) for first in windows]
        base = ("group_based", "gang_associated") if gang else ("group_based",)
        core = offenders[: max(1, n_off // 3)]
        crimes: list[Record] = []
        by_victim: dict[str, list[Record]] = {}
        for kid, vstart in zip(victims, windows, strict=True):
            vend = min(vstart + timedelta(days=rng.randint(30, 540)), end)
            lead = rng.choice(core)
            lead_rel = (
                "boyfriend"
                if lead.kind == "adult_offender" and w.chance(w.failures.boyfriend)
                else ""
            )
            for _ in range(rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]):
                if len(crimes) >= 30:
                    break
                day = w.child_day(kid, vstart, vend) or vstart
                others = [o for o in offenders if o is not lead]
                suspects = [
                    lead,
                    *rng.sample(others, min(len(others), rng.choices((0, 1, 2), (50, 35, 15))[0])),
                ]
                mentions = [Mention(kid, "V")]
                for s in suspects:
                    rel = lead_rel if s is lead else ""
                    rel = rel or rng.choice(("friend", "known to victim", "stranger", "", ""))
                    mentions.append(Mention(s, "S", rel))
                place = rng.choice(venues)
                driver = next((m for m in mentions[1:] if m.person.vehicle), None)
                if driver is not None and w.chance(0.45):
                    driver.vrm = driver.person.vehicle
                    if w.chance(0.3):
                        place = Place("", "", "", place.borough, "vehicle")
                self.reporter(kid, mentions)
                typ = self._cse_typology(base, kid, suspects, day)
                online = w.chance(0.1)
                if online:
                    typ = (*typ, "online_facilitated")
                rec = w.crime(
                    w.moment(day),
                    place.borough,
                    rng.choice(CSE_OFFENCES),
                    mentions,
                    is_cse=True,
                    typology=typ,
                    group_id=gid,
                    outcome=pick(w, OUTCOMES["cse"]),
                    place=place,
                    narrative=self.say.cse_crime(
                        "group",
                        sex=kid.sex,
                        age=age_at(kid.birth, day),
                        venue=place.kind.replace("_", " "),
                        alias=lead.alias,
                        oage=age_at(lead.birth, day),
                    ),
                )
                crimes.append(rec)
                by_victim.setdefault(kid.pid, []).append(rec)
        self._every_member_twice(offenders, crimes, base)
        self._police_links(crimes, by_victim)
        if gang:
            self._gang_lines(offenders, borough, start, end, gid)
        for kid in victims:
            days = [r.when.date() for r in by_victim.get(kid.pid, [])]
            if days:
                self.cse_agency(
                    kid, min(days) - timedelta(days=30), max(days), base, gid, offenders, days
                )
        self._group_intel(offenders, venues, crimes, borough, start, end, gid, base)
        w.groups.append((gid, offenders, [k for k in victims if k.pid in by_victim]))

    def _cse_typology(
        self, base: tuple[str, ...], kid: Person, suspects: list[Person], day: date
    ) -> tuple[str, ...]:
        if any(age_at(s.birth, day) < 18 for s in suspects):
            return (*base, "peer_on_peer")
        return base

    def _every_member_twice(
        self, offenders: list[Person], crimes: list[Record], base: tuple[str, ...]
    ) -> None:
        """Add co-suspects until every group member is a suspect in at least two crimes."""
        for o in offenders:
            mine = [r for r in crimes if o in r.of_role("S")]
            candidates = [r for r in crimes if r not in mine]
            self.rng.shuffle(candidates)
            for rec in candidates[: max(0, 2 - len(mine))]:
                mention = Mention(o, "S", self.rng.choice(("friend", "", "stranger")))
                self.w.show_objects(mention, rec.when.date(), 0.55)
                rec.mentions.append(mention)
                if age_at(o.birth, rec.when.date()) < 18 and "peer_on_peer" not in rec.typology:
                    rec.typology = (*rec.typology, "peer_on_peer")

    def _police_links(self, crimes: list[Record], by_victim: dict[str, list[Record]]) -> None:
        """The police sometimes linked a group's crimes, sometimes only a victim's own."""
        if self.w.chance(self.w.failures.police_link_group):
            ordered = sorted(crimes, key=lambda r: r.when)
            for i, rec in enumerate(ordered):
                rec.linked = [r.ref for r in ordered[max(0, i - 4) : i]]
            return
        for recs in by_victim.values():
            ordered = sorted(recs, key=lambda r: r.when)
            for prev, rec in pairwise(ordered):
                if self.w.chance(0.4):
                    rec.linked = [prev.ref]

    def _police_link_suspect(self, crimes: list[Record]) -> None:
        """The police linked one offender's crimes to one another, unless planted otherwise."""
        if len(crimes) < 2 or self.w.chance(self.w.failures.suspect_unlinked):
            return
        ordered = sorted(crimes, key=lambda r: r.when)
        for i, rec in enumerate(ordered):
            rec.linked = [*rec.linked, *(r.ref for r in ordered[:i])]

    def _gang_lines(
        self, gang: list[Person], borough: int, start: date, end: date, gid: str
    ) -> None:
        """County-lines crimes of a gang: children arrested for supply (not CSE)."""
        w, rng = self.w, self.rng
        line: list[Record] = []
        for _ in range(rng.randint(1, 3)):
            first = w.day_between(start, end)
            kid = w.child(
                w.places.near(borough),
                rng.randint(14, 16),
                first,
                sex="M" if w.chance(0.85) else "F",
            )
            days = []
            for _ in range(rng.choices((1, 2), weights=_RUNNER_CRIMES)[0]):
                day = w.day_between(first, first + timedelta(days=200))
                days.append(day)
                boss = rng.choice(gang)
                mentions = [Mention(kid, "S", arrested=True)]
                if w.chance(_RUNNER_NAMES_BOSS):
                    mentions.append(Mention(boss, "S", "associate"))
                line.append(
                    w.crime(
                        w.moment(day),
                        borough,
                        rng.choice(CCE_OFFENCES),
                        mentions,
                        is_cse=False,
                        group_id=gid,
                        outcome=pick(w, OUTCOMES["cce"]),
                        narrative=self.say.cce_crime(
                            sex=kid.sex, age=age_at(kid.birth, day), alias=boss.alias
                        ),
                        cce=True,
                    )
                )
            self.missing_run(
                kid,
                min(days),
                max(days),
                "cce",
                (),
                gid,
                False,
                count=rng.choices(range(5), weights=_RUNNER_MISSING)[0],
            )
        if gid and not any(m.role == "S" and m.person in gang for r in line for m in r.mentions):
            # A CSE group is gang-associated in the truth because the police know it runs the
            # line: at least one arrest names one of its members.
            named = Mention(rng.choice(gang), "S", "associate")
            w.show_objects(named, line[0].when.date(), 0.55)
            line[0].mentions.append(named)
        self._police_link_suspect(line)  # one county line's arrests, linked as one operation

    def _group_intel(
        self,
        offenders: list[Person],
        venues: list[Place],
        crimes: list[Record],
        borough: int,
        start: date,
        end: date,
        gid: str,
        typology: tuple[str, ...],
    ) -> None:
        w, rng = self.w, self.rng
        for _ in range(1 + len(offenders) // 2 + rng.randint(0, 2)):
            day = w.day_between(start, end + timedelta(days=180))
            subjects = rng.sample(offenders, min(len(offenders), rng.randint(1, 3)))
            self._intel_about(subjects, day, borough, crimes, "group", venues, True, typology, gid)

    def lone(self, *, online: bool) -> None:
        """A single adult offender with one to three victims; sometimes met online."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        start = w.story_start()
        off = w.offender(borough, rng.randint(19, 50), start)
        if online and not off.handle:
            off.handle = f"{off.given.lower()}{rng.randint(10, 99)}"
        typ = ("lone_offender", "online_facilitated") if online else ("lone_offender",)
        crimes: list[Record] = []
        for _ in range(rng.choices((1, 2, 3), weights=_LONE_VICTIMS)[0]):
            kid = w.child(w.places.near(borough), rng.randint(11, 16), start)
            days = []
            rel = (
                "boyfriend"
                if w.chance(w.failures.boyfriend)
                else rng.choice(
                    ("online contact" if online else "friend", "stranger", "known to family", "")
                )
            )
            for _ in range(rng.choices((1, 2), weights=_REPEAT_CRIMES)[0]):
                day = w.child_day(kid, start, start + timedelta(days=400)) or start
                days.append(day)
                place = (
                    Place("Online", "", "", borough, "online")
                    if online
                    else w.places.venue(rng.choice(("hotel", "park")), borough)
                )
                if not online and w.chance(0.4):
                    place = off.home_at(day)
                mentions = [Mention(kid, "V"), Mention(off, "S", rel)]
                if off.vehicle and not online and w.chance(0.35):
                    mentions[1].vrm = off.vehicle
                self.reporter(kid, mentions)
                offences = ONLINE_OFFENCES if online else CSE_OFFENCES
                crimes.append(
                    w.crime(
                        w.moment(day),
                        place.borough,
                        rng.choice(offences),
                        mentions,
                        is_cse=True,
                        typology=typ,
                        outcome=pick(w, OUTCOMES["cse"]),
                        place=place,
                        narrative=self.say.cse_crime(
                            "online" if online else "lone",
                            sex=kid.sex,
                            age=age_at(kid.birth, day),
                            handle=off.handle,
                            venue=place.kind,
                            alias=off.alias,
                            oage=age_at(off.birth, day),
                        ),
                    )
                )
            self.cse_agency(kid, min(days) - timedelta(days=30), max(days), typ, "", [off], days)
        self._police_link_suspect(crimes)
        if w.chance(0.3):
            self._intel_about(
                [off],
                w.day_between(start, start + timedelta(days=500)),
                borough,
                crimes,
                "group",
                [],
                True,
                typ,
                "",
            )

    def intra(self) -> None:
        """Intra-familial abuse: the offender is family or lives in the household."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        start = w.story_start()
        kid = w.child(borough, rng.randint(10, 16), start)
        rel = rng.choice(("father", "stepfather", "uncle", "brother", "cousin", "mother's partner"))
        young = rel in ("brother", "cousin") and w.chance(0.5)
        age = (
            rng.randint(14, 17)
            if young
            else rng.randint(19 if rel in ("brother", "cousin") else 28, 55)
        )
        home = kid.home_at(start)
        off = w.person(
            "child_offender" if young else "adult_offender",
            "M",
            w.birth_for_age(age, start),
            borough,
            family_of=kid if rel not in ("stepfather", "mother's partner") else None,
            home=home if rel not in ("uncle", "cousin") else None,
        )
        typ = ("intra_familial", "peer_on_peer") if young else ("intra_familial",)
        days = []
        crimes = []
        for _ in range(rng.choices((1, 2, 3), weights=_INTRA_CRIMES)[0]):
            day = w.child_day(kid, start, start + timedelta(days=300)) or start
            days.append(day)
            mentions = [Mention(kid, "V"), Mention(off, "S", rel)]
            self.reporter(kid, mentions)
            crimes.append(
                w.crime(
                    w.moment(day),
                    borough,
                    rng.choice(INTRA_OFFENCES),
                    mentions,
                    is_cse=True,
                    typology=typ,
                    outcome=pick(w, OUTCOMES["cse"]),
                    place=home,
                    narrative=self.say.cse_crime(
                        "intra", sex=kid.sex, age=age_at(kid.birth, day), rel=rel
                    ),
                )
            )
        self._police_link_suspect(crimes)
        self.cse_agency(kid, min(days) - timedelta(days=30), max(days), typ, "", [off], days)

    def peer(self) -> None:
        """Peer-on-peer abuse: the offender is also under 18."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        start = w.story_start()
        kid = w.child(borough, rng.randint(12, 16), start)
        off = w.offender(borough, rng.randint(13, 17), start, child=True)
        rel = rng.choice(("boyfriend", "friend", "schoolmate", "ex-partner", ""))
        online = w.chance(0.3)
        typ = ("peer_on_peer", "online_facilitated") if online else ("peer_on_peer",)
        days = []
        crimes = []
        for _ in range(rng.choices((1, 2), weights=_REPEAT_CRIMES)[0]):
            day = w.child_day(kid, start, start + timedelta(days=200)) or start
            days.append(day)
            place = w.places.venue(rng.choice(("park", "school", "youth_club")), borough)
            mentions = [Mention(kid, "V"), Mention(off, "S", rel)]
            self.reporter(kid, mentions)
            crimes.append(
                w.crime(
                    w.moment(day),
                    borough,
                    rng.choice(CSE_OFFENCES[:4]),
                    mentions,
                    is_cse=True,
                    typology=typ,
                    outcome=pick(w, OUTCOMES["cse"]),
                    place=place,
                    narrative=self.say.cse_crime(
                        "peer", sex=kid.sex, age=age_at(kid.birth, day), oage=age_at(off.birth, day)
                    ),
                )
            )
        self._police_link_suspect(crimes)
        self.cse_agency(kid, min(days) - timedelta(days=30), max(days), typ, "", [off], days)

    def institutional(self) -> None:
        """Abuse by an adult tied to a care home, school or club the victims attend."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        start = w.story_start()
        kind = rng.choice(("care_home", "school", "youth_club"))
        venue = w.places.venue(kind, borough)
        rel = {"care_home": "carer", "school": "teacher", "youth_club": "coach"}[kind]
        off = w.person(
            "adult_offender",
            "M" if w.chance(0.85) else "F",
            w.birth_for_age(rng.randint(24, 58), start),
            borough,
        )
        crimes: list[Record] = []
        for _ in range(rng.choices((1, 2, 3, 4), weights=_INSTITUTION_VICTIMS)[0]):
            kid = w.child(w.places.near(borough), rng.randint(11, 16), start)
            if kind == "care_home":
                kid.homes.append((start - timedelta(days=rng.randint(30, 300)), venue))
                kid.homes.sort(key=lambda home: home[0])
            days = []
            for _ in range(rng.choices((1, 2), weights=_REPEAT_CRIMES)[0]):
                day = w.child_day(kid, start, start + timedelta(days=500)) or start
                days.append(day)
                mentions = [Mention(kid, "V"), Mention(off, "S", rel)]
                if w.chance(0.5):
                    staff = w.person(
                        "professional",
                        rng.choice("FM"),
                        w.birth_for_age(rng.randint(25, 60), day),
                        borough,
                    )
                    mentions.append(Mention(staff, "R", "professional"))
                crimes.append(
                    w.crime(
                        w.moment(day),
                        borough,
                        rng.choice(CSE_OFFENCES[:4]),
                        mentions,
                        is_cse=True,
                        typology=("institutional",),
                        place=venue,
                        outcome=pick(w, OUTCOMES["cse"]),
                        narrative=self.say.cse_crime(
                            "institutional",
                            sex=kid.sex,
                            age=age_at(kid.birth, day),
                            venue=venue.name,
                            rel=rel,
                        ),
                    )
                )
            self.cse_agency(
                kid, min(days) - timedelta(days=30), max(days), ("institutional",), "", [off], days
            )
        self._police_link_suspect(crimes)

    # ---- not CSE ---------------------------------------------------------------------------

    def cce(self) -> None:
        """Criminal exploitation / county lines by a gang that is not a CSE group."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        start = w.story_start()
        end = min(start + timedelta(days=rng.randint(60, 500)), WORLD_END)
        gang = [
            w.offender(borough, rng.randint(16, 30), start, child=False)
            for _ in range(rng.randint(2, 5))
        ]
        self._gang_lines(gang, borough, start, end, "")
        if w.chance(0.5):
            crimes = w.crimes[-6:]
            self._intel_about(
                gang[:2], w.day_between(start, end), borough, crimes, "cce", [], False, (), ""
            )

    def other(self) -> None:
        """An ordinary crime: child or adult victim, often no CSE at all."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        day = w.story_start(date(2025, 11, 30))
        mentions: list[Mention] = []
        if w.chance(0.55):
            kid = w.child(borough, rng.randint(10, 17), day, sex=rng.choice("FM"))
            mentions.append(Mention(kid, "V"))
            if w.chance(0.08):
                self.missing_run(
                    kid,
                    day,
                    day + timedelta(days=200),
                    "plain",
                    (),
                    "",
                    False,
                    count=rng.randint(1, 4),
                )
        else:
            adult = w.person(
                "associate", rng.choice("FM"), w.birth_for_age(rng.randint(18, 70), day), borough
            )
            mentions.append(Mention(adult, "V"))
        roll = rng.random()
        repeat: Person | None = None
        intel_day: date | None = None
        if roll < _PROLIFIC_SHARE and self.prolific:
            repeat = rng.choice(self.prolific)
            mentions.append(Mention(repeat, "S", "stranger"))
        elif roll < 0.55 + _PROLIFIC_SHARE:
            suspect = w.offender(borough, rng.randint(13, 45), day, child=w.chance(0.3))
            mentions.append(
                Mention(suspect, "S", rng.choice(("stranger", "known to victim", "friend", "")))
            )
            if w.chance(0.1):
                self.prolific.append(suspect)
                self.linked_offender[suspect.pid] = not w.chance(w.failures.suspect_unlinked)
                repeat = suspect
                if w.chance(0.5):
                    intel_day = w.day_between(day, day + timedelta(days=365))
        if w.chance(0.15):
            witness = w.person(
                "associate", rng.choice("FM"), w.birth_for_age(rng.randint(14, 60), day), borough
            )
            mentions.append(Mention(witness, "W"))
        offence = rng.choice(OTHER_OFFENCES)
        venue = w.places.venue(rng.choice(("takeaway", "park", "transport", "school")), borough)
        has_suspect = any(m.role == "S" for m in mentions)
        outcome = pick(w, OUTCOMES["other"]) if has_suspect else rng.choice(("18", "14", ""))
        rec = w.crime(
            w.moment(day),
            borough,
            offence,
            mentions,
            is_cse=False,
            outcome=outcome,
            place=venue if w.chance(0.7) else mentions[0].person.home_at(day),
            narrative=self.say.other_crime(
                offence=offence,
                offence_l=offence.lower(),
                venue=venue.name,
                odesc="a male in dark clothing",
            ),
        )
        if repeat is not None:
            previous = self.crimes_of.setdefault(repeat.pid, [])
            if self.linked_offender[repeat.pid]:
                rec.linked = [r.ref for r in previous]
            previous.append(rec)
        if repeat is not None and intel_day is not None:
            self._intel_about([repeat], intel_day, borough, [rec], "other", [], False, (), "")

    def missing_only(self) -> None:
        """A child who goes missing, with no exploitation recorded anywhere."""
        w, rng = self.w, self.rng
        start = w.story_start()
        kid = w.child(w.places.borough(), rng.randint(11, 16), start, sex=rng.choice("FM"))
        self.missing_run(
            kid,
            start,
            start + timedelta(days=300),
            "plain",
            (),
            "",
            False,
            count=rng.choices(_MISSING_ONLY_COUNTS, weights=_MISSING_ONLY_WEIGHTS)[0],
        )

    def la_only(self) -> None:
        """A child with a social-care CSE concern that never reached a police crime record."""
        w, rng = self.w, self.rng
        start = w.story_start()
        kid = w.child(w.places.borough(), rng.randint(12, 16), start)
        older = w.offender(kid.home_at(start).borough, rng.randint(19, 30), start)
        rel = "boyfriend" if w.chance(w.failures.boyfriend) else "older male friend"
        for _ in range(rng.randint(1, 2)):
            day = w.child_day(kid, start, start + timedelta(days=200)) or start
            associates = self.family_associates(kid)
            if w.chance(0.6):
                associates.append(Mention(older, rel, rel))
            w.referral(
                kid,
                w.moment(day),
                sorted({"CSE", rng.choice(("MISS", "SUB", "SH"))}),
                cse_concern=True,
                is_cse=True,
                typology=("cse_likely",),
                associates=associates,
                referrer=rng.choice(("School", "Health", "Parent")),
                summary=self.say.cse_crime(
                    "", sex=kid.sex, age=age_at(kid.birth, day), venue="takeaway", alias=older.alias
                ),
            )
        self.missing_run(
            kid,
            start,
            start + timedelta(days=200),
            "cse",
            ("cse_likely",),
            "",
            True,
            count=rng.choices(range(4), weights=_LA_ONLY_MISSING)[0],
        )

    def background_intel(self) -> None:
        """Intelligence on adults with no crime record here (drugs, weapons, thefts)."""
        w, rng = self.w, self.rng
        borough = w.places.borough()
        day = w.story_start(date(2025, 11, 30))
        subject = w.offender(borough, rng.randint(16, 50), day)
        self._intel_about([subject], day, borough, [], "other", [], False, (), "")
