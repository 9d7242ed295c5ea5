"""Profiles: each profile's exports show the rates the docs give, the same seed writes the same
people in every profile, and every kind of difficulty the profiles promise is in the truth."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from profile_rates import expected, households, measured
from synthworld import World

from casereview.errors import ConfigError
from casereview.synth import PROFILES, NoiseRates, SynthConfig, generate_world
from pipeline_world import built_once

DOCS = Path(__file__).resolve().parents[2] / "docs" / "synthetic-data.md"
CASES = 2000


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, World]:
    """One world per profile, same seed (generated once per run, read by every xdist worker)."""
    out = {}
    for profile in PROFILES:

        def build(root: Path, profile: str = profile) -> Path:
            generate_world(SynthConfig(cases=CASES, seed=3, profile=profile), root, workers=1)
            return root

        shared = built_once(f"profile-{profile}-{CASES}-3", build)
        out[profile] = World(shared or build(tmp_path_factory.mktemp(f"profile-{profile}")))
    return out


@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_profile_shows_its_rates(worlds: dict[str, World], profile: str) -> None:
    shares = measured(worlds[profile])
    wanted = expected(PROFILES[profile])
    assert set(shares) == set(wanted)
    off = {}
    for name, share in shares.items():
        p = wanted[name]
        assert share.n >= 30, (name, share)
        # Four binomial standard errors, and at least 1.5 points.
        tolerance = max(0.015, 4 * math.sqrt(p * (1 - p) / share.n))
        if abs(share.value - p) > tolerance:
            off[name] = (round(share.value, 4), p, share.n)
    assert off == {}


def test_typical_suspects_and_associates_carry_what_real_records_carry(
    worlds: dict[str, World],
) -> None:
    """The figures the issue names: a quarter of suspects without a date of birth, nearly
    half without a postcode; most associates named by a child by a name or handle alone."""
    typical = measured(worlds["typical"])
    assert 0.20 < typical["no dob, crime suspect"].value < 0.32
    assert 0.38 < typical["no postcode, crime suspect"].value < 0.52
    assert typical["name only, referral associate"].value > 0.45
    clean = measured(worlds["clean"])
    assert clean["no dob, crime suspect"].value < 0.10
    assert clean["no postcode, crime suspect"].value < 0.12
    sparse = measured(worlds["sparse"])
    for name in (
        "no dob, crime suspect",
        "no postcode, crime suspect",
        "no dob, referral associate",
        "no postcode, referral child",
    ):
        assert clean[name].value < typical[name].value < sparse[name].value, name


def test_the_docs_give_every_rate_of_every_profile() -> None:
    """Every NoiseRates field has one row `| name | clean | typical | sparse | why |` in
    docs/synthetic-data.md with the profile's values."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            try:
                rows[cells[0].strip("`")] = tuple(float(c) for c in cells[1:4])
            except ValueError:
                continue
    documented = {
        name: values for name, values in rows.items() if name in NoiseRates.__dataclass_fields__
    }
    assert documented == {
        name: tuple(getattr(PROFILES[p], name) for p in ("clean", "typical", "sparse"))
        for name in NoiseRates.__dataclass_fields__
    }


def _digest(root: Path, name: str) -> str:
    return hashlib.sha256((root / name).read_bytes()).hexdigest()


