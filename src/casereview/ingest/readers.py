"""Streaming readers for CSV, JSON-lines, JSON (array), XLSX, XLS and ODS exports.

Each reader yields chunks of `(row_number, row)` pairs, where `row` is a dict of column ->
value, a `NotedRow` (control characters removed, noted) or a `Malformed` marker for a row that
cannot be used (quarantined with its reason; the load goes on). A chunk holds at most
`chunk_rows` rows and about `chunk_bytes` bytes: memory does not grow with the size of the file
or of its fields. A file that cannot be used at all raises SourceFileError naming the file and
the place. CSV cells stay text (`csvread`); spreadsheets are read through python-calamine
(`sheets`).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from casereview.errors import SourceFileError
from casereview.ingest.csvread import CsvFormat, read_csv
from casereview.ingest.rows import (
    CONTROL_TEXT,
    SURROGATE,
    Malformed,
    NotedRow,
    Row,
    noted_row,
    text_of,
)
from casereview.ingest.scan import FileScan, scan_file
from casereview.model.codes import QuarantineReason

__all__ = [
    "Malformed",
    "NotedRow",
    "ReadOptions",
    "Row",
    "read_chunks",
    "read_rows",
    "text_of",
]

_SAMPLE_BYTES = 64 * 1024
_QUARANTINED_TEXT = 10_000  # characters of a malformed JSON line kept in its quarantine entry
# A JSON line or array item may hold a control character only escaped (\u0000 to \u001f,
# \u007f): a cheap test on the text before the item's values are looked at.
_ESCAPED_CONTROL = ("\\u000", "\\u001", "\\u007f", "\\u007F")


@dataclass(frozen=True)
class ReadOptions:
    """How one file is read: from its mapping entry and the ingest settings."""

    file_format: str  # csv, jsonl, json, xlsx, xls, ods
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | None = None
    multiline: frozenset[str] = frozenset()
    max_file_bytes: int = 2 * 1024**3
    max_field_bytes: int = 16 * 1024**2
    max_xlsx_uncompressed: int = 512 * 1024**2
    max_xlsx_ratio: float = 200.0
    chunk_rows: int = 5000
    chunk_bytes: int = 16 * 1024**2


def _chunked(
    rows: Iterator[tuple[int, Row, int]], options: ReadOptions
) -> Iterator[list[tuple[int, Row]]]:
    """(row number, row, its size in bytes) -> chunks within the options' rows and bytes."""
    chunk: list[tuple[int, Row]] = []
    size = 0
    for number, row, length in rows:
        chunk.append((number, row))
        size += length
        if len(chunk) >= options.chunk_rows or size >= options.chunk_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _has_control(text: str) -> bool:
    return any(e in text for e in _ESCAPED_CONTROL) or CONTROL_TEXT.search(text) is not None


def _json_lines(path: Path, options: ReadOptions) -> Iterator[tuple[int, Row, int]]:
    """One JSON object per line; each line is decoded on its own, so that a line that is not
    text in the encoding, or is not an object, or is too long, is only that line's problem."""
    limit = options.max_field_bytes
    encoding = "utf-8" if options.encoding == "auto" else options.encoding
    decoder = json.JSONDecoder(strict=False)  # control characters: removed below, with a note
    number = 0
    with path.open("rb") as handle:
        while line := handle.readline(limit + 1):
            number += 1
            size = len(line)
            if size > limit and not line.endswith(b"\n"):
                while (more := handle.readline(limit + 1)) and not more.endswith(b"\n"):
                    size += len(more)
                size += len(more)
                yield (
                    number,
                    Malformed(
                        f"line {number}: {size} bytes, over the field-size limit of {limit} "
                        "(ingest.max_field_bytes)",
                        line[:_QUARANTINED_TEXT].decode(encoding, "backslashreplace"),
                        QuarantineReason.FIELD_TOO_LARGE,
                    ),
                    0,
                )
                continue
            if number == 1 and line.startswith(codecs.BOM_UTF8) and encoding == "utf-8":
                line = line[len(codecs.BOM_UTF8) :]
            try:
                text = line.decode(encoding)
            except UnicodeDecodeError as e:
                yield (
                    number,
                    Malformed(
                        f"line {number}: byte 0x{line[e.start]:02X} is not {encoding} text; "
                        "declare the file's encoding in the mapping (encoding:)",
                        line[:_QUARANTINED_TEXT]
                        .decode(encoding, "backslashreplace")
                        .rstrip("\r\n"),
                        QuarantineReason.BAD_ENCODING,
                    ),
                    size,
                )
                continue
            if not text.strip():
                continue
            try:
                item = decoder.decode(text)
            except (json.JSONDecodeError, RecursionError) as e:
                yield number, Malformed(f"not valid JSON: {e}", text[:_QUARANTINED_TEXT]), size
                continue
            if not isinstance(item, dict):
                yield (
                    number,
                    Malformed("a JSON line must be an object", text[:_QUARANTINED_TEXT]),
                    size,
                )
                continue
            yield number, noted_row(item) if _has_control(text) else item, size


