"""CSV reading that never merges rows silently: stray quotes quarantine their line, line
numbers stay right after bad bytes anywhere in the file, control characters and NUL follow
one rule on both backends, an oversized field quarantines its row, and the fast path (the C
parser straight from the file) gives exactly what the line-by-line path gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from casereview.ingest import ingest_mapping
from casereview.ingest.csvread import CsvFormat, read_csv
from casereview.ingest.rows import Malformed, NotedRow
from casereview.ingest.scan import scan_file
from casereview.model.tables import quarantine, records

MAPPING = """\
source: {name: quotes, kind: police}
files:
  - role: crimes
    path: crimes.csv
    MULTILINE
    records:
      key: ref
      record_type: {constant: crime}
      narrative: narrative
      offence: offence
"""


def _read(path: Path, *, multiline: tuple[str, ...] = (), limit: int = 10_000,
          chunk_rows: int = 5000) -> list[tuple[int, object]]:  # fmt: skip
    fmt = CsvFormat("auto", None, frozenset(multiline), limit, chunk_rows, 1 << 20)
    return [row for chunk in read_csv(path, scan_file(path, limit), fmt) for row in chunk]


def _ingest(store: Engine, folder: Path, text: bytes, multiline: str = "") -> tuple:
    (folder / "crimes.csv").write_bytes(text)
    mapping = folder / "m.yaml"
    mapping.write_text(MAPPING.replace("MULTILINE", multiline), encoding="utf-8")
    (result,) = ingest_mapping(store, mapping, folder, "tester")
    with store.connect() as conn:
        held = conn.execute(
            select(quarantine.c.row_number, quarantine.c.reason).order_by(quarantine.c.row_number)
        ).all()
        refs = conn.execute(select(records.c.source_ref).order_by(records.c.id)).scalars().all()
    return result, [tuple(h) for h in held], list(refs)


def _crimes(n: int) -> list[str]:
    return [f"{i},Crime {i} narrative,Offence {i}" for i in range(1, n + 1)]


def test_a_stray_quote_quarantines_its_line_and_reading_goes_on(
    fresh_store: Engine, tmp_path: Path
) -> None:
    """The issue's file: 200 crimes, a quote opened on crime 11 and a stray one on crime 21.
    Before, 190 rows were read and crimes 11-20 vanished into crime 10's narrative."""
    lines = _crimes(200)
    lines[10] = '11,"Crime 11 narrative opens a quote,Offence 11'
    lines[20] = '21,Crime 21 narrative,"Offence 21'
    text = ("ref,narrative,offence\n" + "\n".join(lines) + "\n").encode()
    result, held, refs = _ingest(fresh_store, tmp_path, text)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (200, 198, 2)
    # Row numbers are lines: crime n is on line n + 1.
    assert held == [(12, "malformed_quoting"), (22, "malformed_quoting")]
    assert refs == [str(i) for i in range(1, 201) if i not in (11, 21)]
    with fresh_store.connect() as conn:
        message = conn.execute(select(quarantine.c.message).order_by(quarantine.c.id)).scalar()
        ten = conn.execute(select(records.c.narrative).where(records.c.source_ref == "10")).scalar()
    assert message.startswith("line 12: a quote opens a field that does not close on its line")
    assert ten == "Crime 10 narrative"


def test_a_declared_multiline_column_may_span_lines(fresh_store: Engine, tmp_path: Path) -> None:
    text = (
        b"ref,narrative,offence\r\n"
        b'1,"Seen at the park.\r\nReturned at 22:00.",Abduction\r\n'
        b'2,one line,"an offence\r\nover two lines"\r\n'
        b"3,plain,Theft\r\n"
    )
    result, held, refs = _ingest(fresh_store, tmp_path, text, "multiline: [narrative]")
    # Crime 2's offence is not declared multi-line: its line 4 is held back, and line 5 (the
    # rest of its value) is a row of one field.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert held == [(4, "malformed_quoting"), (5, "malformed_row")]
    assert refs == ["1", "3"]
    with fresh_store.connect() as conn:
        one = conn.execute(select(records.c.narrative).where(records.c.source_ref == "1")).scalar()
    assert one == "Seen at the park.\r\nReturned at 22:00."


def test_reader_rows_for_quote_shapes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,a\n2,"b\n3,c\n4,d"\n5,"open at the end\n', encoding="utf-8")
    rows = _read(path)
    assert [(n, r if isinstance(r, dict) else r.reason.value) for n, r in rows] == [
        (2, {"id": "1", "text": "a"}),
        (3, "malformed_quoting"),
        (4, {"id": "3", "text": "c"}),
        (5, {"id": "4", "text": 'd"'}),  # a quote inside an unquoted field is text
        (6, "malformed_quoting"),  # the file ends inside the quote
    ]
    # Declared multi-line, the same bytes make one record of lines 3-5.
    rows = _read(path, multiline=("text",))
    assert rows[1] == (3, {"id": "2", "text": "b\n3,c\n4,d"})
    assert [n for n, _ in rows] == [2, 3, 6]


