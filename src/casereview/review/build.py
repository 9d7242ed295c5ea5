"""The review stage: recompute indicators, then upsert the review queue without touching human work.

Indicators are derived output and are replaced on every run. Review items are keyed by
(subject_type, subject_id), where subjects are records (stable ids) and groups (stable ids):

- a subject with indicators, flag findings or a cse_likely classification, and every active
  group, has an item; a new one starts `new`, in the team its borough maps to
  (`review.team_by_borough`), else `review.default_team`, else no team (a supervisor allocates);
- an existing item keeps its status, team, assignee, decisions and notes; its score and
  breakdown are brought up to date, and when its evidence changed (the evidence hash differs)
  on an item a human has touched, `needs_another_look` is set and the change is audited; a
  record withdrawn from its source's export (ingest) is such a change, and its item is
  flagged for another look whoever touched it;
- an item whose subject no longer has anything to review is marked inactive, never deleted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from casereview.model.codes import AuditAction, ReviewStatus, SubjectType
from casereview.model.serial import canonical_json, content_hash
from casereview.model.tables import indicators, review_items, teams
from casereview.review.context import ReviewContext, load_context
from casereview.review.indicators import Indicator, compute_indicators, group_indicators
from casereview.review.triage import lead_factors, score
from casereview.review.workflow import OBJECT_TYPE
from casereview.settings import ReviewSettings, get_settings
from casereview.store import audit
from casereview.store.runs import RunContext, stage_run, utc_now

__all__ = ["ReviewResult", "build_review"]

STAGE = "review"


@dataclass(frozen=True)
class ReviewResult:
    """What a build did: its run, counts, and indicators by code."""

    run_id: int
    counts: dict[str, int]
    indicators: dict[str, int] = field(default_factory=dict)


@dataclass
class _Subject:
    subject_type: str
    subject_id: int
    priority: float
    breakdown: dict[str, Any]
    evidence_hash: str
    borough: str | None
    withdrawn: bool = False  # the record was withdrawn from its source's export


def build_review(
    engine: Engine, *, actor: str = "cli", settings: ReviewSettings | None = None
) -> ReviewResult:
    """Run the review stage in one stage run (one transaction) and return what it did."""
    s = settings or get_settings().review
    with stage_run(engine, STAGE, s.model_dump(), actor=actor) as run:
        ctx = load_context(run.conn, s)
        record_inds = compute_indicators(ctx, s)
        group_inds = group_indicators(ctx, record_inds)
        _replace_indicators(run, record_inds, group_inds)
        subjects = _subjects(ctx, record_inds, group_inds, s)
        counts = _upsert_items(run, subjects, _team_ids(run, s))
        by_code = Counter(i.code.value for i in record_inds)
        run.counts.update(counts)
        run.counts["indicators"] = len(record_inds)
        run.counts["group_indicators"] = len(group_inds)
        for code, n in sorted(by_code.items()):
            run.counts[f"indicator.{code}"] = n
        return ReviewResult(run.run_id, dict(run.counts), dict(sorted(by_code.items())))
    raise AssertionError("unreachable")  # pragma: no cover


def _replace_indicators(
    run: RunContext, record_inds: list[Indicator], group_inds: list[Indicator]
) -> None:
    run.conn.execute(delete(indicators))
    rows = [_indicator_row(i, SubjectType.RECORD, i.record_id, run.run_id) for i in record_inds]
    rows += [_indicator_row(i, SubjectType.GROUP, min(i.group_ids), run.run_id) for i in group_inds]
    if rows:
        run.conn.execute(insert(indicators), rows)


def _indicator_row(
    ind: Indicator, subject_type: SubjectType, subject_id: int, run_id: int
) -> dict[str, Any]:
    return {
        "code": ind.code.value,
        "subject_type": subject_type.value,
        "subject_id": subject_id,
        "record_id": ind.record_id,
        "person_id": min(ind.person_ids) if ind.person_ids else None,
        "group_id": min(ind.group_ids) if ind.group_ids else None,
        "evidence": canonical_json(ind.evidence_json()),
        "run_id": run_id,
    }


def _subjects(
    ctx: ReviewContext,
    record_inds: list[Indicator],
    group_inds: list[Indicator],
    s: ReviewSettings,
) -> list[_Subject]:
    """Every subject that should have an active item, with its score and evidence hash."""
    by_record: dict[int, list[Indicator]] = defaultdict(list)
    for ind in record_inds:
        by_record[ind.record_id].append(ind)
    record_ids = sorted(
        (set(by_record) | set(ctx.findings) | set(ctx.cse_strength)) & set(ctx.records)
    )
    base = {
        rid: score(by_record.get(rid, []), ctx.findings.get(rid, []), ctx.cse_strength.get(rid), s)[
            0
        ]
        for rid in by_record
    }
    repeated = lead_factors(record_inds, group_inds, base)
    out: list[_Subject] = []
    for rid in record_ids:
        inds = by_record.get(rid, [])
        findings = ctx.findings.get(rid, [])
        strength = ctx.cse_strength.get(rid)
        priority, breakdown = score(inds, findings, strength, s, repeated.get(rid))
        evidence: dict[str, Any] = {
            "indicators": [[i.code.value, i.evidence_json()] for i in inds],
            "findings": sorted(set(findings)),
            "cse_likely": strength,
        }
        if ctx.records[rid].withdrawn:
            evidence["withdrawn"] = True
        facts = ctx.records[rid]
        subject = _Subject(
            "record", rid, priority, breakdown, content_hash(evidence), facts.borough
        )
        subject.withdrawn = facts.withdrawn
        out.append(subject)
    by_group: dict[int, list[Indicator]] = defaultdict(list)
    for ind in group_inds:
        for gid in ind.group_ids:
            by_group[gid].append(ind)
    for gid in sorted(ctx.group_boroughs):
        inds = by_group.get(gid, [])
        priority, breakdown = score(inds, [], None, s)
        evidence = {
            "indicators": [[i.code.value, i.evidence_json()] for i in inds],
            "offenders": sorted(ctx.group_offenders.get(gid, ())),
        }
        boroughs = ctx.group_boroughs[gid]
        out.append(
            _Subject(
                "group",
                gid,
                priority,
                breakdown,
                content_hash(evidence),
                boroughs[0] if boroughs else None,
            )
        )
    return out


def _team_ids(run: RunContext, s: ReviewSettings) -> tuple[int | None, dict[str, int]]:
    """(default team id, borough -> team id) from the settings' team names."""
    by_name = {str(n): int(i) for i, n in run.conn.execute(select(teams.c.id, teams.c.name))}
    missing = sorted(
        {n for n in [s.default_team, *s.team_by_borough.values()] if n and n not in by_name}
    )
    if missing:
        run.note(f"teams named in review settings do not exist (items stay unallocated): {missing}")
    default = by_name.get(s.default_team) if s.default_team else None
    boroughs = {b: by_name[t] for b, t in s.team_by_borough.items() if t in by_name}
    return default, boroughs


