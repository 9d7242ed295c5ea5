"""Compile a mapping into per-field pipelines and turn source rows into canonical rows.

Each `Value` of the mapping is compiled once into a closure (see `fields`), so the per-row
work is a few dict look-ups and memoised normaliser calls. A row that fails raises
`RowProblem`, which the loader turns into a quarantine entry; nothing here touches the
database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from casereview.ingest.fields import (
    RowProblem,
    age_value,
    as_text,
    bool_value,
    column_getter,
    compile_value,
    dated_value,
    dumps,
    extractor,
    json_list_value,
    raw_text,
    remember,
    text_value,
    typed_value,
)
from casereview.ingest.mapping import (
    LinkSpec,
    LocationSpec,
    Mapping,
    ObjectSpec,
    PersonSpec,
    RecordSpec,
    Value,
)
from casereview.model.codes import (
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
    normalise_address,
    split_full_name,
)

__all__ = [
    "MENTION_COLUMNS",
    "RECORD_COLUMNS",
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


# The columns of records and mentions that a RecordOut's / MentionOut's `values` hold, in
# that order (the bulk writer's column lists start with them).
RECORD_COLUMNS = (
    "record_type",
    "occurred_at",
    "occurred_to",
    "recorded_at",
    "closed_at",
    "borough",
    "borough_raw",
    "cse_flag",
    "source_flags",
    "factors",
    "offence",
    "outcome_raw",
    "outcome",
    "referral_made",
    "narrative",
)
MENTION_COLUMNS = (
    "role",
    "forenames",
    "surname",
    "name_raw",
    "aliases",
    "dob",
    "dob_raw",
    "dob_precision",
    "age_at_event",
    "sex",
    "ethnicity_raw",
    "ethnicity",
    "nationality",
    "relationship",
    "address",
    "postcode",
    "phones",
    "identifiers",
)
BOROUGH = RECORD_COLUMNS.index("borough")


@dataclass(slots=True)
class ObjectOut:
    kind: str
    value: str
    raw: str
    relation: str | None

    # Pickled as (class, field values), written out: unpickling calls the class once instead
    # of a slots dataclass's Python-level __setstate__ (these cross the ingest pipe).
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return ObjectOut, (self.kind, self.value, self.raw, self.relation)


@dataclass(slots=True)
class LocationOut:
    key: str
    location_type: str | None
    address: str | None
    postcode: str | None
    relation: str
    raw: str

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return LocationOut, (self.key, self.location_type, self.address, self.postcode,
                             self.relation, self.raw)  # fmt: skip


@dataclass(slots=True)
class MentionOut:
    key: str
    values: tuple[Any, ...]  # MENTION_COLUMNS
    raw: str
    content_hash: str
    objects: list[ObjectOut]
    locations: list[LocationOut]
    record_ref: str | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return MentionOut, (self.key, self.values, self.raw, self.content_hash, self.objects,
                            self.locations, self.record_ref)  # fmt: skip


@dataclass(slots=True)
class RecordOut:
    ref: str
    values: tuple[Any, ...]  # RECORD_COLUMNS
    raw: str
    content_hash: str
    links: list[tuple[str, str | None]]
    objects: list[ObjectOut]
    locations: list[LocationOut]
    persons: list[MentionOut] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return RecordOut, (self.ref, self.values, self.raw, self.content_hash, self.links,
                           self.objects, self.locations, self.persons)  # fmt: skip


# --------------------------------------------------------------------------- objects, places


_OBJECT_NORMALISER = {
    ObjectKind.PHONE: "phone",
    ObjectKind.VEHICLE: "vrm",
    ObjectKind.ONLINE_ID: "lower",
}


def _items(spec: Value) -> Callable[[dict[str, Any]], list[str]]:
    """row -> the value's items as written (a JSON list, or the text split on `split`)."""
    if spec.constant is not None:
        fixed = [as_text(spec.constant)] if as_text(spec.constant) else []
        return lambda row: list(fixed)
    extract = extractor(spec)
    split, default = spec.split, spec.default

    def items(row: dict[str, Any]) -> list[str]:
        raw = extract(row)
        if isinstance(raw, list):
            return [t for t in (as_text(v) for v in raw) if t]
        text = as_text(raw) or (default or "")
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

    # A column that is empty in most rows (a vehicle, a second phone): an empty cell of a
    # plain column without default or constant gives no object, checked before the rest.
    plain = [
        spec.value.column
        for spec in specs
        if spec.value.column is not None and "." not in spec.value.column
        and spec.value.default is None and spec.value.constant is None
        and not spec.value.required
    ]  # fmt: skip
    empty_skip = plain if len(plain) == len(specs) else None

    def objects(row: dict[str, Any]) -> list[ObjectOut]:
        if empty_skip is not None:
            for column in empty_skip:
                cell = row.get(column)
                if cell.__class__ is not str or cell.strip():
                    break
            else:
                return []
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
            else raw_text(spec.address)
        )
        postcode = compile_value(spec.postcode, f"{name}.postcode", mapping, normaliser="postcode")
        kind = typed_value(
            compile_value(spec.type, f"{name}.type", mapping),
            f"{name}.type",
            LocationType,
            required=False,
        )
        compiled.append((spec.relation, address_raw, postcode, kind))
    # (relation, address, postcode, type) -> its LocationOut: one shared instance per place
    # (never changed once made), which also pickles once per chunk.
    made: dict[tuple[str, str | None, str | None, str | None], LocationOut] = {}

    def location(
        relation: str, address: str | None, pc: str | None, kind: str | None
    ) -> LocationOut:
        found = made.get((relation, address, pc, kind))
        if found is None:
            key = f"{pc or ''}|{normalise_address(address) or ''}"
            raw = f"{address}, {pc}" if address and pc else (address or pc or "")
            found = LocationOut(key, kind, address, pc, relation, raw)
            remember(made, (relation, address, pc, kind), found)
        return found

    def locations(row: dict[str, Any]) -> list[LocationOut]:
        out: list[LocationOut] = []
        for relation, address_raw, postcode, kind in compiled:
            addresses, pc = address_raw(row), postcode(row)
            for address in addresses if isinstance(addresses, list) else [addresses]:
                if address is None and pc is None:
                    continue
                out.append(location(relation, address, pc, kind(row)))
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