def test_bad_bytes_past_the_sample_name_their_own_line(tmp_path: Path) -> None:
    """UTF-8 throughout, one cp1252 byte on line 5000 (well past the first 64 KiB)."""
    body = [f"{i},Zoë {i} {'x' * 40}" for i in range(1, 6000)]
    data = ("id,name\n" + "\n".join(body) + "\n").encode("utf-8")
    data = data.replace("4999,Zoë".encode(), b"4999,Zo\xeb")
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    rows = _read(path)
    bad = [(n, r) for n, r in rows if isinstance(r, Malformed)]
    assert [(n, r.reason.value) for n, r in bad] == [(5000, "bad_encoding")]
    assert bad[0][1].message.startswith("line 5000: byte 0xEB is not utf-8 text")
    assert "4999,Zo\\xEB" in bad[0][1].raw
    assert len(rows) == 5999 and rows[-1][0] == 6000


def test_a_cp1252_file_is_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("id,name\n1,Zoë\n2,Seán\n".encode("cp1252"))
    assert _read(path) == [(2, {"id": "1", "name": "Zoë"}), (3, {"id": "2", "name": "Seán"})]


def test_control_characters_are_removed_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,name\n1,Ann\x00 Lee\n2,Bo\x1b\x07b\n3,Cy\tLe\n")
    rows = _read(path)
    assert rows == [(2, {"id": "1", "name": "Ann Lee"}), (3, {"id": "2", "name": "Bob"}),
                    (4, {"id": "3", "name": "Cy\tLe"})]  # fmt: skip
    first = rows[0][1]
    assert isinstance(first, NotedRow)
    assert json.loads(first.raw) == {"id": "1", "name": "Ann\x00 Lee"}
    assert first.notes == [("name", "1 control character(s) removed (U+0000)")]


def test_nul_loads_alike_on_both_backends(fresh_store: Engine, tmp_path: Path) -> None:
    """One NUL failed the whole file on PostgreSQL and loaded on SQLite; now one rule: the
    character is removed from the value, noted, and the raw row keeps it escaped."""
    text = b"ref,narrative,offence\n1,Seen\x00 at night,Theft\n2,Plain,Theft\n"
    result, held, _refs = _ingest(fresh_store, tmp_path, text)
    assert (result.rows_read, result.rows_loaded, held) == (2, 2, [])
    assert result.notes == {"control_characters": 1}
    assert "values with control characters removed 1" in result.reconciliation
    with fresh_store.connect() as conn:
        narrative, raw = conn.execute(
            select(records.c.narrative, records.c.raw).where(records.c.source_ref == "1")
        ).one()
    assert narrative == "Seen at night"
    assert json.loads(raw)["narrative"] == "Seen\x00 at night"


def test_an_oversized_field_quarantines_its_row(fresh_store: Engine, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CASEREVIEW_INGEST__MAX_FIELD_BYTES", "1000")
    from casereview.settings import reset_settings

    reset_settings()
    text = ("ref,narrative,offence\n1,short,Theft\n2," + "y" * 5000 + ",Theft\n3,short,Theft\n"
            '4,"' + "z\n" * 800 + '",Theft\n5,end,Theft\n').encode()  # fmt: skip
    result, held, refs = _ingest(fresh_store, tmp_path, text, "multiline: [narrative]")
    assert (result.rows_read, result.rows_loaded) == (5, 3)
    assert held == [(3, "field_too_large"), (5, "field_too_large")]
    assert refs == ["1", "3", "5"]


CELL = st.text(alphabet=st.sampled_from(list('ab ,"\n\r;xé')), max_size=8)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=8), chunk=st.integers(1, 4))
def test_the_fast_path_and_the_line_path_give_the_same_rows(
    rows: list[list[str]], chunk: int
) -> None:
    """Text built from quotes, delimiters and line breaks: the reader that starts on the C
    parser (and restarts line by line at the first record that breaks a rule) and the reader
    that goes line by line from the start give the same rows and row numbers, for every file
    the scan lets take the fast path."""
    import dataclasses
    import tempfile

    text = "a,b,c\n" + "\n".join(",".join(r) for r in rows) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_text(text, encoding="utf-8")
        scan = scan_file(path, 10_000)
        if not scan.plain("utf-8"):
            return
        line_by_line = dataclasses.replace(scan, controls=True)
        for multiline in (frozenset(), frozenset({"b"})):
            fmt = CsvFormat("utf-8", ",", multiline, 10_000, chunk, 1 << 20)
            fast = [r for c in read_csv(path, scan, fmt) for r in c]
            slow = [r for c in read_csv(path, line_by_line, fmt) for r in c]
            assert fast == slow
