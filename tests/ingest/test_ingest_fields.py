"""Field pipelines: the fast paths (a CSV row's JSON from its header, memoised dates and JSON
lists) give exactly what the general path gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.ingest.fields import RowProblem, compile_value, dumps, text_row_json
from casereview.ingest.mapping import Mapping, PersonSpec, Value
from casereview.ingest.transform import compile_person
from casereview.ingest.typed import dated_value, json_list_value, typed_value
from casereview.model.codes import MentionRole, QuarantineReason

MAPPING = Mapping.model_validate(
    {
        "source": {"name": "s", "kind": "police"},
        "date_formats": ["%d/%m/%Y", "%Y"],
        "files": [{"role": "r", "path": "r.csv", "records": {"key": "k", "record_type": "t"}}],
    }
)


@given(
    st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=30), min_size=1, max_size=12)
)
def test_text_row_json_is_the_canonical_json(row: dict[str, str]) -> None:
    assert text_row_json(list(row))(row) == dumps(row)


def test_dated_value_memoised_per_text() -> None:
    dob = dated_value(Value(column="dob"), "dob", MAPPING, iso_dates=True)
    rows = [{"dob": "02/03/2001"}, {"dob": "1999"}, {"dob": " "}, {"dob": "02/03/2001"}]
    assert [dob(r) for r in rows] == [
        ("2001-03-02", "day", "02/03/2001"),
        ("1999-01-01", "year", "1999"),
        (None, None, None),
        ("2001-03-02", "day", "02/03/2001"),
    ]
    as_dates = dated_value(Value(column="dob"), "dob", MAPPING, iso_dates=False)
    assert as_dates(rows[0]) == (dt.date(2001, 3, 2), "day", "02/03/2001")


def test_json_list_value_matches_the_list_it_encodes() -> None:
    spec = Value(column="phones", split=";", on_invalid="null")
    listed = compile_value(spec, "phones", MAPPING, normaliser="phone", as_list=True)
    as_json = json_list_value(spec, "phones", MAPPING, normaliser="phone")
    for row in (
        {"phones": "07700 900123; 07700900123;x"},
        {"phones": ""},
        {},
        {"phones": ["07700900123"]},
    ):
        assert as_json(row) == dumps(listed(row))
        assert as_json(row) == dumps(listed(row))  # a second time, from the memo
    assert json_list_value(None, "aliases", MAPPING)({"aliases": "x"}) == "[]"


def test_a_problem_is_raised_every_time_not_memoised() -> None:
    strict = json_list_value(Value(column="phones"), "phones", MAPPING, normaliser="phone")
    for _ in range(2):
        with pytest.raises(RowProblem) as raised:
            strict({"phones": "not a phone"})
        assert (raised.value.reason, raised.value.field) == (QuarantineReason.BAD_VALUE, "phones")
    dob = dated_value(Value(column="dob", required=True), "dob", MAPPING, iso_dates=True)
    for _ in range(2):
        with pytest.raises(RowProblem) as raised:
            dob({"dob": "31/02/2001"})
        assert raised.value.reason == QuarantineReason.BAD_DATE


CODED = Mapping.model_validate(
    {
        "source": {"name": "s", "kind": "police"},
        "codes": {
            "role": {"values": {"V": "victim", "S": "suspect", "N": "no such role"},
                     "unknown": "strict"},
        },
        "files": [{"role": "r", "path": "r.csv", "records": {"key": "k", "record_type": "t"}}],
    }
)  # fmt: skip


def _outcome(get: Any, row: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "value", get(row)
    except RowProblem as p:
        return "problem", (p.reason, p.field, p.message)


@given(st.lists(st.sampled_from(["V", " S ", "v", "N", "X", "", "  ", "victim"]), max_size=30))
def test_a_code_read_from_one_cell_is_remembered_per_cell_as_computed(cells: list[str]) -> None:
    """typed_value over a one-cell getter remembers each cell's member; it gives what the
    same steps give through a getter that does not say which cell it reads, problems included
    (raised every time: an unknown code, a code whose target is not a role, an empty cell)."""
    spec = Value(column="role", codes="role")
    fast = typed_value(compile_value(spec, "role", CODED), "role", MentionRole, required=True)
    inner = compile_value(spec, "role", CODED)
    general = typed_value(lambda row: inner(row), "role", MentionRole, required=True)
    assert getattr(inner, "cell_column", None) == "role"
    for cell in cells + cells:  # each cell again, from the memo
        assert _outcome(fast, {"role": cell}) == _outcome(general, {"role": cell})
    assert _outcome(fast, {"role": "V"}) == ("value", "victim")
    assert _outcome(fast, {"role": "X"})[0] == "problem"
    assert _outcome(fast, {})[0] == "problem"  # no cell: the general path


@given(st.lists(st.sampled_from(["", "   ", "ab12 cde", "AB12CDE", "x", None, 7]), max_size=20))
def test_objects_of_empty_cells_are_none_without_the_general_path(cells: list[Any]) -> None:
    def spec(vehicle: Any) -> PersonSpec:
        return PersonSpec.model_validate(
            {"key": "id", "role": "r", "objects": [{"kind": "vehicle", "value": vehicle}]}
        )

    objects = compile_person(spec("vrm"), CODED, "salt")
    strict = compile_person(spec({"column": "vrm", "required": True}), CODED, "salt")
    for cell in cells:
        row = {"id": "P1", "r": "victim"} | ({} if cell is None else {"vrm": cell})
        made = _outcome(lambda r: objects(r, "C1").objects, row)
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            assert made == ("value", [])
            assert _outcome(lambda r: strict(r, "C1"), row)[0] == "problem"  # required: checked
        elif cell in ("x", 7):  # not a registration mark: the general path's problem
            message = f"{str(cell)!r} is not a valid vrm"
            assert made == ("problem", (QuarantineReason.BAD_VALUE, "objects[0]", message))
        else:
            assert made[0] == "value"
            assert [(o.kind, o.value) for o in made[1]] == [("vehicle", "AB12CDE")]
