"""The report end to end on the reviewed world (tests/report/reviewed_world.py: built by the real
pipeline, reviewed through the workflow): files, audit, no personal data, joint attack."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from published import personal_values, unprotected_counts
from reviewed_world import PLANTED_WORDS
from sdc_attack import attack
from sqlalchemy import Engine, select

from casereview.errors import ConfigError, ValidationError
from casereview.model.tables import audit_log, runs
from casereview.report import build_report
from casereview.report.cellkey import load_cell_keys
from casereview.report.disclosure import DisclosureRule
from casereview.report.quality import collect_quality, read_population
from casereview.report.sections import CHARTS
from casereview.report.stage import protect_all
from casereview.report.statistics import collect_statistics, load_records, load_sources
from casereview.store.audit import verify
from casereview.store.db import reading

SECTIONS = ["records", "typology", "groups", "review", "quality", "method"]
TABLES = [
    "records_by_year",
    "records_by_borough",
    "records_by_borough_year",
    "records_by_type",
    "records_by_source_flag",
    "records_by_flag_status",
    "records_by_outcome",
    "records_by_typology",
    "findings_by_source",
    "findings_by_code",
    "groups_by_size",
    "groups_by_span",
    "groups_by_boroughs",
    "review_items_by_status",
    "decisions_by_outcome",
    "indicators_by_code",
    "imports_by_source",
    "completeness",
    "victim_ethnicity_by_source",
    "suspect_ethnicity_by_source",
    "linkage_duplicates",
    "flag_consistency",
    "cse_concern_by_borough",
]


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_report_files_sections_and_audit(reviewed_store: Engine, tmp_path: Path) -> None:
    result = build_report(
        reviewed_store,
        tmp_path / "out",
        actor="analyst1",
        purpose="annual transparency",
        recipient="review board",
    )
    assert result.sections == SECTIONS
    assert result.tables == TABLES
    assert sorted(p.name for p in (tmp_path / "out").glob("*.csv")) == sorted(
        f"{t}.csv" for t in TABLES
    )
    assert sorted(p.stem for p in result.chart_files) == sorted(CHARTS)
    html = result.html.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}"' in html
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
    # self-contained: no external resources
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "<link" not in html and "<script" not in html
    with reading(reviewed_store) as conn:
        entry = conn.execute(select(audit_log).where(audit_log.c.seq == result.audit_seq)).one()
        run = conn.execute(select(runs).where(runs.c.id == result.run_id)).one()
    details = json.loads(entry.details)
    assert (entry.actor, entry.action, entry.object_type, entry.purpose, entry.recipient) == (
        "analyst1",
        "disclose",
        "report",
        "annual transparency",
        "review board",
    )
    assert set(details["files"]) == {
        "report.html",
        *(f"{t}.csv" for t in TABLES),
        *(f"charts/{c}.png" for c in CHARTS),
    }
    assert details["rule"] == {"suppress_below": 10, "round_to": 5}
    assert (run.stage, run.status) == ("report", "succeeded")
    assert verify(reviewed_store).ok


def test_every_published_count_is_protected(reviewed_store: Engine, tmp_path: Path) -> None:
    """Each count in the CSVs is [c], 0, or a multiple of 5 that is at least 10."""
    result = build_report(reviewed_store, tmp_path, purpose="test")
    assert unprotected_counts(result.csv_files) == []


def test_no_personal_data_in_the_output(reviewed_store: Engine, tmp_path: Path) -> None:
    result = build_report(reviewed_store, tmp_path, purpose="test")
    html = result.html.read_text(encoding="utf-8")
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", html)
    outputs = {"report.html": text} | {
        p.name: p.read_text(encoding="utf-8") for p in result.csv_files
    }
    secrets = personal_values(reviewed_store)
    assert all(len(v) > 100 for k, v in secrets.items() if k != "id"), "a world to look in"
    # The planted people's single name parts are distinctive invented words: none either.
    words = set(PLANTED_WORDS)
    found = []
    for name, content in outputs.items():
        lowered = content.lower()
        for kind, values in secrets.items():
            found += [(name, kind, v) for v in values if v.lower() in lowered]
        found += [(name, "name part", w) for w in words if w.lower() in lowered]
    assert found == []


def test_joint_attack_on_all_published_tables_recovers_nothing(reviewed_store: Engine) -> None:
    """Differencing, combining tables through shared totals, subtracting rounded values."""
    rule = DisclosureRule()
    with reading(reviewed_store) as conn:
        names = load_sources(conn)
        recs = load_records(conn, names)
        tables = (
            collect_statistics(conn, names, recs).tables | collect_quality(conn, names, recs).tables
        )
        keys = load_cell_keys(conn)
    protected = list(protect_all(tables, rule, keys).values())
    assert sum(len(p.suppressed) for p in protected) > 50  # the attack has work to do
    for known in (True, False):
        bounds = attack(protected, rounding_known=known)
        assert {k: b for k, b in bounds.items() if b[1] - b[0] < rule.suppress_below} == {}


def test_population_rates(reviewed_store: Engine, tmp_path: Path) -> None:
    with reading(reviewed_store) as conn:
        boroughs = sorted({r.borough for r in load_records(conn, load_sources(conn)) if r.borough})
    assert len(boroughs) >= 3, boroughs
    # One figure written with a thousands separator, as a spreadsheet exports it.
    sizes = ['"52,000"', *(str(10000 + 5000 * k) for k in range(1, len(boroughs)))]
    population = tmp_path / "population.csv"
    population.write_text(
        "borough,children\n" + "".join(f"{b},{n}\n" for b, n in zip(boroughs, sizes, strict=True))
    )
    result = build_report(
        reviewed_store, tmp_path / "out", purpose="test", population_csv=population
    )
    rows = _cells(tmp_path / "out" / "cse_concern_rates.csv")
    counts = _cells(tmp_path / "out" / "cse_concern_by_borough.csv")
    assert rows[0] == ["borough", "children", "police per 1,000", "local authority per 1,000"]
    assert "cse_concern_rates" in result.tables
    with reading(reviewed_store) as conn:
        names = load_sources(conn)
        quality = collect_quality(
            conn, names, load_records(conn, names), read_population(population)
        )
    for row, count_row in zip(rows[1:], counts[1:], strict=False):
        assert row[0] == count_row[0]
        for k, agency in enumerate(["police", "local authority"]):
            if row[1] == "not supplied":
                assert row[2 + k] == ""
            elif count_row[1 + k] == "[c]":
                assert row[2 + k] == "[c]"
            else:
                true = quality.concern.get((row[0], agency), 0)
                assert row[2 + k] == f"{true / int(row[1]) * 1000:.1f}"


def test_population_file_errors_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("borough,children\nAshdown,lots\n")
    with pytest.raises(ValidationError) as info:
        read_population(path)
    assert (info.value.row, info.value.column) == (2, "children")
    path.write_text("area,kids\n")
    with pytest.raises(ValidationError):
        read_population(path)


def test_bad_format_and_missing_pdf_engine(reviewed_store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown report format"):
        build_report(reviewed_store, tmp_path, fmt="docx", purpose="x")
    with pytest.raises(ConfigError, match="purpose"):
        build_report(reviewed_store, tmp_path, purpose="  ")
    from casereview.report.render import pdf_available

    if not pdf_available():
        with pytest.raises(ConfigError, match="WeasyPrint"):
            build_report(reviewed_store, tmp_path / "pdf", fmt="pdf", purpose="x")
        assert not (tmp_path / "pdf").exists()
