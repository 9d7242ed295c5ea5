"""What a generated world's exports show of each profile rate, beside what the rates imply.

`measured(world)` reads the exports (and the truth, to know who is who and which noise was
drawn); `expected(rates)` derives the same shares from a profile's NoiseRates. The tests
compare the two; docs/synthetic-data.md prints `expected` per profile.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from synthworld import World

from casereview.synth.config import NoiseRates
from casereview.synth.geo import BOROUGHS
from casereview.synth.names import nickname_of

CRIME_SLOTS = {"V": "victim", "S": "suspect", "W": "other", "R": "other"}
FAMILY = {"mother", "father", "sister", "brother"}
_CODE_OF = {b.name: b.code for b in BOROUGHS}
_NO_NAME_DRAWN = {"alias", "name_only"}  # the name written without the usual draws


@dataclass(frozen=True)
class Share:
    """`hits` of `n` mentions."""

    hits: int
    n: int

    @property
    def value(self) -> float:
        return self.hits / self.n if self.n else 0.0


def _share(flags: Iterable[bool]) -> Share:
    values = list(flags)
    return Share(sum(values), len(values))


def absent(missing: float, role: float) -> float:
    """Share of mentions without a value: not taken for the role OR left blank."""
    return 1 - (1 - missing) * (1 - role)


def no_written_dob(rates: NoiseRates, slot: str) -> float:
    """Share of mentions with no date written (missing, or an age written instead)."""
    gone = absent(rates.missing_dob, getattr(rates, f"no_dob_{slot}"))
    return gone + (1 - gone) * (1 - rates.dob_year_only) * rates.dob_age_only


def expected(rates: NoiseRates) -> dict[str, float]:
    """The share each measure should show under `rates`."""
    out = {}
    for slot in ("victim", "suspect", "other"):
        out[f"no dob, crime {slot}"] = no_written_dob(rates, slot)
        out[f"no postcode, crime {slot}"] = absent(
            rates.missing_address, getattr(rates, f"no_address_{slot}")
        )
    out["no dob, intelligence subject"] = no_written_dob(rates, "subject")
    out["no dob, referral child"] = no_written_dob(rates, "child")
    out["no postcode, referral child"] = absent(rates.missing_address, rates.no_address_child)
    out["no dob, referral family"] = no_written_dob(rates, "family")
    name_only = rates.associate_name_only
    out["name only, referral associate"] = name_only
    out["no dob, referral associate"] = name_only + (1 - name_only) * no_written_dob(
        rates, "associate"
    )
    out["no dob, missing child"] = no_written_dob(rates, "child")
    out["no postcode, missing child"] = absent(rates.missing_address, rates.no_address_child)
    out["no council id, missing child known to the council"] = rates.child_id_blank
    out["council id only, missing child with council id"] = rates.child_id_only
    out["no PNC id, suspect who has one"] = rates.pnc_blank
    for code, rate in (
        ("initials", rates.initials),
        ("one_word", rates.one_word_name),
        ("nickname", rates.nickname),
        ("middle", rates.middle_name_varies),
        ("dob_year_only", rates.dob_year_only),
        ("dob_age_only", rates.dob_age_only),
        ("dob_swap", rates.dob_swap),
        ("dob_wrong_year", rates.dob_wrong_year),
        ("dob_two_digit_year", rates.dob_two_digit_year),
    ):
        out[f"noise {code}"] = rate
    return out


def _la_day(text: str) -> date:
    if "-" in text and text[:4].isdigit():
        return date.fromisoformat(text)
    return datetime.strptime(text, "%d-%b-%Y").date()


def measured(world: World) -> dict[str, Share]:
    """Each measure of `expected`, read from a generated world."""
    person_of = world.person_of()
    noise = {
        (r["source"], r["mention_key"]): set(filter(None, r["noise"].split(";")))
        for r in world.csv("truth/mention_noise.csv")
    }
    persons = {r["person_id"]: r for r in world.csv("truth/persons.csv")}
    out: dict[str, Share] = {}

    nominals = world.csv("met_crime/nominals.csv")
    for slot in ("victim", "suspect", "other"):
        mine = [r for r in nominals if CRIME_SLOTS[r["role"]] == slot]
        out[f"no dob, crime {slot}"] = _share(not r["dob"] for r in mine)
        out[f"no postcode, crime {slot}"] = _share(not r["postcode"] for r in mine)
    intel = world.csv("met_intel/intel_log.csv")
    out["no dob, intelligence subject"] = _share(not r["subject_dob"] for r in intel)

    referrals = world.jsonl()
    kids = [r["child"] for r in referrals]
    out["no dob, referral child"] = _share(k["dob"] is None for k in kids)
    out["no postcode, referral child"] = _share(k["postcode"] is None for k in kids)
    associates = [a for r in referrals for a in r["associates"]]
    family = [a for a in associates if a["relationship"] in FAMILY]
    others = [a for a in associates if a["relationship"] not in FAMILY]
    out["no dob, referral family"] = _share(a["dob"] is None for a in family)
    out["name only, referral associate"] = _share(
        "name_only" in noise[("la_csc", a["associate_id"])] for a in others
    )
    out["no dob, referral associate"] = _share(a["dob"] is None for a in others)

    episodes = world.csv("met_missing/missing_episodes.csv")
    named = [r for r in episodes if "id_only" not in noise[("met_missing", r["person_id"])]]
    out["no dob, missing child"] = _share(not r["dob"] for r in named)
    out["no postcode, missing child"] = _share(not r["postcode"] for r in named)
    # A child is known to a council from their first referral there (its id's borough code).
    first_seen: dict[tuple[str, str], date] = {}
    for r in referrals:
        key = (person_of[("la_csc", r["child"]["child_id"])], r["child"]["council_child_id"][:2])
        day = _la_day(r["date_received"])
        first_seen[key] = min(day, first_seen.get(key, day))
    known = []
    for r in episodes:
        code = _CODE_OF.get(r["borough"], r["borough"])
        seen = first_seen.get((person_of[("met_missing", r["person_id"])], code))
        if seen is not None and seen <= date.fromisoformat(r["reported_missing"][:10]):
            known.append(r)
    out["no council id, missing child known to the council"] = _share(
        not r["council_child_id"] for r in known
    )
    out["council id only, missing child with council id"] = _share(
        not r["child_name"] for r in episodes if r["council_child_id"]
    )
    out["no PNC id, suspect who has one"] = _share(
        not r["pnc_id"]
        for r in nominals
        if r["role"] == "S" and persons[person_of[("met_crime", r["nominal_id"])]]["pnc_id"]
    )

    # Name noise, among the mentions whose name went through the draws it depends on.
    drawn = {key: codes for key, codes in noise.items() if not codes & _NO_NAME_DRAWN}
    plain = {key: codes for key, codes in drawn.items() if "non_latin" not in codes}
    out["noise initials"] = _share("initials" in c for c in plain.values())
    out["noise one_word"] = _share("one_word" in c for c in plain.values())
    out["noise nickname"] = _share(
        "nickname" in c
        for key, c in plain.items()
        if nickname_of(persons[person_of[key]]["given_name"])
    )
    out["noise middle"] = _share(
        bool(c & {"middle_added", "middle_dropped"})
        for key, c in drawn.items()
        if persons[person_of[key]]["middle_names"]
    )
    # Dates: among mentions whose date of birth was drawn and not left out.
    dated = [
        (key, c) for key, c in noise.items() if "dob_missing" not in c and "name_only" not in c
    ]
    out["noise dob_year_only"] = _share("dob_year_only" in c for _, c in dated)
    full = [(key, c) for key, c in dated if "dob_year_only" not in c]
    out["noise dob_age_only"] = _share("dob_age_only" in c for _, c in full)
    full = [(key, c) for key, c in full if "dob_age_only" not in c]
    out["noise dob_wrong_year"] = _share("dob_wrong_year" in c for _, c in full)
    swappable = []
    for key, c in full:
        born = date.fromisoformat(persons[person_of[key]]["birth_date"])
        if born.day <= 12 and born.day != born.month:
            swappable.append("dob_swap" in c)
    out["noise dob_swap"] = _share(swappable)
    short = re.compile(r"^\d\d/\d\d/\d\d$")
    written = [r["dob"] for r in nominals if r["dob"] and not r["dob"].startswith("01/01/")]
    out["noise dob_two_digit_year"] = _share(bool(short.match(d)) for d in written)
    return out


def households(world: World) -> dict[str, list[dict[str, str]]]:
    """Truth households with their members."""
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    for person in world.csv("truth/persons.csv"):
        if person["household_id"]:
            found[person["household_id"]].append(person)
    return found
