"""What a record or a person carries besides its fields: objects (phones, vehicles, online
identifiers), places, links to other records and identifiers, compiled from their specs.

An object's value and a place's text may take several items from one text with a pattern
and `matches: all` (objects) or named groups (`text` of a place): each item then keeps where
it came from in its raw value, "column[start:end] matched text" (characters of the cell).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from casereview.ingest.fields import (
    Context,
    FieldSpecError,
    RowProblem,
    as_text,
    compile_value,
    dumps,
    extractor,
    remember,
    text_value,
)
from casereview.ingest.mapping import LinkSpec, LocationSpec, ObjectSpec, Value
from casereview.ingest.patterns import Pattern
from casereview.ingest.typed import code_value
from casereview.model.codes import IngestNote, LocationType, ObjectKind, QuarantineReason
from casereview.values import normalise_address, normalise_postcode_or_district

__all__ = [
    "LocationOut",
    "ObjectOut",
    "compile_identifiers",
    "compile_links",
    "compile_locations",
    "compile_objects",
]


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


_OBJECT_LIMIT = 200  # objects.value
_PLACE_KEY_LIMIT = 400  # locations.location_key
_OBJECT_NORMALISER = {
    ObjectKind.PHONE: "phone",
    ObjectKind.VEHICLE: "vrm",
    ObjectKind.ONLINE_ID: "lower",
}


def _source_name(spec: Value) -> str:
    """Where a value's text comes from, for an item's provenance."""
    if spec.column is not None:
        return spec.column
    if spec.columns is not None:
        return "+".join(spec.columns)
    return "constant"


def _items(spec: Value, field_name: str) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    """row -> (item text, raw value) of each item: a JSON list's items, the text split on
    `split`, or (a pattern with `matches: all`) every match, with its provenance."""
    every = Pattern(spec.pattern) if spec.pattern and spec.matches == "all" else None
    source = _source_name(spec)

    def found(text: str) -> list[tuple[str, str]]:
        if every is None:
            return [(text, text)]
        return [
            (f.value, f"{source}[{f.start}:{f.end}] {f.text}") for f in every.all(text) if f.value
        ]

    if spec.constant is not None:
        fixed = found(as_text(spec.constant)) if as_text(spec.constant) else []
        return lambda row: list(fixed)
    extract = extractor(spec, field_name, lists=True)
    split, default = spec.split, spec.default

    def items(row: dict[str, Any]) -> list[tuple[str, str]]:
        raw = extract(row)
        if isinstance(raw, list):
            texts = [t for t in (as_text(v) for v in raw) if t]
        else:
            text = as_text(raw) or (default or "")
            if split and text:
                texts = [t for t in (part.strip() for part in text.split(split)) if t]
            else:
                texts = [text] if text else []
        return [item for t in texts for item in found(t)]

    return items


def compile_objects(specs: list[ObjectSpec], prefix: str, ctx: Context) -> Callable[..., Any]:
    compiled = []
    for i, spec in enumerate(specs):
        name = f"{prefix}objects[{i}]"
        if spec.value.list_ is not None:
            raise FieldSpecError(f"{name}.value: list: applies to fields of one value; objects "
                                 "take every item of a list")  # fmt: skip
        # Each item is cleaned on its own, so the raw value stored beside a normalised value
        # is always that value's own text, also when an unreadable item before it is dropped.
        one_item = spec.value.model_copy(
            update={"column": "_", "columns": None, "constant": None, "split": None,
                    "default": None, "required": False, "matches": "first",
                    "pattern": None if spec.value.matches == "all" else spec.value.pattern}
        )  # fmt: skip
        clean = compile_value(one_item, name, ctx, normaliser=_OBJECT_NORMALISER[spec.kind])
        items = _items(spec.value, name)
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
            for text, raw in items(row):
                value = clean({"_": text})
                if value is None or value in seen:
                    continue
                if len(value) > _OBJECT_LIMIT:
                    raise RowProblem(QuarantineReason.BAD_VALUE, field_name,
                                     f"a value of {len(value)} characters; the store keeps "
                                     f"{_OBJECT_LIMIT}")  # fmt: skip
                seen.add(value)
                out.append(ObjectOut(kind, value, raw, relation))
            if required and not seen:
                raise RowProblem(
                    QuarantineReason.MISSING_REQUIRED, field_name, "required value is empty"
                )
        return out

    return objects


def _places_from_text(spec: LocationSpec, name: str, ctx: Context) -> Callable[..., Any]:
    """row -> [(address, postcode, raw)] of every match of the `text` value's pattern."""
    assert spec.text is not None and spec.text.pattern is not None
    pattern = Pattern(spec.text.pattern)
    source = _source_name(spec.text)
    get = text_value(spec.text.model_copy(update={"pattern": None, "matches": "first"}),
                     f"{name}.text", ctx)  # fmt: skip
    notes = ctx.notes

    def places(row: dict[str, Any]) -> list[tuple[str | None, str | None, str]]:
        text = get(row)
        if not text:
            return []
        out = []
        for found in pattern.all(str(text)):
            address, postcode = found.groups.get("address"), found.groups.get("postcode")
            if postcode is not None:
                clean = normalise_postcode_or_district(postcode)
                if clean is None:
                    notes.add(IngestNote.VALUE_DROPPED, f"{name}.postcode", postcode,
                              "not a valid postcode: left out of the place")  # fmt: skip
                postcode = clean
            if address or postcode:
                out.append((address, postcode, f"{source}[{found.start}:{found.end}] {found.text}"))
        return out

    return places


