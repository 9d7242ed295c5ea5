"""Two consecutive releases: differencing them recovers nothing (issue 22, item 1).

The attack of the issue: build report A, import one record into a year and borough whose count
was withheld (9), build report B; the cell went from `[c]` to 10, so A was exactly 9 and the
new record's year and borough were disclosed. Here the attacker is stronger than that: told
exactly which cell of every table the new record falls in, it solves one integer program over
every table of both releases (`sdc_attack.attack` with `later`), knowing the rounding, the
threshold and the published ptable's largest perturbation.

The store is the reviewed world (tests/report/reviewed_world.py: a synthetic world through
ingest and every stage, a review team's work done through the workflow). The nine crimes and
then the tenth are rows added to its police crimes export, imported again by the real ingest
(a changed file is read again; its new rows are new records).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sdc_attack import attack
from sqlalchemy import Engine, select, update

from casereview.ingest.load import ingest_mapping
from casereview.model import tables as t
from casereview.report import build_report
from casereview.report.cellkey import MAX_PERTURBATION, load_cell_keys
from casereview.report.disclosure import CountTable, DisclosureRule, Item, ProtectedTable
from casereview.report.quality import collect_quality
from casereview.report.stage import protect_all
from casereview.report.statistics import collect_statistics, load_records, load_sources
from casereview.store.db import reading, writing
from export_world import MAPPINGS, append_csv
from review.indicator_world import World

RULE = DisclosureRule()
GRID = "records_by_borough_year"
# The cell the new crimes fall in, in a block of crimes added in years before any record of the
# synthetic world (checked against the store below): the synthetic world's grid is sparse (a
# hundred crimes over 33 boroughs and 16 years), and the attack of the issue needs a cell whose
# neighbours are published. The block's counts are the ones the test writes.
BOROUGH, YEAR = "Hackney", "2007"
BLOCK = {(b, y): 12 + 3 * i + 5 * j for i, b in enumerate(["Camden", "Hackney", "Islington"])
         for j, y in enumerate(["2004", "2005", "2006", "2007"])} | {(BOROUGH, YEAR): 9}  # fmt: skip


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


def _in_block(engine: Engine) -> dict[tuple[str, str], int]:
    """Records of the store in each (borough, year) of BLOCK, read from the records table."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(t.records.c.borough, t.records.c.occurred_at).where(
                t.records.c.occurred_at < dt.date(2008, 1, 1)
            )
        ).all()
    found = {cell: 0 for cell in BLOCK}
    for borough, when in rows:
        if (borough, str(when.year)) in found:
            found[(borough, str(when.year))] += 1
    return found


def _import_crimes(engine: Engine, data: Path, cells: dict[tuple[str, str], int]) -> None:
    """`cells`' number of crimes of met_crime in each (borough, year), added to its export and
    imported again."""
    before = _in_block(engine)
    first = sum(before.values())  # references not used yet
    rows = [(borough, year) for (borough, year), n in cells.items() for _ in range(n)]
    append_csv(
        data / "met_crime" / "crimes.csv",
        [
            {"crime_ref": f"CRIS/97{first + k:05d}/{year[2:]}",
             "offence": "Sexual activity with a child", "committed_date": f"15/06/{year} 20:00",
             "recorded_date": f"16/06/{year}", "borough": borough, "cse_flag": "Y",
             "outcome": "OC1", "narrative": "A new record."}
            for k, (borough, year) in enumerate(rows)
        ],
    )  # fmt: skip
    ingest_mapping(engine, MAPPINGS / "met_crime.yaml", data, "pipeline")
    # each row is one new record in its cell
    assert _in_block(engine) == {cell: n + cells.get(cell, 0) for cell, n in before.items()}


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


