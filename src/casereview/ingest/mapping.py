"""The mapping format: how one source's export files become canonical records and mentions.

A mapping is a YAML file validated by the pydantic models below (`extra="forbid"`: a typo is
an error that names the key). Errors are reported with the line of the offending key, found
by walking the YAML node tree (`yaml.compose`) along the pydantic error location.
See docs/mapping.md for every key with worked examples.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from casereview.errors import MappingError
from casereview.ingest.patterns import Pattern
from casereview.model.codes import ObjectKind, SourceKind

__all__ = [
    "CodeTable",
    "FileSpec",
    "LinkSpec",
    "LocationSpec",
    "LookupFileSpec",
    "LookupSpec",
    "Mapping",
    "ObjectSpec",
    "PersonSpec",
    "PersonsFileSpec",
    "RecordSpec",
    "SourceSpec",
    "Value",
    "derivation_digest",
    "load_mapping",
    "parse_mapping",
]

Normaliser = Literal[
    "name",
    "phone",
    "postcode",
    "vrm",
    "address",
    "borough",
    "identifier",
    "upper",
    "lower",
    "strip",
]
_SCHEME = re.compile(r"[a-z][a-z0-9_]{0,31}")
DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Value(_Model):
    """Where a field's value comes from and how it is cleaned. A plain string is a column."""

    column: str | None = Field(None, description="Column name; a dotted path into JSON objects")
    columns: list[str] | None = Field(None, description="Several columns joined with `join`")
    join: str = Field(" ", description="Separator used to join `columns`")
    constant: str | int | float | bool | None = Field(None, description="A fixed value")
    prefix: str = Field("", description="Text put before a non-empty value (keys)")
    required: bool = Field(False, description="Quarantine the row when the value is empty")
    default: str | None = Field(None, description="Value used when the column is empty")
    codes: str | None = Field(None, description="Name of a code table that translates the value")
    normalise: Normaliser | None = Field(None, description="Normaliser applied to the value")
    split: str | None = Field(None, description="Split the text into a list on this separator")
    pattern: str | None = Field(
        None,
        description="Regular expression (RE2) searched in the text; the value is its group "
        "`value`, else its first group, else the whole match (no match: empty)",
    )
    matches: Literal["first", "all"] = Field(
        "first",
        description="With a pattern: the first match gives the value, or (all) every match "
        "gives an item (fields that take several values)",
    )
    list_: Literal["first", "join", "contains"] | None = Field(
        None,
        alias="list",
        description="A JSON list given to a single-valued field: its first item, its items "
        "joined with `join`, or (contains) yes when an item is one of `contains`",
    )
    contains: list[str] | None = Field(
        None, description="With list: contains, the items that make the value yes"
    )
    year_pivot: int | None = Field(
        None, ge=0, le=99, description="Two-digit years (%y): 00 to this are 20xx, above 19xx"
    )
    formats: list[str] | None = Field(None, description="Date formats for this field")
    on_invalid: Literal["quarantine", "null"] = Field(
        "quarantine", description="What an unreadable value does: quarantine the row, or NULL"
    )
    country: Literal["uk", "any"] = Field(
        "uk",
        description="Postcodes: uk (a UK postcode or invalid), or any (a UK-shaped postcode in "
        "its UK form, any other kept as written without spaces, upper-case)",
    )

    @model_validator(mode="after")
    def _one_origin(self) -> Value:
        origins = [self.column is not None, self.columns is not None, self.constant is not None]
        if sum(origins) != 1:
            raise ValueError("give exactly one of column, columns or constant")
        if self.pattern is not None:
            Pattern(self.pattern)  # PatternError (a ValueError) names RE2's reason
        elif self.matches == "all":
            raise ValueError("matches: all needs a pattern")
        if (self.list_ == "contains") != (self.contains is not None):
            raise ValueError("list: contains and contains: [...] go together")
        if self.country != "uk" and self.normalise not in (None, "postcode"):
            raise ValueError("country applies to postcodes only (normalise: postcode)")
        return self


def _shorthand(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


ValueSpec = Annotated[Value, BeforeValidator(_shorthand)]


class CodeTable(_Model):
    """A translation table from a source's local codes to canonical values."""

    values: dict[str, str | bool | None] = Field(description="Local code -> canonical value")
    unknown: Literal["strict", "default", "keep"] = Field(
        "strict",
        description="A code not in the table: strict quarantines the row, default uses "
        "`default`, keep passes the code through as written",
    )
    default: str | bool | None = Field(
        None, description="Value for unknown codes (unknown: default)"
    )
    case_sensitive: bool = Field(False, description="Match codes case-sensitively")

    @model_validator(mode="before")
    @classmethod
    def _string_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("values"), dict):
            data = dict(data)
            data["values"] = {str(k): v for k, v in data["values"].items()}
        return data


