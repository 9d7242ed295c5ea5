"""Compile one mapping value into a per-field pipeline (a closure over its cleaning steps).

extract -> strip -> default -> required -> split -> pattern -> code table -> normaliser ->
prefix; the canonical types (dates, code sets, yes/no, ages) are in `typed`. Plain columns
get a short path, cleaned values are memoised per field, constants are cleaned once. A value
that cannot be used raises `RowProblem` (the row, or the nested item, is quarantined); a
value whose shape the mapping does not handle (a JSON list given to a single-valued field
without `list:`) raises `ShapeError`, which refuses the file; a mapping that asks a field
for what it cannot do raises `FieldSpecError` when it is compiled.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from casereview.ingest.mapping import CodeTable, Mapping, Value
from casereview.ingest.notes import Notes
from casereview.ingest.patterns import Pattern
from casereview.model.codes import IngestNote, QuarantineReason
from casereview.values import (
    clean_name,
    normalise_address,
    normalise_any_postcode,
    normalise_borough,
    normalise_identifier,
    normalise_phone,
    normalise_postcode_or_district,
    normalise_vrm,
)

__all__ = [
    "MISSING",
    "Context",
    "FieldSpecError",
    "Getter",
    "RowProblem",
    "ShapeError",
    "as_text",
    "column_getter",
    "compile_value",
    "context",
    "dumps",
    "extractor",
    "list_text",
    "raw_text",
    "remember",
    "text_row_json",
    "text_value",
]

Getter = Callable[[dict[str, Any]], Any]
_MEMO_LIMIT = 65_536  # per-field memo of cleaned values; cleared when full (bounded memory)
MISSING = object()


@dataclass
class Context:
    """What the compiled fields of one file share: the mapping, where notes go, whether dates
    are given as ISO text (as SQLite stores them), and the day of the import."""

    mapping: Mapping
    notes: Notes = field(default_factory=Notes)
    iso_dates: bool = False
    today: dt.date = field(default_factory=dt.date.today)


def context(ctx: Mapping | Context) -> Context:
    """`ctx` itself, or a context around a bare mapping (notes counted and forgotten)."""
    return ctx if isinstance(ctx, Context) else Context(ctx)


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


class ShapeError(Exception):
    """A value's shape that the mapping does not say how to read (a list for a field of one
    value): the mapping does not fit the file, which is refused (file, row and field)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"field {field_name}: {message}")
        self.field, self.message = field_name, message


class FieldSpecError(ValueError):
    """A mapping asks a field for something it cannot do (found when the mapping is compiled)."""