def _nine_then_ten(
    engine: Engine, world: World, folder: Path
) -> tuple[Item, dict[str, CountTable], Callable[[], None]]:
    """The block with the nine crimes imported into `engine`; the grid's cell of 9, the true
    tables then, and what imports the tenth crime."""
    data = folder / "data"
    shutil.copytree(world.data / "met_crime", data / "met_crime")
    assert set(_in_block(engine).values()) == {0}  # the world has no record there
    _import_crimes(engine, data, BLOCK)  # with the first 9 crimes of a year in one borough
    before = _tables(engine)
    grid = before[GRID]
    cell: Item = ("c", grid.rows.index(BOROUGH), grid.cols.index(YEAR))
    assert grid.value(cell) == _in_block(engine)[(BOROUGH, YEAR)] == 9  # the cell of 9
    return cell, before, lambda: _import_crimes(engine, data, {(BOROUGH, YEAR): 1})


def _bounds(
    a: dict[str, ProtectedTable],
    b: dict[str, ProtectedTable],
    change: dict[tuple[str, Item], int],
    targets: list[tuple[str, Item]] | None = None,
) -> dict[Any, Any]:
    return attack(list(a.values()), later=list(b.values()), change=change, targets=targets)


def test_threshold_and_rounding_alone_give_the_cell_away(
    reviewed_store: Engine, reviewed_world: World, tmp_path: Path
) -> None:
    """The issue's attack on releases without perturbation (main before issue 22): withheld in
    A, 10 in B, so 9."""
    engine = reviewed_store
    cell, before, import_tenth = _nine_then_ten(engine, reviewed_world, tmp_path)
    release_a = _release(engine, perturbed=False)
    import_tenth()
    change = _change(before, _tables(engine))
    assert change[(GRID, cell)] == 1
    release_b = _release(engine, perturbed=False)
    assert (release_a[GRID].published[cell], release_b[GRID].published[cell]) == (None, 10)
    bounds = _bounds(release_a, release_b, change, [(GRID, cell)])
    assert bounds == {(GRID, cell): (9.0, 11.0)}  # and [c] < 10: 9


# Three fixed secrets on SQLite; on PostgreSQL one (the protection is the same arithmetic on
# either backend: what PostgreSQL adds is the reading of the tables and the report's writing).
SECRETS = ["0" * 63 + "1", "c0ffee" * 10 + "abcd", "7" * 64]


@pytest.mark.parametrize(
    ("reviewed_store", "secret"),
    [*(("sqlite", s) for s in SECRETS),
     pytest.param("postgres", SECRETS[0], marks=pytest.mark.postgres)],
    indirect=["reviewed_store"],
)  # fmt: skip
def test_differencing_two_releases_recovers_nothing(
    reviewed_store: Engine, reviewed_world: World, tmp_path: Path, secret: str
) -> None:
    """The same attack on the perturbed releases the report stage writes."""
    # The store's random cell-key secret replaced by a fixed one, so that the test is repeatable.
    engine = reviewed_store
    with writing(engine) as conn:
        conn.execute(update(t.disclosure_keys).values(secret=secret))
    cell, before, import_tenth = _nine_then_ten(engine, reviewed_world, tmp_path)
    release_a = _release(engine, perturbed=True)
    report_a = build_report(engine, tmp_path / "A", purpose="release A")
    import_tenth()
    change = _change(before, _tables(engine))
    assert change[(GRID, cell)] == 1
    release_b = _release(engine, perturbed=True)
    report_b = build_report(engine, tmp_path / "B", purpose="release B")

    # The perturbation is real: some published count of A is not the rounding of its true one.
    assert any(
        shown is not None and shown != RULE.round(table.table.value(item))
        for table in release_a.values()
        for item, shown in table.published.items()
    )
    # With cell-key perturbation the attacker is left with a range around the truth...
    low, high = _bounds(release_a, release_b, change, [(GRID, cell)])[(GRID, cell)]
    assert low <= 9 <= high and high - low >= 2 * MAX_PERTURBATION, (low, high)
    # ... and no value withheld in either release is recovered exactly.
    exact = {k: b for k, b in _bounds(release_a, release_b, change).items() if b[0] == b[1]}
    assert exact == {}

    # What the stage wrote is that protection: B's CSV of the grid is the perturbed release,
    # and every cell the new record did not touch is published as in A (or, where secondary
    # suppression chose other complements, withheld in one of them): never another number.
    new_b = release_b[GRID]
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
