"""A small subset of the followthemoney (FtM) data model, to validate the entities casereview
exports for Aleph without the `followthemoney` package (it needs PyICU, which does not build
here).

Written for casereview from the published schema of followthemoney (the YAML files under
`followthemoney/schema/` of https://github.com/opensanctions/followthemoney: Thing, Interval,
Interest, LegalEntity, Person, Address, Vehicle, Event, Associate, UnknownLink), keeping only
the schemata and properties casereview writes plus those they inherit. followthemoney is
published under the MIT licence, Copyright (c) 2017-2024 Journalism Development Network,
Inc. and OpenSanctions Datenbanken GmbH; this subset follows its names and types and adds
nothing of its own.

`validate_entity` checks what FtM's own `model.get_proxy(data, cleaned=False)` would refuse:
an unknown or abstract schema, a property the schema does not have, a value that is not a
string, a date that is not ISO 8601, a phone that is not E.164, a reference to an entity of
the wrong schema, and a required property left empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from casereview.errors import ValidationError

__all__ = ["SCHEMATA", "Schema", "validate_entities", "validate_entity"]


@dataclass(frozen=True)
class Schema:
    """An FtM schema: its parents, own properties (name -> (type, range)), required ones."""

    name: str
    extends: tuple[str, ...]
    properties: Mapping[str, tuple[str, str | None]]
    required: tuple[str, ...] = ()
    abstract: bool = False


_TEXT = ("text", None)
_STRING = ("string", None)
_DATE = ("date", None)

SCHEMATA: dict[str, Schema] = {
    s.name: s
    for s in (
        Schema(
            "Thing",
            (),
            {
                "name": ("name", None),
                "alias": ("name", None),
                "summary": _TEXT,
                "notes": _TEXT,
                "description": _TEXT,
                "sourceUrl": ("url", None),
                "publisher": _STRING,
                "address": ("address", None),
                "addressEntity": ("entity", "Address"),
                "country": ("country", None),
                "keywords": _STRING,
                "createdAt": _DATE,
                "modifiedAt": _DATE,
                "retrievedAt": _DATE,
            },
            ("name",),
            abstract=True,
        ),
        Schema(
            "Interval",
            (),
            {
                "startDate": _DATE,
                "endDate": _DATE,
                "date": _DATE,
                "summary": _TEXT,
                "description": _TEXT,
                "recordId": _STRING,
                "sourceUrl": ("url", None),
                "publisher": _STRING,
                "modifiedAt": _DATE,
                "retrievedAt": _DATE,
            },
            abstract=True,
        ),
        Schema("Interest", ("Interval",), {"role": _STRING, "status": _STRING}, abstract=True),
        Schema(
            "LegalEntity",
            ("Thing",),
            {
                "email": ("email", None),
                "phone": ("phone", None),
                "idNumber": ("identifier", None),
                "registrationNumber": ("identifier", None),
            },
            ("name",),
        ),
        Schema(
            "Person",
            ("LegalEntity",),
            {"firstName": ("name", None), "lastName": ("name", None), "birthDate": _DATE},
            ("name",),
        ),
        Schema(
            "Address",
            ("Thing",),
            {
                "full": ("address", None),
                "postalCode": _STRING,
                "street": _STRING,
                "city": _STRING,
            },
        ),
        Schema(
            "Vehicle",
            ("Thing",),
            {"registrationNumber": ("identifier", None), "type": _STRING, "model": _STRING},
        ),
        Schema(
            "Event",
            ("Interval", "Thing"),
            {
                "location": ("address", None),
                "important": _STRING,
                "organizer": ("entity", "LegalEntity"),
                "involved": ("entity", "LegalEntity"),
            },
            ("name",),
        ),
        Schema(
            "Associate",
            ("Interval",),
            {
                "person": ("entity", "Person"),
                "associate": ("entity", "Person"),
                "relationship": _STRING,
            },
            ("person", "associate"),
        ),
        Schema(
            "UnknownLink",
            ("Interest",),
            {"subject": ("entity", "Thing"), "object": ("entity", "Thing")},
            ("subject", "object"),
        ),
    )
}

_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T[\d:.]+Z?)?)?)?$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _lineage(name: str) -> list[str]:
    """The schema and every schema it extends, nearest first."""
    out: list[str] = []
    stack = [name]
    while stack:
        current = stack.pop(0)
        if current not in out:
            out.append(current)
            stack.extend(SCHEMATA[current].extends)
    return out


def _properties(name: str) -> dict[str, tuple[str, str | None]]:
    props: dict[str, tuple[str, str | None]] = {}
    for schema in reversed(_lineage(name)):
        props.update(SCHEMATA[schema].properties)
    return props


def _required(name: str) -> set[str]:
    return {p for s in _lineage(name) for p in SCHEMATA[s].required}


def validate_entity(data: Mapping[str, Any], schemata_by_id: Mapping[str, str]) -> None:
    """Raise ValidationError unless `data` is a valid FtM entity of this subset.

    `schemata_by_id` maps the id of every entity in the same export to its schema, so that
    references are checked against the schema they point to."""
    ident = data.get("id")
    where = f"entity {ident!r}"
    if not isinstance(ident, str) or not ident:
        raise ValidationError(f"{where}: an entity needs a string id")
    name = data.get("schema")
    if name not in SCHEMATA or SCHEMATA[str(name)].abstract:
        raise ValidationError(f"{where}: {name!r} is not a schema that can be instantiated")
    props = _properties(str(name))
    given = data.get("properties")
    if not isinstance(given, Mapping):
        raise ValidationError(f"{where}: properties must be an object")
    for prop, values in given.items():
        if prop not in props:
            raise ValidationError(f"{where}: {name} has no property {prop!r}")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError(f"{where}: {prop} must be a list of strings")
        kind, target = props[prop]
        for value in values:
            _check_value(where, prop, kind, target, value, schemata_by_id)
    missing = sorted(p for p in _required(str(name)) if not given.get(p))
    if missing:
        raise ValidationError(f"{where}: {name} needs {', '.join(missing)}")


def _check_value(
    where: str,
    prop: str,
    kind: str,
    target: str | None,
    value: str,
    schemata_by_id: Mapping[str, str],
) -> None:
    bad = (
        (kind == "date" and not _ISO_DATE.match(value))
        or (kind == "phone" and not _E164.match(value))
        or (kind == "email" and not _EMAIL.match(value))
    )
    if bad:
        raise ValidationError(f"{where}: {prop} {value!r} is not a valid {kind}")
    if kind == "entity":
        other = schemata_by_id.get(value)
        if other is None:
            raise ValidationError(f"{where}: {prop} refers to {value!r}, not in the export")
        if target is not None and target not in _lineage(other):
            raise ValidationError(f"{where}: {prop} must refer to a {target}, not a {other}")


def validate_entities(entities: Iterable[Mapping[str, Any]]) -> int:
    """Validate a whole export (references resolved within it); returns the entity count."""
    items = list(entities)
    by_id = {str(e.get("id")): str(e.get("schema")) for e in items}
    if len(by_id) != len(items):
        raise ValidationError("two entities share one id")
    for e in items:
        validate_entity(e, by_id)
    return len(items)
