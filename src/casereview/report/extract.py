"""The records extract: what used to leave as "de-identified" record-level rows, as counts that
pass the report's disclosure control.

The web app's analyst export wrote one row per record (store id, type, year, borough, CSE
flag, outcome, typology): pseudonymised record-level data, not de-identified (on the
9,000-case world 1,846 of 4,431 rows were unique on type, year, borough, flag and outcome).
This extract publishes instead the number of records of each combination of those five
fields, through the same cell-key perturbation, threshold and rounding as the transparency
report (`disclosure.protect`): a combination with a perturbed count of 1 to
`suppress_below - 1` is `[c]`, every other count is rounded, the same combination is published
alike in every extract, and no total is published (so nothing can be differenced inside it).
Typology is left out: a record may carry several labels, so it is not a count of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from casereview.model.codes import AuditAction
from casereview.report.cellkey import MAX_PERTURBATION, load_cell_keys, perturb_table
from casereview.report.disclosure import SUPPRESSED_MARK, CountTable, DisclosureRule, protect
from casereview.report.statistics import load_records, load_sources
from casereview.settings import get_settings
from casereview.store import audit
from casereview.store.db import reading, writing
from casereview.store.exports import require_purpose, write_csv
from casereview.store.files import open_private

__all__ = ["EXTRACT_COLUMNS", "ExtractResult", "records_extract", "write_records_extract"]

EXTRACT_COLUMNS = ("record_type", "year", "borough", "cse_flag", "outcome", "records")
_SEP = "\x1f"


@dataclass(frozen=True)
class ExtractResult:
    rows: list[list[str]]  # header first
    combinations: int
    withheld: int


def _flag(flag: bool | None) -> str:
    return "not recorded" if flag is None else ("yes" if flag else "no")


def records_extract(engine: Engine, rule: DisclosureRule | None = None) -> ExtractResult:
    """Records by (type, year, borough, CSE flag, outcome), protected as the report is."""
    rule = rule or DisclosureRule.from_settings(get_settings().report)
    with reading(engine) as conn:
        recs = load_records(conn, load_sources(conn))
        keys = load_cell_keys(conn)
    counts: dict[str, int] = {}
    for r in recs:
        label = _SEP.join(
            (r.record_type, r.year, r.borough, _flag(r.cse_flag), r.outcome or "none")
        )
        counts[label] = counts.get(label, 0) + 1
    table = CountTable.one_way(
        "records_extract", "Records extract", "combination", sorted(counts.items()), total=False
    )
    protected = protect(table, rule, perturb_table(table, keys), perturbation=MAX_PERTURBATION)
    rows = [list(EXTRACT_COLUMNS)]
    for label, value in protected.column():
        rows.append([*label.split(_SEP), SUPPRESSED_MARK if value is None else str(value)])
    return ExtractResult(rows, len(counts), len(protected.suppressed))


def write_records_extract(
    engine: Engine,
    out: Path,
    *,
    purpose: str,
    recipient: str | None,
    actor: str,
    rule: DisclosureRule | None = None,
) -> ExtractResult:
    """Write the extract as CSV (0600) and audit it as a disclosure, with purpose and recipient."""
    stated = require_purpose(purpose)
    result = records_extract(engine, rule)
    out.parent.mkdir(parents=True, exist_ok=True)
    with writing(engine) as conn:
        with open_private(out) as handle:
            write_csv(handle, result.rows[0], result.rows[1:])
        audit.append(
            conn,
            actor=actor,
            action=AuditAction.DISCLOSE,
            object_type="export",
            object_id="records_extract",
            purpose=stated,
            recipient=recipient,
            details={
                "file": out.name,
                "columns": list(EXTRACT_COLUMNS),
                "combinations": result.combinations,
                "withheld": result.withheld,
                "disclosure_control": "cell key, threshold, rounding (as the report)",
            },
        )
    return result
