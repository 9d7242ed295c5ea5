"""Compile one mapping value into a per-field pipeline (a closure over its cleaning steps).

extract -> strip -> default -> required -> split -> pattern -> code table -> normaliser ->
prefix -> canonical type. Plain columns get a short path, cleaned values are memoised per
field, constants are cleaned once. A value that cannot be used raises `RowProblem`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from casereview.ingest.mapping import CodeTable, Mapping, Value
from casereview.model.codes import (
    CodeSet,
    QuarantineReason,
)
from casereview.values import (
    clean_name,
    normalise_address,
    normalise_any_postcode,
    normalise_borough,
    normalise_identifier,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    parse_date,
)

__all__ = [
    "Getter",
    "RowProblem",
    "age_value",
    "as_text",
    "bool_value",
    "column_getter",
    "compile_value",
    "date_value",
    "dated_value",
    "day_value",
    "dumps",
    "extractor",
    "json_list_value",
    "raw_text",
    "remember",
    "text_row_json",
    "text_value",
    "typed_value",
]

Getter = Callable[[dict[str, Any]], Any]
_TRUE = frozenset({"y", "yes", "true", "t", "1"})
_FALSE = frozenset({"n", "no", "false", "f", "0"})
_MEMO_LIMIT = 65_536  # per-field memo of cleaned values; cleared when full (bounded memory)
_MISSING = object()


def remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    """memo[key] = value, in a memo bounded to _MEMO_LIMIT entries (emptied when full);
    returns the value."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _json_default(value: Any) -> Any:
    # As casereview.model.serial: dates as ISO text, sets sorted; anything else is an error.
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


# The same text as canonical_json (sorted keys, no spaces, UTF-8 kept), from one encoder built
# once: json.dumps with options builds a new encoder on every call.
_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
).encode


def dumps(value: Any) -> str:
    """Canonical JSON of `value` (see casereview.model.serial.canonical_json)."""
    if not value and isinstance(value, list):
        return "[]"
    return _encode(value)


def text_row_json(columns: Sequence[str]) -> Callable[[dict[str, Any]], str]:
    """row -> the same text as `dumps(row)`, for rows whose keys are exactly `columns` and
    whose values are all text (a CSV reader's rows): the keys are sorted and encoded once,
    and each value goes through the JSON encoder's own string escaper."""
    keys = sorted(columns)
    escape = encode_basestring
    if len(keys) < 2:  # itemgetter of one key gives the value, not a tuple
        return lambda row: "{" + "".join(escape(k) + ":" + escape(row[k]) for k in keys) + "}"
    # One %-template with the encoded keys in place: {"a":%s,"b":%s}
    template = "{" + ",".join(escape(k).replace("%", "%%") + ":%s" for k in keys) + "}"
    values = itemgetter(*keys)

    def row_json(row: dict[str, Any]) -> str:
        return template % tuple(map(escape, values(row)))

    return row_json


class RowProblem(Exception):
    """A row cannot be loaded: quarantined with a reason code, the field and a message."""

    def __init__(self, reason: QuarantineReason, field_name: str | None, message: str) -> None:
        super().__init__(message)
        self.reason, self.field, self.message = reason, field_name, message


# --------------------------------------------------------------------------- values


def extractor(spec: Value) -> Getter:
    if spec.constant is not None:
        constant = spec.constant
        return lambda row: constant
    if spec.columns is not None:
        getters = [column_getter(c) for c in spec.columns]
        sep = spec.join

        def joined(row: dict[str, Any]) -> Any:
            parts = [as_text(g(row)) for g in getters]
            return sep.join(p for p in parts if p)

        return joined
    assert spec.column is not None
    return column_getter(spec.column)


def column_getter(column: str) -> Getter:
    if "." not in column:
        return lambda row: row.get(column)
    path = column.split(".")

    def nested(row: dict[str, Any]) -> Any:
        if column in row:
            return row[column]
        value: Any = row
        for part in path:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return nested


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value).strip()


def _translator(table: CodeTable, field_name: str) -> Callable[[Any], Any]:
    if table.case_sensitive:
        lookup = dict(table.values)
    else:
        lookup = {k.strip().lower(): v for k, v in table.values.items()}
    unknown, default, fold = table.unknown, table.default, not table.case_sensitive

    def translate(code: Any) -> Any:
        key = code.lower() if fold and isinstance(code, str) else code
        if key in lookup:
            return lookup[key]
        if unknown == "default":
            return default
        if unknown == "keep":
            return code
        raise RowProblem(
            QuarantineReason.UNKNOWN_CODE, field_name, f"code {code!r} is not in the table"
        )

    return translate


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "name": clean_name,
    "postcode": normalise_postcode,
    "vrm": normalise_vrm,
    "address": normalise_address,
    "borough": normalise_borough,
    "identifier": normalise_identifier,
    "upper": lambda s: s.upper() or None,
    "lower": lambda s: s.lower() or None,
    "strip": lambda s: s.strip() or None,
}


