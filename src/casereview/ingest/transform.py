"""Compile a mapping into per-field pipelines and turn source rows into canonical rows.

Each `Value` of the mapping is compiled once into a closure (extract -> strip -> default ->
required -> split -> code table -> normaliser -> prefix -> type), so the per-row work is a
few dict look-ups and cached normaliser calls. A row that fails raises `RowProblem`, which
the loader turns into a quarantine entry; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from casereview.ingest.mapping import (
    CodeTable,
    LinkSpec,
    LocationSpec,
    Mapping,
    ObjectSpec,
    PersonSpec,
    RecordSpec,
    Value,
)
from casereview.model.codes import (
    CodeSet,
    ConcernFactor,
    DobPrecision,
    EthnicityGroup,
    LocationType,
    MentionRole,
    ObjectKind,
    OutcomeType,
    QuarantineReason,
    RecordType,
    Sex,
)
from casereview.values import (
    clean_name,
    normalise_address,
    normalise_borough,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    parse_date,
    split_full_name,
)

__all__ = [
    "LocationOut",
    "MentionOut",
    "ObjectOut",
    "RecordOut",
    "RowProblem",
    "compile_person",
    "compile_record",
    "referenced_columns",
    "required_columns",
]

Getter = Callable[[dict[str, Any]], Any]
_TRUE = frozenset({"y", "yes", "true", "t", "1"})
_FALSE = frozenset({"n", "no", "false", "f", "0"})
_MEMO_LIMIT = 65_536  # per-field memo of cleaned values; cleared when full (bounded memory)
_MISSING = object()


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


class RowProblem(Exception):
    """A row cannot be loaded: quarantined with a reason code, the field and a message."""

    def __init__(self, reason: QuarantineReason, field_name: str | None, message: str) -> None:
        super().__init__(message)
        self.reason, self.field, self.message = reason, field_name, message


@dataclass(slots=True)
class ObjectOut:
    kind: str
    value: str
    raw: str
    relation: str | None


@dataclass(slots=True)
class LocationOut:
    key: str
    location_type: str | None
    address: str | None
    postcode: str | None
    relation: str
    raw: str


@dataclass(slots=True)
class MentionOut:
    key: str
    values: dict[str, Any]
    raw: str
    content_hash: str
    objects: list[ObjectOut]
    locations: list[LocationOut]
    record_ref: str | None = None


@dataclass(slots=True)
class RecordOut:
    ref: str
    values: dict[str, Any]
    raw: str
    content_hash: str
    links: list[tuple[str, str | None]]
    objects: list[ObjectOut]
    locations: list[LocationOut]
    persons: list[MentionOut] = field(default_factory=list)


# --------------------------------------------------------------------------- values


def _extractor(spec: Value) -> Getter:
    if spec.constant is not None:
        constant = spec.constant
        return lambda row: constant
    if spec.columns is not None:
        getters = [_column_getter(c) for c in spec.columns]
        sep = spec.join

        def joined(row: dict[str, Any]) -> Any:
            parts = [_as_text(g(row)) for g in getters]
            return sep.join(p for p in parts if p)

        return joined
    assert spec.column is not None
    return _column_getter(spec.column)


def _column_getter(column: str) -> Getter:
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


def _as_text(value: Any) -> str:
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
            value = _as_text(value)
        if value:
            return value
        if required:
            raise RowProblem(
                QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
            )
        return None

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
    extract = _extractor(spec)
    translate = _translator(mapping.codes[spec.codes], field_name) if spec.codes else None
    norm_name = spec.normalise or normaliser
    norm: Callable[[str], str | None] | None = None
    if norm_name == "phone":
        region = mapping.phone_region
        norm = lambda s: normalise_phone(s, region)  # noqa: E731
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
            found = clean_text(text)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[text] = found
        return found

    def get(row: dict[str, Any]) -> Any:
        raw = extract(row)
        items: list[str]
        if isinstance(raw, list):
            items = [_as_text(v) for v in raw]
        else:
            text = raw.strip() if raw.__class__ is str else _as_text(raw)
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


def _raw_getter(spec: Value | None) -> Getter:
    if spec is None:
        return lambda row: None
    if spec.column is not None and "." not in spec.column:
        return _plain_getter(spec.column, spec.column, False)
    extract = _extractor(spec)
    return lambda row: _as_text(extract(row)) or None


def _text(spec: Value | None, field_name: str, mapping: Mapping) -> Getter:
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
        return _raw_getter(spec)
    return compile_value(spec, field_name, mapping)


def _typed(get: Getter, field_name: str, code_set: type[CodeSet], *, required: bool) -> Getter:
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
            member = found.value if found is not None else None
            if len(parsed) >= _MEMO_LIMIT:
                parsed.clear()
            parsed[value] = member
        if member is None:
            if required:
                raise RowProblem(
                    QuarantineReason.BAD_VALUE,
                    field_name,
                    f"{value!r} is not a {code_set.__name__}",
                )
            return None
        return member

    return typed


def _bool(get: Getter, field_name: str) -> Getter:
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


def _date(spec: Value | None, field_name: str, mapping: Mapping) -> Getter:
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


def _day(get: Getter) -> Callable[[dict[str, Any]], dt.date | None]:
    def day(row: dict[str, Any]) -> dt.date | None:
        parsed, _ = get(row)
        return parsed.value if parsed is not None else None

    return day


def _age(spec: Value | None, field_name: str, mapping: Mapping) -> Getter:
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


# --------------------------------------------------------------------------- objects, places


_OBJECT_NORMALISER = {
    ObjectKind.PHONE: "phone",
    ObjectKind.VEHICLE: "vrm",
    ObjectKind.ONLINE_ID: "lower",
}


def _items(spec: Value) -> Callable[[dict[str, Any]], list[str]]:
    """row -> the value's items as written (a JSON list, or the text split on `split`)."""
    if spec.constant is not None:
        fixed = [_as_text(spec.constant)] if _as_text(spec.constant) else []
        return lambda row: list(fixed)
    extract = _extractor(spec)
    split, default = spec.split, spec.default

    def items(row: dict[str, Any]) -> list[str]:
        raw = extract(row)
        if isinstance(raw, list):
            return [t for t in (_as_text(v) for v in raw) if t]
        text = _as_text(raw) or (default or "")
        if split and text:
            return [t for t in (part.strip() for part in text.split(split)) if t]
        return [text] if text else []

    return items