def _upsert_items(
    run: RunContext, subjects: list[_Subject], team_ids: tuple[int | None, dict[str, int]]
) -> dict[str, int]:
    conn = run.conn
    default_team, by_borough = team_ids
    existing = {
        (str(r.subject_type), int(r.subject_id)): r
        for r in conn.execute(
            select(
                review_items.c.id,
                review_items.c.subject_type,
                review_items.c.subject_id,
                review_items.c.status,
                review_items.c.evidence_hash,
                review_items.c.active,
                review_items.c.priority,
                review_items.c.score_breakdown,
            )
        )
    }
    now = utc_now()
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    counts = Counter[str]()
    for subj in subjects:
        key = (subj.subject_type, subj.subject_id)
        breakdown = canonical_json(subj.breakdown)
        row = existing.pop(key, None)
        if row is None:
            team = by_borough.get(subj.borough or "", default_team)
            new_rows.append(
                {
                    "subject_type": subj.subject_type,
                    "subject_id": subj.subject_id,
                    "team_id": team,
                    "status": ReviewStatus.NEW.value,
                    "priority": subj.priority,
                    "score_breakdown": breakdown,
                    "evidence_hash": subj.evidence_hash,
                    "needs_another_look": False,
                    "second_review": False,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        touched = row.status != ReviewStatus.NEW.value
        changed = row.evidence_hash != subj.evidence_hash
        # A record withdrawn since the last build: another look, whether or not anyone has
        # worked on its item yet.
        touched = touched or (changed and subj.withdrawn)
        if not changed and row.active and row.score_breakdown == breakdown:
            counts["items_unchanged"] += 1
            continue
        values = {
            "b_id": row.id,
            "priority": subj.priority,
            "score_breakdown": breakdown,
            "evidence_hash": subj.evidence_hash,
            "active": True,
            "updated_at": now,
        }
        updates.append(values)
        counts["items_updated"] += 1
        if changed and touched:
            counts["items_needing_another_look"] += 1
            _flag(
                conn,
                int(row.id),
                run,
                "record_withdrawn" if subj.withdrawn else "evidence_changed",
                old=row.evidence_hash,
                new=subj.evidence_hash,
            )
        elif not row.active and touched:
            _audit(conn, int(row.id), run, "reactivated")
    if new_rows:
        conn.execute(insert(review_items), new_rows)
    if updates:
        conn.execute(
            update(review_items)
            .where(review_items.c.id == bindparam("b_id"))
            .values(
                priority=bindparam("priority"),
                score_breakdown=bindparam("score_breakdown"),
                evidence_hash=bindparam("evidence_hash"),
                active=bindparam("active"),
                updated_at=bindparam("updated_at"),
            ),
            updates,
        )
    gone = [r for r in existing.values() if r.active]
    for row in gone:
        if row.status != ReviewStatus.NEW.value:
            _audit(conn, int(row.id), run, "deactivated")
    if gone:
        conn.execute(
            update(review_items)
            .where(review_items.c.id.in_([int(r.id) for r in gone]))
            .values(active=False, updated_at=now)
        )
    counts["items_new"] = len(new_rows)
    counts["items_deactivated"] = len(gone)
    counts["items_active"] = len(subjects)
    return dict(counts)


def _flag(
    conn: Connection, item_id: int, run: RunContext, transition: str, *, old: str, new: str
) -> None:
    """Mark an item a human has worked on for another look, and audit why."""
    conn.execute(
        update(review_items).where(review_items.c.id == item_id).values(needs_another_look=True)
    )
    _audit(conn, item_id, run, transition, old_evidence_hash=old, new_evidence_hash=new)


def _audit(
    conn: Connection, item_id: int, run: RunContext, transition: str, **details: Any
) -> None:
    audit.append(
        conn,
        actor=run.actor,
        action=AuditAction.ALTER,
        object_type=OBJECT_TYPE,
        object_id=item_id,
        details={"transition": transition, "run_id": run.run_id, **details},
    )
