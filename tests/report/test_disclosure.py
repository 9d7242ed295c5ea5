"""Disclosure control: threshold and rounding, secondary suppression, and attacks that fail."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sdc_attack import attack

from casereview.report.cellkey import MAX_PERTURBATION, CellKeys, perturb_table, perturbation
from casereview.report.disclosure import (
    GRAND,
    SUPPRESSED_MARK,
    UNBOUNDED,
    CountTable,
    DisclosureRule,
    ProtectedTable,
    cell_bounds,
    protect,
    safe_rate,
)
from casereview.settings import ReportSettings

RULE = DisclosureRule()


def test_rule_defaults_follow_the_settings() -> None:
    assert DisclosureRule.from_settings(ReportSettings()) == DisclosureRule(10, 5)
    assert DisclosureRule.from_settings(ReportSettings(suppress_below=5, round_to=10)) == (
        DisclosureRule(5, 10)
    )


def test_threshold_and_rounding() -> None:
    assert [v for v in range(0, 15) if RULE.is_primary(v)] == list(range(1, 10))
    assert [RULE.round(v) for v in (0, 10, 12, 13, 17, 18, 22, 23, 1234)] == [
        0,
        10,
        10,
        15,
        15,
        20,
        20,
        25,
        1235,
    ]
    assert [DisclosureRule(3, 10).round(v) for v in (4, 5, 14, 15)] == [0, 10, 10, 20]
    assert [DisclosureRule(10, 1).round(v) for v in (11, 12, 13)] == [11, 12, 13]


def test_one_way_table_primary_and_secondary() -> None:
    table = CountTable.one_way(
        "t", "T", "borough", [("a", 3), ("b", 25), ("c", 41), ("d", 0)], column="records"
    )
    protected = protect(table, RULE)
    assert protected.as_rows() == [
        ["borough", "records"],
        ["a", SUPPRESSED_MARK],
        ["b", SUPPRESSED_MARK],  # the smallest other cell: else 69 - 25 - 41 gives a away
        ["c", "40"],
        ["d", "0"],  # a true zero is shown
        ["Total", "70"],  # rounded from the true total 69, not summed from rounded cells
    ]
    assert protected.primary == {("c", 0, 0)}
    assert protected.secondary == {("c", 1, 0)}


def test_one_way_table_without_total_needs_no_complement() -> None:
    # Overlapping categories (a record with several typologies): nothing adds up, no total.
    table = CountTable.one_way("t", "T", "label", [("a", 3), ("b", 25)], total=False)
    protected = protect(table, RULE)
    assert protected.as_rows() == [["label", "count"], ["a", SUPPRESSED_MARK], ["b", "25"]]
    assert protected.secondary == frozenset()


def test_two_way_table_secondary_suppression_forms_a_rectangle() -> None:
    table = CountTable(
        name="t",
        title="T",
        row_label="year",
        rows=("2010", "2011", "2012"),
        cols=("N", "S", "E"),
        counts=((3, 20, 15), (12, 0, 30), (25, 14, 11)),
        row_totals=True,
        col_totals=True,
    )
    protected = protect(table, RULE)
    assert protected.as_rows() == [
        ["year", "N", "S", "E", "Total"],
        ["2010", "[c]", "20", "[c]", "40"],
        ["2011", "[c]", "0", "[c]", "40"],
        ["2012", "25", "15", "10", "50"],
        ["Total", "40", "35", "55", "130"],
    ]
    assert protected.secondary == {("c", 0, 2), ("c", 1, 0), ("c", 1, 2)}
    values = {item: table.value(item) for item in table.items()}
    bounds = {i: cell_bounds(table, values, protected.suppressed, i) for i in protected.suppressed}
    assert bounds == {
        ("c", 0, 0): (1, 14),
        ("c", 0, 2): (4, 17),
        ("c", 1, 0): (1, 14),
        ("c", 1, 2): (28, 41),
    }


def test_small_margins_are_suppressed_and_protected() -> None:
    table = CountTable(
        name="t",
        title="T",
        row_label="r",
        rows=("x", "y", "z"),
        cols=("a", "b"),
        counts=((2, 3), (20, 30), (15, 40)),
        row_totals=True,
        col_totals=True,
    )
    protected = protect(table, RULE)
    assert ("r", 0, -1) in protected.primary  # the row total 5 is itself small
    assert_protected([protected])


def test_shared_total_below_threshold_withholds_the_whole_table() -> None:
    table = CountTable.one_way("g", "G", "size", [("2", 4), ("3", 0)], shared_total="groups")
    protected = protect(table, RULE)
    assert protected.withheld
    assert set(protected.published.values()) == {None}


def test_shared_total_is_never_a_complement() -> None:
    table = CountTable.one_way(
        "t", "T", "kind", [("a", 3), ("b", 0)], shared_total="records"
    )  # the total is 3: primary and pinned, so the table is withheld
    assert protect(table, RULE).withheld
    table = CountTable.one_way(
        "t", "T", "kind", [("a", 3), ("b", 0), ("c", 0), ("d", 12)], shared_total="records"
    )
    protected = protect(table, RULE)
    assert protected.grand is None and protected.col_total(0) == 15
    assert protected.column() == [("a", None), ("b", 0), ("c", 0), ("d", None)]


def test_safe_rate() -> None:
    assert safe_rate(50, 200, RULE) == 25.0
    assert safe_rate(0, 200, RULE) == 0.0  # a true zero is fine
    assert safe_rate(200, 200, RULE) == 100.0
    assert safe_rate(5, 200, RULE) is None  # 2.5% of a published 200 gives 5 back
    assert safe_rate(195, 200, RULE) is None  # and so does 97.5%
    assert safe_rate(5, 8, RULE) is None  # denominator below the threshold
    assert safe_rate(30, 4000, RULE, scale=1000) == 7.5


# --------------------------------------------------------------------------- attacks


def assert_protected(tables: list[ProtectedTable]) -> None:
    """Every withheld cell stays wider than the threshold for both attackers."""
    threshold = tables[0].rule.suppress_below
    for known in (True, False):
        bounds = attack(tables, rounding_known=known)
        narrow = {k: b for k, b in bounds.items() if b[1] - b[0] < threshold}
        assert narrow == {}, f"recovered (rounding_known={known}): {narrow}"


def test_the_attack_recovers_cells_without_secondary_suppression() -> None:
    """The attacker is real: with primary suppression only, differencing gives cells away."""
    table = CountTable.one_way("t", "T", "b", [("a", 3), ("b", 25), ("c", 41)])
    naive = ProtectedTable(
        table=table,
        rule=RULE,
        published={
            ("c", 0, 0): None,
            ("c", 1, 0): RULE.round(25),
            ("c", 2, 0): RULE.round(41),
            ("k", -1, 0): RULE.round(69),
        },
        primary=frozenset({("c", 0, 0)}),
        secondary=frozenset(),
    )
    # Rounding alone leaves 72 - 23 - 38 = 11 as the top; the exact differencing gives 3 back.
    assert attack([naive]) == {("t", ("c", 0, 0)): (1.0, 11.0)}
    assert attack([naive], rounding_known=False) == {("t", ("c", 0, 0)): (3.0, 3.0)}
    assert_protected([protect(table, RULE)])


def test_tables_sharing_a_total_are_protected_together() -> None:
    by_type = CountTable.one_way(
        "type",
        "T",
        "type",
        [("crime", 4), ("incident", 60), ("referral", 33)],
        shared_total="records",
    )
    by_year = CountTable(
        name="year_borough",
        title="Y",
        row_label="year",
        rows=("2010", "2011"),
        cols=("N", "S"),
        counts=((2, 40), (30, 25)),
        row_totals=True,
        col_totals=True,
        shared_total="records",
    )
    published = [protect(by_type, RULE), protect(by_year, RULE)]
    assert published[0].col_total(0) == published[1].grand == 95
    assert_protected(published)


def test_cell_bounds_match_brute_force_enumeration() -> None:
    """The flow bounds are exact: compare with every completion of a small table."""
    table = CountTable(
        name="t",
        title="T",
        row_label="r",
        rows=("x", "y"),
        cols=("a", "b", "c"),
        counts=((2, 11, 0), (13, 4, 12)),
        row_totals=True,
        col_totals=True,
    )
    protected = protect(table, RULE)
    values = {item: table.value(item) for item in table.items()}
    hidden = sorted(c for c in protected.suppressed if c[0] == "c")
    assert not protected.suppressed - set(hidden)  # the margins are all published here
    seen: dict[tuple[str, int, int], set[int]] = {c: set() for c in hidden}
    for guess in itertools.product(range(1, 30), repeat=len(hidden)):
        grid = [list(row) for row in table.counts]
        for (_, i, j), g in zip(hidden, guess, strict=True):
            grid[i][j] = g
        if all(sum(grid[i]) == values[("r", i, -1)] for i in range(2)) and all(
            grid[0][j] + grid[1][j] == values[("k", -1, j)] for j in range(3)
        ):
            for c, g in zip(hidden, guess, strict=True):
                seen[c].add(g)
    assert {c: cell_bounds(table, values, protected.suppressed, c) for c in hidden} == {
        c: (min(v), max(v)) for c, v in seen.items()
    }


small_counts = st.one_of(st.integers(0, 12), st.integers(10, 60))


@st.composite
def count_tables(draw: st.DrawFn) -> CountTable:
    n_rows = draw(st.integers(1, 4))
    n_cols = draw(st.integers(1, 4))
    counts = tuple(tuple(draw(small_counts) for _ in range(n_cols)) for _ in range(n_rows))
    row_totals = draw(st.booleans())
    col_totals = draw(st.booleans())
    return CountTable(
        name="t",
        title="T",
        row_label="r",
        rows=tuple(f"r{i}" for i in range(n_rows)),
        cols=tuple(f"c{j}" for j in range(n_cols)),
        counts=counts,
        row_totals=row_totals,
        col_totals=col_totals,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=count_tables(), rule=st.sampled_from([RULE, DisclosureRule(5, 3), DisclosureRule(10, 1)])
)
def test_random_tables_resist_differencing(table: CountTable, rule: DisclosureRule) -> None:
    protected = protect(table, rule)
    values = {item: table.value(item) for item in table.items()}
    # Rule: no published value below the threshold except true zeros; all rounded.
    for item, published in protected.published.items():
        if published is not None:
            assert published == rule.round(values[item])
            assert values[item] == 0 or values[item] >= rule.suppress_below
        else:
            assert values[item] > 0 or protected.withheld
    assert protected.primary == {i for i in table.items() if rule.is_primary(values[i])}
    if not protected.withheld:
        for item in protected.suppressed:
            low, high = cell_bounds(table, values, protected.suppressed, item)
            assert high - low >= rule.suppress_below
    assert_protected([protected])


def test_a_table_of_small_counts_is_all_withheld_and_unbounded() -> None:
    table = CountTable(
        name="t",
        title="T",
        row_label="r",
        rows=("x",),
        cols=("a", "b"),
        counts=((3, 4),),
        row_totals=True,
        col_totals=True,
    )
    protected = protect(table, RULE)
    values = {i: table.value(i) for i in table.items()}
    assert protected.suppressed == set(table.items())
    assert cell_bounds(table, values, protected.suppressed, GRAND) == (2, UNBOUNDED)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=count_tables(), secret=st.binary(min_size=8, max_size=8))
def test_random_perturbed_tables_resist_differencing(table: CountTable, secret: bytes) -> None:
    """With cell-key perturbation: zeros exact, the rest within the ptable, attacks still fail."""
    perturbed = perturb_table(table, CellKeys(secret))
    protected = protect(table, RULE, perturbed, perturbation=MAX_PERTURBATION)
    for item, published in protected.published.items():
        true = table.value(item)
        assert (perturbed[item] == 0) == (true == 0)
        assert abs(perturbed[item] - true) <= MAX_PERTURBATION
        if published is not None:
            assert published == RULE.round(perturbed[item])
            assert perturbed[item] == 0 or perturbed[item] >= RULE.suppress_below
    assert protected.primary == {i for i in table.items() if RULE.is_primary(perturbed[i])}
    assert_protected([protected])


def test_cell_keys_are_stable_and_the_ptable_is_unbiased() -> None:
    keys = CellKeys(b"secret")
    assert keys.perturb("t|c|a|b", 12) == keys.perturb("t|c|a|b", 12)
    # Over many cells the perturbation of a count of 3 or more averages 0, within [-2, 2].
    drawn = [keys.perturb(f"cell {n}", 40) - 40 for n in range(20_000)]
    assert set(drawn) == {-2, -1, 0, 1, 2}
    assert abs(sum(drawn) / len(drawn)) < 0.03
    assert {perturbation(0, k / 100) for k in range(100)} == {0}
    assert {1 + perturbation(1, k / 100) for k in range(100)} == {1, 2, 3}