def compile_locations(specs: list[LocationSpec], prefix: str, ctx: Context) -> Callable[..., Any]:
    compiled: list[
        tuple[str, Callable[..., Any], Callable[..., Any] | None, Callable[..., Any]]
    ] = []
    for i, spec in enumerate(specs):
        name = f"{prefix}locations[{i}]"
        kind = code_value(spec.type, f"{name}.type", LocationType, ctx)
        if spec.text is not None:
            compiled.append((spec.relation, _places_from_text(spec, name, ctx), None, kind))
            continue
        address = (
            compile_value(spec.address, f"{name}.address", ctx, as_list=True)
            if spec.address is not None and (spec.address.split or spec.address.matches == "all")
            else text_value(spec.address, f"{name}.address", ctx)
        )
        postcode = compile_value(spec.postcode, f"{name}.postcode", ctx, normaliser="postcode")
        compiled.append((spec.relation, address, postcode, kind))
    # (relation, address, postcode, type, raw) -> its LocationOut: one shared instance per
    # place (never changed once made), which also pickles once per chunk.
    made: dict[tuple[str, str | None, str | None, str | None, str | None], LocationOut] = {}

    def location(relation: str, address: str | None, pc: str | None, kind: str | None,
                 raw: str | None = None) -> LocationOut:  # fmt: skip
        found = made.get((relation, address, pc, kind, raw))
        if found is None:
            key = f"{pc or ''}|{normalise_address(address) or ''}"
            if len(key) > _PLACE_KEY_LIMIT:
                raise RowProblem(QuarantineReason.BAD_VALUE, f"{relation} address",
                                 f"an address of {len(address or '')} characters; a place's "
                                 f"key keeps {_PLACE_KEY_LIMIT}")  # fmt: skip
            text = raw or (f"{address}, {pc}" if address and pc else (address or pc or ""))
            found = LocationOut(key, kind, address, pc, relation, text)
            remember(made, (relation, address, pc, kind, raw), found)
        return found

    def locations(row: dict[str, Any]) -> list[LocationOut]:
        out: list[LocationOut] = []
        for relation, address_get, postcode, kind in compiled:
            if postcode is None:  # places from a text
                for address, pc, raw in address_get(row):
                    out.append(location(relation, address, pc, kind(row), raw))
                continue
            addresses, pc = address_get(row), postcode(row)
            for address in addresses if isinstance(addresses, list) else [addresses]:
                if address is None and pc is None:
                    continue
                out.append(location(relation, address, pc, kind(row)))
        return out

    return locations


def compile_links(specs: list[LinkSpec], ctx: Context) -> Callable[..., Any]:
    compiled = [
        (compile_value(s.to, f"links[{i}].to", ctx, as_list=True), s.type)
        for i, s in enumerate(specs)
    ]

    def links(row: dict[str, Any]) -> list[tuple[str, str | None]]:
        out = [(ref, kind) for get, kind in compiled for ref in get(row)]
        for ref, _ in out:
            if len(ref) > _OBJECT_LIMIT:
                raise RowProblem(QuarantineReason.BAD_VALUE, "links",
                                 f"a reference of {len(ref)} characters; the store keeps "
                                 f"{_OBJECT_LIMIT}")  # fmt: skip
        return out

    return links


def compile_identifiers(specs: dict[str, Value], prefix: str, ctx: Context) -> Callable[..., str]:
    """item -> canonical JSON of {scheme: value} for the schemes with a value ("{}": none)."""
    if not specs:
        return lambda item: "{}"
    compiled = [
        (scheme, compile_value(spec, f"{prefix}identifiers.{scheme}", ctx))
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