def _missing(field_name: str) -> RowProblem:
    return RowProblem(QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty")


# --------------------------------------------------------------------------- extracting


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


def _shape(field_name: str, value: list[Any]) -> ShapeError:
    shown = dumps(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return ShapeError(
        field_name,
        f"holds a list ({shown}) but takes one value; say how to read it in the mapping: "
        "list: first, list: join or list: contains",
    )


def list_text(items: list[Any], spec: Value, field_name: str) -> str:
    """A JSON list given to a single-valued field, as the value's `list` says: its first
    item, or its items joined (`contains` is decided by the caller); else ShapeError."""
    texts = [t for t in (as_text(v) for v in items) if t]
    if spec.list_ == "first":
        return texts[0] if texts else ""
    if spec.list_ in ("join", "contains"):
        return spec.join.join(texts)
    raise _shape(field_name, items)


def extractor(spec: Value, field_name: str = "", *, lists: bool = False) -> Getter:
    """row -> the value's raw value (text, a list for list-valued fields, or None). `lists`:
    the field takes several values (a JSON list is given as it is)."""
    if spec.constant is not None:
        constant = spec.constant
        return lambda row: constant
    if spec.columns is not None:
        getters = [column_getter(c) for c in spec.columns]
        sep = spec.join

        def joined(row: dict[str, Any]) -> Any:
            parts = []
            for g in getters:
                value = g(row)
                if isinstance(value, list):
                    value = list_text(value, spec, field_name)
                parts.append(as_text(value))
            return sep.join(p for p in parts if p)

        return joined
    assert spec.column is not None
    return column_getter(spec.column)


def raw_text(spec: Value | None) -> Getter:
    """row -> the value's text as written (None when empty): the *_raw columns."""
    if spec is None:
        return lambda row: None
    if spec.column is not None and "." not in spec.column:
        return _plain_getter(spec.column, spec.column, False)
    extract = extractor(spec)
    return lambda row: as_text(extract(row)) or None


# --------------------------------------------------------------------------- cleaning


def _translator(table: CodeTable, field_name: str, notes: Notes) -> Callable[[Any], Any]:
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
            notes.add(IngestNote.UNKNOWN_CODE, field_name, str(code),
                      f"not in the code table: given its default {default!r}")  # fmt: skip
            return default
        if unknown == "keep":
            return code
        raise RowProblem(
            QuarantineReason.UNKNOWN_CODE, field_name, f"code {code!r} is not in the table"
        )

    return translate


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "name": clean_name,
    "postcode": normalise_postcode_or_district,
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
        and spec.list_ is None
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
            if isinstance(value, list):
                raise _shape(field_name, value)
            value = as_text(value)
        if value:
            return value
        if required:
            raise _missing(field_name)
        return None

    get.cell_column = column  # type: ignore[attr-defined] # its value depends on that cell only
    return get


def _check_spec(spec: Value, field_name: str, *, as_list: bool, boolean: bool) -> None:
    if spec.list_ is not None and as_list:
        raise FieldSpecError(
            f"{field_name}: list: applies to fields of one value; this field takes a list"
        )
    if spec.list_ == "contains" and not boolean:
        raise FieldSpecError(
            f"{field_name}: list: contains gives yes or no, for yes/no fields only "
            "(cse_flag, referral_made)"
        )
    if spec.matches == "all" and not as_list:
        raise FieldSpecError(
            f"{field_name}: matches: all gives several values, for fields that take a list "
            "(aliases, phones, factors, links, objects, places from text)"
        )


def compile_value(
    spec: Value | None,
    field_name: str,
    ctx: Mapping | Context,
    *,
    normaliser: str | None = None,
    as_list: bool = False,
    boolean: bool = False,
) -> Getter:
    """A closure row -> cleaned value (str, list of str, bool from codes or `contains`, or
    None). `as_list`: the field takes several values; `boolean`: a yes/no field."""
    if spec is None:
        return (lambda row: []) if as_list else (lambda row: None)
    _check_spec(spec, field_name, as_list=as_list, boolean=boolean)
    cx = context(ctx)
    mapping, notes = cx.mapping, cx.notes
    column = _simple_column(spec)
    if column is not None and normaliser is None and not as_list:
        return _plain_getter(column, field_name, spec.required)
    extract = extractor(spec, field_name, lists=as_list)
    translate = _translator(mapping.codes[spec.codes], field_name, notes) if spec.codes else None
    norm_name = spec.normalise or normaliser
    norm: Callable[[str], str | None] | None = None
    if norm_name == "phone":
        region = mapping.phone_region
        norm = lambda s: normalise_phone(s, region)  # noqa: E731
    elif norm_name == "postcode" and spec.country == "any":
        norm = normalise_any_postcode
    elif norm_name is not None:
        norm = _NORMALISERS[norm_name]
    dropped = IngestNote.UNREADABLE_BOROUGH if norm_name == "borough" else IngestNote.VALUE_DROPPED
    default, required, split, prefix = spec.default, spec.required, spec.split, spec.prefix
    pattern = Pattern(spec.pattern) if spec.pattern else None
    every_match = pattern is not None and spec.matches == "all"
    strict = spec.on_invalid == "quarantine"
    wanted = {c.strip().casefold() for c in spec.contains or ()}

    def clean_text(text: str) -> Any:
        if pattern is not None and not every_match:
            found = pattern.first(text)
            if found is None:
                return None
            text = found
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
                notes.add(dropped, field_name, value, f"not a valid {norm_name}: stored as NULL")
                return None
            value = normalised
        if prefix and isinstance(value, str):
            value = prefix + value
        return value

    # clean_text is pure: remember its answers; an answer that raised a problem or added a
    # note is not remembered (each row that has it counts it).
    memo: dict[str, Any] = {}

    def clean_one(text: str) -> Any:
        found = memo.get(text, MISSING)
        if found is MISSING:
            before = notes.total
            found = clean_text(text)
            if notes.total == before:
                remember(memo, text, found)
        return found

    def items_of(text: str) -> list[str]:
        if every_match:
            assert pattern is not None
            return [f.value for f in pattern.all(text) if f.value]
        if split:
            return [part.strip() for part in text.split(split)]
        return [text]

    def get(row: dict[str, Any]) -> Any:
        raw = extract(row)
        items: list[str]
        if isinstance(raw, list):
            if not as_list:
                if spec.list_ == "contains":
                    return _contains(raw) if raw else None
                raw = list_text(raw, spec, field_name)
            else:
                items = [
                    t for v in raw for t in (items_of(as_text(v)) if every_match else [as_text(v)])
                ]
        if not isinstance(raw, list):
            text = raw.strip() if raw.__class__ is str else as_text(raw)
            if not text and default is not None:
                text = default
            if not text:
                if required:
                    raise _missing(field_name)
                return [] if as_list else None
            if wanted:
                return _contains(items_of(text))
            if not as_list and not split:
                return clean_one(text)
            items = items_of(text)
        cleaned = [c for c in (clean_one(i) for i in items if i) if c is not None]
        if required and not cleaned:
            raise _missing(field_name)
        if as_list:
            return list(dict.fromkeys(cleaned))
        return cleaned[0] if cleaned else None

    def _contains(items: list[Any]) -> bool:
        return any(as_text(i).casefold() in wanted for i in items)

    if (
        not as_list
        and split is None
        and default is None
        and not wanted
        and spec.column is not None
        and "." not in spec.column
    ):
        # One plain column, cleaned: the same steps without the general path's branches.
        column_, general = spec.column, get

        def get_column(row: dict[str, Any]) -> Any:
            raw = row.get(column_)
            if raw.__class__ is not str:
                return general(row)
            text = raw.strip()
            if not text:
                if required:
                    raise _missing(field_name)
                return None
            found = memo.get(text, MISSING)
            if found is MISSING:
                return clean_one(text)
            return found

        get_column.cell_column = column_  # type: ignore[attr-defined]
        return get_column
    if spec.constant is not None:
        # A constant is cleaned once, here; a constant that fails (or is noted) fails (or is
        # noted) on every row.
        try:
            before = notes.total
            fixed = get({})
        except RowProblem:
            return get
        if notes.total != before:
            return get
        if isinstance(fixed, list):
            return lambda row: list(fixed)
        return lambda row: fixed
    return get


def text_value(spec: Value | None, field_name: str, ctx: Mapping | Context) -> Getter:
    """A field kept as written: the raw text, unless the mapping asks for cleaning steps
    (default, pattern, codes, normalise, prefix, split, list), which are then applied."""
    if spec is None or (
        spec.default is None
        and spec.pattern is None
        and spec.codes is None
        and spec.normalise is None
        and not spec.prefix
        and spec.split is None
        and spec.list_ is None
    ):
        if spec is not None and spec.column is not None and "." not in spec.column:
            return _plain_getter(spec.column, field_name, spec.required)
        if spec is not None and spec.required:
            return compile_value(spec, field_name, ctx)
        extract = extractor(spec, field_name) if spec is not None else None
        if extract is None:
            return lambda row: None

        def text(row: dict[str, Any]) -> Any:
            value = extract(row)
            if isinstance(value, list):
                raise _shape(field_name, value)
            return as_text(value) or None

        return text
    return compile_value(spec, field_name, ctx)
