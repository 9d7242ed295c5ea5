"""Evidence and priority reasons as sentences a reviewer reads, never raw JSON or internal ids.

Every stage stores its evidence as JSON naming records, persons and groups by id. Here each
is turned into sentences whose parts link to what they name: a record by its source
reference, a person by name, a group by number. A record or person the actor may not open
is named as such, without a link or a name. The key names the stages write are read
generically (any key naming records, persons, groups or dates), so a new piece of evidence
reads as a sentence without a change here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, or_, select

from casereview.classify.lexicon import INDICATORS
from casereview.classify.rules import RULES_BY_ID
from casereview.ingest.views import RecordRef, record_refs
from casereview.link.views import mention_names, person_mention_counts
from casereview.model.codes import SubjectType
from casereview.model.serial import from_json
from casereview.model.tables import classifications, flag_findings, indicators, persons
from casereview.store.access import Actor
from casereview.store.views import code_definition, code_label

__all__ = [
    "EvidenceItem",
    "Part",
    "Sentence",
    "SubjectEvidence",
    "priority_reasons",
    "subject_evidence",
]

# Evidence keys that name records, persons, groups (by id); anything else is a value.
RECORD_KEYS = {
    "record": "record",
    "records": "records",
    "episodes": "missing episodes",
    "later_records": "later records",
    "exploitation_records": "exploitation records around it",
    "crime_records": "crime records",
    "linked_records": "records linked by the source",
    "police_cse_records_in_window": "police CSE records in the window",
}
PERSON_KEYS = {"persons": "persons", "victims": "victims", "child": "child", "person": "person"}
GROUP_KEYS = {"groups": "groups", "group": "group"}
MENTION_KEYS = {"partner_mention", "suspects", "mentions", "mention"}
SKIPPED_KEYS = {"rule"}  # named in the item's heading
_TEXT_RULES = {ind.id: ind.definition for ind in INDICATORS}


@dataclass(frozen=True)
class Part:
    """A piece of a sentence; `href` when it names something the reader may open."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Sentence:
    parts: list[Part]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)


@dataclass(frozen=True)
class EvidenceItem:
    """One indicator, finding or typology label, with its evidence as sentences."""

    kind: str  # "indicator", "finding" or "typology"
    code: str
    label: str
    definition: str
    sentences: list[Sentence]
    strength: float | None = None


@dataclass(frozen=True)
class SubjectEvidence:
    """Everything derived about a record or a group, as sentences."""

    typology: list[EvidenceItem] = field(default_factory=list)
    findings: list[EvidenceItem] = field(default_factory=list)
    indicators: list[EvidenceItem] = field(default_factory=list)


class _Names:
    """Ids named in evidence, resolved in one query per kind for the actor."""

    def __init__(self) -> None:
        self.records: set[int] = set()
        self.persons: set[int] = set()
        self.record_refs: dict[int, RecordRef] = {}
        self.person_names: dict[int, str | None] = {}
        self.person_visible: set[int] = set()
        self.mentions: set[int] = set()
        self.mention_names: dict[int, str] = {}

    def collect(self, evidence: Any) -> None:
        if isinstance(evidence, list):
            for x in evidence:
                self.collect(x)
            return
        if not isinstance(evidence, dict):
            return
        for key, value in evidence.items():
            if key in RECORD_KEYS:
                self.records.update(_ids(value))
            elif key in PERSON_KEYS:
                self.persons.update(_ids(value))
            elif key in MENTION_KEYS:
                self.mentions.update(_ids(value))
            elif key.isdigit():
                self.mentions.add(int(key))
            else:
                self.collect(value)

    def resolve(self, conn: Connection, actor: Actor) -> None:
        self.record_refs = record_refs(conn, actor, self.records)
        if self.persons:
            ids = sorted(self.persons)
            rows = conn.execute(
                select(persons.c.id, persons.c.display_name).where(persons.c.id.in_(ids))
            )
            self.person_names = {int(r.id): r.display_name for r in rows}
            self.person_visible = set(person_mention_counts(conn, actor, ids))
        if self.mentions:
            self.mention_names = mention_names(conn, actor, self.mentions)

    def mention(self, mid: int) -> str:
        return self.mention_names.get(mid, "a person named in a record outside your work")

    def record(self, rid: int) -> Part:
        ref = self.record_refs.get(rid)
        if ref is None:
            return Part("a record no longer in the store")
        when = f" ({ref.occurred_at.isoformat()})" if ref.occurred_at else ""
        if not ref.visible:
            return Part(f"a {code_label(ref.record_type).lower()} outside your work{when}")
        return Part(f"{ref.source_ref}{when}", f"/records/{rid}")

    def person(self, pid: int) -> Part:
        if pid not in self.person_visible:
            return Part("a person outside your work")
        return Part(self.person_names.get(pid) or f"person {pid}", f"/persons/{pid}")


