"""Write a chunk's records as each source system would export them, with the truth of every mention.

The four sources differ on purpose: date formats, code sets, borough spellings,
name order, phone, postcode and vehicle-mark formats. Every person occurrence
gets an id unique within its source; the same id is written to truth/mentions.csv.
"""

from __future__ import annotations

import json
import random
from datetime import date

from casereview.synth.entities import LA_CSC, MET_CRIME, MET_INTEL, MET_MISSING, age_at
from casereview.synth.geo import BOROUGHS, Place
from casereview.synth.noise import Dob, MentionNoise
from casereview.synth.world import ChunkWorld

__all__ = ["HEADERS", "ChunkRows", "render_chunk"]

CRIME_HEADER = [
    "crime_ref",
    "offence",
    "committed_date",
    "recorded_date",
    "borough",
    "cse_flag",
    "outcome",
    "linked_refs",
    "location_type",
    "location_name",
    "location_address",
    "location_postcode",
    "narrative",
]
NOMINAL_HEADER = [
    "nominal_id",
    "crime_ref",
    "role",
    "surname",
    "forename",
    "dob",
    "age",
    "sex",
    "ethnicity",
    "address",
    "postcode",
    "phone",
    "relationship_to_victim",
    "vrm",
    "arrested",
    "pnc_id",
]
INTEL_HEADER = [
    "intel_ref",
    "subject_id",
    "report_date",
    "borough",
    "grading",
    "subject_name",
    "subject_dob",
    "subject_sex",
    "subject_phone",
    "vehicles",
    "phones",
    "places",
    "online_handles",
    "linked_crime_refs",
    "text",
    "subject_pnc",
]
MISSING_HEADER = [
    "episode_id",
    "person_id",
    "child_name",
    "dob",
    "age",
    "sex",
    "reported_missing",
    "returned",
    "borough",
    "home_address",
    "postcode",
    "location_found",
    "risk",
    "referral_made",
    "narrative",
    "council_child_id",
]

HEADERS: dict[str, list[str]] = {
    "met_crime/crimes.csv": CRIME_HEADER,
    "met_crime/nominals.csv": NOMINAL_HEADER,
    "met_intel/intel_log.csv": INTEL_HEADER,
    "met_missing/missing_episodes.csv": MISSING_HEADER,
}

