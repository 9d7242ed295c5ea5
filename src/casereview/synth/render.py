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


class ChunkRows:
    """Everything one chunk writes: CSV rows per export file, JSON lines, truth mentions."""

    def __init__(self) -> None:
        self.csv: dict[str, list[list[str]]] = {name: [] for name in HEADERS}
        self.jsonl: list[str] = []
        self.mentions: list[list[str]] = []


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


def _dob_uk(dob: Dob, sep: str = "/") -> tuple[str, str]:
    """(dob, age) columns for a dd/mm/yyyy source."""
    if dob.kind == "full" and dob.day is not None:
        return dob.day.strftime(f"%d{sep}%m{sep}%Y"), ""
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
    _render_crimes(world, noise, fmt, rows)
    _render_intel(world, noise, fmt, rows)
    _render_referrals(world, noise, fmt, rows)
    _render_missing(world, noise, fmt, rows)
    return rows


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
            given, family = noise.names(p)
            dob, age = _dob_uk(noise.dob(p, on))
            if not dob and not age and noise.chance(0.5):
                age = str(age_at(p.birth, on))
            address, postcode = _address(noise.address(p, on))
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
                ]
            )
            rows.mentions.append([MET_CRIME, key, p.pid])


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
            given, family = noise.names(p)
            if not family:
                name = given
            elif noise.chance(0.6):
                name = f"{family.upper()}, {given}"
            else:
                name = f"{given} {family}"
            dob = noise.dob(p, on)
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
                ]
            )
            rows.mentions.append([MET_INTEL, key, p.pid])


def _la_date(day: date, rng: random.Random) -> str:
    if rng.random() < 0.6:
        return day.isoformat()
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def _la_name(given: str, family: str, rng: random.Random) -> str:
    if not family:
        return given
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
    world: ChunkWorld, noise: MentionNoise, fmt: _Formats, rows: ChunkRows
) -> None:
    rng = noise.rng
    sex_words = {"F": "Female", "M": "Male", "": "Unknown"}
    for rec in world.referrals:
        on = rec.when.date()
        child = rec.mentions[0].person
        given, family = noise.names(child)
        place = noise.address(child, on)
        ethnicity = (
            DFE_CODES[child.ethnicity]
            if noise.ethnicity_shown(False)
            else (rng.choice(("NOBT", "REFU", "")))
        )
        child_key = f"{rec.ref}-C"
        associates = []
        for i, m in enumerate(rec.mentions[1:], start=1):
            a_given, a_family = noise.names(m.person)
            a_dob = noise.dob(m.person, on) if noise.chance(0.5) else Dob("none")
            associates.append(
                {
                    "associate_id": f"{rec.ref}-A{i}",
                    "name": _la_name(a_given, a_family, rng),
                    "relationship": m.relationship,
                    "dob": _la_dob(a_dob, rng),
                    "phone": fmt.phone(m.phone) or None,
                }
            )
        line = {
            "referral_id": rec.ref,
            "record_type": rec.la_kind,
            "date_received": _la_date(on, rng),
            "local_authority": fmt.borough_la(rec.borough),
            "child": {
                "child_id": child_key,
                "name": _la_name(given, family, rng),
                "dob": _la_dob(noise.dob(child, on), rng),
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
        for i, m in enumerate(rec.mentions[1:], start=1):
            rows.mentions.append([LA_CSC, f"{rec.ref}-A{i}", m.person.pid])


def _render_missing(world: ChunkWorld, noise: MentionNoise, fmt: _Formats, rows: ChunkRows) -> None:
    out = rows.csv["met_missing/missing_episodes.csv"]
    for rec in world.missing:
        on = rec.when.date()
        child = rec.mentions[0].person
        given, family = noise.names(child)
        name = f"{given} {family.upper()}" if noise.chance(0.8) else f"{family.upper()} {given}"
        dob, age = _dob_uk(noise.dob(child, on), sep=".")
        if dob and noise.chance(0.3):
            age = str(age_at(child.birth, on))
        place = noise.address(child, on)
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
            ]
        )
        rows.mentions.append([MET_MISSING, key, child.pid])