def _ids(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
    return []


def _joined(parts: list[Part], sep: str = ", ") -> list[Part]:
    out: list[Part] = []
    for i, p in enumerate(parts):
        if i:
            out.append(Part(sep))
        out.append(p)
    return out


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)} {_value(k, v)}" for k, v in sorted(value.items()))
    if key == "outcome" or key == "factors":
        return code_label(value).lower() if not str(value)[:1].isdigit() else code_label(value)
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        try:
            return dt.date.fromisoformat(value).strftime("%-d %B %Y")
        except ValueError:
            return value
    return str(value)


def _words(key: str) -> str:
    return key.replace("_", " ")


def _facts(evidence: dict[str, Any], names: _Names) -> list[Sentence]:
    """One sentence per fact of one firing: records and persons as links, values as text."""
    out: list[Sentence] = []
    for key in sorted(evidence):
        value = evidence[key]
        if key in SKIPPED_KEYS or value in (None, [], {}):
            continue
        if key in RECORD_KEYS:
            ids = _ids(value)
            label = RECORD_KEYS[key]
            parts = _joined([names.record(r) for r in ids])
            out.append(Sentence([Part(f"{label[:1].upper()}{label[1:]}: "), *parts, Part(".")]))
        elif key in PERSON_KEYS:
            parts = _joined([names.person(p) for p in _ids(value)])
            label = PERSON_KEYS[key]
            out.append(Sentence([Part(f"{label[:1].upper()}{label[1:]}: "), *parts, Part(".")]))
        elif key in MENTION_KEYS:
            named = ", ".join(names.mention(m) for m in _ids(value))
            out.append(Sentence([Part(f"{_words(key)[:1].upper()}{_words(key)[1:]}: {named}.")]))
        elif key in GROUP_KEYS:
            parts = _joined([Part(f"group {g}", f"/groups/{g}") for g in _ids(value)])
            out.append(Sentence([Part("Offender group: "), *parts, Part(".")]))
        else:
            text = f"{_words(key)[:1].upper()}{_words(key)[1:]}: {_value(key, value)}."
            out.append(Sentence([Part(text)]))
    return out


def _indicator_sentences(evidence: Any, names: _Names) -> list[Sentence]:
    if not isinstance(evidence, dict):
        return []
    out: list[Sentence] = []
    fired = evidence.get("fired")
    for firing in fired if isinstance(fired, list) else []:
        if isinstance(firing, dict):
            out.extend(_facts(firing, names))
    rest = {k: v for k, v in evidence.items() if k != "fired"}
    out.extend(_facts(rest, names))
    return out


def _typology_fact(key: str, value: Any, names: _Names) -> list[Part]:
    """One fact of a typology rule's evidence as sentence parts."""
    if key.startswith("X-"):
        return [Part(f"the narrative says \u201c{value}\u201d ({_TEXT_RULES.get(key, key)})")]
    if key in RECORD_KEYS:
        return [Part(f"{RECORD_KEYS[key]} "), *_joined([names.record(r) for r in _ids(value)])]
    if key in PERSON_KEYS:
        return [Part(f"{PERSON_KEYS[key]} "), *_joined([names.person(p) for p in _ids(value)])]
    if key.isdigit():
        return [Part(f"{names.mention(int(key))}: {_value(key, value)}")]
    if key in MENTION_KEYS:
        return [Part(f"{_words(key)} "), *_joined([Part(names.mention(m)) for m in _ids(value)])]
    return [Part(f"{_words(key)} {_value(key, value)}")]


def _typology_sentences(evidence: Any, names: _Names) -> list[Sentence]:
    """Per rule: its definition, then what in the record made it fire."""
    if not isinstance(evidence, dict):
        return []
    out: list[Sentence] = []
    for rule_id in sorted(evidence):
        rule = RULES_BY_ID.get(rule_id)
        head = f"{rule.definition} ({rule_id})" if rule else rule_id
        value = evidence[rule_id]
        parts = [Part(f"{head}: ")]
        if isinstance(value, dict) and value:
            facts = [
                _typology_fact(k, v, names) for k, v in sorted(value.items()) if v not in ({}, [])
            ]
            for i, fact in enumerate(facts):
                parts += ([Part("; ")] if i else []) + fact
        elif isinstance(value, list):
            parts.append(Part(", ".join(code_label(v).lower() for v in value) or "yes"))
        else:
            parts.append(Part(_value(rule_id, value)))
        parts.append(Part("."))
        out.append(Sentence(parts))
    return out


