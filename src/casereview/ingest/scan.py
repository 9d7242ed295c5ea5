"""One pass over a file's bytes before it is read: its sha256 (the import's identity), its line
count (an estimate of its rows), and what the readers need to know to take the fast path.

A CSV file is read by the C parser straight from the file unless this scan found something
that needs a line-by-line reading (`csvread`): bytes that are not text in the file's
encoding, control characters, a line longer than the field-size limit, or an odd number of
quote characters (a quote that never closes). Knowing it from the whole file, not from a
64 KiB sample, is what keeps row and line numbers right wherever in the file the problem is.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from casereview.errors import SourceFileError

__all__ = ["CONTROL_BYTES", "FileScan", "known_encoding", "scan_file"]

_BLOCK = 1 << 20
# C0 control characters other than tab, line feed and carriage return, and DEL: never part
# of a multi-byte UTF-8 character, and the same bytes in cp1252 and Latin-1.
CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_NOT_ASCII = re.compile(rb"[\x80-\xff]")
# The five bytes cp1252 does not define.
_CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"


@dataclass(frozen=True, slots=True)
class FileScan:
    """What one pass over a file's bytes found."""

    size: int
    sha256: str
    lines: int  # line feeds: the rows of a CSV or JSON-lines file, about
    utf8: bool  # every byte is UTF-8 text (a byte-order mark allowed)
    utf8_first: bool  # the first bytes that are not ASCII are UTF-8 text
    cp1252: bool  # every byte is cp1252 text (checked only when not UTF-8)
    bom: str | None  # "utf-8-sig" or "utf-16" when the file starts with that byte-order mark
    controls: bool  # a control character other than tab, LF and CR
    odd_quotes: bool  # an odd number of '"': some quote never closes
    long_line: bool  # a line longer than the limit the scan was given

    def encoding(self, declared: str) -> str:
        """The encoding to read with: the declared one, or (auto) UTF-8 when the first text
        that is not ASCII is UTF-8 (rows with other bytes further on are then quarantined as
        `bad_encoding`, each at its own line), else cp1252, the usual encoding of Windows
        exports."""
        if declared != "auto":
            return declared
        if self.bom is not None:
            return self.bom
        return "utf-8" if self.utf8 or self.utf8_first else "cp1252"

    def plain(self, encoding: str) -> bool:
        """Whether a CSV in `encoding` may be read by the C parser straight from the file: every
        byte decodes, no control character, no overlong line, every quote closes."""
        name = codecs.lookup(encoding).name
        if name in ("utf-8", "utf-8-sig"):
            decodes = self.utf8
        elif name in ("cp1252",):
            decodes = self.utf8 or self.cp1252
        elif name in ("latin-1", "iso8859-1"):
            decodes = True
        else:
            return False  # multi-byte encodings: the byte checks do not apply
        return decodes and not (self.controls or self.odd_quotes or self.long_line)


def scan_file(path: Path, line_limit: int) -> FileScan:
    """Scan `path` once (1 MiB at a time); `line_limit`: the longest line, in bytes, that the
    fast path may meet (the field-size limit)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = lines = quotes = 0
    utf8, controls, long_line = True, False, False
    utf8_first: bool | None = None
    run = 0  # bytes since the last line feed
    first = b""
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                if not first:
                    first = block[:4]
                size += len(block)
                digest.update(block)
                newlines = block.count(b"\n")
                lines += newlines
                quotes += block.count(b'"')
                if utf8 and not block.isascii():
                    if utf8_first is None:
                        utf8_first = _starts_utf8(block)
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        utf8 = False
                if not controls and len(block.translate(None, CONTROL_BYTES)) != len(block):
                    controls = True
                if newlines:
                    long_line = long_line or run + block.find(b"\n") > line_limit
                    if not long_line and len(block) > line_limit:
                        long_line = max(map(len, block.split(b"\n"))) > line_limit
                    run = len(block) - block.rfind(b"\n") - 1
                else:
                    run += len(block)
                long_line = long_line or run > line_limit
            if utf8:
                decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        utf8 = False
    except OSError as e:
        raise SourceFileError(f"{path.name}: cannot read: {e.strerror or e}") from e
    bom = None
    if first.startswith(codecs.BOM_UTF8):
        bom = "utf-8-sig"
    elif first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom, utf8 = "utf-16", False
    cp1252 = not utf8 and bom is None and _cp1252_text(path)
    return FileScan(size, digest.hexdigest(), lines, utf8, bool(utf8_first) or utf8, cp1252,
                    bom, controls, quotes % 2 == 1, long_line)  # fmt: skip


def _starts_utf8(block: bytes) -> bool:
    """Whether the block's first byte that is not ASCII starts a UTF-8 character."""
    found = _NOT_ASCII.search(block)
    at = found.start() if found else 0
    try:
        codecs.utf_8_decode(block[at : at + 8], "strict", False)
    except UnicodeDecodeError as e:
        return e.start > 0
    return True


def _cp1252_text(path: Path) -> bool:
    """Every byte of the file is defined in cp1252 (a second pass, for non-UTF-8 files only)."""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if len(block.translate(None, _CP1252_UNDEFINED)) != len(block):
                return False
    return True


def known_encoding(name: str) -> bool:
    """Whether Python knows the encoding `name`."""
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True
