"""`export groups` and `export findings` on a store the real pipeline built
(tests/review/indicator_world.py): exact columns, every stored row, neutralised cells, audit."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from casereview.cli import main
from casereview.model.tables import (
    audit_log,
    flag_findings,
    group_members,
    groups,
    indicators,
    records,
    sources,
)
from casereview.store.db import reading
from review.indicator_world import FORMULA_REF, MEN, World

pytestmark = pytest.mark.slow


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_exports_write_exact_columns_every_row_and_audit(
    indicator_store: World, tmp_path: Path
) -> None:
    engine = indicator_store.copy(tmp_path / "copy.db")
    url = engine.url.render_as_string(hide_password=False)
    groups_csv, findings_csv = tmp_path / "groups.csv", tmp_path / "findings.csv"
    try:
        assert main(["--database", url, "export", "groups", "--out", str(groups_csv),
                     "--purpose", "joint review", "--recipient", "CSE team"]) == 0  # fmt: skip
        assert main(["--database", url, "export", "findings", "--out", str(findings_csv),
                     "--purpose", "joint review"]) == 0  # fmt: skip
        with reading(engine) as conn:
            members = sorted(
                (int(g), str(r), int(p))
                for g, p, r in conn.execute(
                    select(group_members.c.group_id, group_members.c.person_id,
                           group_members.c.role)
                    .join(groups, groups.c.id == group_members.c.group_id)
                    .where(groups.c.active.is_(True))
                )
            )  # fmt: skip
            by_record = {
                int(i): (str(s), str(ref))
                for i, s, ref in conn.execute(
                    select(records.c.id, sources.c.name, records.c.source_ref).join(
                        sources, sources.c.id == records.c.source_id
                    )
                )
            }
            codes = {
                (*by_record[int(r)], str(c))
                for r, c in conn.execute(select(flag_findings.c.record_id, flag_findings.c.code))
            } | {
                (*by_record[int(r)], str(c))
                for r, c in conn.execute(
                    select(indicators.c.subject_id, indicators.c.code).where(
                        indicators.c.subject_type == "record"
                    )
                )
            }
            entries = conn.execute(
                select(audit_log.c.action, audit_log.c.object_id, audit_log.c.purpose,
                       audit_log.c.recipient)
                .where(audit_log.c.action == "disclose").order_by(audit_log.c.seq)
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    rows = _read(groups_csv)
    assert rows[0] == ["group_id", "person_id", "role"]
    assert rows[1:] == [[str(g), str(p), r] for g, r, p in members]
    found = indicator_store.found
    men = {str(found.one(f"{m[0]} {m[1]}")) for m in MEN}
    assert len({g for g, p, r in rows[1:] if p in men and r == "offender"}) == 1
    out = _read(findings_csv)
    assert out[0] == ["source", "record_ref", "finding"]
    # A cell a spreadsheet would run as a formula is written as text.
    neutral = [(s, "'" + ref if ref.startswith(("=", "+", "-", "@")) else ref, c)
               for s, ref, c in sorted(codes)]  # fmt: skip
    assert [tuple(r) for r in out[1:]] == neutral
    assert ("met_crime", "'" + FORMULA_REF, "wrong_cse_flag") in neutral
    assert ("met_intel", "IR9100000001", "unlinked_intelligence") in neutral
    assert [tuple(e) for e in entries] == [
        ("disclose", "groups", "joint review", "CSE team"),
        ("disclose", "findings", "joint review", None),
    ]
