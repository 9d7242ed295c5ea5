"""Streaming readers for CSV, XLSX, JSON (array) and JSON-lines exports.

Each reader yields `(row_number, row)` pairs, where `row` is a dict of column -> value or a
`Malformed` marker for a row that cannot be parsed (it is quarantined, the load goes on).
Readers never hold the whole file: memory does not grow with file size. A file that cannot
be used at all raises SourceFileError naming the file and the place. CSV cells stay text.

XLSX files are zip archives: the zip directory is checked (total uncompressed size and each
member's compression ratio) before anything is decompressed, and XML with a DOCTYPE or
ENTITY declaration is refused, so zip bombs and entity expansion never reach the parser.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casereview.errors import SourceFileError

__all__ = ["Malformed", "Row", "check_xlsx_archive", "detect_encoding", "read_rows"]

_SAMPLE_BYTES = 64 * 1024
_MAX_JSON_ITEM_CHARS = 16 * 1024 * 1024
_MAX_CSV_FIELD = 16 * 1024 * 1024
_DELIMITERS = ",;\t|"


@dataclass(frozen=True, slots=True)
class Malformed:
    """A row the reader could not parse: quarantined with reason MALFORMED_ROW."""

    message: str
    raw: str


Row = dict[str, Any] | Malformed


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when the sample decodes as UTF-8; otherwise cp1252, the
    usual encoding of Windows exports (it decodes every byte but five: those fail cleanly)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if e.start < len(sample) - 4:
            return "cp1252"
    return "utf-8"


def _detect_delimiter(text: str) -> str:
    lines = text.splitlines()[:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = lines[0]
        return max(_DELIMITERS, key=header.count)


def read_csv(
    path: Path, *, encoding: str = "auto", delimiter: str | None = None
) -> Iterator[tuple[int, Row]]:
    """Rows of a CSV file with a header row; row numbers count the header as row 1."""
    name = path.name
    try:
        with path.open("rb") as probe:
            sample = probe.read(_SAMPLE_BYTES)
        if encoding == "auto":
            encoding = detect_encoding(sample)
        codecs.lookup(encoding)
    except LookupError as e:
        raise SourceFileError(f"{name}: unknown encoding {encoding!r}") from e
    except OSError as e:
        raise SourceFileError(f"{name}: cannot read: {e.strerror or e}") from e
    if delimiter is None:
        delimiter = _detect_delimiter(sample.decode(encoding, errors="replace"))
    csv.field_size_limit(_MAX_CSV_FIELD)
    row_number = 1
    try:
        with path.open("r", encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=False)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise SourceFileError(f"{name}: row 1: no header row")
            columns = [h.strip() for h in header]
            if len(set(columns)) != len(columns):
                raise SourceFileError(f"{name}: row 1: duplicate column names in the header")
            width = len(columns)
            for cells in reader:
                row_number += 1
                if len(cells) == width:
                    yield row_number, dict(zip(columns, cells))  # noqa: B905 - width checked
                elif not cells or (len(cells) == 1 and not cells[0].strip()):
                    row_number -= 1  # blank lines are not rows
                else:
                    yield (
                        row_number,
                        Malformed(
                            f"{len(cells)} fields where the header has {width}",
                            delimiter.join(cells),
                        ),
                    )
    except UnicodeDecodeError as e:
        raise SourceFileError(
            f"{name}: row {row_number + 1}: text is not valid {encoding} ({e.reason}); "
            "declare the file's encoding in the mapping"
        ) from e
    except csv.Error as e:
        raise SourceFileError(f"{name}: row {row_number + 1}: cannot parse CSV: {e}") from e
    except OSError as e:
        raise SourceFileError(f"{name}: cannot read: {e.strerror or e}") from e


def read_jsonl(path: Path, *, encoding: str = "auto") -> Iterator[tuple[int, Row]]:
    """One JSON object per line; a line that is not an object is a malformed row."""
    name = path.name
    enc = "utf-8-sig" if encoding == "auto" else encoding
    line_number = 0
    try:
        with path.open("r", encoding=enc, newline=None) as handle:
            for line in handle:
                line_number += 1
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except (json.JSONDecodeError, RecursionError) as e:
                    yield line_number, Malformed(f"not valid JSON: {e}", line[:10_000])
                    continue
                if not isinstance(item, dict):
                    yield line_number, Malformed("a JSON line must be an object", line[:10_000])
                    continue
                yield line_number, item
    except (UnicodeDecodeError, LookupError) as e:
        raise SourceFileError(f"{name}: line {line_number + 1}: text is not {enc}: {e}") from e
    except OSError as e:
        raise SourceFileError(f"{name}: cannot read: {e.strerror or e}") from e


def read_json_array(path: Path, *, encoding: str = "auto") -> Iterator[tuple[int, Row]]:
    """The objects of a top-level JSON array, decoded one at a time (row n = n-th item)."""
    name = path.name
    enc = "utf-8-sig" if encoding == "auto" else encoding
    decoder = json.JSONDecoder()
    item_number = 0
    try:
        with path.open("r", encoding=enc) as handle:
            buffer = handle.read(_SAMPLE_BYTES).lstrip()
            if not buffer.startswith("["):
                raise SourceFileError(f"{name}: item 1: a JSON file must hold an array of objects")
            pos, done, eof = 1, False, False
            while not done:
                while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                    pos += 1
                if pos < len(buffer) and buffer[pos] == "]":
                    done = True
                    break
                try:
                    item, end = decoder.raw_decode(buffer, pos)
                except json.JSONDecodeError as e:
                    if eof:
                        raise SourceFileError(
                            f"{name}: item {item_number + 1}: not valid JSON: {e.msg}"
                        ) from e
                    if len(buffer) - pos > _MAX_JSON_ITEM_CHARS:
                        raise SourceFileError(
                            f"{name}: item {item_number + 1}: an item is larger than "
                            f"{_MAX_JSON_ITEM_CHARS} characters"
                        ) from e
                    more = handle.read(_SAMPLE_BYTES)
                    eof = not more
                    buffer = buffer[pos:] + more
                    pos = 0
                    continue
                item_number += 1
                pos = end
                if isinstance(item, dict):
                    yield item_number, item
                else:
                    yield item_number, Malformed("an array item must be an object", str(item))
                if pos > _SAMPLE_BYTES:
                    buffer, pos = buffer[pos:], 0
    except RecursionError as e:
        raise SourceFileError(f"{name}: item {item_number + 1}: JSON nested too deeply") from e
    except (UnicodeDecodeError, LookupError) as e:
        raise SourceFileError(f"{name}: item {item_number + 1}: text is not {enc}: {e}") from e
    except OSError as e:
        raise SourceFileError(f"{name}: cannot read: {e.strerror or e}") from e


def check_xlsx_archive(path: Path, *, max_uncompressed: int, max_ratio: float) -> None:
    """Refuse zip bombs (from the zip directory, before decompressing anything) and XML with
    DOCTYPE or ENTITY declarations (entity expansion)."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > max_uncompressed:
                raise SourceFileError(
                    f"{name}: XLSX would decompress to {total} bytes "
                    f"(limit {max_uncompressed}): refused as a possible zip bomb"
                )
            for m in members:
                ratio = m.file_size / m.compress_size if m.compress_size else m.file_size
                if ratio > max_ratio:
                    raise SourceFileError(
                        f"{name}: XLSX member {m.filename} has compression ratio {ratio:.0f} "
                        f"(limit {max_ratio:.0f}): refused as a possible zip bomb"
                    )
            for m in members:
                if m.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _refuse_xml_declarations(archive, m, name)
    except zipfile.BadZipFile as e:
        raise SourceFileError(f"{name}: not an XLSX (zip) file: {e}") from e
    except (OSError, RuntimeError, NotImplementedError, EOFError) as e:
        raise SourceFileError(f"{name}: cannot read XLSX archive: {e}") from e


