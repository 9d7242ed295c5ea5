"""The classify stage: typology on every record and flag findings, in one stage run.

Replaces the `classifications` and `flag_findings` tables (and nothing else) inside one
transaction recorded in `runs`. Needs resolved persons: the cross-record rules count distinct
resolved suspects, so the stage refuses to run before link.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, delete, func, insert, select

from casereview.classify.facts import load_facts
from casereview.classify.findings import FindingParams, find_flag_findings
from casereview.classify.rules import RULES_VERSION, RuleParams, classify_records
from casereview.errors import StageError
from casereview.model.serial import canonical_json
from casereview.model.tables import classifications, flag_findings, mention_person, mentions
from casereview.settings import ClassifySettings, get_settings
from casereview.store.runs import stage_run

__all__ = ["ClassifyResult", "run_classify"]

_BATCH = 5000


@dataclass(frozen=True)
class ClassifyResult:
    """What a classify run produced."""

    run_id: int
    records: int
    classified: int
    labels: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)


def require_link(conn: Connection) -> None:
    """Raise StageError unless link has resolved the store's mentions."""
    has_mentions = conn.execute(select(func.count()).select_from(mentions)).scalar_one()
    resolved = conn.execute(select(func.count()).select_from(mention_person)).scalar_one()
    if has_mentions and not resolved:
        raise StageError("no resolved persons: run `casereview link` before this stage")


def run_classify(
    engine: Engine, *, actor: str = "cli", settings: ClassifySettings | None = None
) -> ClassifyResult:
    """Classify every record and find flag inconsistencies; replace this stage's tables."""
    cfg = settings or get_settings().classify
    params = {"rules_version": RULES_VERSION, **cfg.model_dump()}
    with stage_run(engine, "classify", params, actor=actor) as run:
        conn = run.conn
        require_link(conn)
        facts = load_facts(conn)
        labels = classify_records(
            facts,
            RuleParams(
                cse_threshold=cfg.cse_threshold,
                context_days_before=cfg.context_days_before,
                context_days_after=cfg.context_days_after,
                subject_context_days=cfg.subject_context_days,
            ),
        )
        findings = find_flag_findings(
            facts,
            labels,
            FindingParams(
                police_la_window_days=cfg.police_la_window_days,
                flag_record_types=tuple(cfg.flag_record_types),
            ),
        )
        conn.execute(delete(flag_findings))
        conn.execute(delete(classifications))
        rows = [
            {
                "record_id": rid,
                "label": str(name),
                "strength": round(label.strength, 4),
                "rule_ids": canonical_json(label.rule_ids),
                "evidence": canonical_json(label.evidence),
                "rules_version": RULES_VERSION,
                "run_id": run.run_id,
            }
            for rid, found in sorted(labels.items())
            for name, label in sorted(found.items())
        ]
        for start in range(0, len(rows), _BATCH):
            conn.execute(insert(classifications), rows[start : start + _BATCH])
        finding_rows = [
            {
                "record_id": f.record_id,
                "code": f.code,
                "person_id": f.person_id,
                "evidence": canonical_json(f.evidence),
                "rules_version": RULES_VERSION,
                "run_id": run.run_id,
            }
            for f in findings
        ]
        for start in range(0, len(finding_rows), _BATCH):
            conn.execute(insert(flag_findings), finding_rows[start : start + _BATCH])
        label_counts = Counter(str(row["label"]) for row in rows)
        finding_counts = Counter(f.code for f in findings)
        run.counts.update({"records": len(facts), "classified": len(labels)})
        run.counts.update({f"label.{k}": v for k, v in sorted(label_counts.items())})
        run.counts.update({f"finding.{k}": v for k, v in sorted(finding_counts.items())})
        run.note(f"rules {RULES_VERSION}: {len(labels)} of {len(facts)} records labelled")
        return ClassifyResult(
            run.run_id, len(facts), len(labels), dict(label_counts), dict(finding_counts)
        )
