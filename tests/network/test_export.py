"""`export groups` and `export findings`: exact columns, neutralised cells, audit entries."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, insert, select
from test_network import planted, settings

from casereview.classify import run_classify
from casereview.cli import main
from casereview.model.tables import audit_log, indicators, runs
from casereview.network import run_network
from casereview.store.db import reading, writing


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_exports_write_exact_columns_and_audit(fresh_store: Engine, tmp_path: Path) -> None:
    world = planted()
    bad = world.record("=HYPERLINK(1)", source="other_sys", cse_flag=True, narrative="Theft.")
    world.mention(bad, "victim", 77, age=40)
    world.save(fresh_store)
    run_classify(fresh_store)
    run_network(fresh_store, settings=settings())
    with writing(fresh_store) as conn:
        run_id = conn.execute(select(runs.c.id).limit(1)).scalar_one()
        conn.execute(
            insert(indicators).values(
                code="repeat_missing",
                subject_type="record",
                subject_id=1,
                record_id=1,
                evidence="{}",
                run_id=run_id,
            )
        )
    url = str(fresh_store.url.render_as_string(hide_password=False))
    groups_csv, findings_csv = tmp_path / "groups.csv", tmp_path / "findings.csv"
    assert (
        main(
            [
                "--database",
                url,
                "export",
                "groups",
                "--out",
                str(groups_csv),
                "--purpose",
                "joint review",
                "--recipient",
                "CSE team",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "--database",
                url,
                "export",
                "findings",
                "--out",
                str(findings_csv),
                "--purpose",
                "joint review",
            ]
        )
        == 0
    )
    rows = _read(groups_csv)
    assert rows[0] == ["group_id", "person_id", "role"]
    assert rows[1:6] == [
        ["1", "101", "offender"],
        ["1", "102", "offender"],
        ["1", "103", "offender"],
        ["1", "1", "victim"],
        ["1", "2", "victim"],
    ]
    assert len(rows) == 15
    assert _read(findings_csv) == [
        ["source", "record_ref", "finding"],
        ["met_crime", "A1", "repeat_missing"],
        ["other_sys", "'=HYPERLINK(1)", "wrong_cse_flag"],
    ]
    with reading(fresh_store) as conn:
        entries = conn.execute(
            select(
                audit_log.c.action,
                audit_log.c.object_id,
                audit_log.c.purpose,
                audit_log.c.recipient,
            )
            .where(audit_log.c.action == "disclose")
            .order_by(audit_log.c.seq)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("disclose", "groups", "joint review", "CSE team"),
        ("disclose", "findings", "joint review", None),
    ]


def test_export_needs_a_purpose(fresh_store: Engine, tmp_path: Path) -> None:
    planted().save(fresh_store)
    url = str(fresh_store.url.render_as_string(hide_password=False))
    code = main(
        ["--database", url, "export", "groups", "--out", str(tmp_path / "g.csv"), "--purpose", " "]
    )
    assert code == 2
    assert not (tmp_path / "g.csv").exists()