def _simple_column(spec: Value) -> str | None:
    """The column of a value that is only a column (no cleaning step), else None."""
    plain = (
        spec.column is not None
        and "." not in spec.column
        and spec.codes is None
        and spec.normalise is None
        and spec.split is None
        and spec.pattern is None
        and spec.default is None
        and not spec.prefix
    )
    return spec.column if plain else None


def _plain_getter(column: str, field_name: str, required: bool) -> Getter:
    """row -> stripped text or None, for a value that is only a column (the common case)."""

    def get(row: dict[str, Any]) -> Any:
        value = row.get(column)
        if value.__class__ is str:
            value = value.strip()
        elif value is not None:
            value = as_text(value)
        if value:
            return value
        if required:
            raise RowProblem(
                QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
            )
        return None

    get.cell_column = column  # type: ignore[attr-defined] # its value depends on that cell only
    return get


def compile_value(
    spec: Value | None,
    field_name: str,
    mapping: Mapping,
    *,
    normaliser: str | None = None,
    as_list: bool = False,
) -> Getter:
    """A closure row -> cleaned value (str, list of str, bool from codes, or None)."""
    if spec is None:
        return (lambda row: []) if as_list else (lambda row: None)
    column = _simple_column(spec)
    if column is not None and normaliser is None and not as_list:
        return _plain_getter(column, field_name, spec.required)
    extract = extractor(spec)
    translate = _translator(mapping.codes[spec.codes], field_name) if spec.codes else None
    norm_name = spec.normalise or normaliser
    norm: Callable[[str], str | None] | None = None
    if norm_name == "phone":
        region = mapping.phone_region
        norm = lambda s: normalise_phone(s, region)  # noqa: E731
    elif norm_name == "postcode" and spec.country == "any":
        norm = normalise_any_postcode
    elif norm_name is not None:
        norm = _NORMALISERS[norm_name]
    default, required, split, prefix = spec.default, spec.required, spec.split, spec.prefix
    pattern = re.compile(spec.pattern) if spec.pattern else None
    strict = spec.on_invalid == "quarantine"

    def clean_text(text: str) -> Any:
        if pattern is not None:
            found = pattern.search(text)
            if found is None:
                return None
            text = (found.group(1) if pattern.groups else found.group(0)).strip()
            if not text:
                return None
        value: Any = text
        if translate is not None:
            value = translate(text)
            if value is None or isinstance(value, bool):
                return value
        if norm is not None and isinstance(value, str):
            normalised = norm(value)
            if normalised is None:
                if strict:
                    raise RowProblem(
                        QuarantineReason.BAD_VALUE,
                        field_name,
                        f"{value!r} is not a valid {norm_name}",
                    )
                return None
            value = normalised
        if prefix and isinstance(value, str):
            value = prefix + value
        return value

    # clean_text is pure: remember its answers (a problem raised is not remembered).
    memo: dict[str, Any] = {}

    def clean_one(text: str) -> Any:
        found = memo.get(text, _MISSING)
        if found is _MISSING:
            found = remember(memo, text, clean_text(text))
        return found

    def get(row: dict[str, Any]) -> Any:
        raw = extract(row)
        items: list[str]
        if isinstance(raw, list):
            items = [as_text(v) for v in raw]
        else:
            text = raw.strip() if raw.__class__ is str else as_text(raw)
            if not text and default is not None:
                text = default
            if split and text:
                items = [part.strip() for part in text.split(split)]
            elif as_list:
                if not text:
                    if required:
                        raise RowProblem(
                            QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                        )
                    return []
                items = [text]
            else:
                if not text:
                    if required:
                        raise RowProblem(
                            QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                        )
                    return None
                return clean_one(text)
        cleaned = [c for c in (clean_one(i) for i in items if i) if c is not None]
        if required and not cleaned:
            raise RowProblem(
                QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
            )
        if as_list:
            return list(dict.fromkeys(cleaned))
        return cleaned[0] if cleaned else None

    if (
        not as_list
        and split is None
        and default is None
        and spec.column is not None
        and "." not in spec.column
    ):
        # One plain column, cleaned: the same steps without the general path's branches.
        column, general = spec.column, get

        def get_column(row: dict[str, Any]) -> Any:
            raw = row.get(column)
            if raw.__class__ is not str:
                return general(row)
            text = raw.strip()
            if not text:
                if required:
                    raise RowProblem(
                        QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                    )
                return None
            found = memo.get(text, _MISSING)
            if found is _MISSING:
                return clean_one(text)
            return found

        get_column.cell_column = column  # type: ignore[attr-defined]
        return get_column
    if spec.constant is not None:
        # A constant is cleaned once, here; a constant that fails fails on every row.
        try:
            fixed = get({})
        except RowProblem:
            return get
        if isinstance(fixed, list):
            return lambda row: list(fixed)
        return lambda row: fixed
    return get


