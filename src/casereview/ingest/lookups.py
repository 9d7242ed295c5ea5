"""Lookups: a file of the source that is not loaded itself, whose rows other files take fields
from by key (a missing episode's child from the children file).

The lookup file is read whole into memory (key -> row) before the file that uses it, keeping
a row per key; a key that two rows share is ambiguous, and a row that looks it up is
quarantined (`duplicate_key`) rather than given one of them at random. The looked-up row is
put into the using row under the lookup's `into` name, so its columns are read as
`into.column`; the using row's raw JSON is the row as read, without it (a change of the
looked-up file re-derives the using file: its bytes are part of the import's identity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casereview.errors import SourceFileError
from casereview.ingest.fields import Context, RowProblem, ShapeError, compile_value
from casereview.ingest.mapping import FileSpec, LookupSpec
from casereview.ingest.readers import ReadOptions, read_rows
from casereview.ingest.rows import Malformed
from casereview.model.codes import IngestNote, QuarantineReason

__all__ = ["LookupTable", "apply_lookups", "compile_lookups", "read_lookup"]


@dataclass
class LookupTable:
    """A lookup file's rows by key."""

    role: str
    file_name: str
    sha256: str
    rows: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    repeated: dict[str, list[int]] = field(default_factory=dict)  # key -> its row numbers
    read: int = 0
    unusable: list[tuple[int, str]] = field(default_factory=list)  # (row, why): no key or malformed


def read_lookup(
    path: Path, spec: FileSpec, options: ReadOptions, ctx: Context, sha256: str
) -> LookupTable:
    """Read a lookup file whole (see the module)."""
    assert spec.lookup is not None
    key = compile_value(spec.lookup.key, f"{spec.role}.key", ctx)
    table = LookupTable(spec.role, spec.path, sha256)
    for number, row in read_rows(path, options):
        table.read += 1
        if isinstance(row, Malformed):
            table.unusable.append((number, row.message))
            continue
        try:
            value = key(row)
        except (RowProblem, ShapeError) as e:
            table.unusable.append((number, str(e)))
            continue
        if value is None:
            table.unusable.append((number, "no key"))
            continue
        text = str(value)
        if text in table.repeated:
            table.repeated[text].append(number)
        elif text in table.rows:
            table.repeated[text] = [table.rows.pop(text)[0], number]
        else:
            table.rows[text] = (number, dict(row))
    if table.read == 0:
        raise SourceFileError(f"{spec.path}: the lookup file {spec.role} has no rows")
    return table


Lookup = tuple[LookupSpec, Callable[[dict[str, Any]], Any], LookupTable]


def compile_lookups(
    specs: list[LookupSpec], tables: dict[str, LookupTable], ctx: Context
) -> list[Lookup]:
    return [
        (lk, compile_value(lk.key, f"lookups[{i}].key", ctx), tables[lk.file])
        for i, lk in enumerate(specs)
    ]


def apply_lookups(row: dict[str, Any], lookups: list[Lookup], ctx: Context) -> None:
    """Put each looked-up row into `row` under its `into` name (None when none matches);
    RowProblem for an ambiguous key, or a required one that matches no row."""
    for i, (lk, key, table) in enumerate(lookups):
        field_name = f"lookups[{i}]"
        value = key(row)
        found: dict[str, Any] | None = None
        if value is not None:
            text = str(value)
            if text in table.repeated:
                rows = ", ".join(map(str, table.repeated[text]))
                raise RowProblem(
                    QuarantineReason.DUPLICATE_KEY,
                    field_name,
                    f"key {text!r} is the key of rows {rows} of {table.file_name}: which one "
                    "is meant cannot be told",
                )
            hit = table.rows.get(text)
            found = hit[1] if hit is not None else None
        if found is None:
            if lk.required:
                raise RowProblem(
                    QuarantineReason.ORPHAN,
                    field_name,
                    f"no row of {table.file_name} has key {value!r}",
                )
            if value is not None:
                ctx.notes.add(IngestNote.LOOKUP_UNMATCHED, field_name, str(value),
                              f"no row of {table.file_name} has this key")  # fmt: skip
        row[lk.into] = found