def _json_array(path: Path, options: ReadOptions) -> Iterator[tuple[int, Row, int]]:
    """The objects of a top-level JSON array, decoded one at a time (row n = n-th item)."""
    name, limit = path.name, options.max_field_bytes
    encoding = "utf-8-sig" if options.encoding == "auto" else options.encoding
    decoder = json.JSONDecoder(strict=False)
    item_number = 0
    # surrogateescape: bytes that are not text become lone surrogates inside the item's
    # strings, so that only that item is held back (bad_encoding), at its own number.
    with path.open("r", encoding=encoding, errors="surrogateescape") as handle:
        buffer = handle.read(_SAMPLE_BYTES).lstrip()
        if not buffer.startswith("["):
            raise SourceFileError(f"{name}: item 1: a JSON file must hold an array of objects")
        pos, eof = 1, False
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                pos += 1
            if pos < len(buffer) and buffer[pos] == "]":
                return
            try:
                item, end = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError as e:
                if eof:
                    raise SourceFileError(
                        f"{name}: item {item_number + 1}: not valid JSON: {e.msg}"
                    ) from e
                if len(buffer) - pos > limit:
                    raise SourceFileError(
                        f"{name}: item {item_number + 1}: an item is larger than the field-size "
                        f"limit of {limit} characters (ingest.max_field_bytes); a JSON array "
                        "cannot be read past it"
                    ) from e
                more = handle.read(_SAMPLE_BYTES)
                eof = not more
                buffer = buffer[pos:] + more
                pos = 0
                continue
            item_number += 1
            text = buffer[pos:end]
            pos = end
            if SURROGATE.search(text):
                yield (
                    item_number,
                    Malformed(
                        f"item {item_number}: bytes that are not {encoding} text; declare the "
                        "file's encoding in the mapping (encoding:)",
                        text.encode(encoding, "surrogateescape").decode(
                            encoding, "backslashreplace"
                        ),
                        QuarantineReason.BAD_ENCODING,
                    ),
                    len(text),
                )
            elif isinstance(item, dict):
                yield item_number, noted_row(item) if _has_control(text) else item, len(text)
            else:
                yield item_number, Malformed("an array item must be an object", text), len(text)
            if pos > _SAMPLE_BYTES:
                buffer, pos = buffer[pos:], 0


def _guarded(
    path: Path, rows: Iterator[tuple[int, Row, int]], what: str
) -> Iterator[tuple[int, Row, int]]:
    """Errors of a JSON reader as SourceFileError naming the file."""
    number = 0
    try:
        for item in rows:
            number = item[0]
            yield item
    except SourceFileError:
        raise
    except RecursionError as e:
        raise SourceFileError(f"{path.name}: {what} {number + 1}: JSON nested too deeply") from e
    except (UnicodeDecodeError, LookupError) as e:
        raise SourceFileError(f"{path.name}: {what} {number + 1}: text cannot be read: {e}") from e
    except OSError as e:
        raise SourceFileError(f"{path.name}: cannot read: {e.strerror or e}") from e


def read_chunks(
    path: Path, options: ReadOptions, scan: FileScan | None = None
) -> Iterator[list[tuple[int, Row]]]:
    """The rows of an export file, in chunks (see the module). `scan`: the file's scan, when
    the caller has it already (CSV needs one)."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SourceFileError(f"{path.name}: cannot read: {e.strerror or e}") from e
    if size > options.max_file_bytes:
        raise SourceFileError(
            f"{path.name}: {size} bytes is over the limit of {options.max_file_bytes}"
        )
    fmt = options.file_format
    if options.encoding != "auto":
        try:
            codecs.lookup(options.encoding)
        except LookupError as e:
            raise SourceFileError(f"{path.name}: unknown encoding {options.encoding!r}") from e
    if fmt == "csv":
        scan = scan or scan_file(path, options.max_field_bytes)
        csv_format = CsvFormat(options.encoding, options.delimiter, options.multiline,
                               options.max_field_bytes, options.chunk_rows, options.chunk_bytes)  # fmt: skip
        return read_csv(path, scan, csv_format)
    if fmt == "jsonl":
        return _chunked(_guarded(path, _json_lines(path, options), "line"), options)
    if fmt == "json":
        return _chunked(_guarded(path, _json_array(path, options), "item"), options)
    if fmt in ("xlsx", "xls", "ods"):
        from casereview.ingest.sheets import read_sheet

        return _chunked(read_sheet(path, options), options)
    raise SourceFileError(f"{path.name}: unsupported format {fmt!r}")


def read_rows(path: Path, options: ReadOptions) -> Iterator[tuple[int, Row]]:
    """The rows of an export file, one at a time (`read_chunks` flattened)."""
    return chain.from_iterable(read_chunks(path, options))


def row_size(row: dict[str, Any]) -> int:
    """About how many characters a row's text values hold (chunk sizes of spreadsheets)."""
    return sum(len(v) for v in row.values() if isinstance(v, str))
