"""What a reader of a published report may see: checks shared by the report tests on the
fixture world and on a store the real pipeline built."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, select

from casereview.model.serial import from_json
from casereview.model.tables import mentions, records
from casereview.store.db import reading

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


def personal_values(engine: Engine) -> dict[str, set[str]]:
    """What identifies a person or a case in the store, as it could be written out."""
    out: dict[str, set[str]] = {k: set() for k in
                                ("name", "dob", "phone", "postcode", "address", "ref", "id")}  # fmt: skip
    with reading(engine) as conn:
        for fore, sur, dob, phones, postcode, address, ids in conn.execute(
            select(mentions.c.forenames, mentions.c.surname, mentions.c.dob, mentions.c.phones,
                   mentions.c.postcode, mentions.c.address, mentions.c.identifiers)
        ):  # fmt: skip
            if fore and sur:
                out["name"] |= {f"{fore} {sur}", f"{sur} {fore}", f"{sur}, {fore}"}
            if isinstance(dob, dt.date):
                out["dob"] |= {dob.isoformat(), dob.strftime("%d/%m/%Y")}
            for phone in from_json(phones, []):
                out["phone"] |= {phone, phone.replace("+44", "0")}
            if postcode and len(postcode) >= 5:
                out["postcode"] |= {postcode, postcode.replace(" ", "")}
            if address and len(address) >= 8:
                out["address"].add(address)
            out["id"] |= {str(v) for v in from_json(ids, {}).values() if len(str(v)) >= 6}
        out["ref"] = {str(r) for r in conn.execute(select(records.c.source_ref)).scalars()}
    return out
