"""Field pipelines: the fast paths (a CSV row's JSON from its header, memoised dates and JSON
lists) give exactly what the general path gives."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casereview.ingest.fields import (
    RowProblem,
    compile_value,
    dated_value,
    dumps,
    json_list_value,
    text_row_json,
)
from casereview.ingest.mapping import Mapping, Value
from casereview.model.codes import QuarantineReason

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
