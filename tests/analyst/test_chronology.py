"""The chronology of a person on a pipeline-built store: the PDF read back (every record of
the person, in date order, indicators marked, page numbers), the CSV, team visibility and the
audit entries (consultation, disclosure, refusal)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casereview.errors import AccessDenied
from casereview.model.tables import (
    audit_log,
    indicators,
    mention_person,
    mentions,
    records,
)
from casereview.store.access import check_record
from casereview.store.audit import verify
from casereview.store.db import reading

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")


def _person_with_indicators(world) -> int:  # type: ignore[no-untyped-def]
    """The person with most records among those whose records carry an indicator."""
    with reading(world.engine) as conn:
        row = conn.execute(
            select(mention_person.c.person_id, func.count(func.distinct(mentions.c.record_id)))
            .join(mentions, mentions.c.id == mention_person.c.mention_id)
            .where(
                mention_person.c.person_id.in_(
                    select(mention_person.c.person_id)
                    .join(mentions, mentions.c.id == mention_person.c.mention_id)
                    .join(indicators, indicators.c.record_id == mentions.c.record_id)
                )
            )
            .group_by(mention_person.c.person_id)
            .order_by(
                func.count(func.distinct(mentions.c.record_id)).desc(), mention_person.c.person_id
            )
            .limit(1)
        ).one()
    return int(row[0])


def _records_of(world, person: int) -> list[tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    """(date, reference, indicator codes) of every record of the person, read from the store
    and ordered here by date then id, as the chronology promises."""
    with reading(world.engine) as conn:
        rows = conn.execute(
            select(records.c.id, records.c.occurred_at, records.c.recorded_at, records.c.source_ref)
            .join(mentions, mentions.c.record_id == records.c.id)
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            .where(mention_person.c.person_id == person)
            .distinct()
        ).all()
        codes: dict[int, list[str]] = {}
        for rid, code in conn.execute(
            select(indicators.c.record_id, indicators.c.code).where(
                indicators.c.record_id.in_([r.id for r in rows])
            )
        ):
            codes.setdefault(int(rid), []).append(code)
    ordered = sorted(
        rows,
        key=lambda r: (
            (r.occurred_at or r.recorded_at) is None,
            r.occurred_at or r.recorded_at,
            r.id,
        ),
    )
    return [
        (
            str(r.occurred_at or r.recorded_at or "undated"),
            r.source_ref,
            sorted(set(codes.get(int(r.id), []))),
        )
        for r in ordered
    ]


def test_pdf_holds_every_record_in_date_order_with_indicators(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    person = _person_with_indicators(world)
    expected = _records_of(world, person)
    assert len(expected) >= 3 and any(codes for _, _, codes in expected)
    out = tmp_path / "chronology.pdf"
    result = world.run_json(
        "ana", "chronology", str(person), "--format", "pdf", "--out", str(out),
        "--purpose", "serious case review panel", "--recipient", "review panel",
    )  # fmt: skip
    assert result == {"file": str(out), "records": len(expected)}
    reader = pypdf.PdfReader(str(out))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    # Every record's reference, in date order.
    positions = [flat.find(ref) for _, ref, _ in expected]
    assert -1 not in positions, [
        ref for (_, ref, _), p in zip(expected, positions, strict=True) if p == -1
    ]
    assert positions == sorted(positions)
    # Each record's indicators marked between its reference and the next record's.
    bounds = [*positions[1:], len(flat)]
    for (_, _, codes), start, end in zip(expected, positions, bounds, strict=True):
        for code in codes:
            assert f"indicator: {code}" in flat[start:end]
    assert f"Page 1 of {len(reader.pages)}" in flat
    assert f"chronology of person {person}" in flat
    # One disclosure, with the purpose and recipient; the chain verifies.
    with reading(world.engine) as conn:
        entry = conn.execute(
            select(audit_log)
            .where(audit_log.c.action == "disclose")
            .order_by(audit_log.c.seq.desc())
        ).first()
        assert entry is not None
        assert (entry.actor, entry.object_id, entry.purpose, entry.recipient) == (
            "ana",
            f"chronology:person:{person}",
            "serious case review panel",
            "review panel",
        )
    assert verify(world.engine).ok


def test_csv_and_consultation(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    person = _person_with_indicators(world)
    expected = _records_of(world, person)
    out = tmp_path / "chronology.csv"
    world.run_json("ana", "chronology", str(person), "--format", "csv", "--out", str(out),
                   "--purpose", "panel", "--recipient", "review panel")  # fmt: skip
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        (r["date"] or "undated", r["reference"], sorted(filter(None, r["indicators"].split(";"))))
        for r in rows
    ] == expected
    shown = world.run_json("ana", "chronology", str(person))
    assert [e["reference"] for e in shown["entries"]] == [ref for _, ref, _ in expected]
    names = {p["name"] for p in shown["turning_points"]}
    assert names & {"first_concern", "first_referral", "first_police_record", "first_missing"}
    with reading(world.engine) as conn:
        last = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert (last.action, last.object_type, last.object_id) == ("consult", "person", str(person))


def test_purpose_is_required_to_write_a_file(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    person = _person_with_indicators(world)
    out = tmp_path / "c.html"
    result = world.run("ana", "chronology", str(person), "--out", str(out))
    assert result.code == 2 and "purpose" in result.err
    assert not out.exists()


def test_reviewer_sees_only_the_records_of_their_teams(world) -> None:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        person = conn.execute(
            select(mention_person.c.person_id)
            .join(mentions, mentions.c.id == mention_person.c.mention_id)
            .where(mentions.c.record_id == world.north_record)
            .order_by(mention_person.c.person_id)
            .limit(1)
        ).scalar_one()
        actor = world.actor("rev_n")
        all_records = conn.execute(
            select(mentions.c.record_id, records.c.source_ref)
            .join(records, records.c.id == mentions.c.record_id)
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            .where(mention_person.c.person_id == person)
            .distinct()
        ).all()
        visible = set()
        for rid, ref in all_records:
            try:
                check_record(conn, actor, int(rid))
                visible.add(ref)
            except AccessDenied:
                pass
    shown = world.run_json("rev_n", "chronology", str(person))
    assert {e["reference"] for e in shown["entries"]} == visible
    assert shown["team_limited"] is True
    refused = world.run("rev_s", "chronology", str(person))
    assert refused.code == 1 and "not in the work of your teams" in refused.err
    with reading(world.engine) as conn:
        last = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert (last.actor, last.action, last.object_id) == ("rev_s", "denied", str(person))