class ObjectSpec(_Model):
    """Phones, vehicles or online identifiers attached to the record or the person."""

    kind: ObjectKind = Field(description="phone, vehicle or online_id")
    value: ValueSpec = Field(description="The value(s); use `split` for a list in one cell")
    relation: str | None = Field(None, description="How it relates, e.g. used_by, seen_in")


class LocationSpec(_Model):
    """A place attached to the record or the person (location_key = postcode|address)."""

    relation: str = Field("location", description="e.g. incident_location, home_address")
    address: ValueSpec | None = None
    postcode: ValueSpec | None = None
    type: ValueSpec | None = Field(None, description="A LocationType value (usually via codes)")
    text: ValueSpec | None = Field(
        None,
        description="Places taken from a text: every match of its pattern is a place, its "
        "named groups `address` and `postcode` the place's parts",
    )

    @model_validator(mode="after")
    def _text_or_parts(self) -> LocationSpec:
        if self.text is None:
            return self
        if self.address is not None or self.postcode is not None:
            raise ValueError("give text (a pattern with named groups) or address/postcode")
        names = Pattern(self.text.pattern).names if self.text.pattern else {}
        if not {"address", "postcode"} & set(names):
            raise ValueError(
                "text needs a pattern with a named group address or postcode, e.g. "
                "'(?P<address>\\d+ [A-Z][a-z]+ Road)'"
            )
        return self


class LinkSpec(_Model):
    """References the source itself made from this record to other records."""

    to: ValueSpec = Field(description="Source ref(s) of the linked records (use split)")
    type: str | None = Field(None, description="Link type stored in record_links.link_type")


class PersonSpec(_Model):
    """One person mention: a person as written in one record, with a role in it."""

    each: str | None = Field(None, description="Dotted path to a list of person objects")
    key: ValueSpec = Field(description="The mention's own id in the source (mention_key)")
    role: ValueSpec = Field(description="A MentionRole value (usually via codes)")
    name: ValueSpec | None = Field(None, description="Full name in one field")
    name_order: Literal["forename_first", "surname_first", "auto"] = "auto"
    forenames: ValueSpec | None = None
    surname: ValueSpec | None = None
    aliases: ValueSpec | None = None
    dob: ValueSpec | None = None
    age: ValueSpec | None = Field(None, description="Age at the event, instead of a dob")
    sex: ValueSpec | None = Field(None, description="A Sex value (usually via codes)")
    ethnicity: ValueSpec | None = Field(None, description="Raw ethnicity; codes map to a group")
    nationality: ValueSpec | None = None
    relationship: ValueSpec | None = None
    address: ValueSpec | None = None
    postcode: ValueSpec | None = None
    phones: ValueSpec | None = None
    identifiers: dict[str, ValueSpec] = Field(
        default_factory=dict,
        description="Identifier scheme (pnc, cro, nhs, ...) -> value; stored as a JSON object",
    )
    strong_identifiers: list[str] = Field(
        default_factory=list,
        description="Schemes of `identifiers` that name one person on their own (a council's "
        "child id, a PNC ID): two mentions with the same value are linked as one person "
        "unless their dates of birth or the household guard say otherwise",
    )
    objects: list[ObjectSpec] = Field(default_factory=list)
    locations: list[LocationSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _scheme_names(self) -> PersonSpec:
        bad = sorted(s for s in self.identifiers if not _SCHEME.fullmatch(s))
        if bad:
            raise ValueError(
                f"identifier scheme(s) {', '.join(map(repr, bad))}: use lower-case letters, "
                "digits and _ (starting with a letter, at most 32), e.g. pnc, cro, nhs"
            )
        unknown = sorted(set(self.strong_identifiers) - set(self.identifiers))
        if unknown:
            raise ValueError(
                f"strong_identifiers {', '.join(map(repr, unknown))} not among this person's "
                "identifiers: declare each scheme under identifiers first"
            )
        return self


class RecordSpec(_Model):
    """How one row becomes one record (an event)."""

    key: ValueSpec = Field(description="The record's source ref, unique within the source")
    repeated_rows: bool = Field(
        False,
        description="Rows sharing a key are one record (fields from its first row); each "
        "row adds its persons (e.g. one intelligence row per subject)",
    )
    record_type: ValueSpec = Field(description="A RecordType value (constant or via codes)")
    occurred_at: ValueSpec | None = None
    occurred_to: ValueSpec | None = None
    recorded_at: ValueSpec | None = None
    closed_at: ValueSpec | None = None
    borough: ValueSpec | None = Field(None, description="Normalised to a London borough name")
    cse_flag: ValueSpec | None = Field(None, description="The source's own CSE flag (yes/no)")
    factors: ValueSpec | None = Field(None, description="ConcernFactor values (via codes)")
    offence: ValueSpec | None = None
    outcome: ValueSpec | None = Field(None, description="An OutcomeType value (via codes)")
    referral_made: ValueSpec | None = None
    narrative: ValueSpec | None = None
    source_flags: dict[str, ValueSpec] = Field(default_factory=dict)
    links: list[LinkSpec] = Field(default_factory=list)
    objects: list[ObjectSpec] = Field(default_factory=list)
    locations: list[LocationSpec] = Field(default_factory=list)
    persons: list[PersonSpec] = Field(default_factory=list)


class PersonsFileSpec(_Model):
    """A separate persons table joined to records by a key (e.g. police nominals)."""

    record_key: ValueSpec = Field(description="The source ref of the record the row belongs to")
    person: PersonSpec


class LookupFileSpec(_Model):
    """A file that is not loaded itself: other files of the source take fields from its rows
    by key (`lookups`)."""

    key: ValueSpec = Field(description="The value that identifies a row of this file")


class LookupSpec(_Model):
    """Fields taken from a row of a lookup file: the row whose key equals this row's `key`."""

    file: str = Field(description="The role of a lookup file of this mapping")
    key: ValueSpec = Field(description="This row's value to look up")
    into: str = Field(description="Name under which the row's columns are read: into.column")
    required: bool = Field(False, description="A row whose key matches no row is quarantined")

    @model_validator(mode="after")
    def _plain_name(self) -> LookupSpec:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.into):
            raise ValueError("into must be a plain name (letters, digits, _)")
        return self


