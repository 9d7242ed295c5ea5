"""The report the real pipeline published (`pipeline_world.build_review_store`: a synthetic
world through every stage, report included): every count protected, no personal value of the
store in any file. The fixture world of report_world.py tests the disclosure rules on cells it
shapes on purpose; this reads what the stages made of a whole world."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from published import unprotected_counts
from sqlalchemy import select

from casereview.model.serial import from_json
from casereview.model.tables import mentions, records
from casereview.store.db import make_engine, reading

pytestmark = pytest.mark.slow


def _published(report: Path) -> dict[str, str]:
    """Every text file of the report; the HTML without its embedded chart images."""
    html = (report / "report.html").read_text(encoding="utf-8")
    files = {"report.html": re.sub(r'src="data:image/png;base64,[^"]+"', "", html)}
    return files | {p.name: p.read_text(encoding="utf-8") for p in sorted(report.glob("*.csv"))}


def _personal_values(store: Path) -> dict[str, set[str]]:
    """What identifies a person or a case in the store, as it could be written out."""
    engine = make_engine(f"sqlite:///{store}")
    out: dict[str, set[str]] = {k: set() for k in
                                ("name", "dob", "phone", "postcode", "address", "ref", "id")}  # fmt: skip
    try:
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
    finally:
        engine.dispose()
    return out


def test_every_published_count_is_protected(review_store: Path) -> None:
    report = review_store.parent / "report"
    csv_files = sorted(report.glob("*.csv"))
    assert len(csv_files) > 10
    assert unprotected_counts(csv_files) == []


def test_no_personal_value_of_the_store_in_the_report(review_store: Path) -> None:
    values = _personal_values(review_store)
    assert all(len(v) > 100 for k, v in values.items() if k != "id"), "a world to look in"
    found = []
    for name, content in _published(review_store.parent / "report").items():
        lowered = content.lower()
        for kind, kept in values.items():
            found += [(name, kind, v) for v in kept if v.lower() in lowered]
    assert found == []