def _objects(specs: list[ObjectSpec], prefix: str, mapping: Mapping) -> Callable[..., Any]:
    compiled = []
    for i, spec in enumerate(specs):
        name = f"{prefix}objects[{i}]"
        # Each item is cleaned on its own, so the raw value stored beside a normalised value
        # is always that value's own text, also when an unreadable item before it is dropped.
        one_item = spec.value.model_copy(
            update={"column": "_", "columns": None, "constant": None, "split": None,
                    "default": None, "required": False}
        )  # fmt: skip
        clean = compile_value(one_item, name, mapping, normaliser=_OBJECT_NORMALISER[spec.kind])
        items = _items(spec.value)
        compiled.append((name, spec.kind.value, spec.relation, items, clean, spec.value.required))

    def objects(row: dict[str, Any]) -> list[ObjectOut]:
        out: list[ObjectOut] = []
        for field_name, kind, relation, items, clean, required in compiled:
            seen: set[str] = set()
            for text in items(row):
                value = clean({"_": text})
                if value is None or value in seen:
                    continue
                seen.add(value)
                out.append(ObjectOut(kind, value, text, relation))
            if required and not seen:
                raise RowProblem(
                    QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                )
        return out

    return objects


def _locations(specs: list[LocationSpec], prefix: str, mapping: Mapping) -> Callable[..., Any]:
    compiled = []
    for i, spec in enumerate(specs):
        name = f"{prefix}locations[{i}]"
        address_raw = (
            compile_value(spec.address, f"{name}.address", mapping, as_list=True)
            if spec.address is not None and spec.address.split
            else _raw_getter(spec.address)
        )
        postcode = compile_value(spec.postcode, f"{name}.postcode", mapping, normaliser="postcode")
        kind = _typed(
            compile_value(spec.type, f"{name}.type", mapping),
            f"{name}.type",
            LocationType,
            required=False,
        )
        compiled.append((spec.relation, address_raw, postcode, kind))

    def locations(row: dict[str, Any]) -> list[LocationOut]:
        out: list[LocationOut] = []
        for relation, address_raw, postcode, kind in compiled:
            addresses, pc = address_raw(row), postcode(row)
            for address in addresses if isinstance(addresses, list) else [addresses]:
                if address is None and pc is None:
                    continue
                key = f"{pc or ''}|{normalise_address(address) or ''}"
                raw = ", ".join(p for p in (address, pc) if p)
                out.append(LocationOut(key, kind(row), address, pc, relation, raw))
        return out

    return locations


