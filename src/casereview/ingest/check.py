"""`casereview mapping check`: what a mapping would make of a team's export files, without a
store and without writing anything.

Every file of the mapping is read as `ingest` reads it (the same readers, the same compiled
fields, the same checks of repeated keys and orphans, orphans judged against the records
files of the same mapping read before). For each file it says how many rows would load and
which would be quarantined and why (with row numbers), and for each field how many values
were read, parsed, empty or failed (with examples), the codes that the mapping's code
tables do not know (with counts), unreadable boroughs, dates of birth in the future and
implausible ages. A file that ingest would refuse (a missing column, a list given to a
single-valued field, ...) is reported with ingest's message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casereview.errors import CaseReviewError
from casereview.ingest.fields import Context, RowProblem, ShapeError, raw_text
from casereview.ingest.load import _read_options, prepare_file
from casereview.ingest.lookups import apply_lookups, compile_lookups
from casereview.ingest.mapping import FileSpec, Mapping, load_mapping
from casereview.ingest.notes import Notes
from casereview.ingest.pipeline import Problem, Transformer
from casereview.ingest.prepared import take_mention
from casereview.ingest.readers import read_chunks
from casereview.ingest.rows import Malformed, NotedRow
from casereview.ingest.transform import FieldGetter, MentionOut, RecordOut
from casereview.model.codes import QuarantineReason
from casereview.settings import IngestSettings, get_settings

__all__ = ["FieldStats", "FileCheck", "check_mapping"]

_EXAMPLES = 3


@dataclass
class FieldStats:
    name: str
    read: int = 0  # rows (or items) whose source text is not empty
    parsed: int = 0  # ... that gave a value
    empty: int = 0  # ... whose source text is empty
    failed: int = 0  # ... whose value would quarantine the row
    examples: list[tuple[int, str, str]] = field(default_factory=list)  # (row, text, message)


@dataclass
class FileCheck:
    role: str
    path: str
    format: str
    rows_read: int = 0
    would_load: int = 0
    would_quarantine: int = 0
    items_quarantined: int = 0
    refused: str | None = None
    sampled: bool = False
    quarantine: Counter[tuple[str, str]] = field(default_factory=Counter)  # (reason, field)
    quarantine_examples: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    fields: dict[str, FieldStats] = field(default_factory=dict)
    notes: Notes = field(default_factory=lambda: Notes(detail=True))

    def as_dict(self) -> dict[str, Any]:
        notes: dict[str, Any] = {}
        for (note, name), count in sorted(self.notes.counts.items()):
            values = Counter(
                {v: n for (k, f, v), n in self.notes.values.items() if (k, f) == (note, name)}
            )
            notes.setdefault(note, {})[name] = {
                "count": count,
                "values": dict(values.most_common(20)),
                "examples": [
                    [e.row, e.value, e.message] for e in self.notes.examples[(note, name)]
                ],
            }
        return {
            "role": self.role,
            "path": self.path,
            "format": self.format,
            "refused": self.refused,
            "sampled": self.sampled,
            "rows_read": self.rows_read,
            "would_load": self.would_load,
            "would_quarantine": self.would_quarantine,
            "items_quarantined": self.items_quarantined,
            "quarantine": [
                {
                    "reason": r,
                    "field": f,
                    "count": n,
                    "examples": [list(e) for e in self.quarantine_examples.get(f"{r}|{f}", [])],
                }
                for (r, f), n in sorted(self.quarantine.items())
            ],
            "fields": [
                vars(s) | {"examples": [list(e) for e in s.examples]} for s in self.fields.values()
            ],
            "notes": notes,
        }


class _DryLoad:
    """The loader's checks that depend on the rows before, without a store: repeated record
    refs and mention keys, and orphans against the records read so far in this check."""

    def __init__(self, spec: FileSpec, records: dict[str, int] | None, result: FileCheck) -> None:
        self.spec, self.records, self.result = spec, records, result
        self.refs: set[str] = set()
        self.keys: set[str] = set()
        self.repeated = spec.records is not None and spec.records.repeated_rows

    def hold(self, row: int, field_name: str | None, reason: str, message: str) -> None:
        result = self.result
        key = (reason, field_name or "")
        result.quarantine[key] += 1
        kept = result.quarantine_examples.setdefault(f"{reason}|{field_name or ''}", [])
        if len(kept) < _EXAMPLES:
            kept.append((row, field_name or "", message))

    def item(self, row: int, item: Any) -> None:
        try:
            if isinstance(item, Problem):
                self.hold(row, item.field, item.reason, item.message)
                self.result.would_quarantine += 1
                return
            if isinstance(item, MentionOut):
                if self.records is None:  # sampled records: orphans cannot be judged
                    if item.key in self.keys:
                        raise RowProblem(QuarantineReason.DUPLICATE_KEY, "key",
                                         f"mention key {item.key!r} appears twice in the file")  # fmt: skip
                    self.keys.add(item.key)
                else:
                    take_mention(item, self.records, self.keys)
            elif isinstance(item, RecordOut):
                self._record(row, item)
            self.result.would_load += 1
        except RowProblem as p:
            self.hold(row, p.field, p.reason.value, p.message)
            self.result.would_quarantine += 1

    def _record(self, row: int, out: RecordOut) -> None:
        if out.ref in self.refs and not self.repeated:
            raise RowProblem(QuarantineReason.DUPLICATE_KEY, "key",
                             f"source ref {out.ref!r} appears twice in the file")  # fmt: skip
        for m in out.persons:
            if m.key in self.keys:
                if m.item is None:
                    raise RowProblem(QuarantineReason.DUPLICATE_KEY, "persons.key",
                                     f"mention key {m.key!r} appears twice in the file")  # fmt: skip
                self.hold(row, f"{m.item}.key", QuarantineReason.DUPLICATE_KEY.value,
                          f"mention key {m.key!r} appears twice in the file")  # fmt: skip
                self.result.items_quarantined += 1
            self.keys.add(m.key)
        for held in out.held:
            self.hold(row, held.field, held.reason, held.message)
            self.result.items_quarantined += 1
        self.refs.add(out.ref)


def _field_stats(result: FileCheck, getter: FieldGetter, row: int, values: dict[str, Any]) -> None:
    if getter.spec.constant is not None:
        return
    stats = result.fields.setdefault(getter.name, FieldStats(getter.name))
    try:
        text = raw_text(getter.spec)(values)
    except ShapeError:
        text = "(a list)"
    if not text:
        stats.empty += 1
    else:
        stats.read += 1
    try:
        value = getter.get(values)
    except RowProblem as p:
        stats.failed += 1
        if len(stats.examples) < _EXAMPLES:
            stats.examples.append((row, str(text or ""), p.message))
        return
    except ShapeError as e:
        stats.failed += 1
        if len(stats.examples) < _EXAMPLES:
            stats.examples.append((row, str(text or ""), e.message))
        return
    if value not in (None, [], "[]", (None, None, None)):
        stats.parsed += 1


def _check_file(
    mapping: Mapping,
    spec: FileSpec,
    data_dir: Path,
    settings: IngestSettings,
    sample: int | None,
    records: dict[str, int] | None,
) -> tuple[FileCheck, set[str]]:
    result = FileCheck(spec.role, spec.path, spec.file_format)
    notes = result.notes
    file = prepare_file(mapping, spec, data_dir, settings, Context(mapping, Notes()))
    transformer = Transformer(spec, mapping, file.digest, lookups=file.lookups, notes=notes)
    # The fields evaluated one by one, compiled apart (their notes are not counted twice).
    fields_of = Transformer(spec, mapping, file.digest, lookups=file.lookups)
    lookups = compile_lookups(spec.lookups, file.lookups, fields_of.ctx)
    compiled = fields_of.record if fields_of.record is not None else fields_of.person
    getters: list[FieldGetter] = list(getattr(compiled, "fields", []))
    nested = [(each, person) for each, _, person in getattr(compiled, "persons", []) if each]
    dry = _DryLoad(spec, records, result)
    for chunk in read_chunks(file.path, _read_options(spec, settings), file.scan):
        if sample is not None and result.rows_read + len(chunk) > sample:
            chunk = chunk[: sample - result.rows_read]
            result.sampled = True
        result.rows_read += len(chunk)
        notes.row = chunk[0][0] if chunk else 0
        for number, item in zip((n for n, _ in chunk), _transform(transformer, chunk, notes),
                                strict=True):  # fmt: skip
            dry.item(number, item)
        for number, row in chunk:
            if isinstance(row, Malformed):
                continue
            values = dict(row) if isinstance(row, NotedRow) else row
            try:
                apply_lookups(values, lookups, fields_of.ctx)
            except RowProblem:
                continue
            for getter in getters:
                _field_stats(result, getter, number, values)
            for each, person in nested:
                items = values.get(each) if "." not in each else None
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict):
                        for getter in person.fields:
                            _field_stats(result, getter, number, item)
        if result.sampled:
            break
    transformer.finish()
    return result, dry.refs


def _transform(transformer: Transformer, chunk: list[Any], notes: Notes) -> list[Any]:
    """The chunk's items, with the note row numbers set row by row."""
    out: list[Any] = []
    for number, row in chunk:
        notes.row = number
        out.extend(item for _, item in transformer.transform([(number, row)]))
    return out


def check_mapping(
    mapping_path: Path,
    data_dir: Path,
    *,
    sample: int | None = None,
    settings: IngestSettings | None = None,
) -> tuple[Mapping, list[FileCheck]]:
    """Check every file of a mapping against the files in `data_dir` (see the module).
    `sample`: read only the first N rows of each file (orphans are then not judged)."""
    settings = settings or get_settings().ingest
    mapping, _ = load_mapping(mapping_path)
    results: list[FileCheck] = []
    refs: dict[str, int] | None = {}
    for spec in mapping.files:
        if spec.lookup is not None:
            continue
        known = refs if spec.persons is not None else None
        try:
            result, seen = _check_file(mapping, spec, data_dir, settings, sample, known)
        except CaseReviewError as e:
            result, seen = FileCheck(spec.role, spec.path, spec.file_format, refused=str(e)), set()
        results.append(result)
        if spec.records is not None and refs is not None:
            if result.sampled or result.refused:
                refs = None  # the records are not all known: orphans cannot be judged
            else:
                refs.update(dict.fromkeys(seen, 0))
    return mapping, results
