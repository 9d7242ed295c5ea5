"""Places and objects of the synthetic world: boroughs, addresses, venues, phones, vehicles.

Addresses are made of invented street and venue names on real London postcode
districts; inward codes are random. Phone numbers are random UK mobile numbers
(07 + 9 digits) and vehicle marks random valid-looking UK marks: none is drawn
from any real subscriber or keeper.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

__all__ = [
    "BOROUGHS",
    "Borough",
    "Place",
    "PlaceMaker",
    "random_handle",
    "random_phone",
    "random_vrm",
]


@dataclass(frozen=True, slots=True)
class Borough:
    """A London borough with the Met's two-letter code and how systems spell it."""

    name: str
    code: str  # Met borough operational command code as written in crime records
    districts: tuple[str, ...]  # postcode districts inside it
    variants: tuple[str, ...]  # other spellings seen in exports
    weight: float  # relative population


def _b(name: str, code: str, districts: str, variants: str, weight: float) -> Borough:
    extra = tuple(v for v in variants.split("|") if v)
    return Borough(name, code, tuple(districts.split()), extra, weight)


BOROUGHS: tuple[Borough, ...] = (
    _b("City of London", "CI", "EC1A EC2V EC3N EC4M", "City|CITY OF LONDON", 0.1),
    _b("Barking and Dagenham", "KG", "IG11 RM8 RM9 RM10", "Barking & Dagenham|Bark & Dag|B&D", 2.2),
    _b("Barnet", "SX", "N2 N3 N11 N12 NW4 NW7 EN5", "LB Barnet", 3.9),
    _b("Bexley", "RY", "DA5 DA6 DA7 DA14 DA15", "LB Bexley", 2.5),
    _b("Brent", "QK", "NW10 HA0 HA9 NW2 NW6", "LB Brent", 3.4),
    _b("Bromley", "PY", "BR1 BR2 BR3 BR5 BR6", "LB Bromley", 3.3),
    _b("Camden", "EK", "NW1 NW3 NW5 WC1H", "LB Camden", 2.1),
    _b("Croydon", "ZD", "CR0 CR2 CR7 SE25", "LB Croydon", 3.9),
    _b("Ealing", "XD", "W5 W7 W13 UB1 UB2", "LB Ealing", 3.7),
    _b("Enfield", "YE", "EN1 EN2 EN3 N9 N18", "LB Enfield", 3.3),
    _b("Greenwich", "RG", "SE7 SE9 SE10 SE18 SE28", "Royal Borough of Greenwich|RB Greenwich", 2.9),
    _b("Hackney", "GD", "E5 E8 E9 N16", "LB Hackney|Hackny", 2.6),
    _b(
        "Hammersmith and Fulham",
        "FH",
        "W6 W12 W14 SW6",
        "Hammersmith & Fulham|H&F|Ham & Fulham",
        1.8,
    ),
    _b("Haringey", "YR", "N4 N8 N15 N17 N22", "Haringay|LB Haringey", 2.6),
    _b("Harrow", "QA", "HA1 HA2 HA3 HA5", "LB Harrow", 2.6),
    _b("Havering", "KD", "RM1 RM3 RM7 RM11", "LB Havering", 2.6),
    _b("Hillingdon", "XH", "UB3 UB4 UB7 UB8 UB10", "LB Hillingdon", 3.1),
    _b("Hounslow", "TX", "TW3 TW4 TW5 TW7 W4", "LB Hounslow", 2.9),
    _b("Islington", "NI", "N1 N5 N7 N19", "LB Islington|Islngton", 2.2),
    _b("Kensington and Chelsea", "BS", "W8 W10 W11 SW3 SW5", "Kensington & Chelsea|K&C|RBKC", 1.4),
    _b("Kingston upon Thames", "VK", "KT1 KT2 KT3 KT6", "Kingston|Kingston-upon-Thames", 1.7),
    _b("Lambeth", "LX", "SE11 SW2 SW8 SW9 SE27", "LB Lambeth", 3.2),
    _b("Lewisham", "PL", "SE4 SE6 SE13 SE14 SE23", "LB Lewisham", 3.0),
    _b("Merton", "VW", "SW19 SW20 CR4 SM4", "LB Merton", 2.1),
    _b("Newham", "KF", "E6 E7 E13 E15 E16", "LB Newham", 3.5),
    _b("Redbridge", "JI", "IG1 IG2 IG3 IG4 E18", "LB Redbridge", 3.1),
    _b("Richmond upon Thames", "TW", "TW1 TW2 TW9 TW10 SW14", "Richmond|Richmond-upon-Thames", 1.9),
    _b("Southwark", "MD", "SE1 SE5 SE15 SE16 SE17", "LB Southwark|Southwk", 3.1),
    _b("Sutton", "ZT", "SM1 SM2 SM3 SM5", "LB Sutton", 2.1),
    _b("Tower Hamlets", "HT", "E1 E2 E3 E14", "Twr Hamlets|TowerHamlets|LBTH", 3.1),
    _b("Waltham Forest", "JC", "E4 E10 E11 E17", "Waltham Fst|LBWF", 2.8),
    _b("Wandsworth", "WW", "SW11 SW12 SW15 SW17 SW18", "LB Wandsworth", 3.3),
    _b("Westminster", "CW", "W1 W2 W9 SW1 NW8", "City of Westminster|Westminister", 2.1),
)

