"""Reports: aggregate statistics under disclosure control, data quality, charts, transparency report."""

from __future__ import annotations

from casereview.report.disclosure import CountTable, DisclosureRule, ProtectedTable, protect

__all__ = ["CountTable", "DisclosureRule", "ProtectedTable", "protect"]