def _refuse_xml_declarations(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> None:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise SourceFileError(
                    f"{name}: XLSX member {member.filename} declares a DOCTYPE or ENTITY: refused"
                )
            tail = chunk[-16:]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(
    path: Path, *, sheet: str | None, max_uncompressed: int, max_ratio: float
) -> Iterator[tuple[int, Row]]:
    """Rows of one sheet (first row = header), cells as text; streamed (read-only mode)."""
    check_xlsx_archive(path, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
    import openpyxl  # deferred: only XLSX imports pay for it

    name = path.name
    row_number = 0
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for damaged workbooks
        raise SourceFileError(f"{name}: cannot open XLSX: {e}") from e
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceFileError(f"{name}: no sheet named {sheet!r}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        row_number = 1
        if not header:
            raise SourceFileError(f"{name}: row 1: no header row")
        columns = [_cell_text(h).strip() for h in header]
        while columns and not columns[-1]:
            columns.pop()
        if len(set(columns)) != len(columns):
            raise SourceFileError(f"{name}: row 1: duplicate column names in the header")
        width = len(columns)
        for values in rows:
            row_number += 1
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if any(c.strip() for c in cells[width:]):
                yield row_number, Malformed(f"cells beyond the {width} header columns", str(cells))
                continue
            cells = (cells + [""] * width)[:width]
            yield row_number, dict(zip(columns, cells, strict=True))
    except SourceFileError:
        raise
    except Exception as e:
        raise SourceFileError(f"{name}: row {row_number + 1}: cannot read XLSX: {e}") from e
    finally:
        book.close()


def read_rows(
    path: Path,
    file_format: str,
    *,
    encoding: str = "auto",
    delimiter: str | None = None,
    sheet: str | None = None,
    max_file_bytes: int,
    max_xlsx_uncompressed: int,
    max_xlsx_ratio: float,
) -> Iterator[tuple[int, Row]]:
    """The rows of an export file in the given format ("csv", "xlsx", "json", "jsonl")."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SourceFileError(f"{path.name}: cannot read: {e.strerror or e}") from e
    if size > max_file_bytes:
        raise SourceFileError(f"{path.name}: {size} bytes is over the limit of {max_file_bytes}")
    if file_format == "csv":
        return read_csv(path, encoding=encoding, delimiter=delimiter)
    if file_format == "jsonl":
        return read_jsonl(path, encoding=encoding)
    if file_format == "json":
        return read_json_array(path, encoding=encoding)
    if file_format == "xlsx":
        return read_xlsx(
            path, sheet=sheet, max_uncompressed=max_xlsx_uncompressed, max_ratio=max_xlsx_ratio
        )
    raise SourceFileError(f"{path.name}: unsupported format {file_format!r}")


def text_of(row: Row) -> str:
    """The raw text of a row, for quarantine."""
    if isinstance(row, Malformed):
        return row.raw
    return json.dumps(row, ensure_ascii=False, default=str)