class FileSpec(_Model):
    """One export file of the source, and what it holds."""

    role: str = Field(description="A name for the file within the source, e.g. crimes")
    path: str = Field(description="Path relative to the data directory")
    format: Literal["csv", "xlsx", "xls", "ods", "json", "jsonl"] | None = Field(
        None, description="Default: from the file's extension"
    )
    encoding: str = Field("auto", description="Text encoding, or auto to detect")
    delimiter: str | None = Field(None, description="CSV delimiter; detected when omitted")
    sheet: str | None = Field(None, description="Spreadsheet sheet name; default the first")
    multiline: list[str] = Field(
        default_factory=list,
        description="CSV columns whose quoted values may hold line breaks",
    )
    export: Literal["full", "incremental"] = Field(
        "full",
        description="full: the file lists everything the source system still holds, so "
        "records and mentions missing from a later export are marked withdrawn; "
        "incremental: new and changed rows only",
    )
    lookups: list[LookupSpec] = Field(default_factory=list)
    records: RecordSpec | None = None
    persons: PersonsFileSpec | None = None
    lookup: LookupFileSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> FileSpec:
        kinds = [self.records is not None, self.persons is not None, self.lookup is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of records, persons or lookup")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError("delimiter must be one character")
        if self.multiline and self.file_format != "csv":
            raise ValueError("multiline applies to CSV files only")
        if self.lookup is not None and self.lookups:
            raise ValueError("a lookup file cannot itself use lookups")
        if len({lk.into for lk in self.lookups}) != len(self.lookups):
            raise ValueError("each lookup needs its own into name")
        return self

    @property
    def file_format(self) -> str:
        if self.format:
            return self.format
        suffix = Path(self.path).suffix.lower().lstrip(".")
        return {"ndjson": "jsonl", "xlsm": "xlsx", "tsv": "csv", "txt": "csv"}.get(suffix, suffix)


class SourceSpec(_Model):
    name: str = Field(description="The source system's name, e.g. met_crime")
    kind: SourceKind = Field(description="police, local_authority, health, education, other")
    description: str | None = None


class Mapping(_Model):
    """A whole mapping file."""

    source: SourceSpec
    date_formats: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DATE_FORMATS),
        description="Date formats tried in order when a field gives none",
    )
    phone_region: str = Field("GB", description="Region used to read national phone numbers")
    year_pivot: int | None = Field(
        None,
        ge=0,
        le=99,
        description="Two-digit years (%y) from 00 to this are 20xx, above it 19xx (default: "
        "Python's rule, 00-68 are 20xx)",
    )
    codes: dict[str, CodeTable] = Field(default_factory=dict)
    files: list[FileSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_exist(self) -> Mapping:
        missing = sorted(_code_refs(self) - set(self.codes))
        if missing:
            raise ValueError(f"unknown code table(s): {', '.join(missing)}")
        roles = [f.role for f in self.files]
        if len(set(roles)) != len(roles):
            raise ValueError("file roles must be unique")
        lookup_roles = {f.role for f in self.files if f.lookup is not None}
        for f in self.files:
            for lk in f.lookups:
                if lk.file not in lookup_roles:
                    raise ValueError(
                        f"file {f.role}: lookups names {lk.file!r}, which is not a lookup file "
                        f"of this mapping (lookup files: {', '.join(sorted(lookup_roles)) or 'none'})"
                    )
        return self

    def file(self, role: str) -> FileSpec:
        return next(f for f in self.files if f.role == role)


def _code_refs(model: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(model, Value):
        return {model.codes} if model.codes else set()
    if isinstance(model, BaseModel):
        for name in type(model).model_fields:
            found |= _code_refs(getattr(model, name))
    elif isinstance(model, list | tuple):
        for item in model:
            found |= _code_refs(item)
    elif isinstance(model, dict):
        for item in model.values():
            found |= _code_refs(item)
    return found


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse_mapping(text: str, name: str = "<mapping>") -> Mapping:
    """Validate mapping YAML text; MappingError names the key, its line and the problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise MappingError(f"{name}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise MappingError(f"{name}: a mapping must be a YAML mapping (source, files, ...)")
    try:
        mapping = Mapping.model_validate(data)
    except PydanticValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(node, loc)
            where = f"line {line}, " if line else ""
            problems.append(f"{where}key {key}: {err['msg']}")
        raise MappingError(f"{name}: " + "; ".join(problems)) from e
    _check_fields(mapping, name)
    return mapping


def _check_fields(mapping: Mapping, name: str) -> None:
    """Compile every file's fields once: a field asked for what it cannot do is a mapping
    error (MappingError naming the file and the field), found before any file is read."""
    from casereview.ingest.fields import FieldSpecError
    from casereview.ingest.transform import compile_person, compile_record

    for spec in mapping.files:
        try:
            if spec.records is not None:
                compile_record(spec.records, mapping, "")
            elif spec.persons is not None:
                compile_person(spec.persons.person, mapping, "")
        except FieldSpecError as e:
            raise MappingError(f"{name}: file {spec.role}: {e}") from e


def derivation_digest(mapping: Mapping, spec: FileSpec, lookup_sha256: dict[str, str]) -> str:
    """The sha256 of everything that derives `spec`'s rows: the file's entry (not its path),
    the code tables it uses, the mapping's date formats, phone region and year pivot, and each
    looked-up file's entry and bytes (`lookup_sha256`: role -> sha256). With the file's own
    sha256 it identifies an import: a changed mapping re-derives the same bytes."""
    looked_up = [mapping.file(lk.file) for lk in spec.lookups]
    tables = sorted(_code_refs(spec) | set().union(*(_code_refs(f) for f in looked_up)))
    parts = {
        "source": mapping.source.name,
        "file": spec.model_dump(mode="json", by_alias=True, exclude={"path"}),
        "codes": {n: mapping.codes[n].model_dump(mode="json") for n in tables},
        "date_formats": mapping.date_formats,
        "phone_region": mapping.phone_region,
        "year_pivot": mapping.year_pivot,
        "lookups": [
            [f.model_dump(mode="json", by_alias=True, exclude={"path"}), lookup_sha256[f.role]]
            for f in looked_up
        ],
    }
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_mapping(path: Path) -> tuple[Mapping, str]:
    """A mapping file and the sha256 of its bytes (stored with every import)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MappingError(f"cannot read mapping {path}: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MappingError(f"{path}: mapping is not UTF-8 text") from e
    return parse_mapping(text, str(path)), hashlib.sha256(raw).hexdigest()
