"""Classify: one explicit typology on every record, and flag-consistency findings.

from casereview.classify import run_classify
result = run_classify(engine, actor="alice")
"""

from __future__ import annotations

from casereview.classify.rules import RULES, RULES_VERSION
from casereview.classify.stage import ClassifyResult, run_classify

__all__ = ["RULES", "RULES_VERSION", "ClassifyResult", "run_classify"]