def test_same_seed_and_profile_same_bytes_and_every_profile_the_same_people(
    worlds: dict[str, World], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    generate_world(SynthConfig(cases=CASES, seed=3, profile="sparse"), again, workers=1)
    for path in sorted(p for p in again.rglob("*") if p.is_file()):
        name = str(path.relative_to(again))
        assert _digest(again, name) == _digest(worlds["sparse"].root, name), name
    truth = {p: _digest(w.root, "truth/mentions.csv") for p, w in worlds.items()}
    assert len(set(truth.values())) == 1
    exports = {p: _digest(w.root, "met_crime/nominals.csv") for p, w in worlds.items()}
    assert len(set(exports.values())) == 3
    manifest = json.loads((again / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["profile"] == "sparse"
    assert manifest["noise"]["no_dob_suspect"] == PROFILES["sparse"].no_dob_suspect


def test_default_profile_is_typical_and_unknown_profiles_are_refused() -> None:
    assert SynthConfig(cases=10, seed=1).noise == PROFILES["typical"] == NoiseRates()
    assert SynthConfig(cases=10, seed=1, profile="clean").noise == PROFILES["clean"]
    assert SynthConfig(cases=10, noise=NoiseRates.none(), profile="sparse").noise == (
        NoiseRates.none()
    )
    with pytest.raises(ConfigError, match="--profile: unknown profile 'messy'; known: clean"):
        SynthConfig(cases=10, profile="messy")


def test_every_kind_of_noise_is_in_the_truth(worlds: dict[str, World]) -> None:
    world = worlds["typical"]
    codes = set()
    for row in world.csv("truth/mention_noise.csv"):
        codes |= set(filter(None, row["noise"].split(";")))
    assert codes == {
        "typo",
        "translit",
        "nickname",
        "swap",
        "hyphen_partial",
        "alias",
        "initials",
        "one_word",
        "middle_added",
        "middle_dropped",
        "non_latin",
        "name_only",
        "dob_missing",
        "dob_swap",
        "dob_wrong_year",
        "dob_year_only",
        "dob_age_only",
        "address_missing",
        "address_stale",
        "id_only",
    }
    short = [
        r for r in world.csv("met_crime/nominals.csv") if re.fullmatch(r"\d\d/\d\d/\d\d", r["dob"])
    ]
    assert short


def test_households_share_a_home_and_a_surname_not_a_person(worlds: dict[str, World]) -> None:
    """At least one household of a parent and two children at one address with one surname,
    different forenames and distant dates of birth: three true people."""
    world = worlds["typical"]
    person_of = world.person_of()
    homes: dict[str, set[str]] = defaultdict(set)
    for row in world.csv("met_crime/nominals.csv"):
        if row["postcode"]:
            homes[person_of[("met_crime", row["nominal_id"])]].add(row["address"])
    for referral in world.jsonl():
        child = referral["child"]
        if child["address"]:
            homes[person_of[("la_csc", child["child_id"])]].add(child["address"])
    full = []
    for members in households(world).values():
        if len(members) < 3 or len({m["family_name"] for m in members}) != 1:
            continue
        years = sorted(int(m["birth_date"][:4]) for m in members)
        shared = set.intersection(*(homes[m["person_id"]] for m in members))
        if shared and len({m["given_name"] for m in members}) == 3 and years[-1] - years[0] >= 18:
            full.append(members)
    assert full


def test_a_child_who_moves_council_has_two_child_ids(worlds: dict[str, World]) -> None:
    world = worlds["typical"]
    person_of = world.person_of()
    ids: dict[str, set[str]] = defaultdict(set)
    for referral in world.jsonl():
        child = referral["child"]
        ids[person_of[("la_csc", child["child_id"])]].add(child["council_child_id"])
    assert any(len(found) >= 2 for found in ids.values())
    # An id is one child's: never two children's.
    owners: dict[str, set[str]] = defaultdict(set)
    for person, found in ids.items():
        for council_id in found:
            owners[council_id].add(person)
    assert all(len(people) == 1 for people in owners.values())


def test_missing_episodes_that_name_the_child_only_by_the_council_id(
    worlds: dict[str, World],
) -> None:
    world = worlds["typical"]
    person_of = world.person_of()
    id_owner = {
        r["child"]["council_child_id"]: person_of[("la_csc", r["child"]["child_id"])]
        for r in world.jsonl()
    }
    only = [
        r
        for r in world.csv("met_missing/missing_episodes.csv")
        if r["council_child_id"] and not r["child_name"]
    ]
    assert only
    for row in only:
        assert (row["dob"], row["age"], row["home_address"], row["postcode"]) == ("", "", "", "")
        assert id_owner[row["council_child_id"]] == person_of[("met_missing", row["person_id"])]


def test_non_latin_names_are_written_in_council_records_only(worlds: dict[str, World]) -> None:
    world = worlds["sparse"]
    names = [r["child"]["name"] or "" for r in world.jsonl()]
    names += [a["name"] or "" for r in world.jsonl() for a in r["associates"]]
    scripts = [n for n in names if not _latin(n)]
    assert scripts
    assert any(re.search(r"[\u0400-\u04FF]", n) for n in scripts)  # Cyrillic
    assert any(re.search(r"[\u0600-\u06FF]", n) for n in scripts)  # Arabic
    police = [r["forename"] + r["surname"] for r in world.csv("met_crime/nominals.csv")]
    assert all(_latin(n) for n in police)


def _latin(name: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in name)


def test_people_who_move_keep_their_name_and_date_of_birth(worlds: dict[str, World]) -> None:
    """Someone written with the same name and date of birth at two postcodes."""
    world = worlds["clean"]
    person_of = world.person_of()
    seen: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for row in world.csv("met_crime/nominals.csv"):
        if row["postcode"] and row["dob"]:
            key = (
                person_of[("met_crime", row["nominal_id"])],
                row["forename"],
                row["surname"].upper(),
                row["dob"],
            )
            seen[key].add(row["postcode"].replace(" ", "").upper())
    assert any(len(postcodes) >= 2 for postcodes in seen.values())
