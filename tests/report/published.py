"""What a reader of a published report may see: checks shared by the report tests on the
fixture world and on a store the real pipeline built."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

# Tables of rates: only their count columns are counts.
RATES = {"completeness", "linkage_duplicates", "flag_consistency"}
NOT_COUNTS = {"[c]", "0", "not collected", "not linked"}


def unprotected_counts(csv_files: Iterable[Path]) -> list[tuple[str, str, str, str]]:
    """Every count of the CSVs that is not [c], 0, or a multiple of 5 of at least 10:
    (file, row label, column, value)."""
    bad = []
    for path in csv_files:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows[1:]:
            for header, value in zip(rows[0][1:], row[1:], strict=True):
                if path.stem in RATES and header not in {"mentions", "persons", "records"}:
                    continue
                # A role is a label; a note says the whole table was withheld.
                if value in NOT_COUNTS or header in {"role", "note"}:
                    continue
                if not (value.isdigit() and int(value) % 5 == 0 and int(value) >= 10):
                    bad.append((path.name, row[0], header, value))
    return bad
