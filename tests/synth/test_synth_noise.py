"""Noise: clean when switched off, present but moderate by default, names recurring."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from synthworld import World

from casereview.synth import NoiseRates, SynthConfig, generate_world
from casereview.synth.names import nickname_of, spelling_variants


def _nominals_with_truth(world: World) -> list[tuple[dict[str, str], dict[str, str]]]:
    person_of = world.person_of()
    persons = {r["person_id"]: r for r in world.csv("truth/persons.csv")}
    return [
        (row, persons[person_of[("met_crime", row["nominal_id"])]])
        for row in world.csv("met_crime/nominals.csv")
    ]


def _uk(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def test_no_noise_writes_every_name_and_dob_as_true(tmp_path: Path) -> None:
    generate_world(SynthConfig(cases=500, seed=5, noise=NoiseRates.none()), tmp_path)
    pairs = _nominals_with_truth(World(tmp_path))
    assert pairs
    for row, person in pairs:
        # Patronymic names (Idris Mohamed Mohamud) are written with the father's name.
        given = {person["given_name"], f"{person['given_name']} {person['middle_names']}"}
        assert row["forename"] in given
        assert (row["surname"].upper(), row["dob"]) == (
            person["family_name"].upper(),
            _uk(person["birth_date"]),
        )
        assert row["sex"] == person["sex"][0].upper()


def test_default_noise_includes_every_kind_of_name_variation(world_4000: World) -> None:
    kinds: Counter[str] = Counter()
    for row, p in _nominals_with_truth(world_4000):
        written, true = row["forename"], p["given_name"]
        if written == true:
            continue
        if written in nickname_of(true):
            kinds["nickname"] += 1
        elif written in spelling_variants(true):
            kinds["translit"] += 1
        elif written.upper() == p["family_name"].upper():
            kinds["swap"] += 1
        elif not row["surname"]:
            kinds["alias"] += 1
        else:
            kinds["typo"] += 1
    assert set(kinds) == {"nickname", "translit", "swap", "alias", "typo"}


def test_many_different_people_share_a_name(world_4000: World) -> None:
    persons = world_4000.csv("truth/persons.csv")
    names = Counter((p["given_name"], p["family_name"]) for p in persons)
    assert len(names) < 0.9 * len(persons)
    assert names.most_common(1)[0][1] >= 5
    families = Counter(p["family_name"] for p in persons)
    assert len(families) > 300


def test_ethnicity_is_recorded_less_often_for_suspects(world_4000: World) -> None:
    rows = world_4000.csv("met_crime/nominals.csv")

    def blank(role: str) -> float:
        mine = [r for r in rows if r["role"] == role]
        return sum(not r["ethnicity"] for r in mine) / len(mine)

    assert blank("S") > 0.45 > blank("V") > 0.15
