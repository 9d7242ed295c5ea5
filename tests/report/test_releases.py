"""Two consecutive releases: differencing them recovers nothing (issue 22, item 1).

The attack of the issue: build report A, import one record into a year and borough whose count
was withheld (9), build report B; the cell went from `[c]` to 10, so A was exactly 9 and the
new record's year and borough were disclosed. Here the attacker is stronger than that: told
exactly which cell of every table the new record falls in, it solves one integer program over
every table of both releases (`sdc_attack.attack` with `later`), knowing the rounding, the
threshold and the published ptable's largest perturbation.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from report_world import NOW, build_world
from sdc_attack import attack
from sqlalchemy import Engine, func, insert, select, update

from casereview.model import tables as t
from casereview.report import build_report
from casereview.report.cellkey import MAX_PERTURBATION, load_cell_keys
from casereview.report.disclosure import CountTable, DisclosureRule, Item, ProtectedTable
from casereview.report.quality import collect_quality
from casereview.report.stage import protect_all
from casereview.report.statistics import collect_statistics, load_records, load_sources
from casereview.store.db import reading, writing

RULE = DisclosureRule()
GRID = "records_by_borough_year"


def _tables(engine: Engine) -> dict[str, CountTable]:
    with reading(engine) as conn:
        names = load_sources(conn)
        recs = load_records(conn, names)
        return (
            collect_statistics(conn, names, recs).tables | collect_quality(conn, names, recs).tables
        )


def _release(engine: Engine, *, perturbed: bool) -> dict[str, ProtectedTable]:
    with reading(engine) as conn:
        keys = load_cell_keys(conn) if perturbed else None
    return protect_all(_tables(engine), RULE, keys)


def _nine(tables: dict[str, CountTable]) -> tuple[Item, str, str]:
    """A cell of the borough x year grid whose true count is 9 (the issue's cell)."""
    grid = tables[GRID]
    for i, borough in enumerate(grid.rows):
        for j, year in enumerate(grid.cols):
            if grid.counts[i][j] == 9 and "not recorded" not in (borough, year):
                return ("c", i, j), borough, year
    raise AssertionError("the fixture world has no cell of 9")


def _import_one_record(engine: Engine, borough: str, year: str, n: int = 0) -> None:
    """One more crime of met_crime in that borough and year, as an import would add it."""
    with writing(engine) as conn:
        source = conn.execute(
            select(t.sources.c.id).where(t.sources.c.name == "met_crime")
        ).scalar_one()
        import_id = conn.execute(
            select(func.max(t.imports.c.id)).where(t.imports.c.source_id == source)
        ).scalar_one()
        # The fixture world writes its ids itself (PostgreSQL's sequence never moved).
        next_id = conn.execute(select(func.max(t.records.c.id))).scalar_one() + 1
        conn.execute(
            insert(t.records).values(
                id=next_id,
                source_id=source, source_ref=f"REF/MET/NEW{n:03d}Q", record_type="crime",
                occurred_at=dt.date(int(year), 6, 15), borough=borough, cse_flag=True, outcome="1",
                narrative="A new record.", raw="{}", content_hash="f" * 64, import_id=import_id,
                updated_at=NOW, source_flags="{}", factors="[]",
            )
        )  # fmt: skip


def _change(
    before: dict[str, CountTable], after: dict[str, CountTable]
) -> dict[tuple[str, Item], int]:
    out = {}
    for name, table in before.items():
        assert after[name].items() == table.items(), name  # same shape: an existing cell grew
        for item in table.items():
            grew = after[name].value(item) - table.value(item)
            if grew:
                out[(name, item)] = grew
    return out


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("secret", ["0" * 63 + "1", "c0ffee" * 10 + "abcd", "7" * 64])
def test_differencing_two_releases_recovers_nothing(
    fresh_store: Engine, tmp_path: Path, secret: str
) -> None:
    # Larger than the other tests' world, so that most cells of the grid are published; the
    # store's random cell-key secret replaced by a fixed one, so that the test is repeatable.
    engine = build_world(fresh_store, n_records=2400).engine
    with writing(engine) as conn:
        conn.execute(update(t.disclosure_keys).values(secret=secret))
    for n in range(1, 10):  # the first 9 crimes of a new year in one borough
        _import_one_record(engine, "Ashdown", "2021", n)
    before = _tables(engine)
    cell, borough, year = _nine(before)
    releases: dict[str, Any] = {"old": {}, "new": {}}
    for kind in releases:
        releases[kind]["A"] = _release(engine, perturbed=kind == "new")
    report_a = build_report(engine, tmp_path / "A", purpose="release A")
    _import_one_record(engine, borough, year, 10)
    after = _tables(engine)
    for kind in releases:
        releases[kind]["B"] = _release(engine, perturbed=kind == "new")
    report_b = build_report(engine, tmp_path / "B", purpose="release B")
    change = _change(before, after)
    assert change[(GRID, cell)] == 1

    def bounds(kind: str, targets: list[tuple[str, Item]] | None = None) -> dict[Any, Any]:
        a, b = releases[kind]["A"], releases[kind]["B"]
        return attack(list(a.values()), later=list(b.values()), change=change, targets=targets)

    # Threshold and rounding alone (main before this change): withheld in A, 10 in B, so 9.
    old_a, old_b = releases["old"]["A"][GRID], releases["old"]["B"][GRID]
    assert (old_a.published[cell], old_b.published[cell]) == (None, 10)
    assert bounds("old", [(GRID, cell)]) == {(GRID, cell): (9.0, 11.0)}  # and [c] < 10: 9

    # With cell-key perturbation the same attacker is left with a range around the truth...
    low, high = bounds("new", [(GRID, cell)])[(GRID, cell)]
    assert low <= 9 <= high and high - low >= 2 * MAX_PERTURBATION, (low, high)
    # ... and no value withheld in either release is recovered exactly.
    exact = {k: b for k, b in bounds("new").items() if b[0] == b[1]}
    assert exact == {}

    # What the stage wrote is that protection: B's CSV of the grid is the perturbed release,
    # and every cell the new record did not touch is published as in A (or, where secondary
    # suppression chose other complements, withheld in one of them): never another number.
    new_b = releases["new"]["B"][GRID]
    assert _rows(report_b.out_dir / f"{GRID}.csv") == new_b.as_rows()
    grid_a, grid_b = (
        _rows(report_a.out_dir / f"{GRID}.csv"),
        _rows(report_b.out_dir / f"{GRID}.csv"),
    )
    row, col = 1 + cell[1], 1 + cell[2]
    changed = {
        (r, c)
        for r in range(len(grid_a))
        for c in range(len(grid_a[r]))
        if grid_a[r][c] != grid_b[r][c]
    }
    touched_rows, touched_cols = {row, len(grid_a) - 1}, {col, len(grid_a[0]) - 1}
    untouched = [(r, c) for r, c in changed if r not in touched_rows and c not in touched_cols]
    assert [
        (grid_a[r][c], grid_b[r][c])
        for r, c in untouched
        if "[c]" not in (grid_a[r][c], grid_b[r][c])
    ] == []
