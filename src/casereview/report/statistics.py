"""Aggregate statistics of the review as true counts (`CountTable`s), before disclosure control.

Every table is built so that its margins are additive where published (each unit counted once
per row or column) and overlapping categories (typologies, findings) get no total. Tables that
publish the same total (all records, all groups) name it in `shared_total`, so disclosure
control publishes it alike everywhere. Nothing here leaves the system unprotected:
`report.stage` runs every table through `disclosure.protect`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from casereview.model.codes import (
    DecisionKind,
    DecisionOutcome,
    FindingCode,
    IndicatorCode,
    OutcomeType,
    RecordType,
    ReviewStatus,
    Typology,
)
from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    decisions,
    flag_findings,
    groups,
    indicators,
    records,
    review_items,
    sources,
)
from casereview.report.disclosure import CountTable

__all__ = [
    "FLAG_STATUSES",
    "UNKNOWN",
    "RecordRow",
    "StatisticsInput",
    "collect_statistics",
    "load_records",
    "load_sources",
]

UNKNOWN = "not recorded"
FLAG_STATUSES = ("flagged CSE", "not flagged", "flag not recorded")
GROUP_SIZE_BANDS = ("2", "3-4", "5-9", "10 or more")
GROUP_SPAN_BANDS = ("under 1 year", "1-2 years", "3-5 years", "6 years or more", UNKNOWN)
GROUP_BOROUGH_BANDS = ("1 borough", "2 boroughs", "3 or more boroughs", UNKNOWN)


@dataclass(frozen=True)
class RecordRow:
    """The fields of a record that statistics use (no narrative, no references)."""

    id: int
    source: str
    record_type: str
    year: str
    borough: str
    cse_flag: bool | None
    outcome: str | None


@dataclass(frozen=True)
class StatisticsInput:
    """True counts of the review, ready for disclosure control."""

    tables: dict[str, CountTable]
    agreement_pairs: list[tuple[str, str]]


def load_sources(conn: Connection) -> dict[int, tuple[str, str]]:
    """Source id -> (name, kind)."""
    rows = conn.execute(select(sources.c.id, sources.c.name, sources.c.kind)).all()
    return {int(r.id): (str(r.name), str(r.kind)) for r in rows}


def load_records(conn: Connection, source_names: dict[int, tuple[str, str]]) -> list[RecordRow]:
    """Every record, reduced to what the statistics need."""
    query = select(
        records.c.id,
        records.c.source_id,
        records.c.record_type,
        records.c.occurred_at,
        records.c.borough,
        records.c.cse_flag,
        records.c.outcome,
    )
    out = []
    for r in conn.execute(query):
        when = r.occurred_at
        year = str(when.year) if isinstance(when, dt.date) else UNKNOWN
        out.append(
            RecordRow(
                id=int(r.id),
                source=source_names[int(r.source_id)][0],
                record_type=str(r.record_type),
                year=year,
                borough=str(r.borough) if r.borough else UNKNOWN,
                cse_flag=r.cse_flag,
                outcome=str(r.outcome) if r.outcome else None,
            )
        )
    return out


def _ordered(values: Iterable[str], known: Sequence[str] = ()) -> tuple[str, ...]:
    """Known codes first in their order, then others sorted, `not recorded` last."""
    present = set(values)
    first = [k for k in known if k in present]
    rest = sorted(present - set(first) - {UNKNOWN})
    return tuple(first + rest + ([UNKNOWN] if UNKNOWN in present else []))


def cross_table(
    name: str,
    title: str,
    row_label: str,
    pairs: Iterable[tuple[str, str]],
    *,
    rows: Sequence[str] = (),
    cols: Sequence[str] = (),
    row_totals: bool = True,
    col_totals: bool = True,
    shared_total: str | None = None,
    description: str = "",
) -> CountTable:
    """A two-way table of counts from (row, column) pairs."""
    counter = Counter(pairs)
    row_keys = tuple(rows) + tuple(k for k in _ordered(r for r, _ in counter) if k not in rows)
    col_keys = tuple(cols) + tuple(k for k in _ordered(c for _, c in counter) if k not in cols)
    return CountTable(
        name=name,
        title=title,
        row_label=row_label,
        rows=row_keys,
        cols=col_keys,
        counts=tuple(tuple(counter.get((r, c), 0) for c in col_keys) for r in row_keys),
        row_totals=row_totals,
        col_totals=col_totals,
        shared_total=shared_total,
        description=description,
    )


def one_way(
    name: str,
    title: str,
    row_label: str,
    values: Iterable[str],
    *,
    categories: Sequence[str] = (),
    column: str = "count",
    total: bool = True,
    shared_total: str | None = None,
    description: str = "",
) -> CountTable:
    """A one-way table counting `values`; `categories` fixes the rows (zeros included)."""
    counter = Counter(values)
    keys = tuple(categories) + tuple(k for k in _ordered(counter) if k not in categories)
    return CountTable.one_way(
        name,
        title,
        row_label,
        [(k, counter.get(k, 0)) for k in keys],
        column=column,
        total=total,
        shared_total=shared_total,
        description=description,
    )


def _flag_status(flag: bool | None) -> str:
    return FLAG_STATUSES[2] if flag is None else FLAG_STATUSES[0 if flag else 1]


def record_tables(
    conn: Connection, recs: list[RecordRow], source_order: Sequence[str]
) -> list[CountTable]:
    """Records by borough x year, type, source x flag status, outcome, typology, findings."""
    by_id = {r.id: r for r in recs}
    labels = conn.execute(select(classifications.c.record_id, classifications.c.label)).all()
    findings = conn.execute(select(flag_findings.c.record_id, flag_findings.c.code)).all()
    outcome_codes = [o.value for o in OutcomeType]
    outcomes_seen = {r.outcome for r in recs}
    return [
        cross_table(
            "records_by_borough_year",
            "Records by borough and year",
            "borough",
            ((r.borough, r.year) for r in recs),
            shared_total="records",
            description="All records of all sources by borough and the year the event occurred "
            "(boroughs down the side, so that the table fits a printed page).",
        ),
        one_way(
            "records_by_type",
            "Records by record type",
            "record type",
            (r.record_type for r in recs),
            categories=[t.value for t in RecordType],
            column="records",
            shared_total="records",
            description="All records by what they are (crime, incident, referral, ...).",
        ),
        cross_table(
            "records_by_source_flag",
            "Records by source and CSE flag status",
            "source",
            ((r.source, _flag_status(r.cse_flag)) for r in recs),
            rows=[s for s in source_order if any(r.source == s for r in recs)],
            cols=FLAG_STATUSES,
            shared_total="records",
            description="The source system's own CSE flag as recorded on each record.",
        ),
        one_way(
            "records_by_outcome",
            "Crime records by outcome type",
            "outcome type",
            (r.outcome for r in recs if r.outcome),
            categories=[c for c in outcome_codes if c in outcomes_seen],
            column="records",
            description="Home Office outcome type of records that have one (crimes).",
        ),
        one_way(
            "records_by_typology",
            "Records by typology",
            "typology",
            (str(row.label) for row in labels if int(row.record_id) in by_id),
            categories=[t.value for t in Typology],
            column="records",
            total=False,
            description="Records carrying each typology label; a record may carry several, "
            "so the rows do not add up and no total is published.",
        ),
        cross_table(
            "findings_by_source",
            "Records with flag findings by source",
            "source",
            (
                (by_id[int(f.record_id)].source, str(f.code))
                for f in findings
                if int(f.record_id) in by_id
            ),
            rows=[s for s in source_order if any(r.source == s for r in recs)],
            cols=[c.value for c in FindingCode],
            row_totals=False,
            description="Records with each flag-consistency finding. A record may have "
            "several findings, so only column totals are published.",
        ),
    ]


def _span_band(first: dt.date | None, last: dt.date | None) -> str:
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        return UNKNOWN
    years = (last - first).days / 365.25
    if years < 1:
        return GROUP_SPAN_BANDS[0]
    if years < 3:
        return GROUP_SPAN_BANDS[1]
    return GROUP_SPAN_BANDS[2] if years < 6 else GROUP_SPAN_BANDS[3]


def _size_band(size: int) -> str:
    if size <= 2:
        return GROUP_SIZE_BANDS[0]
    if size <= 4:
        return GROUP_SIZE_BANDS[1]
    return GROUP_SIZE_BANDS[2] if size <= 9 else GROUP_SIZE_BANDS[3]


def _borough_band(raw: str | None) -> str:
    boroughs = [b for b in from_json(raw, []) if b]
    if not boroughs:
        return UNKNOWN
    return GROUP_BOROUGH_BANDS[min(len(set(boroughs)), 3) - 1]


def group_tables(conn: Connection) -> list[CountTable]:
    """Offender groups by size, time span and number of boroughs (each totals to all groups)."""
    rows = conn.execute(
        select(groups.c.size, groups.c.first_seen, groups.c.last_seen, groups.c.boroughs).where(
            groups.c.active.is_(True)
        )
    ).all()
    return [
        one_way(
            "groups_by_size",
            "Offender groups by size",
            "members",
            (_size_band(int(g.size)) for g in rows),
            categories=GROUP_SIZE_BANDS,
            column="groups",
            shared_total="groups",
            description="Detected offender groups by their number of members.",
        ),
        one_way(
            "groups_by_span",
            "Offender groups by time span",
            "first to last record",
            (_span_band(g.first_seen, g.last_seen) for g in rows),
            categories=GROUP_SPAN_BANDS,
            column="groups",
            shared_total="groups",
            description="Time from a group's first to its last record.",
        ),
        one_way(
            "groups_by_boroughs",
            "Offender groups by boroughs spanned",
            "boroughs",
            (_borough_band(g.boroughs) for g in rows),
            categories=GROUP_BOROUGH_BANDS,
            column="groups",
            shared_total="groups",
            description="Number of boroughs a group's records fall in.",
        ),
    ]


def review_tables(conn: Connection) -> tuple[list[CountTable], list[tuple[str, str]]]:
    """Review items by status, decisions by outcome, indicators by code; second-review pairs."""
    items = conn.execute(
        select(review_items.c.status).where(review_items.c.active.is_(True))
    ).scalars()
    decided = conn.execute(
        select(decisions.c.id, decisions.c.review_item_id, decisions.c.kind, decisions.c.outcome)
        .where(
            decisions.c.kind.in_([DecisionKind.DECISION.value, DecisionKind.SECOND_REVIEW.value])
        )
        .order_by(decisions.c.id)
    ).all()
    codes = conn.execute(select(indicators.c.code)).scalars()
    latest_first: dict[int, str] = {}
    pairs: list[tuple[str, str]] = []
    for d in decided:
        if d.kind == DecisionKind.DECISION.value:
            latest_first[int(d.review_item_id)] = str(d.outcome or UNKNOWN)
        elif int(d.review_item_id) in latest_first:
            pairs.append((latest_first[int(d.review_item_id)], str(d.outcome or UNKNOWN)))
    tables = [
        one_way(
            "review_items_by_status",
            "Review items by status",
            "status",
            (str(s) for s in items),
            categories=[s.value for s in ReviewStatus],
            column="items",
            description="Where each item of the review queue stands in the workflow.",
        ),
        one_way(
            "decisions_by_outcome",
            "Review decisions by outcome",
            "outcome",
            (str(d.outcome or UNKNOWN) for d in decided if d.kind == DecisionKind.DECISION.value),
            categories=[o.value for o in DecisionOutcome],
            column="decisions",
            description="Reviewers' decisions (each decision recorded, including revised ones).",
        ),
        one_way(
            "indicators_by_code",
            "Missed-opportunity indicators by code",
            "indicator",
            (str(c) for c in codes),
            categories=[c.value for c in IndicatorCode],
            column="indicators",
            description="Indicators raised by the review stage, by code.",
        ),
    ]
    return tables, pairs


def collect_statistics(
    conn: Connection, source_names: dict[int, tuple[str, str]], recs: list[RecordRow]
) -> StatisticsInput:
    """Every statistics table of the report as true counts."""
    order = sorted(name for name, _ in source_names.values())
    tables = record_tables(conn, recs, order) + group_tables(conn)
    review, pairs = review_tables(conn)
    tables += review
    return StatisticsInput(tables={t.name: t for t in tables}, agreement_pairs=pairs)
