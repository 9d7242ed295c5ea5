"""Spreadsheets (XLSX, XLS, ODS), read through python-calamine, cells as text.

XLSX and ODS files are zip archives: the zip directory is checked (total uncompressed size and
each member's compression ratio) before anything is decompressed, and XML with a DOCTYPE or
ENTITY declaration is refused, so zip bombs and entity expansion never reach the parser. XLS
files (the older binary format, an OLE2 compound file) have no zip or XML: their size limit
is the file limit. calamine holds a sheet's cells in memory while it is read; the limit on
the uncompressed size bounds that.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casereview.errors import SourceFileError
from casereview.ingest.rows import Malformed, Row, noted_row
from casereview.model.codes import QuarantineReason

if TYPE_CHECKING:
    from casereview.ingest.readers import ReadOptions

__all__ = ["check_archive", "read_sheet"]

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_KIND = {"xlsx": "XLSX", "ods": "ODS", "xls": "XLS"}


def check_archive(path: Path, kind: str, *, max_uncompressed: int, max_ratio: float) -> None:
    """Refuse zip bombs (from the zip directory, before decompressing anything) and XML with
    DOCTYPE or ENTITY declarations (entity expansion)."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > max_uncompressed:
                raise SourceFileError(
                    f"{name}: {kind} would decompress to {total} bytes "
                    f"(limit {max_uncompressed}): refused as a possible zip bomb"
                )
            for m in members:
                ratio = m.file_size / m.compress_size if m.compress_size else m.file_size
                if ratio > max_ratio:
                    raise SourceFileError(
                        f"{name}: {kind} member {m.filename} has compression ratio {ratio:.0f} "
                        f"(limit {max_ratio:.0f}): refused as a possible zip bomb"
                    )
            for m in members:
                if m.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _refuse_xml_declarations(archive, m, name, kind)
    except zipfile.BadZipFile as e:
        raise SourceFileError(f"{name}: not an {kind} (zip) file: {e}") from e
    except (OSError, RuntimeError, NotImplementedError, EOFError) as e:
        raise SourceFileError(f"{name}: cannot read {kind} archive: {e}") from e


def _refuse_xml_declarations(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, kind: str
) -> None:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise SourceFileError(
                    f"{name}: {kind} member {member.filename} declares a DOCTYPE or ENTITY: refused"
                )
            tail = chunk[-16:]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_sheet(path: Path, kind: str, sheet: str | None) -> Any:
    import python_calamine  # deferred: only spreadsheets pay for it

    name = path.name
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises its own types for damaged workbooks
        raise SourceFileError(f"{name}: cannot open {kind}: {e}") from e
    try:
        if sheet is not None:
            if sheet not in book.sheet_names:
                raise SourceFileError(
                    f"{name}: no sheet named {sheet!r} (sheets: {', '.join(book.sheet_names)})"
                )
            return book.get_sheet_by_name(sheet)
        if not book.sheet_names:
            raise SourceFileError(f"{name}: the workbook has no sheet")
        return book.get_sheet_by_index(0)
    except SourceFileError:
        raise
    except Exception as e:
        raise SourceFileError(f"{name}: cannot read {kind}: {e}") from e


def read_sheet(path: Path, options: ReadOptions) -> Iterator[tuple[int, Row, int]]:
    """(sheet row number, row, its size) for each row of one sheet; the first row with any
    cell is the header. Cells are text: dates in ISO form, whole numbers without ".0"."""
    kind = _KIND[options.file_format]
    name = path.name
    if options.file_format == "xls":
        with path.open("rb") as handle:
            if handle.read(8) != _OLE2_MAGIC:
                raise SourceFileError(f"{name}: not an XLS (OLE2) file")
    else:
        check_archive(path, kind, max_uncompressed=options.max_xlsx_uncompressed,
                      max_ratio=options.max_xlsx_ratio)  # fmt: skip
    sheet = _open_sheet(path, kind, options.sheet)
    limit = options.max_field_bytes
    columns: list[str] | None = None
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                columns = [c.strip() for c in cells]
                while columns and not columns[-1]:
                    columns.pop()
                if len(set(columns)) != len(columns):
                    raise SourceFileError(
                        f"{name}: row {number}: duplicate column names in the header"
                    )
                continue
            width = len(columns)
            size = sum(map(len, cells))
            if any(c.strip() for c in cells[width:]):
                yield (
                    number,
                    Malformed(f"cells beyond the {width} header columns", str(cells)),
                    size,
                )
                continue
            too_large = next((i for i, c in enumerate(cells) if len(c) > limit), None)
            if too_large is not None:
                yield (
                    number,
                    Malformed(
                        f"column {columns[too_large]}: {len(cells[too_large])} characters, over the "
                        f"field-size limit of {limit} (ingest.max_field_bytes)",
                        str([c[:200] for c in cells]),
                        QuarantineReason.FIELD_TOO_LARGE,
                    ),
                    0,
                )
                continue
            cells = (cells + [""] * width)[:width]
            yield number, noted_row(dict(zip(columns, cells, strict=True))), size
    except SourceFileError:
        raise
    except Exception as e:
        raise SourceFileError(f"{name}: row {number + 1}: cannot read {kind}: {e}") from e
    if columns is None:
        raise SourceFileError(f"{name}: row 1: no header row")