def _links(specs: list[LinkSpec], mapping: Mapping) -> Callable[..., Any]:
    compiled = [
        (compile_value(s.to, f"links[{i}].to", mapping, as_list=True), s.type)
        for i, s in enumerate(specs)
    ]

    def links(row: dict[str, Any]) -> list[tuple[str, str | None]]:
        return [(ref, kind) for get, kind in compiled for ref in get(row)]

    return links


def _content_hash(salt: str, raw: str) -> str:
    return hashlib.sha256((salt + raw).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- persons, records


def compile_person(
    spec: PersonSpec, mapping: Mapping, salt: str, prefix: str = ""
) -> Callable[[dict[str, Any], str | None], MentionOut]:
    """A function (person item, record ref) -> MentionOut, raising RowProblem."""
    p = prefix
    key = compile_value(spec.key.model_copy(update={"required": True}), f"{p}key", mapping)
    role = _typed(
        compile_value(spec.role, f"{p}role", mapping), f"{p}role", MentionRole, required=True
    )
    full_name = _text(spec.name, f"{p}name", mapping)
    order = spec.name_order
    forenames = _text(spec.forenames, f"{p}forenames", mapping)
    surname = _text(spec.surname, f"{p}surname", mapping)
    aliases = compile_value(spec.aliases, f"{p}aliases", mapping, as_list=True)
    dob = _date(spec.dob, f"{p}dob", mapping)
    age = _age(spec.age, f"{p}age", mapping)
    sex = _typed(compile_value(spec.sex, f"{p}sex", mapping), f"{p}sex", Sex, required=False)
    ethnicity_raw = _raw_getter(spec.ethnicity)
    ethnicity = _typed(
        compile_value(spec.ethnicity, f"{p}ethnicity", mapping),
        f"{p}ethnicity",
        EthnicityGroup,
        required=False,
    )
    nationality = _text(spec.nationality, f"{p}nationality", mapping)
    relationship = _text(spec.relationship, f"{p}relationship", mapping)
    address = _text(spec.address, f"{p}address", mapping)
    postcode = compile_value(spec.postcode, f"{p}postcode", mapping, normaliser="postcode")
    phones = compile_value(spec.phones, f"{p}phones", mapping, normaliser="phone", as_list=True)
    objects = _objects(spec.objects, p, mapping)
    locations = _locations(spec.locations, p, mapping)

    def person(item: dict[str, Any], record_ref: str | None) -> MentionOut:
        if spec.name is not None:
            name_raw = full_name(item)
            given, family = split_full_name(name_raw, order)
        else:
            given, family = forenames(item), surname(item)
            name_raw = " ".join(n for n in (given, family) if n) or None
        parsed, dob_raw = dob(item)
        age_at_event = age(item)
        if parsed is not None:
            precision = parsed.precision.value
        else:
            precision = (DobPrecision.AGE if age_at_event is not None else DobPrecision.NONE).value
        values = {
            "role": role(item),
            "forenames": given,
            "surname": family,
            "name_raw": name_raw,
            "aliases": dumps(aliases(item)),
            "dob": parsed.value if parsed is not None else None,
            "dob_raw": dob_raw,
            "dob_precision": precision,
            "age_at_event": age_at_event,
            "sex": sex(item),
            "ethnicity_raw": ethnicity_raw(item),
            "ethnicity": ethnicity(item),
            "nationality": nationality(item),
            "relationship": relationship(item),
            "address": address(item),
            "postcode": postcode(item),
            "phones": dumps(phones(item)),
        }
        raw = dumps(item)
        return MentionOut(
            key(item),
            values,
            raw,
            _content_hash(f"{salt}|{record_ref}|", raw),
            objects(item),
            locations(item),
            record_ref,
        )

    return person


def compile_record(
    spec: RecordSpec, mapping: Mapping, salt: str
) -> Callable[[dict[str, Any]], RecordOut]:
    """A function row -> RecordOut (with its nested persons), raising RowProblem."""
    key = compile_value(spec.key.model_copy(update={"required": True}), "key", mapping)
    record_type = _typed(
        compile_value(spec.record_type, "record_type", mapping),
        "record_type",
        RecordType,
        required=True,
    )
    dates = {
        name: _day(_date(getattr(spec, name), name, mapping))
        for name in ("occurred_at", "occurred_to", "recorded_at", "closed_at")
    }
    borough_raw = _raw_getter(spec.borough)
    borough = compile_value(
        spec.borough.model_copy(update={"on_invalid": "null"}) if spec.borough else None,
        "borough",
        mapping,
        normaliser="borough",
    )
    cse_flag = _bool(compile_value(spec.cse_flag, "cse_flag", mapping), "cse_flag")
    referral = _bool(compile_value(spec.referral_made, "referral_made", mapping), "referral_made")
    factors_get = compile_value(spec.factors, "factors", mapping, as_list=True)
    offence = _text(spec.offence, "offence", mapping)
    outcome_raw = _raw_getter(spec.outcome)
    outcome = _typed(
        compile_value(spec.outcome, "outcome", mapping), "outcome", OutcomeType, required=False
    )
    narrative = _text(spec.narrative, "narrative", mapping)
    flags = {n: _text(v, f"source_flags.{n}", mapping) for n, v in spec.source_flags.items()}
    links = _links(spec.links, mapping)
    objects = _objects(spec.objects, "", mapping)
    locations = _locations(spec.locations, "", mapping)
    persons = [
        (p.each, compile_person(p, mapping, salt, f"persons[{i}]."))
        for i, p in enumerate(spec.persons)
    ]

    def factors(row: dict[str, Any]) -> list[str]:
        members = (ConcernFactor.parse(v) for v in factors_get(row))
        return sorted({m.value for m in members if m is not None})

    def record(row: dict[str, Any]) -> RecordOut:
        ref = key(row)
        values = {
            "record_type": record_type(row),
            **{name: get(row) for name, get in dates.items()},
            "borough": borough(row),
            "borough_raw": borough_raw(row),
            "cse_flag": cse_flag(row),
            "source_flags": dumps({n: g(row) for n, g in flags.items()}),
            "factors": dumps(factors(row)),
            "offence": offence(row),
            "outcome_raw": outcome_raw(row),
            "outcome": outcome(row),
            "referral_made": referral(row),
            "narrative": narrative(row),
        }
        raw = dumps(row)
        out = RecordOut(
            ref, values, raw, _content_hash(salt, raw), links(row), objects(row), locations(row)
        )
        for each, person in persons:
            if each is None:
                out.persons.append(person(row, ref))
                continue
            items = _column_getter(each)(row)
            if items is None:
                continue
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise RowProblem(QuarantineReason.MALFORMED_ROW, each, "expected a list of objects")
            out.persons.extend(person(item, ref) for item in items)
        return out

    return record


def referenced_columns(spec: RecordSpec | PersonSpec | Value | Any) -> set[str]:
    """Top-level column names a file spec reads (checked against a CSV/XLSX header)."""
    found: set[str] = set()
    if isinstance(spec, Value):
        cols = [spec.column] if spec.column else list(spec.columns or [])
        return {c for c in cols if "." not in c}
    if isinstance(spec, PersonSpec) and spec.each:
        return {spec.each.split(".")[0]}
    if hasattr(type(spec), "model_fields"):
        for name in type(spec).model_fields:
            found |= referenced_columns(getattr(spec, name))
    elif isinstance(spec, list | tuple):
        for item in spec:
            found |= referenced_columns(item)
    elif isinstance(spec, dict):
        for item in spec.values():
            found |= referenced_columns(item)
    return found


def required_columns(spec: RecordSpec | PersonSpec | Any) -> set[str]:
    """Top-level columns without which no row can load: keys, types and roles read from a
    column, and every value marked `required` (checked once a JSON file has been read)."""
    found: set[str] = set()
    if isinstance(spec, Value):
        return referenced_columns(spec) if spec.required else set()
    if isinstance(spec, PersonSpec):
        if spec.each:
            return set()
        found |= referenced_columns(spec.key) | referenced_columns(spec.role)
    if isinstance(spec, RecordSpec):
        found |= referenced_columns(spec.key) | referenced_columns(spec.record_type)
    if hasattr(type(spec), "model_fields"):
        for name in type(spec).model_fields:
            found |= required_columns(getattr(spec, name))
    elif isinstance(spec, list | tuple):
        for item in spec:
            found |= required_columns(item)
    elif isinstance(spec, dict):
        for item in spec.values():
            found |= required_columns(item)
    return found