_STREET_STEMS = (
    "Victoria Albert Station Church Mill Park Queens Kings High Manor Grove Elm Oak Cedar "
    "Willow Ash Beech Chestnut Maple Harrow Marsh Mount Priory Abbey Bridge Canal Dock River "
    "Market Chapel Windsor Clarence Stanley Gladstone Nelson Wellington Trafalgar Cromwell "
    "Milton Shelley Byron Keats Dickens Hamilton Russell Bedford Grafton Sidney Cavendish "
    "Lansdowne Belmont Fairfield Greenfield Springfield Westbourne Eastway Northfield "
    "Southgate Hillside Lakeside Woodside Brookside Meadow Orchard Garden Hawthorn Holly "
    "Ivy Laurel Lime Poplar Rowan Sycamore Thornhill Ferndale Glenwood Ravenscourt Silverdale"
).split()
_STREET_KINDS = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Gardens",
    "Way",
    "Place",
    "Crescent",
    "Terrace",
    "Drive",
    "Walk",
)
_ESTATE_BLOCKS = ("House", "Court", "Tower", "Point", "Lodge")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

_VENUE_NAMES: dict[str, tuple[str, ...]] = {
    "hotel": (
        "Riverside Lodge Hotel",
        "Station Inn",
        "City Stay Hotel",
        "Parkview Hotel",
        "Crown Guest House",
        "Airport Budget Lodge",
        "Sunrise B&B",
        "Regent Rooms",
    ),
    "takeaway": (
        "Chicken Express",
        "Pizza Palace",
        "Kebab King",
        "Golden Fry",
        "Dixie Grill",
        "Hot Wings",
        "Star Kebab",
        "Royal Fried Chicken",
    ),
    "shisha_bar": (
        "Orchid Lounge",
        "Cloud Nine Lounge",
        "Sahara Nights",
        "Velvet Lounge",
        "Mirage Shisha",
        "Blue Moon Lounge",
    ),
    "park": ("Recreation Ground", "Park", "Common", "Fields", "Gardens"),
    "care_home": ("House Children's Home", "Lodge Children's Home", "Supported Housing"),
    "school": ("Academy", "High School", "Secondary School", "College", "Pupil Referral Unit"),
    "youth_club": ("Youth Centre", "Boxing Club", "Football Club", "Community Hub"),
    "transport": ("Station", "Bus Station", "Overground Station"),
}


@dataclass(frozen=True, slots=True)
class Place:
    """A physical place: a home or a venue, with its type (LocationType value)."""

    name: str  # venue name, empty for homes
    address: str  # house number and street (with flat when any)
    postcode: str  # canonical "E1 4AB"
    borough: int  # index into BOROUGHS
    kind: str  # LocationType value

    @property
    def key(self) -> str:
        """Canonical identity of the place, used to find places shared across records."""
        return f"{self.address}|{self.postcode}"


