"""CSV files, read so that rows never merge silently and row numbers stay right.

A row's number is the line on which it starts (the header is line 1), so a quarantine entry
points at the line an editor shows; "rows read" counts records, each once, whatever lines it
spans. A quoted field may run over several lines only in a column the mapping declares
`multiline`; anywhere else a quote that does not close on its line quarantines that line
(`malformed_quoting`, with its line number) and reading resumes on the next line. Bytes
that are not text in the file's encoding quarantine their row (`bad_encoding`), a field or
line longer than `ingest.max_field_bytes` quarantines its row (`field_too_large`), and
control characters (NUL and the like) are removed from the cells with a note, the raw row
keeping them JSON-escaped. None of these stops the file.

Two ways of reading give the same rows. A file whose whole-file scan (`scan.FileScan`) found
nothing of the above is read by the C parser straight from the file, each record's span of
lines checked after it is parsed; at the first record that breaks a rule the reading starts
again from that record's first line line by line, as every other file is read. Rows come in
chunks of at most `chunk_rows` rows and about `chunk_bytes` bytes, so that memory does not
grow with the size of the file or of its fields.
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from casereview.errors import SourceFileError
from casereview.ingest.rows import CONTROL_TEXT, SURROGATE, Malformed, Row, escaped, noted_row
from casereview.ingest.scan import FileScan
from casereview.model.codes import QuarantineReason

__all__ = ["CsvFormat", "read_csv"]

_SAMPLE_CHARS = 64 * 1024
_DELIMITERS = ",;\t|"
_POSITION_EVERY = 64  # rows between looks at the file position (the chunk's bytes)
_QUARANTINED_TEXT = 2000  # characters of an overlong line kept in its quarantine entry


@dataclass(frozen=True)
class CsvFormat:
    """How to read one CSV file (from its mapping entry and the settings)."""

    encoding: str
    delimiter: str | None
    multiline: frozenset[str]
    field_limit: int
    chunk_rows: int
    chunk_bytes: int


class _Refused(Exception):
    """Raised inside the line feed to stop a record; `reason` says why."""

    def __init__(self, reason: QuarantineReason, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class _Restart(Exception):
    """The fast path met a record that breaks a rule: read again from its first line."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass(slots=True)
class _Overlong:
    """A physical line longer than the limit: its first characters and its length."""

    head: str
    length: int


@dataclass
class _Record:
    """The physical lines the record being parsed has taken so far."""

    lines: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0
    eof_open: bool = False  # the file ended inside a quoted field
    bad_bytes: bool = False
    controls: bool = False

    def reset(self) -> None:
        self.lines, self.size = [], 0
        self.eof_open = self.bad_bytes = self.controls = False


