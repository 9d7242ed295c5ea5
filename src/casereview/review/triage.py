"""Triage: an explained priority score for each review item, and the queue that lists them.

priority = sum of the weights of the item's indicators (x repeat_indicator_factor for one
           already raised about the same person on a better-placed item, see `lead_factors`)
         + sum of the weights of its flag findings (classify stage)
         + cse_likely_weight x the record's cse_likely strength.

Each term is kept in `score_breakdown` so the queue shows why an item ranks where it does.
Only these inputs enter the score: protected characteristics never do (docs/indicators.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, false, or_, select

from casereview.model.codes import IndicatorCode, ReviewStatus, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import review_items, teams
from casereview.review.indicators import Indicator
from casereview.settings import ReviewSettings
from casereview.store.access import Actor, require_role
from casereview.store.db import reading

__all__ = ["AlsoOn", "QueueEntry", "lead_factors", "queue", "score"]

# Where a repeated indicator (same code, same persons) already counts in full: a subject.
AlsoOn = tuple[str, int]


def score(
    indicators: Iterable[Indicator],
    findings: Iterable[str],
    cse_strength: float | None,
    settings: ReviewSettings,
    also_on: dict[str, AlsoOn] | None = None,
) -> tuple[float, dict[str, Any]]:
    """(priority, breakdown): the weighted sum and the contribution of every term.

    `also_on` maps an indicator code to the item where the same missed opportunity (code and
    persons) already counts in full; here it counts `repeat_indicator_factor` of its weight.
    """
    contributions: list[dict[str, Any]] = []
    for ind in sorted(indicators, key=lambda i: i.code.value):
        weight = float(settings.indicator_weights.get(ind.code.value, 0.0))
        term: dict[str, Any] = {"kind": "indicator", "code": ind.code.value, "points": weight}
        lead = (also_on or {}).get(ind.code.value)
        if lead is not None:
            factor = settings.repeat_indicator_factor
            term.update(
                points=round(weight * factor, 6),
                weight=weight,
                factor=factor,
                also_on={"subject_type": lead[0], "subject_id": lead[1]},
            )
        contributions.append(term)
    for code in sorted(set(findings)):
        weight = float(settings.finding_weights.get(code, 0.0))
        contributions.append({"kind": "finding", "code": code, "points": weight})
    if cse_strength:
        points = round(settings.cse_likely_weight * cse_strength, 6)
        contributions.append(
            {
                "kind": "classification",
                "code": "cse_likely",
                "strength": cse_strength,
                "points": points,
            }
        )
    total = round(sum(c["points"] for c in contributions), 6)
    return total, {"total": total, "contributions": contributions}


def lead_factors(
    record_indicators: Iterable[Indicator],
    group_indicators: Iterable[Indicator],
    base_priority: dict[int, float],
) -> dict[int, dict[str, AlsoOn]]:
    """record id -> {code: where the same opportunity already counts} for repeated indicators.

    One missed opportunity (a code about one person) is often carried by several records: each
    missing episode of a repeat run, each closed crime of one suspect. It counts in full once,
    on its lead: the item of a detected group whose offender it is about and which carries the
    code, else the record with the highest priority before this step (ties: lowest id). On
    every other record it counts `repeat_indicator_factor` of its weight, so one case does not
    crowd the top of the queue and the distinct opportunities rank higher. An indicator leads
    when it leads for at least one of its persons; one about no resolved person always counts.
    """
    on_group: dict[tuple[str, int], int] = {}
    for g in group_indicators:
        for pid in g.person_ids:
            for gid in g.group_ids:
                key = (g.code.value, pid)
                on_group[key] = min(gid, on_group.get(key, gid))
    lead: dict[tuple[str, int], int] = {}
    inds = list(record_indicators)
    for ind in inds:
        for pid in ind.person_ids:
            key = (ind.code.value, pid)
            if key in on_group:
                continue
            best = lead.get(key)
            rank = (-base_priority.get(ind.record_id, 0.0), ind.record_id)
            if best is None or rank < (-base_priority.get(best, 0.0), best):
                lead[key] = ind.record_id
    out: dict[int, dict[str, AlsoOn]] = {}
    for ind in inds:
        if not ind.person_ids:
            continue
        elsewhere: AlsoOn | None = None
        for pid in sorted(ind.person_ids):
            key = (ind.code.value, pid)
            if key in on_group:
                elsewhere = elsewhere or ("group", on_group[key])
            elif lead[key] == ind.record_id:
                elsewhere = None
                break
            else:
                elsewhere = elsewhere or ("record", lead[key])
        if elsewhere is not None:
            out.setdefault(ind.record_id, {})[ind.code.value] = elsewhere
    return out


@dataclass(frozen=True)
class QueueEntry:
    """One line of the queue: the item, its state and why it ranks where it does."""

    item_id: int
    subject_type: str
    subject_id: int
    priority: float
    status: str
    team: str | None
    assigned_to: int | None
    needs_another_look: bool
    indicators: list[str]
    contributions: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def queue(
    engine: Engine,
    *,
    actor: Actor | None = None,
    team: str | None = None,
    status: ReviewStatus | str | None = None,
    indicator: str | None = None,
    include_inactive: bool = False,
    limit: int | None = 50,
) -> list[QueueEntry]:
    """Active items, highest priority first, filtered; what `actor` may see only.

    A reviewer sees their teams' items; a supervisor also the unallocated items (to allocate
    them). `actor=None` is the operator of the command line, who holds the store itself.
    """
    query = (
        select(
            review_items.c.id,
            review_items.c.subject_type,
            review_items.c.subject_id,
            review_items.c.priority,
            review_items.c.status,
            teams.c.name,
            review_items.c.assigned_to,
            review_items.c.needs_another_look,
            review_items.c.score_breakdown,
        )
        .outerjoin(teams, teams.c.id == review_items.c.team_id)
        .order_by(review_items.c.priority.desc(), review_items.c.id)
    )
    if actor is not None:
        require_role(actor, UserRole.REVIEWER, UserRole.SUPERVISOR)
        mine: ColumnElement[bool] = (
            review_items.c.team_id.in_(sorted(actor.team_ids)) if actor.team_ids else false()
        )
        if actor.role == UserRole.SUPERVISOR:
            mine = or_(mine, review_items.c.team_id.is_(None))
        query = query.where(mine)
    if not include_inactive:
        query = query.where(review_items.c.active.is_(True))
    if team is not None:
        query = query.where(teams.c.name == team)
    if status is not None:
        query = query.where(review_items.c.status == ReviewStatus(status).value)
    if indicator is not None:
        code = IndicatorCode(indicator).value
        # The breakdown is canonical JSON, so the code appears exactly as `"code":"<value>"`.
        query = query.where(
            review_items.c.score_breakdown.contains(f'"code":"{code}"', autoescape=True)
        )
    if limit is not None:
        query = query.limit(limit)
    with reading(engine) as conn:
        rows = conn.execute(query).all()
    entries = []
    for r in rows:
        breakdown = from_json(r.score_breakdown, {})
        contributions = list(breakdown.get("contributions", []))
        entries.append(
            QueueEntry(
                item_id=int(r.id),
                subject_type=str(r.subject_type),
                subject_id=int(r.subject_id),
                priority=float(r.priority),
                status=str(r.status),
                team=r.name,
                assigned_to=None if r.assigned_to is None else int(r.assigned_to),
                needs_another_look=bool(r.needs_another_look),
                indicators=[c["code"] for c in contributions if c.get("kind") == "indicator"],
                contributions=contributions,
            )
        )
    return entries
