"""Flag-consistency findings: where a source's own CSE flag and the evidence disagree.

A record is flagged CSE by its source when its CSE flag is set or it carries the CSE concern
factor (a council's referral or assessment records the concern as a factor).

- F-MISS-01 `missing_cse_flag`: the record's evidence indicates CSE (`cse_likely`) and its
  source did not flag it, on a record type (`classify.flag_record_types`: crimes, incidents,
  referrals, assessments) whose source carries a CSE flag or factors.
- F-WRONG-01 `wrong_cse_flag`: flagged CSE while the evidence does not indicate CSE, or while
  its only CSE evidence is the flag itself and it describes criminal exploitation only (flagged
  CSE before a separate CCE flag existed).
- F-PLA-01/02 `police_la_mismatch`: both agencies hold a record of the same resolved child
  within the window; the local authority recorded a CSE concern and none of the police records
  in the window is flagged CSE (01), or the reverse (02). Written on both sides' records.
  A child one agency does not know at all is a review indicator instead
  (`la_concern_no_police_record`, `police_concern_no_la_record`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from casereview.classify.facts import RecordFact
from casereview.classify.lexicon import find_indicators
from casereview.classify.rules import Labels
from casereview.model.codes import ConcernFactor, FindingCode, SourceKind, Typology

__all__ = ["Finding", "FindingParams", "find_flag_findings", "flagged_cse"]


@dataclass(frozen=True)
class Finding:
    """One flag finding on one record."""

    record_id: int
    code: str
    person_id: int | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class FindingParams:
    """Settings of the findings (from ClassifySettings)."""

    police_la_window_days: int = 365
    flag_record_types: tuple[str, ...] = ("crime", "incident", "referral", "assessment")


def flagged_cse(fact: RecordFact) -> bool:
    """The source itself marked the record CSE: its CSE flag, or the CSE concern factor."""
    return bool(fact.cse_flag) or ConcernFactor.CSE.value in fact.factors


def _carries_flag(facts: dict[int, RecordFact]) -> set[tuple[int, str]]:
    """(source, record type) pairs whose records carry a CSE flag or concern factors at all."""
    return {
        (f.source_id, f.record_type) for f in facts.values() if f.cse_flag is not None or f.factors
    }


def _criminal_only(fact: RecordFact) -> list[str]:
    """CCE evidence of a record (factor, offence, words), when nothing in it is sexual."""
    hits = find_indicators(fact.narrative)
    if any(h.kind == "cse_sexual" for h in hits):
        return []
    found = [h.matched for h in hits if h.kind == "cce"]
    if ConcernFactor.CCE.value in fact.factors:
        found.append("factor:cce")
    return found


def find_flag_findings(
    facts: dict[int, RecordFact], labels: dict[int, Labels], params: FindingParams
) -> list[Finding]:
    """Every flag finding, sorted by record id and code."""
    found: list[Finding] = []
    carries = _carries_flag(facts)
    for rid in sorted(facts):
        fact = facts[rid]
        if fact.record_type not in params.flag_record_types:
            continue
        if (fact.source_id, fact.record_type) not in carries:
            continue  # this source does not carry a CSE flag on this kind of record
        cse = labels.get(rid, {}).get(Typology.CSE_LIKELY)
        person = _first_person(fact)
        flagged = flagged_cse(fact)
        if cse is not None and not flagged:
            found.append(
                Finding(
                    rid,
                    FindingCode.MISSING_CSE_FLAG.value,
                    person,
                    {
                        "rule": "F-MISS-01",
                        "cse_flag": fact.cse_flag,
                        "strength": cse.strength,
                        "cse_likely": cse.evidence,
                    },
                )
            )
        if not flagged:
            continue
        # The flag (or factor) is no evidence of itself: a record whose only CSE evidence is its
        # own CSE factor, and which describes criminal exploitation, is wrongly flagged too.
        own_only = cse is not None and set(cse.rule_ids) <= {"T-CSE-01"}
        criminal = _criminal_only(fact) if own_only else []
        if cse is None or criminal:
            found.append(
                Finding(
                    rid,
                    FindingCode.WRONG_CSE_FLAG.value,
                    person,
                    {
                        "rule": "F-WRONG-01",
                        "cse_flag": fact.cse_flag,
                        "factors": sorted(fact.factors),
                        "offence": fact.offence or None,
                        "criminal_exploitation": criminal,
                    },
                )
            )
    found.extend(_police_la_mismatch(facts, carries, params))
    found.sort(key=lambda f: (f.record_id, f.code))
    return found


def _first_person(fact: RecordFact) -> int | None:
    people = fact.victims() or fact.suspects()
    return next((m.person_id for m in people if m.person_id is not None), None)


def _children(fact: RecordFact) -> set[int]:
    """Resolved children the record is about, under 18 at the event when an age is known."""
    return {
        v.person_id
        for v in fact.victims()
        if v.person_id is not None and (v.age is None or v.age < 18)
    }


def _police_la_mismatch(
    facts: dict[int, RecordFact], carries: set[tuple[int, str]], params: FindingParams
) -> list[Finding]:
    """F-PLA-01/02: both agencies hold a record of the child within the window, one agency
    recorded a CSE concern and none of the other's records in the window did.

    Only records that can carry the concern count (a police kind that carries a CSE flag; any
    local-authority record). The finding is written on the concern record and on each of the
    other agency's records in the window, each naming the other side's records.
    """
    police: dict[int, list[RecordFact]] = defaultdict(list)
    council: dict[int, list[RecordFact]] = defaultdict(list)
    for fact in facts.values():
        if fact.occurred_at is None:
            continue
        if fact.source_kind == SourceKind.POLICE.value:
            if (fact.source_id, fact.record_type) not in carries:
                continue
            side = police
        elif fact.source_kind == SourceKind.LOCAL_AUTHORITY.value:
            side = council
        else:
            continue
        for pid in _children(fact):
            side[pid].append(fact)
    window = params.police_la_window_days
    marks: dict[int, Finding] = {}

    def mark(fact: RecordFact, rule: str, child: int, concern: bool, others: list[int]) -> None:
        held = marks.get(fact.record_id)
        if held is None:
            held = Finding(
                fact.record_id,
                FindingCode.POLICE_LA_MISMATCH.value,
                child,
                {"rule": rule, "child": child, "window_days": window, "records": []},
            )
            marks[fact.record_id] = held
        entry = {"child": child, "concern_here": concern, "other_agency_records": others}
        if entry not in held.evidence["records"]:
            held.evidence["records"].append(entry)

    for child in sorted(set(police) & set(council)):
        for mine, theirs, rule in (
            (council[child], police[child], "F-PLA-01"),
            (police[child], council[child], "F-PLA-02"),
        ):
            for fact in sorted(mine, key=lambda f: f.record_id):
                if not flagged_cse(fact):
                    continue
                day = fact.occurred_at
                assert day is not None
                near = [
                    o
                    for o in theirs
                    if o.occurred_at is not None and abs((o.occurred_at - day).days) <= window
                ]
                if not near or any(flagged_cse(o) for o in near):
                    continue
                near_ids = sorted(o.record_id for o in near)
                mark(fact, rule, child, True, near_ids)
                for other in near:
                    mark(other, rule, child, False, [fact.record_id])
    return [marks[r] for r in sorted(marks)]
