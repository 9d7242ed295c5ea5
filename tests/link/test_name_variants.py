"""Full names the model used to miss (issue 23): a letter slipped in a long name, a middle
name read as the surname, a name swapped and misspelt beside a crowded date of birth, one
surname in two romanisations. Each kind planted among ordinary people and linked by the real
stage (frame, skewed-block guard, scoring with the reference model, clustering); the near
misses beside them (Daniel / Danielle, Mark / Mary, Sharma / Sharpe) stay apart."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from linkworld import add_planted, tiny_people

from casereview.link.frame import build_frame, guard_blocks
from casereview.link.model import linker_for, open_backend
from casereview.link.reference import reference_model
from casereview.link.score import duckdb_settings_from_saved
from casereview.link.stage import Prediction, predict_persons
from casereview.settings import get_settings

SLIP = "One letter slipped (dropped, doubled, mistyped or two swapped)"


def _year(year: int) -> dict[str, str]:
    """A date of birth known only by its year."""
    return {"dob": f"{year}-01-01", "dob_precision": "year"}


# A day of birth shared by more mentions than the test's cap (30), most of them without a
# postcode, so that the guard drops the day's block and cannot compare them with the block.
CROWDED_DAY = "2008-05-17"
_CROWD_FORENAMES = ("Bianca", "Callum", "Demi", "Ellis", "Freya", "Jordan", "Kai", "Leon")
_CROWD_SURNAMES = ("Barker", "Doyle", "Fisher", "Gill", "Kerr", "Lowe", "Marsh", "Nolan")

PLANTED: dict[str, list[dict[str, Any]]] = {
    # A surname with a letter mistyped (j for h, its neighbour on the keyboard).
    "sharma": [
        {"forenames": "Rohan", "surname": "Sharma", "dob": "1998-04-12", "postcode": "E6 1AB"},
        {"forenames": "Rohan", "surname": "Sjarma", **_year(1998)},
    ],
    # Another man of one letter more than a slip away (Sharma / Sharpe: two letters).
    "sharpe": [{"forenames": "Rohan", "surname": "Sharpe", **_year(1998)}],
    "daniel": [
        {"forenames": "Daniel", "surname": "Ferreira", "dob": "2003-05-05", "postcode": "SE5 7AB"},
        {"forenames": "Daniel", "surname": "Ferreira", "dob": "2003-05-05"},
    ],
    # Two letters added: another name, not a slip.
    "danielle": [{"forenames": "Danielle", "surname": "Ferreira", **_year(2003)}],
    "mark": [
        {"forenames": "Mark", "surname": "Rogers", "dob": "1985-03-03", "postcode": "E2 7AB"},
        {"forenames": "Mark", "surname": "Rogers", **_year(1985)},
    ],
    # One letter off in a four-letter name: another name far more often than a slip.
    "mary": [{"forenames": "Mary", "surname": "Rogers", **_year(1985)}],
    # "WARSAME, Idris Abdi" read as forename Warsame, surname "Idris Abdi".
    "idris": [
        {"forenames": "Idris", "surname": "Warsame", "dob": "2002-10-01", "postcode": "NW10 3JL"},
        {"forenames": "Warsame", "surname": "Idris Abdi", **_year(2002)},
    ],
    # One surname (王) in pinyin and in Cantonese romanisation.
    "wang": [
        {"forenames": "Wei", "surname": "Wang", "dob": "2007-03-03", "postcode": "E14 2AB"},
        {"forenames": "Wei", "surname": "Wong", **_year(2007)},
    ],
    # Born on the crowded day: written once swapped and misspelt ("HADDAD Amria"), with
    # nothing else; no name key, no postcode and no year block meets the two.
    "amira": [
        {"forenames": "Amira", "surname": "Haddad", "dob": CROWDED_DAY, "postcode": "E3 4RT"},
        {"forenames": "Haddad", "surname": "Amria", "dob": CROWDED_DAY},
    ],
    # A stranger born that day with the same initials: met, not linked.
    "hana": [{"forenames": "Hana", "surname": "Abbas", "dob": CROWDED_DAY}],
    "crowd": [
        {"forenames": f, "surname": s, "dob": CROWDED_DAY}
        for f in _CROWD_FORENAMES
        for s in _CROWD_SURNAMES
    ],
}
CAP = 30


@pytest.fixture(scope="module")
def linked() -> tuple[Prediction, dict[str, list[int]]]:
    rows = [
        {k: v for k, v in row.items() if k not in ("key", "person", "role")}
        for row in tiny_people(31, 150)
    ]
    planted, _records = add_planted(rows, PLANTED)
    frame = build_frame(pd.DataFrame(rows))
    settings = get_settings()
    settings = settings.model_copy(
        update={"link": settings.link.model_copy(update={"max_block_size": CAP})}
    )
    prediction = predict_persons(
        frame, detail=False, trained=reference_model(), settings=settings
    )
    by_person: dict[str, list[int]] = {}
    for mention, person in planted.items():
        by_person.setdefault(person, []).append(mention)
    return prediction, by_person


def _persons(linked: tuple[Prediction, dict[str, list[int]]], name: str) -> set[int]:
    prediction, by_person = linked
    return {prediction.clustering.labels[m] for m in by_person[name]}


def _key(linked: tuple[Prediction, dict[str, list[int]]], name: str, key: str) -> set[Any]:
    """The values of blocking key `key` on the mentions of `name` (NULL left out)."""
    prediction, by_person = linked
    values = prediction.frame.set_index("unique_id")[key]
    return {values[m] for m in by_person[name] if values[m] is not pd.NA}


@pytest.mark.parametrize("kind", ["sharma", "idris", "wang", "amira"])
def test_mentions_of_one_person_link(
    linked: tuple[Prediction, dict[str, list[int]]], kind: str
) -> None:
    assert len(_persons(linked, kind)) == 1


@pytest.mark.parametrize(
    ("person", "near_miss"), [("sharma", "sharpe"), ("daniel", "danielle"), ("mark", "mary")]
)
def test_a_near_miss_stays_apart(
    linked: tuple[Prediction, dict[str, list[int]]], person: str, near_miss: str
) -> None:
    assert len(_persons(linked, person)) == 1
    assert _persons(linked, person).isdisjoint(_persons(linked, near_miss))


def test_the_crowded_day_is_met_by_its_initials_not_linked_by_them(
    linked: tuple[Prediction, dict[str, list[int]]],
) -> None:
    prediction, _ = linked
    assert any("bk_dob" in n and "initials" in n for n in prediction.notes)
    met = _key(linked, "amira", "bk_dob__dob_initials")
    assert len(met) == 1
    assert met == _key(linked, "hana", "bk_dob__dob_initials")
    assert met.isdisjoint(_key(linked, "crowd", "bk_dob__dob_initials"))
    assert _persons(linked, "amira").isdisjoint(_persons(linked, "hana"))


def _levels(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Every pair of `rows` scored with the reference model (one block: the source)."""
    from splink import block_on

    frame = build_frame(pd.DataFrame(rows))
    settings = duckdb_settings_from_saved(frame, reference_model(), partial=True)
    settings["blocking_rules_to_generate_predictions"] = [
        block_on("source").create_blocking_rule_dict("duckdb")
    ]
    with open_backend("duckdb", memory_limit="500MB") as db_api:
        pairs = linker_for(db_api, frame, settings).inference.predict().as_pandas_dataframe()
    return pairs.set_index(["unique_id_l", "unique_id_r"])


