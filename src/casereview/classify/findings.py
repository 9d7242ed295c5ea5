"""Flag-consistency findings: where a source's own CSE flag and the evidence disagree.

- F-MISS-01 `missing_cse_flag`: the record's evidence indicates CSE (`cse_likely`) and its
  source did not flag it, on a record type whose source carries a CSE flag.
- F-WRONG-01 `wrong_cse_flag`: flagged CSE while the evidence does not indicate CSE (for
  example criminal exploitation only, flagged CSE before a separate CCE flag existed).
- F-PLA-01/02 `police_la_mismatch`: for the same resolved child, the local authority recorded a
  CSE concern and no police record flagged CSE within the window, or the reverse.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from casereview.classify.facts import RecordFact
from casereview.classify.rules import Labels
from casereview.model.codes import ConcernFactor, FindingCode, SourceKind, Typology

__all__ = ["Finding", "FindingParams", "find_flag_findings"]


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
    flag_record_types: tuple[str, ...] = ("crime", "incident")


def _la_concern(fact: RecordFact) -> bool:
    return bool(fact.cse_flag) or ConcernFactor.CSE.value in fact.factors


def find_flag_findings(
    facts: dict[int, RecordFact], labels: dict[int, Labels], params: FindingParams
) -> list[Finding]:
    """Every flag finding, sorted by record id and code."""
    found: list[Finding] = []
    flagged_kinds = {(f.source_id, f.record_type) for f in facts.values() if f.cse_flag is not None}
    for rid in sorted(facts):
        fact = facts[rid]
        if fact.record_type not in params.flag_record_types:
            continue
        if (fact.source_id, fact.record_type) not in flagged_kinds:
            continue  # this source does not carry a CSE flag on this kind of record
        cse = labels.get(rid, {}).get(Typology.CSE_LIKELY)
        person = _first_person(fact)
        if cse is not None and not fact.cse_flag:
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
        if cse is None and fact.cse_flag:
            found.append(
                Finding(
                    rid,
                    FindingCode.WRONG_CSE_FLAG.value,
                    person,
                    {
                        "rule": "F-WRONG-01",
                        "cse_flag": True,
                        "factors": sorted(fact.factors),
                        "offence": fact.offence or None,
                    },
                )
            )
    found.extend(_police_la_mismatch(facts, params))
    found.sort(key=lambda f: (f.record_id, f.code))
    return found


def _first_person(fact: RecordFact) -> int | None:
    people = fact.victims() or fact.suspects()
    return next((m.person_id for m in people if m.person_id is not None), None)


def _police_la_mismatch(facts: dict[int, RecordFact], params: FindingParams) -> list[Finding]:
    """F-PLA-01 (LA concern, no police CSE record) and F-PLA-02 (the reverse)."""
    police: dict[int, list[RecordFact]] = defaultdict(list)
    council: dict[int, list[RecordFact]] = defaultdict(list)
    for fact in facts.values():
        if fact.occurred_at is None:
            continue
        if fact.source_kind == SourceKind.POLICE.value and fact.cse_flag:
            for v in fact.victims():
                if v.person_id is not None:
                    police[v.person_id].append(fact)
        elif fact.source_kind == SourceKind.LOCAL_AUTHORITY.value and _la_concern(fact):
            for v in fact.victims():
                if v.person_id is not None:
                    council[v.person_id].append(fact)
    window = params.police_la_window_days
    found: list[Finding] = []
    seen: set[tuple[int, str]] = set()

    def near(day: Any, others: list[RecordFact]) -> list[int]:
        return sorted(
            o.record_id
            for o in others
            if o.occurred_at is not None and abs((o.occurred_at - day).days) <= window
        )

    for person, records in sorted(council.items()):
        for fact in records:
            if near(fact.occurred_at, police.get(person, [])) or (fact.record_id, "la") in seen:
                continue
            seen.add((fact.record_id, "la"))
            found.append(
                Finding(
                    fact.record_id,
                    FindingCode.POLICE_LA_MISMATCH.value,
                    person,
                    {
                        "rule": "F-PLA-01",
                        "child": person,
                        "la_concern": True,
                        "police_cse_records_in_window": [],
                        "window_days": window,
                    },
                )
            )
    for person, records in sorted(police.items()):
        for fact in records:
            ages = [v.age for v in fact.victims() if v.person_id == person]
            if any(a is not None and a >= 18 for a in ages):
                continue
            if near(fact.occurred_at, council.get(person, [])) or (fact.record_id, "p") in seen:
                continue
            seen.add((fact.record_id, "p"))
            found.append(
                Finding(
                    fact.record_id,
                    FindingCode.POLICE_LA_MISMATCH.value,
                    person,
                    {
                        "rule": "F-PLA-02",
                        "child": person,
                        "police_cse_flag": True,
                        "la_cse_records_in_window": [],
                        "window_days": window,
                    },
                )
            )
    return found
