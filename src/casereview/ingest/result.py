"""What importing one file did (`ImportResult`, with its reconciliation line) and how far an
import has gone (`Progress`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from casereview.model.codes import IngestNote

__all__ = ["ImportResult", "Progress"]

_NOTE_LABELS = {
    IngestNote.UNKNOWN_CODE: "unknown codes",
    IngestNote.UNREADABLE_BOROUGH: "unreadable boroughs",
    IngestNote.VALUE_DROPPED: "values dropped",
    IngestNote.FUTURE_DOB: "dates of birth in the future",
    IngestNote.AGE_OVER_110: "ages over 110",
    IngestNote.CONTROL_CHARACTERS: "values with control characters removed",
    IngestNote.LOOKUP_UNMATCHED: "lookups without a match",
}


@dataclass(frozen=True)
class Progress:
    """How far the import of one file has gone (for a progress bar)."""

    file_name: str
    size: int  # bytes
    rows_done: int
    rows_estimate: int | None  # from the file's line count; None when it cannot be told


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did. rows_read = rows_loaded + rows_quarantined."""

    source: str
    file_role: str
    file_name: str
    sha256: str
    status: str  # "imported" or "unchanged" (these bytes under this mapping were imported)
    import_id: int | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    records_written: int
    mentions_written: int
    seconds: float
    change: str = ""  # why it was imported: new file, changed file, changed mapping
    items_quarantined: int = 0  # nested items held back from rows that loaded
    withdrawn: int = 0  # rows of earlier exports of this file missing from this one
    persons_withdrawn: int = 0  # persons of a records file's rows that are no longer there
    reinstated: int = 0  # withdrawn records and persons that this export has again
    notes: dict[str, int] = field(default_factory=dict)  # IngestNote -> count

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reconciliation(self) -> str:
        """The line printed after every file."""
        head = f"{self.source}/{self.file_role} {self.file_name}"
        if self.status == "unchanged":
            return (
                f"{head}: unchanged (the same bytes under the same mapping were imported as "
                f"import {self.import_id}): nothing to do"
            )
        line = (
            f"{head}: rows read {self.rows_read} = loaded {self.rows_loaded} + quarantined "
            f"{self.rows_quarantined} (records written {self.records_written}, mentions "
            f"written {self.mentions_written}; {self.seconds:.1f}s)"
        )
        extra = [self.change] if self.change else []
        if self.items_quarantined:
            extra.append(f"nested items quarantined {self.items_quarantined}")
        if self.withdrawn or self.persons_withdrawn:
            of = f" (+ {self.persons_withdrawn} persons)" if self.persons_withdrawn else ""
            extra.append(f"withdrawn {self.withdrawn}{of}: no longer in the export, kept, marked")
        if self.reinstated:
            extra.append(f"reinstated {self.reinstated}")
        if self.notes:
            noted = ", ".join(f"{_NOTE_LABELS[IngestNote(k)]} {n}" for k, n in self.notes.items())
            extra.append(f"notes: {noted}")
        return line + "".join(f"; {e}" for e in extra)