def raw_text(spec: Value | None) -> Getter:
    if spec is None:
        return lambda row: None
    if spec.column is not None and "." not in spec.column:
        return _plain_getter(spec.column, spec.column, False)
    extract = extractor(spec)
    return lambda row: as_text(extract(row)) or None


def text_value(spec: Value | None, field_name: str, mapping: Mapping) -> Getter:
    """A field kept as written: the raw text, unless the mapping asks for cleaning steps
    (default, pattern, codes, normalise, prefix), which are then applied."""
    if spec is None or (
        spec.default is None
        and spec.pattern is None
        and spec.codes is None
        and spec.normalise is None
        and not spec.prefix
        and spec.split is None
    ):
        return raw_text(spec)
    return compile_value(spec, field_name, mapping)


def typed_value(get: Getter, field_name: str, code_set: type[CodeSet], *, required: bool) -> Getter:
    parsed: dict[Any, str | None] = {}  # value -> member value (None: not a member)

    def typed(row: dict[str, Any]) -> Any:
        value = get(row)
        if value is None:
            if required:
                raise RowProblem(
                    QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                )
            return None
        member = parsed.get(value, _MISSING)
        if member is _MISSING:
            found = code_set.parse(value)
            member = remember(parsed, value, found.value if found is not None else None)
        if member is None:
            if required:
                raise RowProblem(
                    QuarantineReason.BAD_VALUE,
                    field_name,
                    f"{value!r} is not a {code_set.__name__}",
                )
            return None
        return member

    column: str | None = getattr(get, "cell_column", None)
    if column is None:
        return typed
    # `get` reads one cell: the member is remembered per text of that cell (one look-up
    # instead of two closures for a code read from a column); a problem is not remembered.
    by_cell: dict[str, Any] = {}

    def typed_cell(row: dict[str, Any]) -> Any:
        cell = row.get(column)
        if cell.__class__ is str:
            found = by_cell.get(cell, _MISSING)
            if found is _MISSING:
                found = remember(by_cell, cell, typed(row))
            return found
        return typed(row)

    return typed_cell


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


def date_value(spec: Value | None, field_name: str, mapping: Mapping) -> Getter:
    """row -> (PartialDate | None, raw text | None)."""
    if spec is None:
        return lambda row: (None, None)
    get = compile_value(spec.model_copy(update={"codes": None}), field_name, mapping)
    formats = tuple(spec.formats or mapping.date_formats)

    def as_date(row: dict[str, Any]) -> Any:
        text = get(row)
        if text is None:
            return None, None
        parsed = parse_date(str(text), formats)
        if parsed is None:
            if spec.on_invalid == "null":
                return None, text
            raise RowProblem(
                QuarantineReason.BAD_DATE, field_name, f"{text!r} matches none of {list(formats)}"
            )
        return parsed, text

    return as_date


def dated_value(
    spec: Value | None, field_name: str, mapping: Mapping, *, iso_dates: bool
) -> Callable[[dict[str, Any]], tuple[Any, str | None, str | None]]:
    """row -> (day, precision value, raw text), each None when the value is empty; the day
    is a `datetime.date`, or ISO text with `iso_dates` (as SQLite stores it). Answers are
    memoised per text, as `date_value` would give them (a problem raised is not)."""
    if spec is None:
        return lambda row: (None, None, None)
    get = date_value(spec, field_name, mapping)
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
        found = memo.get(key, _MISSING) if key.__class__ is str else _MISSING
        if found is _MISSING:
            found = convert(row)
            if key.__class__ is str:
                remember(memo, key, found)
        return found  # type: ignore[return-value]

    return dated


def json_list_value(
    spec: Value | None, field_name: str, mapping: Mapping, *, normaliser: str | None = None
) -> Getter:
    """row -> canonical JSON of the value's cleaned list (as `compile_value(as_list=True)`),
    memoised per text of a plain column."""
    if spec is None:
        return lambda row: "[]"
    get = compile_value(spec, field_name, mapping, normaliser=normaliser, as_list=True)
    if spec.column is None or "." in spec.column or spec.constant is not None:
        return lambda row: dumps(get(row))
    column = spec.column
    memo: dict[str, str] = {}

    def json_list(row: dict[str, Any]) -> str:
        key = row.get(column)
        if key.__class__ is not str:
            return dumps(get(row))
        found = memo.get(key)
        if found is None:
            found = remember(memo, key, dumps(get(row)))
        return found

    return json_list


def day_value(get: Getter) -> Callable[[dict[str, Any]], dt.date | None]:
    def day(row: dict[str, Any]) -> dt.date | None:
        parsed, _ = get(row)
        return parsed.value if parsed is not None else None

    return day


def age_value(spec: Value | None, field_name: str, mapping: Mapping) -> Getter:
    get = compile_value(spec, field_name, mapping)

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
