"""What the indicator rules produce: `Indicator` (one code on one record, with its persons,
groups and evidence) and `Found`, which collects the firings of every rule
(`indicators.RULES`, `agency_indicators`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from casereview.model.codes import IndicatorCode, MentionRole

__all__ = ["CHILD_ROLES", "Found", "Indicator"]

CHILD_ROLES = (MentionRole.VICTIM.value, MentionRole.SUBJECT.value)


@dataclass
class Indicator:
    """One indicator on one record (merged over the persons it fires for)."""

    code: IndicatorCode
    record_id: int
    person_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def evidence_json(self) -> dict[str, Any]:
        """The evidence as stored: persons, groups and each firing's records and values."""
        return {
            "persons": sorted(self.person_ids),
            "groups": sorted(self.group_ids),
            "fired": self.evidence,
        }


class Found:
    """Collects firings, merging those of one code on one record."""

    def __init__(self) -> None:
        self.items: dict[tuple[IndicatorCode, int], Indicator] = {}

    def add(
        self,
        code: IndicatorCode,
        record_id: int,
        person_id: int | None,
        evidence: dict[str, Any],
        groups: Iterable[int] = (),
    ) -> None:
        item = self.items.setdefault((code, record_id), Indicator(code, record_id))
        if person_id is not None:
            item.person_ids.add(person_id)
        item.group_ids.update(groups)
        if evidence not in item.evidence:
            item.evidence.append(evidence)
