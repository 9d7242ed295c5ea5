"""Readers: encodings and delimiters, JSON shapes, XLSX guards, and a brief fuzz test."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.errors import SourceFileError
from casereview.ingest.readers import Malformed, ReadOptions, read_rows

LIMITS = {"max_file_bytes": 10**8, "max_xlsx_uncompressed": 10**7, "max_xlsx_ratio": 100.0}


def _rows(path: Path, fmt: str, **kw: object) -> list:
    return list(read_rows(path, ReadOptions(fmt, **LIMITS, **kw)))  # type: ignore[arg-type]


def test_csv_encoding_and_delimiter_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("id;name\n1;Zoë\n\n2;=cmd()\n3;x;y\n".encode("cp1252"))
    # Row numbers are the lines the rows start on (the blank line 3 is not a row).
    assert _rows(path, "csv") == [
        (2, {"id": "1", "name": "Zoë"}),
        (4, {"id": "2", "name": "=cmd()"}),
        (5, Malformed("3 fields where the header has 2", "3;x;y")),
    ]


def test_json_array_and_lines(tmp_path: Path) -> None:
    array = tmp_path / "a.json"
    array.write_text('[{"a": 1}, 2, {"b": [1, 2]}]', encoding="utf-8")
    assert _rows(array, "json") == [
        (1, {"a": 1}),
        (2, Malformed("an array item must be an object", "2")),
        (3, {"b": [1, 2]}),
    ]
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"a": 1}\n\n[1]\n{bad\n', encoding="utf-8")
    rows = _rows(lines, "jsonl")
    assert [(n, type(r).__name__) for n, r in rows] == [
        (1, "dict"),
        (3, "Malformed"),
        (4, "Malformed"),
    ]


def test_xlsx_is_read_as_text(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ref", "date", "n"])
    sheet.append(["R1", dt.datetime(2015, 3, 4), 3.0])
    path = tmp_path / "a.xlsx"
    book.save(path)
    assert _rows(path, "xlsx") == [(2, {"ref": "R1", "date": "2015-03-04", "n": "3"})]


def test_xlsx_zip_bomb_is_refused_before_decompression(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 5_000_000 + b"</a>")
    with pytest.raises(
        SourceFileError, match=r"compression ratio .* refused as a possible zip bomb"
    ):
        _rows(path, "xlsx")
    big = {**LIMITS, "max_xlsx_uncompressed": 1000}
    with pytest.raises(SourceFileError, match=r"would decompress to .* zip bomb"):
        list(read_rows(path, ReadOptions("xlsx", **big)))  # type: ignore[arg-type]


def test_xlsx_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><workbook>&lol;</workbook>',
        )
    with pytest.raises(SourceFileError, match="declares a DOCTYPE or ENTITY: refused"):
        _rows(path, "xlsx")


def check_reader_on_bytes(data: bytes, fmt: str) -> None:
    """Arbitrary bytes give rows, malformed rows or SourceFileError; nothing else. (How fast
    readers are is a benchmark figure, benchmarks/bench_ingest.py, never a deadline here.)"""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz.{fmt}"
        path.write_bytes(data)
        try:
            for _, row in read_rows(path, ReadOptions(fmt, **LIMITS)):  # type: ignore[arg-type]
                assert isinstance(row, dict | Malformed)
        except SourceFileError:
            pass


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2048), fmt=st.sampled_from(["csv", "jsonl", "json", "xlsx"]))
def test_readers_survive_arbitrary_bytes(data: bytes, fmt: str) -> None:
    check_reader_on_bytes(data, fmt)


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    fmt=st.sampled_from(["csv", "jsonl", "json"]),
)
def test_readers_survive_arbitrary_text(text: str, fmt: str) -> None:
    check_reader_on_bytes(text.encode("utf-8"), fmt)


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" \
xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" \
xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Referrals">
<table:table-row><table:table-cell office:value-type="string"><text:p>ref</text:p></table:table-cell>\
<table:table-cell office:value-type="string"><text:p>n</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>R1</text:p></table:table-cell>\
<table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>\
</table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def _ods(path: Path, content: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)  # fmt: skip
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)


def test_ods_is_read_through_calamine_with_the_same_guards(tmp_path: Path) -> None:
    path = tmp_path / "a.ods"
    _ods(path, ODS_CONTENT)
    assert _rows(path, "ods") == [(2, {"ref": "R1", "n": "3"})]
    with pytest.raises(SourceFileError, match=r"ODS member content\.xml declares a DOCTYPE"):
        _ods(path, ODS_CONTENT.replace("<office:document-content",
                                       '<!DOCTYPE x [<!ENTITY e "e">]><office:document-content'))  # fmt: skip
        _rows(path, "ods")
    with pytest.raises(SourceFileError, match=r"a.xls: not an XLS \(OLE2\) file"):
        bad = tmp_path / "a.xls"
        bad.write_bytes(b"not a workbook")
        _rows(bad, "xls")