# The crime system's own location-type codes.
CRIME_LOCATION_CODES = {
    "residential": "RES",
    "hotel": "HOTEL",
    "takeaway": "TAKEAWAY",
    "shisha_bar": "SHISHA",
    "park": "PARK",
    "care_home": "CHILDRENS HOME",
    "school": "SCHOOL",
    "youth_club": "YOUTH CLUB",
    "vehicle": "VEHICLE",
    "online": "ONLINE",
    "transport": "TRANSPORT",
    "other": "OTHER",
}
# Self-defined 16+1 code -> police officer-observed IC code.
IC_CODES = {
    "W1": "IC1",
    "W2": "IC1",
    "W9": "IC2",
    "M1": "IC3",
    "M2": "IC3",
    "M3": "IC4",
    "M9": "IC9",
    "A1": "IC4",
    "A2": "IC4",
    "A3": "IC4",
    "A9": "IC4",
    "B1": "IC3",
    "B2": "IC3",
    "B9": "IC3",
    "O1": "IC5",
    "O9": "IC6",
}
# Self-defined 16+1 code -> DfE ethnicity code used by children's social care.
DFE_CODES = {
    "W1": "WBRI",
    "W2": "WIRI",
    "W9": "WOTH",
    "M1": "MWBC",
    "M2": "MWBA",
    "M3": "MWAS",
    "M9": "MOTH",
    "A1": "AIND",
    "A2": "APKN",
    "A3": "ABAN",
    "A9": "AOTH",
    "B1": "BCRB",
    "B2": "BAFR",
    "B9": "BOTH",
    "O1": "CHNE",
    "O9": "OOTH",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Crime nominal role -> the evidence slot of NoiseRates (`no_dob_<slot>`, ...).
_CRIME_SLOT = {"V": "victim", "S": "suspect", "W": "other", "R": "other"}
# Relationships of a referral's associates that make them the child's household.
FAMILY_RELATIONSHIPS = frozenset({"mother", "father", "sister", "brother"})


class ChunkRows:
    """Everything one chunk writes: CSV rows per export file, JSON lines, truth mentions
    and the noise drawn for each mention."""

    def __init__(self) -> None:
        self.csv: dict[str, list[list[str]]] = {name: [] for name in HEADERS}
        self.jsonl: list[str] = []
        self.mentions: list[list[str]] = []
        self.noise: list[list[str]] = []

    def mention(self, source: str, key: str, pid: str, noise: MentionNoise) -> None:
        """Record a written mention's true person and the noise drawn for it."""
        self.mentions.append([source, key, pid])
        self.noise.append([source, key, noise.take()])


class CouncilIds:
    """Each council's own child id: one per child and council, so a child who moves to
    another borough gets a new id there. A child is known to a council from their first
    referral there (on or before the day asked about)."""

    def __init__(self, world: ChunkWorld) -> None:
        self._chunk = world.chunk
        self._ids: dict[tuple[str, int], str] = {}
        self.first_referral: dict[tuple[str, int], date] = {}
        for rec in world.referrals:
            key = (rec.mentions[0].person.pid, rec.borough)
            day = rec.when.date()
            self.first_referral[key] = min(day, self.first_referral.get(key, day))

    def known(self, pid: str, borough: int, on: date) -> bool:
        """Whether the council of `borough` knew the child on a day."""
        first = self.first_referral.get((pid, borough))
        return first is not None and first <= on

    def child_id(self, pid: str, borough: int) -> str:
        """The council's id for the child (the same on every record of that council)."""
        key = (pid, borough)
        if key not in self._ids:
            serial = self._chunk * 100_000 + len(self._ids) + 1
            self._ids[key] = f"{BOROUGHS[borough].code}{serial:08d}"
        return self._ids[key]


class _Formats:
    """Per-source formatting of values, drawing the format variant from the noise RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def borough_crime(self, index: int) -> str:
        b = BOROUGHS[index]
        roll = self.rng.random()
        if roll < 0.5:
            return b.name
        if roll < 0.65:
            return b.name.upper()
        if roll < 0.85:
            return b.code
        return self.rng.choice(b.variants) if b.variants else b.name.lower()

    def borough_la(self, index: int) -> str:
        name = BOROUGHS[index].name
        if name == "City of London":
            return "City of London Corporation"
        return f"London Borough of {name}" if self.rng.random() < 0.4 else name

    def postcode(self, postcode: str) -> str:
        roll = self.rng.random()
        if roll < 0.7:
            return postcode
        if roll < 0.85:
            return postcode.replace(" ", "")
        return postcode.lower()

    def phone(self, number: str) -> str:
        if not number:
            return ""
        roll = self.rng.random()
        if roll < 0.4:
            return number
        if roll < 0.7:
            return f"{number[:5]} {number[5:]}"
        if roll < 0.85:
            return f"+44 {number[1:5]} {number[5:]}"
        return f"44{number[1:]}"

    def vrm(self, mark: str) -> str:
        if not mark:
            return ""
        spaced = f"{mark[:-3]} {mark[-3:]}" if mark[2:4].isdigit() else mark
        roll = self.rng.random()
        if roll < 0.6:
            return spaced
        if roll < 0.9:
            return mark
        return spaced.lower()

    def outcome(self, code: str) -> str:
        if not code:
            return ""
        roll = self.rng.random()
        if roll < 0.5:
            return f"OC{code}"
        if roll < 0.8:
            return code
        return f"Outcome {code}"


def _dob_uk(dob: Dob, sep: str = "/", *, short_years: bool = False) -> tuple[str, str]:
    """(dob, age) columns for a dd/mm/yyyy source (dd/mm/yy where it writes short years)."""
    if dob.kind == "full" and dob.day is not None:
        year = "%y" if short_years and dob.two_digit else "%Y"
        return dob.day.strftime(f"%d{sep}%m{sep}{year}"), ""
    if dob.kind == "year":
        return f"01{sep}01{sep}{dob.year}", ""
    if dob.kind == "age":
        return "", str(dob.age)
    return "", ""


def _address(place: Place | None) -> tuple[str, str]:
    return (place.address, place.postcode) if place is not None else ("", "")


def render_chunk(world: ChunkWorld, noise: MentionNoise) -> ChunkRows:
    """Every export row and truth mention of a chunk, in a fixed order."""
    rows = ChunkRows()
    fmt = _Formats(noise.rng)
    councils = CouncilIds(world)
    _render_crimes(world, noise, fmt, rows)
    _render_intel(world, noise, fmt, rows)
    _render_referrals(world, noise, fmt, rows, councils)
    _render_missing(world, noise, fmt, rows, councils)
    return rows


def _pnc(noise: MentionNoise, pnc: str) -> str:
    """A suspect's or subject's PNC id as the record shows it (often not written)."""
    return pnc if pnc and not noise.chance(noise.rates.pnc_blank) else ""


def _render_crimes(world: ChunkWorld, noise: MentionNoise, fmt: _Formats, rows: ChunkRows) -> None:
    crimes, nominals = rows.csv["met_crime/crimes.csv"], rows.csv["met_crime/nominals.csv"]
    serial = 0
    for rec in world.crimes:
        place = rec.place
        recorded = rec.recorded or rec.when.date()
        crimes.append(
            [
                rec.ref,
                rec.offence,
                rec.when.strftime("%d/%m/%Y %H:%M"),
                recorded.strftime("%d/%m/%Y"),
                fmt.borough_crime(rec.borough),
                rec.cse_flag,
                fmt.outcome(rec.outcome),
                ";".join(rec.linked),
                CRIME_LOCATION_CODES[place.kind] if place else "",
                place.name if place else "",
                place.address if place else "",
                fmt.postcode(place.postcode) if place else "",
                rec.narrative,
            ]
        )
        on = rec.when.date()
        for m in rec.mentions:
            serial += 1
            key = f"N{world.chunk:05d}{serial:05d}"
            p = m.person
            slot = _CRIME_SLOT[m.role]
            noise.begin()
            given, family = noise.names(p)
            dob, age = _dob_uk(noise.dob(p, on, slot), short_years=True)
            if not dob and not age and noise.chance(0.5):
                age = str(age_at(p.birth, on))
            address, postcode = _address(noise.address(p, on, slot))
            ethnicity = ""
            if noise.ethnicity_shown(m.role == "S"):
                ethnicity = IC_CODES[p.ethnicity] if noise.chance(0.5) else p.ethnicity
            nominals.append(
                [
                    key,
                    rec.ref,
                    m.role,
                    family.upper() if noise.chance(0.7) else family,
                    given,
                    dob,
                    age,
                    noise.sex(p) or ("U" if noise.chance(0.3) else ""),
                    ethnicity,
                    address,
                    fmt.postcode(postcode) if postcode else "",
                    fmt.phone(m.phone),
                    m.relationship,
                    fmt.vrm(m.vrm),
                    "Y" if m.arrested else ("N" if m.role == "S" else ""),
                    _pnc(noise, p.pnc) if m.role == "S" else "",
                ]
            )
            rows.mention(MET_CRIME, key, p.pid, noise)


def _render_intel(world: ChunkWorld, noise: MentionNoise, fmt: _Formats, rows: ChunkRows) -> None:
    out = rows.csv["met_intel/intel_log.csv"]
    serial = 0
    for rec in world.intel:
        on = rec.when.date()
        borough = BOROUGHS[rec.borough].name.upper()
        for m in rec.mentions:
            serial += 1
            key = f"S{world.chunk:05d}{serial:05d}"
            p = m.person
            noise.begin()
            given, family = noise.names(p)
            if not family or not given:
                name = given or family
            elif noise.chance(0.6):
                name = f"{family.upper()}, {given}"
            else:
                name = f"{given} {family}"
            dob = noise.dob(p, on, "subject")
            dob_text = {"full": dob.day.isoformat() if dob.day else "", "year": str(dob.year)}.get(
                dob.kind, ""
            )
            out.append(
                [
                    rec.ref,
                    key,
                    on.isoformat(),
                    borough,
                    rec.grading,
                    name,
                    dob_text,
                    noise.sex(p),
                    fmt.phone(m.phone),
                    ";".join(fmt.vrm(v) for v in rec.vehicles),
                    ";".join(fmt.phone(n) for n in rec.phones),
                    ";".join(rec.places),
                    ";".join(f"@{h}" for h in rec.handles),
                    ";".join(rec.linked),
                    rec.narrative,
                    _pnc(noise, p.pnc),
                ]
            )
            rows.mention(MET_INTEL, key, p.pid, noise)


def _la_date(day: date, rng: random.Random) -> str:
    if rng.random() < 0.6:
        return day.isoformat()
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def _la_name(given: str, family: str, rng: random.Random) -> str:
    if not family or not given:
        return given or family
    return f"{given} {family}" if rng.random() < 0.7 else f"{family.upper()} {given}"


def _la_dob(dob: Dob, rng: random.Random) -> str | None:
    if dob.kind == "full" and dob.day is not None:
        roll = rng.random()
        if roll < 0.05:
            return f"{dob.day.year}-{dob.day.month:02d}"  # month known, day not
        return _la_date(dob.day, rng)
    if dob.kind == "year":
        return str(dob.year)
    return None


def _render_referrals(
    world: ChunkWorld, noise: MentionNoise, fmt: _Formats, rows: ChunkRows, councils: CouncilIds
) -> None:
    rng = noise.rng
    sex_words = {"F": "Female", "M": "Male", "": "Unknown"}
    for rec in world.referrals:
        on = rec.when.date()
        child = rec.mentions[0].person
        noise.begin()
        given, family = noise.names(child, scripts=True)
        place = noise.address(child, on, "child")
        ethnicity = (
            DFE_CODES[child.ethnicity]
            if noise.ethnicity_shown(False)
            else (rng.choice(("NOBT", "REFU", "")))
        )
        child_key = f"{rec.ref}-C"
        child_dob = _la_dob(noise.dob(child, on, "child"), rng)
        child_noise = noise.take()
        associates = []
        associate_noise = []
        for i, m in enumerate(rec.mentions[1:], start=1):
            noise.begin()
            family_member = m.relationship in FAMILY_RELATIONSHIPS
            named = None if family_member else noise.name_only(m.person)
            handle = ""
            if named is not None:  # known to the child by a name or a handle, nothing else
                name, handle = named
                a_dob = Dob("none")
            else:
                a_name = noise.names(m.person, scripts=True)
                name = _la_name(*a_name, rng)
                a_dob = noise.dob(m.person, on, "family" if family_member else "associate")
            associates.append(
                {
                    "associate_id": f"{rec.ref}-A{i}",
                    "name": name or None,
                    "relationship": m.relationship,
                    "dob": _la_dob(a_dob, rng),
                    "phone": fmt.phone(m.phone) or None,
                    "online": handle or None,
                }
            )
            associate_noise.append(noise.take())
        line = {
            "referral_id": rec.ref,
            "record_type": rec.la_kind,
            "date_received": _la_date(on, rng),
            "local_authority": fmt.borough_la(rec.borough),
            "child": {
                "child_id": child_key,
                "council_child_id": councils.child_id(child.pid, rec.borough),
                "name": _la_name(given, family, rng),
                "dob": child_dob,
                "gender": sex_words[noise.sex(child)],
                "ethnicity": ethnicity or None,
                "address": place.address if place else None,
                "postcode": fmt.postcode(place.postcode) if place else None,
            },
            "factors": rec.factors,
            "cse_concern": "Y" if rec.cse_concern else "N",
            "referral_source": rec.referrer,
            "outcome": rec.la_outcome,
            "associates": associates,
            "summary": rec.narrative,
        }
        rows.jsonl.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        rows.mentions.append([LA_CSC, child_key, child.pid])
        rows.noise.append([LA_CSC, child_key, child_noise])
        for i, m in enumerate(rec.mentions[1:], start=1):
            rows.mentions.append([LA_CSC, f"{rec.ref}-A{i}", m.person.pid])
            rows.noise.append([LA_CSC, f"{rec.ref}-A{i}", associate_noise[i - 1]])


def _render_missing(
    world: ChunkWorld, noise: MentionNoise, fmt: _Formats, rows: ChunkRows, councils: CouncilIds
) -> None:
    out = rows.csv["met_missing/missing_episodes.csv"]
    for rec in world.missing:
        on = rec.when.date()
        child = rec.mentions[0].person
        noise.begin()
        council_id = ""
        if councils.known(child.pid, rec.borough, on) and not noise.chance(
            noise.rates.child_id_blank
        ):
            council_id = councils.child_id(child.pid, rec.borough)
        id_only = bool(council_id) and noise.chance(noise.rates.child_id_only)
        given, family = noise.names(child)
        name = f"{given} {family.upper()}" if noise.chance(0.8) else f"{family.upper()} {given}"
        dob, age = _dob_uk(noise.dob(child, on, "child"), sep=".")
        if dob and noise.chance(0.3):
            age = str(age_at(child.birth, on))
        place = noise.address(child, on, "child")
        if id_only:  # the child named only by the council's id: nothing else of them written
            noise.note("id_only")
            name, dob, age, place = "", "", "", None
        borough = BOROUGHS[rec.borough]
        key = f"{rec.ref}-C"
        out.append(
            [
                rec.ref,
                key,
                name.strip(),
                dob,
                age,
                noise.sex(child),
                rec.when.strftime("%Y-%m-%d %H:%M"),
                rec.returned.strftime("%d/%m/%Y %H:%M") if rec.returned else "",
                borough.code if noise.chance(0.5) else borough.name,
                place.address if place else "",
                fmt.postcode(place.postcode) if place else "",
                rec.found_at,
                rec.risk,
                rec.referral_made,
                rec.narrative,
                council_id,
            ]
        )
        rows.mention(MET_MISSING, key, child.pid, noise)