def _identifiers(specs: dict[str, Value], prefix: str, mapping: Mapping) -> Callable[..., str]:
    """item -> canonical JSON of {scheme: value} for the schemes with a value ("{}": none)."""
    if not specs:
        return lambda item: "{}"
    compiled = [
        (scheme, compile_value(spec, f"{prefix}identifiers.{scheme}", mapping))
        for scheme, spec in sorted(specs.items())
    ]

    def identifiers(item: dict[str, Any]) -> str:
        found = {}
        for scheme, get in compiled:
            value = get(item)
            if value is not None and not isinstance(value, bool):
                found[scheme] = str(value)
        return dumps(found) if found else "{}"

    return identifiers


def _content_hash(salt: str, raw: str) -> str:
    return hashlib.sha256((salt + raw).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- persons, records


def compile_person(
    spec: PersonSpec, mapping: Mapping, salt: str, prefix: str = "", *, iso_dates: bool = False
) -> Callable[[dict[str, Any], str | None, str | None], MentionOut]:
    """A function (person item, record ref, raw JSON or None) -> MentionOut, raising RowProblem. Dates are
    `datetime.date`s, or ISO text with `iso_dates` (as SQLite stores them)."""
    p = prefix
    key = compile_value(spec.key.model_copy(update={"required": True}), f"{p}key", mapping)
    role = typed_value(
        compile_value(spec.role, f"{p}role", mapping), f"{p}role", MentionRole, required=True
    )
    full_name = text_value(spec.name, f"{p}name", mapping)
    order = spec.name_order
    forenames = text_value(spec.forenames, f"{p}forenames", mapping)
    surname = text_value(spec.surname, f"{p}surname", mapping)
    aliases = json_list_value(spec.aliases, f"{p}aliases", mapping)
    dob = dated_value(spec.dob, f"{p}dob", mapping, iso_dates=iso_dates)
    age = age_value(spec.age, f"{p}age", mapping)
    sex = typed_value(compile_value(spec.sex, f"{p}sex", mapping), f"{p}sex", Sex, required=False)
    ethnicity_raw = raw_text(spec.ethnicity)
    ethnicity = typed_value(
        compile_value(spec.ethnicity, f"{p}ethnicity", mapping),
        f"{p}ethnicity",
        EthnicityGroup,
        required=False,
    )
    nationality = text_value(spec.nationality, f"{p}nationality", mapping)
    relationship = text_value(spec.relationship, f"{p}relationship", mapping)
    address = text_value(spec.address, f"{p}address", mapping)
    postcode = compile_value(spec.postcode, f"{p}postcode", mapping, normaliser="postcode")
    phones = json_list_value(spec.phones, f"{p}phones", mapping, normaliser="phone")
    identifiers = _identifiers(spec.identifiers, p, mapping)
    objects = _objects(spec.objects, p, mapping)
    locations = _locations(spec.locations, p, mapping)

    age_precision, no_precision = DobPrecision.AGE.value, DobPrecision.NONE.value

    def person(item: dict[str, Any], record_ref: str | None, raw: str | None = None) -> MentionOut:
        """`raw`: the item's canonical JSON when the caller has it already."""
        if spec.name is not None:
            name_raw = full_name(item)
            given, family = split_full_name(name_raw, order)
        else:
            given, family = forenames(item), surname(item)
            # Both are stripped text or None.
            name_raw = f"{given} {family}" if given and family else (given or family)
        day, precision, dob_raw = dob(item)
        age_at_event = age(item)
        if precision is None:
            precision = age_precision if age_at_event is not None else no_precision
        values = (
            role(item),
            given,
            family,
            name_raw,
            aliases(item),
            day,
            dob_raw,
            precision,
            age_at_event,
            sex(item),
            ethnicity_raw(item),
            ethnicity(item),
            nationality(item),
            relationship(item),
            address(item),
            postcode(item),
            phones(item),
            identifiers(item),
        )
        if raw is None:
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
    spec: RecordSpec, mapping: Mapping, salt: str, *, iso_dates: bool = False
) -> Callable[[dict[str, Any], str | None], RecordOut]:
    """A function (row, raw JSON or None) -> RecordOut (with its nested persons), raising
    RowProblem."""
    key = compile_value(spec.key.model_copy(update={"required": True}), "key", mapping)
    record_type = typed_value(
        compile_value(spec.record_type, "record_type", mapping),
        "record_type",
        RecordType,
        required=True,
    )
    dates = [
        dated_value(getattr(spec, name), name, mapping, iso_dates=iso_dates)
        for name in ("occurred_at", "occurred_to", "recorded_at", "closed_at")
    ]
    borough_raw = raw_text(spec.borough)
    borough = compile_value(
        spec.borough.model_copy(update={"on_invalid": "null"}) if spec.borough else None,
        "borough",
        mapping,
        normaliser="borough",
    )
    cse_flag = bool_value(compile_value(spec.cse_flag, "cse_flag", mapping), "cse_flag")
    referral = bool_value(
        compile_value(spec.referral_made, "referral_made", mapping), "referral_made"
    )
    factors_get = compile_value(spec.factors, "factors", mapping, as_list=True)
    offence = text_value(spec.offence, "offence", mapping)
    outcome_raw = raw_text(spec.outcome)
    outcome = typed_value(
        compile_value(spec.outcome, "outcome", mapping), "outcome", OutcomeType, required=False
    )
    narrative = text_value(spec.narrative, "narrative", mapping)
    flags = {n: text_value(v, f"source_flags.{n}", mapping) for n, v in spec.source_flags.items()}
    links = _links(spec.links, mapping)
    objects = _objects(spec.objects, "", mapping)
    locations = _locations(spec.locations, "", mapping)
    persons = [
        (p.each, compile_person(p, mapping, salt, f"persons[{i}].", iso_dates=iso_dates))
        for i, p in enumerate(spec.persons)
    ]

    def factors(row: dict[str, Any]) -> list[str]:
        members = (ConcernFactor.parse(v) for v in factors_get(row))
        return sorted({m.value for m in members if m is not None})

    def record(row: dict[str, Any], raw: str | None = None) -> RecordOut:
        """`raw`: the row's canonical JSON when the caller has it already."""
        ref = key(row)
        kind = record_type(row)
        values = (
            kind,
            *[get(row)[0] for get in dates],
            borough(row),
            borough_raw(row),
            cse_flag(row),
            dumps({n: g(row) for n, g in flags.items()}),
            dumps(factors(row)),
            offence(row),
            outcome_raw(row),
            outcome(row),
            referral(row),
            narrative(row),
        )
        if raw is None:
            raw = dumps(row)
        out = RecordOut(
            ref, values, raw, _content_hash(salt, raw), links(row), objects(row), locations(row)
        )
        for each, person in persons:
            if each is None:
                out.persons.append(person(row, ref, raw))
                continue
            items = column_getter(each)(row)
            if items is None:
                continue
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise RowProblem(QuarantineReason.MALFORMED_ROW, each, "expected a list of objects")
            out.persons.extend(person(item, ref, None) for item in items)
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
