"""Missing values handled once (`casereview.values.missing`), and every stage fed names of one
word, empty strings, NaN, None and pandas' NA without crashing or treating a blank as a value.

pandas 3 writes NaN for a missing text in its string dtype; a stage that tested `is None`
sorted NaN against a name and crashed (`'<=' not supported between 'str' and 'float'`).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from casereview.ingest import ingest_directory
from casereview.link.frame import build_frame
from casereview.model.tables import mention_person, mentions
from casereview.pipeline import run_pipeline
from casereview.store.db import reading
from casereview.synth import SynthConfig, generate_world
from casereview.values.missing import is_missing, present, present_text

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"

MISSING = [
    None,
    float("nan"),
    np.nan,
    np.float32("nan"),
    pd.NA,
    pd.NaT,
    np.datetime64("NaT"),
    "",
    "  \t",
]
PRESENT = [
    0,
    0.0,
    False,
    "0",
    "nan",
    "NA",
    "None",
    "Kaz",
    np.float64(1.5),
    pd.Timestamp("2020-01-01"),
]


@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_every_spelling_of_missing_is_missing(value: Any) -> None:
    assert is_missing(value) and present(value) is None and present_text(value) is None


@pytest.mark.parametrize("value", PRESENT, ids=repr)
def test_values_that_look_empty_are_values(value: Any) -> None:
    """Zero, False and the *text* "nan" or "NA" are values someone wrote, not blanks."""
    assert not is_missing(value) and present(value) is value


@given(st.text())
def test_present_text_is_the_stripped_text_or_none(text: str) -> None:
    assert present_text(text) == (text.strip() or None)


def _row(i: int, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "mention_id": i,
        "record_id": i,
        "source": "met_crime",
        "forenames": None,
        "surname": None,
        "name_raw": None,
        "dob": None,
        "dob_precision": None,
        "age_at_event": None,
        "event_date": "2019-03-01",
        "sex": None,
        "address": None,
        "postcode": None,
        "phones": None,
        "identifiers": None,
    }
    return base | values


@pytest.mark.parametrize("blank", [*MISSING[:7], ""], ids=repr)
def test_link_frame_takes_any_missing_value_and_one_word_names(blank: Any) -> None:
    rows = [
        _row(1, forenames="Kaz", surname=blank, sex=blank, postcode=blank, dob=blank),
        _row(2, forenames=blank, surname="Mohamud", address=blank, phones=blank),
        _row(3, name_raw="Kaz", forenames=blank, surname=blank),
        _row(4, forenames=blank, surname=blank, name_raw=blank, age_at_event=blank),
        _row(5, forenames="Kaz", surname="Ali", dob="2004-05-06", postcode="E1 6AN"),
    ]
    frame = build_frame(pd.DataFrame(rows))
    # Every blank is None (never NaN or NA, which sort and compare as values).
    text_columns = ["forename1", "surname", "sex", "postcode", "dob", "address", "phones"]
    blanks = {
        (int(uid), col)
        for uid, row in zip(frame["unique_id"], frame[text_columns].to_dict("records"), strict=True)
        for col, v in row.items()
        if v is None
    }
    assert not any(
        (isinstance(v, float) and math.isnan(v)) or v is pd.NA
        for col in text_columns
        for v in frame[col].tolist()
    )
    named = {
        int(u): (f, s)
        for u, f, s in zip(frame["unique_id"], frame["forename1"], frame["surname"], strict=True)
    }
    # A one-word full name ("Kaz" in one name field) is kept, as forename or surname.
    assert {n for n in named.pop(3) if n is not None} == {"kaz"}
    assert named == {1: ("kaz", None), 2: (None, "mohamud"), 4: (None, None), 5: ("kaz", "ali")}
    assert {
        (1, "surname"),
        (1, "sex"),
        (1, "postcode"),
        (1, "dob"),
        (2, "address"),
        (2, "phones"),
    } <= blanks
    # The name blocking key needs both names: one-word names never block on it.
    assert frame.set_index("unique_id")["bk_name"].isna().to_dict() == {
        1: True,
        2: True,
        3: True,
        4: True,
        5: False,
    }


def _blank_some_names(world: Path) -> dict[str, int]:
    """Rewrite the world's police nominals as a careless export would: every fifth person by
    one word only (a nickname as forename, no surname), every seventh with empty strings in
    the name, date of birth and address cells, and literal "nan"/"NA" text in some phones."""
    path = world / "met_crime" / "nominals.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    changed = {"one_word": 0, "blank": 0}
    for i, row in enumerate(rows):
        if i % 5 == 0:
            row["forename"], row["surname"] = "Kaz", ""
            changed["one_word"] += 1
        elif i % 7 == 0:
            row["forename"] = row["surname"] = row["dob"] = row["address"] = row["postcode"] = ""
            changed["blank"] += 1
        elif i % 11 == 0:
            row["phone"] = "nan" if i % 2 else "NA"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return changed


def test_every_stage_runs_on_one_word_and_blank_names(fresh_store: Engine, tmp_path: Path) -> None:
    """Ingest, link, classify, network and review on a world whose police export writes many
    people by one word or not at all: every mention lands in exactly one person."""
    world = tmp_path / "world"
    generate_world(SynthConfig(cases=150, seed=21), world)
    changed = _blank_some_names(world)
    assert changed["one_word"] > 20 and changed["blank"] > 10
    ingest_directory(fresh_store, MAPPINGS, world, "test")
    result = run_pipeline(fresh_store, actor="test")
    assert [s.stage for s in result.stages] == ["link", "classify", "network", "review"]
    with reading(fresh_store) as conn:
        n = conn.execute(select(func.count()).select_from(mentions)).scalar_one()
        mapped = conn.execute(
            select(func.count(), func.count(func.distinct(mention_person.c.mention_id)))
        ).one()
        kaz = conn.execute(
            select(func.count()).select_from(mentions).where(mentions.c.forenames == "Kaz")
        ).scalar_one()
    assert tuple(mapped) == (n, n)
    assert kaz == changed["one_word"]
    counts = {s.stage: s.counts for s in result.stages}
    assert counts["link"]["mentions"] == n
    json.dumps(counts)  # every count is plain data
