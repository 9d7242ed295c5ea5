"""Fields with a canonical type, built on `fields.compile_value`: code-set members, yes/no,
dates (with their precision), ages, and lists as canonical JSON. Each is memoised per text of
a plain column; an answer that raised a problem or added a note is never remembered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from casereview.ingest.fields import (
    MISSING,
    Context,
    Getter,
    RowProblem,
    compile_value,
    context,
    dumps,
    remember,
)
from casereview.ingest.mapping import Mapping, Value
from casereview.model.codes import CodeSet, IngestNote, QuarantineReason
from casereview.values import parse_date

__all__ = [
    "age_value",
    "bool_value",
    "code_value",
    "date_value",
    "dated_value",
    "day_value",
    "json_list_value",
    "typed_value",
]

_TRUE = frozenset({"y", "yes", "true", "t", "1"})
_FALSE = frozenset({"n", "no", "false", "f", "0"})


def typed_value(
    get: Getter,
    field_name: str,
    code_set: type[CodeSet],
    *,
    required: bool,
    ctx: Mapping | Context | None = None,
) -> Getter:
    """row -> the member value of `code_set` the cleaned value names. A value that names no
    member quarantines the row when the field is required, else it is left out (a note)."""
    parsed: dict[Any, str | None] = {}  # value -> member value (None: not a member)
    notes = context(ctx).notes if ctx is not None else None

    def typed(row: dict[str, Any]) -> Any:
        value = get(row)
        if value is None:
            if required:
                raise RowProblem(
                    QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                )
            return None
        member = parsed.get(value, MISSING)
        if member is MISSING:
            found = code_set.parse(value)
            member = remember(parsed, value, found.value if found is not None else None)
        if member is None:
            if required:
                raise RowProblem(
                    QuarantineReason.BAD_VALUE,
                    field_name,
                    f"{value!r} is not a {code_set.__name__}",
                )
            if notes is not None:
                notes.add(IngestNote.UNKNOWN_CODE, field_name, str(value),
                          f"not a {code_set.__name__}: left out")  # fmt: skip
            return None
        return member

    column: str | None = getattr(get, "cell_column", None)
    if column is None:
        return typed
    # `get` reads one cell: the member is remembered per text of that cell (one look-up
    # instead of two closures for a code read from a column); a problem or a note is not.
    by_cell: dict[str, Any] = {}
    total = (lambda: notes.total) if notes is not None else (lambda: 0)

    def typed_cell(row: dict[str, Any]) -> Any:
        cell = row.get(column)
        if cell.__class__ is str:
            found = by_cell.get(cell, MISSING)
            if found is MISSING:
                before = total()
                found = typed(row)
                if total() == before:
                    remember(by_cell, cell, found)
            return found
        return typed(row)

    return typed_cell


def code_value(
    spec: Value | None,
    field_name: str,
    code_set: type[CodeSet],
    ctx: Mapping | Context,
    *,
    required: bool = False,
) -> Getter:
    """A value that names a member of `code_set` (usually through a code table)."""
    return typed_value(
        compile_value(spec, field_name, ctx), field_name, code_set, required=required, ctx=ctx
    )


def bool_value(get: Getter, field_name: str) -> Getter:
    def as_bool(row: dict[str, Any]) -> bool | None:
        value = get(row)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise RowProblem(QuarantineReason.BAD_VALUE, field_name, f"{value!r} is not yes or no")

    return as_bool


def date_value(spec: Value | None, field_name: str, ctx: Mapping | Context) -> Getter:
    """row -> (PartialDate | None, raw text | None)."""
    if spec is None:
        return lambda row: (None, None)
    cx = context(ctx)
    get = compile_value(spec.model_copy(update={"codes": None}), field_name, cx)
    formats = tuple(spec.formats or cx.mapping.date_formats)
    pivot = spec.year_pivot if spec.year_pivot is not None else cx.mapping.year_pivot
    notes = cx.notes

    def as_date(row: dict[str, Any]) -> Any:
        text = get(row)
        if text is None:
            return None, None
        parsed = parse_date(str(text), formats, pivot)
        if parsed is None:
            if spec.on_invalid == "null":
                notes.add(IngestNote.VALUE_DROPPED, field_name, str(text),
                          f"matches none of {list(formats)}: stored as NULL")  # fmt: skip
                return None, text
            raise RowProblem(
                QuarantineReason.BAD_DATE, field_name, f"{text!r} matches none of {list(formats)}"
            )
        return parsed, text

    return as_date


def dated_value(
    spec: Value | None, field_name: str, ctx: Mapping | Context, *, iso_dates: bool
) -> Callable[[dict[str, Any]], tuple[Any, str | None, str | None]]:
    """row -> (day, precision value, raw text), each None when the value is empty; the day
    is a `datetime.date`, or ISO text with `iso_dates` (as SQLite stores it). Answers are
    memoised per text, as `date_value` would give them (a problem or a note is not)."""
    if spec is None:
        return lambda row: (None, None, None)
    cx = context(ctx)
    get = date_value(spec, field_name, cx)
    notes = cx.notes
    memo: dict[Any, tuple[Any, str | None, str | None]] = {}
    column = spec.column if spec.column is not None and "." not in spec.column else None

    def convert(row: dict[str, Any]) -> tuple[Any, str | None, str | None]:
        parsed, text = get(row)
        if parsed is None:
            return None, None, text
        day = parsed.value
        if iso_dates and day is not None:
            day = day.isoformat()
        return day, parsed.precision.value, text

    if column is None or spec.constant is not None or spec.columns is not None:
        return convert

    def dated(row: dict[str, Any]) -> tuple[Any, str | None, str | None]:
        # A plain column: the answer depends on that cell's text only.
        key = row.get(column)
        found = memo.get(key, MISSING) if key.__class__ is str else MISSING
        if found is MISSING:
            before = notes.total
            found = convert(row)
            if key.__class__ is str and notes.total == before:
                remember(memo, key, found)
        return found  # type: ignore[return-value]

    return dated


def json_list_value(
    spec: Value | None, field_name: str, ctx: Mapping | Context, *, normaliser: str | None = None
) -> Getter:
    """row -> canonical JSON of the value's cleaned list (as `compile_value(as_list=True)`),
    memoised per text of a plain column."""
    if spec is None:
        return lambda row: "[]"
    cx = context(ctx)
    get = compile_value(spec, field_name, cx, normaliser=normaliser, as_list=True)
    if spec.column is None or "." in spec.column or spec.constant is not None:
        return lambda row: dumps(get(row))
    column, notes = spec.column, cx.notes
    memo: dict[str, str] = {}

    def json_list(row: dict[str, Any]) -> str:
        key = row.get(column)
        if key.__class__ is not str:
            return dumps(get(row))
        found = memo.get(key)
        if found is None:
            before = notes.total
            found = dumps(get(row))
            if notes.total == before:
                remember(memo, key, found)
        return found

    return json_list


def day_value(get: Getter) -> Callable[[dict[str, Any]], dt.date | None]:
    def day(row: dict[str, Any]) -> dt.date | None:
        parsed, _ = get(row)
        return parsed.value if parsed is not None else None

    return day


def age_value(spec: Value | None, field_name: str, ctx: Mapping | Context) -> Getter:
    get = compile_value(spec, field_name, ctx)

    def age(row: dict[str, Any]) -> int | None:
        text = get(row)
        if text is None:
            return None
        try:
            value = int(float(str(text)))
        except (ValueError, OverflowError):
            value = -1
        if not 0 <= value <= 130:
            raise RowProblem(QuarantineReason.BAD_NUMBER, field_name, f"{text!r} is not an age")
        return value

    return age