def subject_evidence(
    conn: Connection, actor: Actor, subject_type: SubjectType | str, subject_id: int
) -> SubjectEvidence:
    """The typology, flag findings and indicators of a record (or a group's indicators), as
    sentences. Access to the subject itself is the caller's check (its view function's)."""
    kind = SubjectType(subject_type)
    rows_t: list[Any] = []
    rows_f: list[Any] = []
    if kind == SubjectType.RECORD:
        rows_t = list(
            conn.execute(
                select(classifications)
                .where(classifications.c.record_id == subject_id)
                .order_by(classifications.c.strength.desc(), classifications.c.label)
            )
        )
        rows_f = list(
            conn.execute(
                select(flag_findings)
                .where(flag_findings.c.record_id == subject_id)
                .order_by(flag_findings.c.code)
            )
        )
        own = or_(
            indicators.c.record_id == subject_id,
            (indicators.c.subject_type == kind.value) & (indicators.c.subject_id == subject_id),
        )
    else:
        own = (indicators.c.subject_type == kind.value) & (indicators.c.subject_id == subject_id)
    rows_i = list(conn.execute(select(indicators).where(own).order_by(indicators.c.code)))
    parsed = {
        "t": [(r, from_json(r.evidence, {})) for r in rows_t],
        "f": [(r, from_json(r.evidence, {})) for r in rows_f],
        "i": [(r, from_json(r.evidence, {})) for r in rows_i],
    }
    names = _Names()
    for group in parsed.values():
        for _row, ev in group:
            names.collect(ev)
    names.resolve(conn, actor)
    return SubjectEvidence(
        typology=[
            EvidenceItem(
                "typology",
                r.label,
                code_label(r.label),
                code_definition(r.label),
                _typology_sentences(ev, names),
                float(r.strength),
            )
            for r, ev in parsed["t"]
        ],
        findings=[
            EvidenceItem(
                "finding",
                r.code,
                code_label(r.code),
                code_definition(r.code),
                _facts(ev, names) if isinstance(ev, dict) else [],
            )
            for r, ev in parsed["f"]
        ],
        indicators=_unique(
            EvidenceItem(
                "indicator",
                r.code,
                code_label(r.code),
                code_definition(r.code),
                _indicator_sentences(ev, names),
            )
            for r, ev in parsed["i"]
        ),
    )


def _unique(items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    """One item per code and evidence (a record indicator is stored once per person)."""
    seen: dict[tuple[str, str], EvidenceItem] = {}
    for item in items:
        key = (item.code, "|".join(s.text for s in item.sentences))
        seen.setdefault(key, item)
    return list(seen.values())


def priority_reasons(conn: Connection, actor: Actor, breakdown: dict[str, Any]) -> list[Sentence]:
    """Why an item ranks where it does: one sentence per term of its score, with the points."""
    out: list[Sentence] = []
    refs: dict[int, RecordRef] = {}
    also_records = {
        int(c["also_on"]["subject_id"])
        for c in breakdown.get("contributions", [])
        if isinstance(c.get("also_on"), dict) and c["also_on"].get("subject_type") == "record"
    }
    if also_records:
        refs = record_refs(conn, actor, also_records)
    for term in breakdown.get("contributions", []):
        code = str(term.get("code", ""))
        points = float(term.get("points", 0.0))
        kind = {"indicator": "Indicator", "finding": "Finding", "classification": "Typology"}.get(
            str(term.get("kind")), "Term"
        )
        parts = [Part(f"{kind} \u201c{code_label(code)}\u201d ({code_definition(code) or code}): ")]
        if term.get("kind") == "classification" and term.get("strength") is not None:
            parts.append(Part(f"strength {float(term['strength']):.2f}, "))
        parts.append(Part(f"{points:+g} points"))
        also = term.get("also_on")
        if isinstance(also, dict):
            parts.append(
                Part(
                    f" ({float(term.get('factor', 0)):g} of its {float(term.get('weight', 0)):g}:"
                    " the same opportunity counts in full on ",
                )
            )
            sid = int(also.get("subject_id", 0))
            if also.get("subject_type") == "group":
                parts.append(Part(f"group {sid}", f"/groups/{sid}"))
            else:
                ref = refs.get(sid)
                if ref is not None and ref.visible:
                    parts.append(Part(ref.source_ref, f"/records/{sid}"))
                else:
                    parts.append(Part("a record outside your work"))
            parts.append(Part(")"))
        parts.append(Part("."))
        out.append(Sentence(parts))
    total = breakdown.get("total")
    if total is not None:
        out.append(Sentence([Part(f"Priority {float(total):g} in all.")]))
    return out