def _detect_delimiter(text: str) -> str:
    lines = text.splitlines()[:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return max(_DELIMITERS, key=lines[0].count)


class _Feed:
    """The lines given to the csv parser, with the record being parsed kept in
    `reader.record`: a request for a further line while a record is open is a quoted field
    running on, allowed only in a multi-line column and within the limit (else `_Refused`).
    An iterator object, not a generator: it goes on after a refusal or the end of the file
    (lines given back to it are read again)."""

    def __init__(self, reader: _CsvReader, lines: Iterator[tuple[int, str | _Overlong]]) -> None:
        self.reader, self.lines = reader, lines

    def __iter__(self) -> _Feed:
        return self

    def _skip_field(self, line: str | _Overlong) -> None:
        """Read on past the end of a quoted value too large to keep: to the line where its
        quote closes (an odd number of quotes; doubled quotes inside come in pairs)."""
        text = line.head if isinstance(line, _Overlong) else line
        while text.count('"') % 2 == 0:
            nxt = next(self.lines, None)
            if nxt is None:
                return
            text = nxt[1].head if isinstance(nxt[1], _Overlong) else nxt[1]

    def __next__(self) -> str:
        owner = self.reader
        record, pushback, limit = owner.record, owner.pushback, owner.fmt.field_limit
        if pushback:
            number, line = pushback.popleft()
        else:
            nxt = next(self.lines, None)
            if nxt is None:
                record.eof_open = bool(record.lines)
                raise StopIteration
            number, line = nxt
        if record.lines:
            column = owner.open_column()
            if column is None:
                pushback.appendleft((number, line))
                raise _Refused(QuarantineReason.MALFORMED_QUOTING, owner.quote_message())
            if isinstance(line, _Overlong) or record.size + len(line) > limit:
                self._skip_field(line)
                raise _Refused(
                    QuarantineReason.FIELD_TOO_LARGE,
                    f"column {column}: a multi-line value longer than the field-size limit of "
                    f"{limit} characters (ingest.max_field_bytes)",
                )
        elif isinstance(line, _Overlong):
            record.lines.append((number, line.head))
            raise _Refused(
                QuarantineReason.FIELD_TOO_LARGE,
                f"line {number}: {line.length} characters, over the field-size limit of {limit} "
                "(ingest.max_field_bytes)",
            )
        record.lines.append((number, line))
        record.size += len(line)
        if SURROGATE.search(line):
            record.bad_bytes = True
        if CONTROL_TEXT.search(line):
            record.controls = True
        return line


class _CsvReader:
    def __init__(self, path: Path, scan: FileScan, fmt: CsvFormat) -> None:
        self.path, self.name, self.scan, self.fmt = path, path.name, scan, fmt
        try:
            self.encoding = codecs.lookup(scan.encoding(fmt.encoding)).name
        except LookupError as e:
            raise SourceFileError(f"{self.name}: unknown encoding {fmt.encoding!r}") from e
        self.delimiter = fmt.delimiter or self._sniff()
        self.columns: list[str] = []
        self.multiline_at: set[int] = set()
        self.pushback: deque[tuple[int, str | _Overlong]] = deque()
        self.record = _Record()
        csv.field_size_limit(fmt.field_limit)

    # ------------------------------------------------------------------ setup

    def _open(self, errors: str) -> IO[str]:
        try:
            return self.path.open("r", encoding=self.encoding, errors=errors, newline="")
        except OSError as e:
            raise SourceFileError(f"{self.name}: cannot read: {e.strerror or e}") from e

    def _sniff(self) -> str:
        with self._open("replace") as handle:
            return _detect_delimiter(handle.read(_SAMPLE_CHARS))

    def _set_header(self, cells: list[str]) -> None:
        if not cells or not any(h.strip() for h in cells):
            raise SourceFileError(f"{self.name}: row 1: no header row")
        columns = [h.strip() for h in cells]
        if any(SURROGATE.search(c) for c in columns):
            raise SourceFileError(
                f"{self.name}: row 1: the header is not valid {self.encoding} text; declare "
                "the file's encoding in the mapping"
            )
        if len(set(columns)) != len(columns):
            raise SourceFileError(f"{self.name}: row 1: duplicate column names in the header")
        unknown = sorted(self.fmt.multiline - set(columns))
        if unknown:
            raise SourceFileError(
                f"{self.name}: row 1: multiline names column(s) the header does not have: "
                f"{', '.join(unknown)}"
            )
        self.columns = columns
        self.multiline_at = {i for i, c in enumerate(columns) if c in self.fmt.multiline}

    # ------------------------------------------------------------------ chunks

    def chunks(self) -> Iterator[list[tuple[int, Row]]]:
        plain = self.scan.plain(self.encoding)
        try:
            if plain:
                restart = yield from self._fast()
                if restart is None:
                    return
                yield from self._careful(restart)
            else:
                yield from self._careful(1)
        except UnicodeDecodeError as e:  # pragma: no cover - surrogateescape decodes all
            raise SourceFileError(f"{self.name}: text is not valid {self.encoding}: {e}") from e
        except OSError as e:
            raise SourceFileError(f"{self.name}: cannot read: {e.strerror or e}") from e

    def _fast(self) -> Generator[list[tuple[int, Row]], None, int | None]:
        """The C parser straight from the file; returns None at the end, or the line to read
        again from, line by line, at the first record that breaks a rule."""
        fmt = self.fmt
        with self._open("strict") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter, strict=False)
            try:
                header = next(reader, None)
            except csv.Error as e:
                raise SourceFileError(f"{self.name}: row 1: cannot parse CSV: {e}") from e
            if reader.line_num > 1:
                return 1  # a header over several lines: the careful reader says why
            self._set_header(header or [])
            columns, width, multiline_at = self.columns, len(self.columns), self.multiline_at
            raw = handle.buffer  # type: ignore[attr-defined]
            chunk: list[tuple[int, Row]] = []
            chunk_start = raw.tell()
            chunk_rows, chunk_bytes = fmt.chunk_rows, fmt.chunk_bytes
            line = 1  # the last line taken
            restart: int | None = None
            cells: list[str] = []
            try:
                for cells in reader:
                    start = line + 1
                    line = reader.line_num
                    if line != start and not self._may_span(cells, width, multiline_at):
                        restart = start
                        break
                    size = len(chunk)
                    if size >= chunk_rows or (size and not size % _POSITION_EVERY):
                        # The chunk is given out before the next row is added, so that the
                        # file's last row is still in hand when the reading ends (below).
                        position = raw.tell()
                        if size >= chunk_rows or position - chunk_start >= chunk_bytes:
                            yield chunk
                            chunk, chunk_start = [], position
                    if len(cells) == width:
                        chunk.append((start, dict(zip(columns, cells))))  # noqa: B905 - width checked
                    elif cells:
                        chunk.append((start, self._wrong_width(cells)))
                else:
                    # A line break in a value of a one-line row: the file ended inside a quote
                    # (after a quote taken as text left the count of quotes even).
                    if (
                        chunk
                        and chunk[-1][0] == line
                        and any("\n" in c or "\r" in c for c in cells)
                    ):
                        restart = chunk.pop()[0]
            except csv.Error:
                restart = line + 1
            if chunk:
                yield chunk
        return restart
        return None

    @staticmethod
    def _may_span(cells: list[str], width: int, multiline_at: set[int]) -> bool:
        """A record over several lines is right when it has the header's width and only
        multi-line columns hold line breaks."""
        if len(cells) != width:
            return False
        return all(i in multiline_at for i, c in enumerate(cells) if "\n" in c or "\r" in c)

    def _wrong_width(self, cells: list[str]) -> Malformed:
        return Malformed(
            f"{len(cells)} fields where the header has {len(self.columns)}",
            escaped(self.delimiter.join(cells)),
        )

    # ------------------------------------------------------------------ line by line

    def _lines(self, handle: IO[str], first: int) -> Iterator[tuple[int, str | _Overlong]]:
        """(line number, text) of each physical line from line `first` on; a line longer
        than the limit comes as `_Overlong` (read in pieces, never whole)."""
        limit = self.fmt.field_limit
        number = first - 1
        while line := handle.readline(limit + 1):
            number += 1
            if len(line) <= limit or line.endswith(("\n", "\r")):
                yield number, line
                continue
            head, length = line[:_QUARANTINED_TEXT], len(line)
            while (more := handle.readline(limit + 1)) and not more.endswith(("\n", "\r")):
                length += len(more)
            length += len(more)
            yield number, _Overlong(head, length)

    def _feed(self, lines: Iterator[tuple[int, str | _Overlong]]) -> _Feed:
        return _Feed(self, lines)

    def open_column(self) -> str | None:
        """The multi-line column whose quoted value the open record continues, or None when
        the open field is not in one."""
        if not self.multiline_at:
            return None
        text = "".join(line for _, line in self.record.lines)
        partial = next(csv.reader([text], delimiter=self.delimiter, strict=False), [])
        at = len(partial) - 1
        return self.columns[at] if at in self.multiline_at else None

    def quote_message(self) -> str:
        number = self.record.lines[0][0]
        declared = (
            f"only {', '.join(sorted(self.fmt.multiline))} may hold line breaks"
            if self.fmt.multiline
            else "no column is declared multiline in the mapping"
        )
        return (
            f"line {number}: a quote opens a field that does not close on its line ({declared}); "
            "the line is held back and reading goes on with the next line"
        )

    def _careful(self, first: int) -> Iterator[list[tuple[int, Row]]]:
        fmt, record = self.fmt, self.record
        with self._open("surrogateescape") as handle:
            if first > 1:
                next(islice(handle, first - 1, first - 1), None)  # skip the lines before `first`
            lines = self._lines(handle, first)
            feed = self._feed(lines)
            reader = csv.reader(feed, delimiter=self.delimiter, strict=False)
            chunk: list[tuple[int, Row]] = []
            size = 0
            while True:
                record.reset()
                try:
                    cells = next(reader, None)
                except _Refused as refused:
                    chunk.append(self._refused(refused))
                    reader = csv.reader(feed, delimiter=self.delimiter, strict=False)
                except csv.Error as e:
                    chunk.append(self._refused(_Refused(
                        QuarantineReason.FIELD_TOO_LARGE, f"cannot parse CSV: {e}"
                    )))  # fmt: skip
                    reader = csv.reader(feed, delimiter=self.delimiter, strict=False)
                else:
                    if cells is None:
                        break
                    item = self._row(cells)
                    if item is not None:
                        chunk.append(item)
                size += record.size
                if len(chunk) >= fmt.chunk_rows or size >= fmt.chunk_bytes:
                    yield chunk
                    chunk, size = [], 0
            if record.lines and not self.columns:
                raise SourceFileError(f"{self.name}: row 1: no header row")
            if chunk:
                yield chunk

    def _refused(self, refused: _Refused) -> tuple[int, Row]:
        """The open record's first line, quarantined; its further lines are read again."""
        record = self.record
        if not record.lines:  # pragma: no cover - a refusal always follows a line
            raise SourceFileError(f"{self.name}: {refused.message}")
        number, text = record.lines[0]
        if not self.columns:
            raise SourceFileError(f"{self.name}: row 1: the header cannot be read: {refused}")
        if refused.reason is QuarantineReason.MALFORMED_QUOTING:
            self.pushback.extendleft(reversed(record.lines[1:]))
        raw = escaped(text.rstrip("\r\n"))
        return number, Malformed(refused.message, raw, refused.reason)

    def _row(self, cells: list[str]) -> tuple[int, Row] | None:
        record = self.record
        if not record.lines:
            return None
        number = record.lines[0][0]
        if not self.columns:
            if len(record.lines) > 1 or record.eof_open:
                raise SourceFileError(
                    f"{self.name}: row 1: a quote in the header does not close on its line"
                )
            self._set_header(cells)
            return None
        if not cells:
            return None  # a blank line is not a row
        width = len(self.columns)
        spans = len(record.lines) > 1
        if record.eof_open or (spans and not self._may_span(cells, width, self.multiline_at)):
            return self._refused(_Refused(QuarantineReason.MALFORMED_QUOTING, self.quote_message()))
        text = "".join(line for _, line in record.lines)
        if record.bad_bytes:
            found = SURROGATE.search(text)
            byte = ord(found.group()) - 0xDC00 if found else 0
            return number, Malformed(
                f"line {number}: byte 0x{byte:02X} is not {self.encoding} text; declare the "
                "file's encoding in the mapping (encoding:)",
                escaped(text.rstrip("\r\n")),
                QuarantineReason.BAD_ENCODING,
            )
        if len(cells) != width:
            return number, self._wrong_width(cells)
        row: dict[str, Any] = dict(zip(self.columns, cells))  # noqa: B905 - width checked
        if record.controls:
            return number, noted_row(row)
        return number, row


def read_csv(path: Path, scan: FileScan, fmt: CsvFormat) -> Iterator[list[tuple[int, Row]]]:
    """Chunks of (row number, row) of a CSV file with a header row (see the module)."""
    return _CsvReader(path, scan, fmt).chunks()