def _gamma(comparison: str, label: str) -> int:
    levels = next(
        c for c in reference_model()["comparisons"] if c["output_column_name"] == comparison
    )["comparison_levels"]
    labels = [lv.get("label_for_charts") for lv in levels]
    return len(labels) - 1 - labels.index(label)


def test_one_slipped_letter_is_its_own_level_in_long_names_only() -> None:
    names = [
        ("Rohan", "Sharma"),
        ("Rohan", "Sjarma"),  # 2: a letter mistyped
        ("Rohan", "Sharpe"),  # 3: two letters
        ("Natasha", "Lindgren"),
        ("Natsaha", "Lindgren"),  # 5: two letters swapped
        ("Mark", "Rogers"),
        ("Mary", "Rogers"),  # 7: four letters
    ]
    rows = [
        {"mention_id": i, "forenames": f, "surname": s, "source": "met_crime"}
        for i, (f, s) in enumerate(names, start=1)
    ]
    pairs = _levels(rows)
    slip_f, slip_s = _gamma("forename", SLIP), _gamma("surname", SLIP)
    assert pairs.loc[(1, 2), "gamma_surname"] == slip_s
    assert pairs.loc[(1, 3), "gamma_surname"] != slip_s
    assert pairs.loc[(2, 3), "gamma_surname"] != slip_s
    assert pairs.loc[(4, 5), "gamma_forename"] == slip_f
    assert pairs.loc[(6, 7), "gamma_forename"] != slip_f


def _row(i: int, forenames: str, surname: str, **more: Any) -> dict[str, Any]:
    return {"mention_id": i, "forenames": forenames, "surname": surname, **more}


def test_bk_name_meets_on_the_surnames_first_part() -> None:
    frame = build_frame(
        [
            _row(1, "Idris", "Warsame"),
            _row(2, "Warsame", "Idris Abdi"),  # a middle name read as the surname
            _row(3, "Keira", "Smith-Jones"),
            _row(4, "Keira", "Smith"),  # one part of a double-barrelled surname
            _row(5, "Idris", "Abdi"),  # a stranger
        ]
    )
    key = frame["bk_name"].tolist()
    assert key[0] == key[1]
    assert key[2] == key[3]
    assert len({key[0], key[2], key[4]}) == 3


def test_a_crowded_postcode_is_narrowed_by_the_initials_in_either_order() -> None:
    # 40 people at one large estate's postcode whose forenames start with M (over the cap of
    # 30), and "SMITH Mark" there with the fields swapped: his forename initial is S, so he
    # is in a small block of the postcode key, and the narrowing meets him with Mark Smith.
    crowd = [
        _row(10 + i, f"M{chr(97 + i % 26)}{i}", f"Crowd{i}", postcode="E1 6AN") for i in range(40)
    ]
    frame = build_frame(
        [
            _row(1, "Mark", "Smith", postcode="E1 6AN"),
            _row(2, "Smith", "Mark", postcode="E1 6AN"),
            _row(3, "Mia", "Saunders", postcode="E1 6AN"),
            *crowd,
        ]
    )
    report = guard_blocks(frame, max_block_size=30)
    assert "initials" in report.refined["bk_postcode_initial"]["by"]
    narrowed = frame["bk_postcode_initial__postcode_initials"].tolist()
    assert narrowed[0] == narrowed[1] == narrowed[2]
    assert narrowed[0] is not pd.NA
    assert frame["bk_postcode_initial__postcode_initials"].notna().sum() == 3
