"""London boroughs: the 32 boroughs and the City of London under one canonical name each."""

from __future__ import annotations

import re
from functools import lru_cache

from casereview.values._text import fold_ascii

__all__ = ["BOROUGH_NAMES", "normalise_borough"]

# Canonical name -> Met borough code and the other spellings exports use.
_BOROUGHS: dict[str, tuple[str, ...]] = {
    "City of London": ("CI", "City", "City of London Corporation", "Corporation of London"),
    "Barking and Dagenham": ("KG", "Bark & Dag", "B&D", "Barking", "LBBD"),
    "Barnet": ("SX",),
    "Bexley": ("RY",),
    "Brent": ("QK",),
    "Bromley": ("PY",),
    "Camden": ("EK",),
    "Croydon": ("ZD",),
    "Ealing": ("XD",),
    "Enfield": ("YE",),
    "Greenwich": ("RG", "RBG"),
    "Hackney": ("GD", "Hackny"),
    "Hammersmith and Fulham": ("FH", "H&F", "Ham & Fulham", "LBHF", "Hammersmith"),
    "Haringey": ("YR", "Haringay"),
    "Harrow": ("QA",),
    "Havering": ("KD",),
    "Hillingdon": ("XH",),
    "Hounslow": ("TX",),
    "Islington": ("NI", "Islngton"),
    "Kensington and Chelsea": ("BS", "K&C", "RBKC", "Kensington"),
    "Kingston upon Thames": ("VK", "Kingston", "RBK"),
    "Lambeth": ("LX",),
    "Lewisham": ("PL",),
    "Merton": ("VW",),
    "Newham": ("KF",),
    "Redbridge": ("JI",),
    "Richmond upon Thames": ("TW", "Richmond"),
    "Southwark": ("MD", "Southwk"),
    "Sutton": ("ZT",),
    "Tower Hamlets": ("HT", "Twr Hamlets", "LBTH"),
    "Waltham Forest": ("JC", "Waltham Fst", "LBWF"),
    "Wandsworth": ("WW",),
    "Westminster": ("CW", "City of Westminster", "Westminister", "WCC"),
}
BOROUGH_NAMES: tuple[str, ...] = tuple(_BOROUGHS)

_PREFIXES = (
    "london borough of ",
    "royal borough of ",
    "the royal borough of ",
    "the london borough of ",
    "lb of ",
    "lb ",
    "rb ",
    "borough of ",
)
_SUFFIXES = (" council", " borough council", " borough", " bc", " lbc")
_NOT_KEY_CHAR = re.compile(r"[^a-z0-9]")
_MAX_BOROUGH_TEXT = 120


def _key(text: str) -> str:
    return _NOT_KEY_CHAR.sub("", fold_ascii(text).lower().replace("&", "and"))


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for name, variants in _BOROUGHS.items():
        for spelling in (name, *variants):
            index[_key(spelling)] = name
    return index


_INDEX = _build_index()


@lru_cache(maxsize=4096)
def normalise_borough(text: str | None) -> str | None:
    """The canonical name ("Tower Hamlets") of a London borough written any common way
    ("TOWER HAMLETS", "HT", "LB Tower Hamlets", "Twr Hamlets"); None when not recognised."""
    if not text or len(text) > _MAX_BOROUGH_TEXT:
        return None
    lowered = " ".join(fold_ascii(text).lower().split())
    found = _INDEX.get(_key(lowered))
    if found is not None:
        return found
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
            break
    return _INDEX.get(_key(lowered))
