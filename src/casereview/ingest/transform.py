"""Compile a mapping into per-field pipelines and turn source rows into canonical rows.

Each `Value` of the mapping is compiled once into a closure (see `fields`, `typed`), so the
per-row work is a few dict look-ups and memoised normaliser calls. A row that fails raises
`RowProblem`, which the loader turns into a quarantine entry. A person read from a list
inside the row (`each`) is an item of its own: a problem in it quarantines that item (scope
`item`, with its parent's reference) and the record loads with its other persons. Nothing
here touches the database.

The compiled record and person functions carry their named field getters (`.fields`:
(field name, value spec, getter)), which `check` evaluates one by one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from casereview.ingest.attach import (
    LocationOut,
    ObjectOut,
    compile_identifiers,
    compile_links,
    compile_locations,
    compile_objects,
)
from casereview.ingest.fields import (
    Context,
    Getter,
    RowProblem,
    column_getter,
    compile_value,
    context,
    dumps,
    raw_text,
    text_value,
)
from casereview.ingest.mapping import (
    LookupSpec,
    Mapping,
    PersonSpec,
    RecordSpec,
    Value,
)
from casereview.ingest.typed import (
    age_value,
    bool_value,
    code_value,
    dated_value,
    json_list_value,
)
from casereview.model.codes import (
    ConcernFactor,
    DobPrecision,
    EthnicityGroup,
    IngestNote,
    MentionRole,
    OutcomeType,
    QuarantineReason,
    RecordType,
    Sex,
)
from casereview.values import split_full_name

__all__ = [
    "MENTION_COLUMNS",
    "RECORD_COLUMNS",
    "FieldGetter",
    "HeldItem",
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
# Text columns of bounded length (model.tables): a longer value quarantines its row rather
# than failing the file's transaction on PostgreSQL (SQLite would store it).
_RECORD_LIMITS = tuple(
    (RECORD_COLUMNS.index(c), c, n) for c, n in (("borough_raw", 200), ("outcome_raw", 200))
)
_MENTION_LIMITS = tuple(
    (MENTION_COLUMNS.index(c), c, n)
    for c, n in (("forenames", 200), ("surname", 200), ("name_raw", 400), ("dob_raw", 100),
                 ("ethnicity_raw", 100), ("nationality", 100), ("relationship", 100))
)  # fmt: skip
KEY_LIMIT = 200


def check_lengths(key: str, values: tuple[Any, ...], limits: tuple[tuple[int, str, int], ...],
                  prefix: str = "") -> None:  # fmt: skip
    """RowProblem when the key or a bounded text value is longer than its column."""
    if len(key) > KEY_LIMIT:
        raise RowProblem(QuarantineReason.BAD_VALUE, f"{prefix}key",
                         f"a key of {len(key)} characters; the store keeps {KEY_LIMIT}")  # fmt: skip
    for i, name, limit in limits:
        value = values[i]
        if value is not None and len(value) > limit:
            raise RowProblem(QuarantineReason.BAD_VALUE, f"{prefix}{name}",
                             f"{len(value)} characters; the store keeps {limit}")  # fmt: skip


class FieldGetter(NamedTuple):
    """One field of a compiled record or person: its name, its value spec and its getter."""

    name: str
    spec: Value
    get: Getter


class HeldItem(NamedTuple):
    """A nested item quarantined while its row loaded (scope `item`)."""

    field: str
    reason: str
    message: str
    raw: str
    key: str | None  # the item's mention key, when it could be read


@dataclass(slots=True)
class MentionOut:
    key: str
    values: tuple[Any, ...]  # MENTION_COLUMNS
    raw: str
    content_hash: str
    objects: list[ObjectOut]
    locations: list[LocationOut]
    record_ref: str | None = None
    item: str | None = None  # the field of a person read from a list in the row (each)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return MentionOut, (self.key, self.values, self.raw, self.content_hash, self.objects,
                            self.locations, self.record_ref, self.item)  # fmt: skip


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
    held: list[HeldItem] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return RecordOut, (self.ref, self.values, self.raw, self.content_hash, self.links,
                           self.objects, self.locations, self.persons, self.held)  # fmt: skip


def _content_hash(salt: str, raw: str) -> str:
    return hashlib.sha256((salt + raw).encode("utf-8")).hexdigest()


def _age_cuts(ctx: Context) -> tuple[Any, Any]:
    """(the import's day, the day 110 years before), as dates or ISO text like the dob."""
    today = ctx.today
    try:
        old = today.replace(year=today.year - 110)
    except ValueError:  # 29 February
        old = today.replace(year=today.year - 110, day=28)
    return (today.isoformat(), old.isoformat()) if ctx.iso_dates else (today, old)


# --------------------------------------------------------------------------- persons, records


def compile_person(
    spec: PersonSpec,
    ctx: Mapping | Context,
    salt: str,
    prefix: str = "",
    *,
    iso_dates: bool | None = None,
) -> Callable[[dict[str, Any], str | None, str | None], MentionOut]:
    """A function (person item, record ref, raw JSON or None) -> MentionOut, raising
    RowProblem. Dates are `datetime.date`s, or ISO text with `iso_dates` (as SQLite stores
    them; default: the context's)."""
    cx = context(ctx)
    if iso_dates is not None and iso_dates != cx.iso_dates:
        cx = Context(cx.mapping, cx.notes, iso_dates, cx.today)
    p, notes = prefix, cx.notes
    key_spec = spec.key.model_copy(update={"required": True})
    key = compile_value(key_spec, f"{p}key", cx)
    role = code_value(spec.role, f"{p}role", MentionRole, cx, required=True)
    full_name = text_value(spec.name, f"{p}name", cx)
    order = spec.name_order
    forenames = text_value(spec.forenames, f"{p}forenames", cx)
    surname = text_value(spec.surname, f"{p}surname", cx)
    aliases = json_list_value(spec.aliases, f"{p}aliases", cx)
    dob = dated_value(spec.dob, f"{p}dob", cx, iso_dates=cx.iso_dates)
    age = age_value(spec.age, f"{p}age", cx)
    sex = code_value(spec.sex, f"{p}sex", Sex, cx)
    ethnicity_raw = raw_text(spec.ethnicity)
    ethnicity = code_value(spec.ethnicity, f"{p}ethnicity", EthnicityGroup, cx)
    nationality = text_value(spec.nationality, f"{p}nationality", cx)
    relationship = text_value(spec.relationship, f"{p}relationship", cx)
    address = text_value(spec.address, f"{p}address", cx)
    postcode = compile_value(spec.postcode, f"{p}postcode", cx, normaliser="postcode")
    phones = json_list_value(spec.phones, f"{p}phones", cx, normaliser="phone")
    identifiers = compile_identifiers(spec.identifiers, p, cx)
    objects = compile_objects(spec.objects, p, cx)
    locations = compile_locations(spec.locations, p, cx)

    age_precision, no_precision = DobPrecision.AGE.value, DobPrecision.NONE.value
    today, too_old = _age_cuts(cx)
    dob_field, age_field = f"{p}dob", f"{p}age"

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
        elif day > today:
            notes.add(IngestNote.FUTURE_DOB, dob_field, str(dob_raw),
                      f"read as {day}, after the day of the import")  # fmt: skip
        elif day < too_old:
            notes.add(IngestNote.AGE_OVER_110, dob_field, str(dob_raw),
                      f"read as {day}: older than 110")  # fmt: skip
        if age_at_event is not None and age_at_event > 110:
            notes.add(IngestNote.AGE_OVER_110, age_field, str(age_at_event), "an age over 110")
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
        mention_key = key(item)
        check_lengths(mention_key, values, _MENTION_LIMITS, p)
        return MentionOut(
            mention_key,
            values,
            raw,
            _content_hash(f"{salt}|{record_ref}|", raw),
            objects(item),
            locations(item),
            record_ref,
        )

    person.key = key  # type: ignore[attr-defined]
    person.fields = [  # type: ignore[attr-defined]
        FieldGetter(f"{p}{name}", value, getter)
        for name, value, getter in (
            ("key", key_spec, key), ("role", spec.role, role), ("name", spec.name, full_name),
            ("forenames", spec.forenames, forenames), ("surname", spec.surname, surname),
            ("aliases", spec.aliases, aliases), ("dob", spec.dob, dob), ("age", spec.age, age),
            ("sex", spec.sex, sex), ("ethnicity", spec.ethnicity, ethnicity),
            ("nationality", spec.nationality, nationality),
            ("relationship", spec.relationship, relationship), ("address", spec.address, address),
            ("postcode", spec.postcode, postcode), ("phones", spec.phones, phones),
        )
        if value is not None
    ]  # fmt: skip
    return person


def compile_record(
    spec: RecordSpec, ctx: Mapping | Context, salt: str, *, iso_dates: bool | None = None
) -> Callable[[dict[str, Any], str | None], RecordOut]:
    """A function (row, raw JSON or None) -> RecordOut (with its nested persons), raising
    RowProblem."""
    cx = context(ctx)
    if iso_dates is not None and iso_dates != cx.iso_dates:
        cx = Context(cx.mapping, cx.notes, iso_dates, cx.today)
    key_spec = spec.key.model_copy(update={"required": True})
    key = compile_value(key_spec, "key", cx)
    record_type = code_value(spec.record_type, "record_type", RecordType, cx, required=True)
    date_names = ("occurred_at", "occurred_to", "recorded_at", "closed_at")
    dates = [dated_value(getattr(spec, n), n, cx, iso_dates=cx.iso_dates) for n in date_names]
    borough_raw = raw_text(spec.borough)
    borough = compile_value(
        spec.borough.model_copy(update={"on_invalid": "null"}) if spec.borough else None,
        "borough",
        cx,
        normaliser="borough",
    )
    cse_flag = bool_value(compile_value(spec.cse_flag, "cse_flag", cx, boolean=True), "cse_flag")
    referral = bool_value(
        compile_value(spec.referral_made, "referral_made", cx, boolean=True), "referral_made"
    )
    factors_get = compile_value(spec.factors, "factors", cx, as_list=True)
    offence = text_value(spec.offence, "offence", cx)
    outcome_raw = raw_text(spec.outcome)
    outcome = code_value(spec.outcome, "outcome", OutcomeType, cx)
    narrative = text_value(spec.narrative, "narrative", cx)
    flags = {n: text_value(v, f"source_flags.{n}", cx) for n, v in spec.source_flags.items()}
    links = compile_links(spec.links, cx)
    objects = compile_objects(spec.objects, "", cx)
    locations = compile_locations(spec.locations, "", cx)
    persons = [
        (p.each, i, compile_person(p, cx, salt, f"persons[{i}]."))
        for i, p in enumerate(spec.persons)
    ]

    def factors(row: dict[str, Any]) -> list[str]:
        members = (ConcernFactor.parse(v) for v in factors_get(row))
        return sorted({m.value for m in members if m is not None})

    def items_of(row: dict[str, Any], each: str) -> list[dict[str, Any]]:
        items = column_getter(each)(row)
        if items is None:
            return []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RowProblem(QuarantineReason.MALFORMED_ROW, each, "expected a list of objects")
        return items

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
        check_lengths(ref, values, _RECORD_LIMITS)
        out = RecordOut(
            ref, values, raw, _content_hash(salt, raw), links(row), objects(row), locations(row)
        )
        for each, i, person in persons:
            if each is None:
                out.persons.append(person(row, ref, raw))
                continue
            for n, item in enumerate(items_of(row, each)):
                try:
                    mention = person(item, ref, None)
                except RowProblem as problem:
                    out.held.append(_held(problem, i, n, ref, item, person))
                    continue
                mention.item = f"persons[{i}][{n}]"
                out.persons.append(mention)
        return out

    record.key = key  # type: ignore[attr-defined]
    record.fields = [  # type: ignore[attr-defined]
        FieldGetter(name, value, getter)
        for name, value, getter in (
            ("key", key_spec, key), ("record_type", spec.record_type, record_type),
            *((n, getattr(spec, n), g) for n, g in zip(date_names, dates, strict=True)),
            ("borough", spec.borough, borough), ("cse_flag", spec.cse_flag, cse_flag),
            ("referral_made", spec.referral_made, referral), ("factors", spec.factors, factors_get),
            ("offence", spec.offence, offence), ("outcome", spec.outcome, outcome),
            ("narrative", spec.narrative, narrative),
            *((f"source_flags.{n}", spec.source_flags[n], g) for n, g in flags.items()),
        )
        if value is not None
    ]  # fmt: skip
    record.persons = persons  # type: ignore[attr-defined]
    return record


def _held(
    problem: RowProblem, index: int, n: int, ref: str, item: dict[str, Any], person: Any
) -> HeldItem:
    """A nested person's problem as its item's quarantine entry, naming the parent record."""
    head = f"persons[{index}]."
    name = problem.field or ""
    name = f"persons[{index}][{n}]." + name[len(head) :] if name.startswith(head) else name
    try:
        item_key = person.key(item)
    except RowProblem:
        item_key = None
    message = (
        f"{problem.message} (item {n + 1} of record {ref}; the record and its other persons loaded)"
    )
    return HeldItem(name, problem.reason.value, message, dumps(item), item_key)


# --------------------------------------------------------------------------- columns


def referenced_columns(spec: Any, lookups: list[LookupSpec] | None = None) -> set[str]:
    """Top-level column names a file spec reads (checked against a CSV/XLSX header); the
    names of looked-up rows (`into`) are not columns of the file."""
    found = _referenced(spec)
    for lk in lookups or ():
        found.discard(lk.into)
        found |= _referenced(lk.key)
    return found


def _referenced(spec: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(spec, Value):
        cols = [spec.column] if spec.column else list(spec.columns or [])
        return {c for c in cols if "." not in c}
    if isinstance(spec, PersonSpec) and spec.each:
        return {spec.each.split(".")[0]}
    if hasattr(type(spec), "model_fields"):
        for name in type(spec).model_fields:
            found |= _referenced(getattr(spec, name))
    elif isinstance(spec, list | tuple):
        for item in spec:
            found |= _referenced(item)
    elif isinstance(spec, dict):
        for item in spec.values():
            found |= _referenced(item)
    return found


def required_columns(spec: Any) -> set[str]:
    """Top-level columns without which no row can load: keys, types and roles read from a
    column, and every value marked `required` (checked once a JSON file has been read)."""
    found: set[str] = set()
    if isinstance(spec, Value):
        return _referenced(spec) if spec.required else set()
    if isinstance(spec, PersonSpec):
        if spec.each:
            return set()
        found |= _referenced(spec.key) | _referenced(spec.role)
    if isinstance(spec, RecordSpec):
        found |= _referenced(spec.key) | _referenced(spec.record_type)
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
