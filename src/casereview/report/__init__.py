"""Reports: aggregate statistics under disclosure control, data quality, charts, transparency report.

`build_report(engine, out_dir, ...)` is the entry point; `disclosure` holds the rules every
published number passes through.
"""

from __future__ import annotations

from casereview.report.disclosure import CountTable, DisclosureRule, ProtectedTable, protect
from casereview.report.stage import ReportResult, build_report

__all__ = [
    "CountTable",
    "DisclosureRule",
    "ProtectedTable",
    "ReportResult",
    "build_report",
    "protect",
]