class PlaceMaker:
    """Creates homes and venues in a borough from one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._weights = [b.weight for b in BOROUGHS]

    def borough(self) -> int:
        """A borough index, in proportion to population."""
        return self._rng.choices(range(len(BOROUGHS)), weights=self._weights)[0]

    def near(self, borough: int) -> int:
        """Usually the same borough, sometimes another one (people move and travel)."""
        return borough if self._rng.random() < 0.75 else self.borough()

    def postcode(self, borough: int) -> str:
        """A postcode in one of the borough's districts with a random inward code."""
        rng = self._rng
        district = rng.choice(BOROUGHS[borough].districts)
        letters = rng.choice(_INWARD_LETTERS) + rng.choice(_INWARD_LETTERS)
        return f"{district} {rng.randint(1, 9)}{letters}"

    def street(self) -> str:
        """An invented street name."""
        return f"{self._rng.choice(_STREET_STEMS)} {self._rng.choice(_STREET_KINDS)}"

    def home(self, borough: int) -> Place:
        """A residential address: a house or a flat in a block."""
        rng = self._rng
        if rng.random() < 0.45:
            block = f"{rng.choice(_STREET_STEMS)} {rng.choice(_ESTATE_BLOCKS)}"
            address = f"Flat {rng.randint(1, 80)}, {block}, {self.street()}"
        else:
            address = f"{rng.randint(1, 220)} {self.street()}"
        return Place("", address, self.postcode(borough), borough, "residential")

    def venue(self, kind: str, borough: int) -> Place:
        """A named venue of a LocationType (hotel, takeaway, school ...)."""
        rng = self._rng
        base = rng.choice(_VENUE_NAMES[kind])
        if kind in ("park", "care_home", "school", "youth_club", "transport"):
            name = f"{rng.choice(_STREET_STEMS)} {base}"
        else:
            name = base
        address = f"{rng.randint(1, 400)} {self.street()}"
        return Place(name, address, self.postcode(borough), borough, kind)


def random_phone(rng: random.Random) -> str:
    """A UK mobile number in canonical national form, 07 followed by nine digits."""
    return f"07{rng.randint(100_000_000, 999_999_999)}"


_VRM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # no I, Q, Z as in issued marks


def random_vrm(rng: random.Random, year: int) -> str:
    """A UK registration mark in canonical form (no spaces) for a car first registered in `year`.

    Cars from 2001 on carry the current format (AB12CDE); older cars the
    prefix (A123BCD, 1983-2001) or suffix (ABC123D) style.
    """
    letters = _VRM_LETTERS
    if year >= 2001:
        age = year % 100 if rng.random() < 0.5 else (year % 100 + 50) % 100
        if year >= 2001 and age == 50:
            age = 51
        area = rng.choice("ABCDEFGHKLMNOPRSVWY") + rng.choice(letters)
        tail = "".join(rng.choice(letters) for _ in range(3))
        return f"{area}{age:02d}{tail}"
    if year >= 1983:
        prefix = rng.choice("ABCDEFGHJKLMNPRSTVWXY")
        tail = "".join(rng.choice(letters) for _ in range(3))
        return f"{prefix}{rng.randint(1, 999)}{tail}"
    head = "".join(rng.choice(letters) for _ in range(3))
    return f"{head}{rng.randint(1, 999)}{rng.choice('ABCDEFGHJKLMNPRSTVWXY')}"


_HANDLE_WORDS = (
    "king",
    "boss",
    "real",
    "its",
    "official",
    "the",
    "lil",
    "big",
    "x",
    "mr",
    "london",
    "e1",
    "sw",
    "n15",
    "south",
    "east",
    "money",
    "vibes",
    "zone",
)


def random_handle(rng: random.Random, given: str) -> str:
    """An online handle loosely built from a given name or street name."""
    stem = "".join(ch for ch in given.lower() if ch in string.ascii_lowercase) or "user"
    style = rng.randint(0, 3)
    if style == 0:
        return f"{stem}{rng.randint(1, 99)}"
    if style == 1:
        return f"{rng.choice(_HANDLE_WORDS)}_{stem}"
    if style == 2:
        return f"{stem}.{rng.choice(_HANDLE_WORDS)}{rng.randint(0, 9)}"
    return f"{stem}_{rng.choice(_HANDLE_WORDS)}"
