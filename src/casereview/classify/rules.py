"""The typology rules: explicit, versioned, each with an id, a definition and its inputs.

`classify_records` applies every rule to every record and returns, per record, the labels
that fired with their strength, the rule ids and the evidence (rule id -> values, mention ids,
record ids). Rules read structured facts (roles, ages at the event, relationships, addresses,
location types, online identifiers, factor codes, resolved suspects across records) and the
text indicators of `classify.lexicon`. No protected characteristic is an input.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from casereview.classify.facts import MentionFact, RecordFact
from casereview.classify.lexicon import IndicatorHit, find_indicators
from casereview.model.codes import ConcernFactor, LocationType, RecordType, Typology

__all__ = [
    "FAMILY_WORDS",
    "RULES",
    "RULES_VERSION",
    "STAFF_WORDS",
    "Label",
    "Rule",
    "RuleParams",
    "classify_records",
]

RULES_VERSION = "2026.12.3"

FAMILY_WORDS = frozenset(
    {
        "father",
        "mother",
        "stepfather",
        "step-father",
        "stepmother",
        "step-mother",
        "brother",
        "sister",
        "sibling",
        "half-sister",
        "stepsister",
        "step-sister",
        "stepbrother",
        "step-brother",
        "half-brother",
        "uncle",
        "aunt",
        "cousin",
        "grandfather",
        "grandmother",
        "mother's partner",
        "father's partner",
        "mum's partner",
        "dad's partner",
        "family member",
        "relative",
        "son",
        "nephew",
    }
)
STAFF_WORDS = frozenset(
    {
        "carer",
        "residential carer",
        "care worker",
        "support worker",
        "teacher",
        "teaching assistant",
        "coach",
        "youth worker",
        "staff",
        "member of staff",
        "staff member",
        "tutor",
        "instructor",
    }
)
PEER_WORDS = frozenset({"schoolmate", "classmate", "peer", "school friend"})
PEER_MAX_AGE = 19
INSTITUTION_TYPES = frozenset(
    {LocationType.CARE_HOME.value, LocationType.SCHOOL.value, LocationType.YOUTH_CLUB.value}
)
# T-CSE-02 needs a sexual word in the offence: "Child cruelty", "child abduction" and "cruelty
# to children" mention children without being sexual offences, and are not CSE.
_SEXUAL_OFFENCE = re.compile(
    r"(?<!\w)(?:sex\w*|rape|indecen\w+|penetration|grooming|prostitution|pornograph\w*)(?!\w)",
    re.I,
)
_EXPLOITATION_OFFENCE = re.compile(
    r"(?<!\w)(?:sexual(?:ly)? exploit\w*|sexual grooming)(?!\w)", re.I
)
_CHILD_OFFENCE = re.compile(
    r"(?<!\w)(?:child|children|child's|girl|boy|minor|under 1[368]|familial)(?!\w)", re.I
)
_ONLINE_OFFENCE = re.compile(
    r"(?<!\w)(?:sexual communication|indecent (?:photographs|images)|watch a sexual act)(?!\w)",
    re.I,
)
# A street name a record gives its one suspect ("Subject known as 'Rico'"), and any name a
# criminal-exploitation narrative quotes ("holding them for 'Rico'"): T-GANG-01.
_KNOWN_AS = re.compile(r"(?<!\w)(?:known as|calls himself|goes by)\s+'([^'\n]{1,30})'", re.I)
_QUOTED = re.compile(r"(?<![\w'])'([^'\n]{1,30})'(?![\w'])")
_CCE_OFFENCE = re.compile(
    r"(?<!\w)(?:supply of class a|intent to supply|criminal exploitation|county lines?)(?!\w)",
    re.I,
)


def _child_sex_offence(fact: RecordFact) -> bool:
    """A sexual offence against a child, or an exploitation offence, by its title: a sexual word
    and a child word ("Sexual activity with a child"), or sexual exploitation or grooming named
    ("Trafficking for sexual exploitation"). A sexual offence whose title names no child
    ("Sexual assault on a female") is abuse the narrative or context must show to be CSE."""
    offence = fact.offence
    if _EXPLOITATION_OFFENCE.search(offence):
        return True
    return bool(_SEXUAL_OFFENCE.search(offence) and _CHILD_OFFENCE.search(offence))


@dataclass(frozen=True)
class Rule:
    """A typology rule as documented in docs/rules.md."""

    id: str
    label: str
    strength: float
    definition: str
    inputs: str


RULES: tuple[Rule, ...] = (
    Rule(
        "T-CSE-01",
        Typology.CSE_LIKELY,
        0.9,
        "The record carries the CSE concern factor",
        "records.factors",
    ),
    Rule(
        "T-CSE-02",
        Typology.CSE_LIKELY,
        0.8,
        "The offence title names a sexual offence against a child (a sexual word and a child "
        "word) or sexual exploitation or grooming",
        "records.offence",
    ),
    Rule(
        "T-CSE-03",
        Typology.CSE_LIKELY,
        0.0,
        "Text indicators of exploitation in the narrative (weights in the lexicon)",
        "records.narrative",
    ),
    Rule(
        "T-CSE-04",
        Typology.CSE_LIKELY,
        0.3,
        "The record's child is the victim in a CSE-likely record with suspects, around the time",
        "mentions.role, mention_person, records.occurred_at",
    ),
    Rule(
        "T-GRP-01",
        Typology.GROUP_BASED,
        1.0,
        "Two or more distinct resolved suspects in the record",
        "mentions.role, mention_person",
    ),
    Rule(
        "T-GRP-02",
        Typology.GROUP_BASED,
        0.9,
        "A suspect co-offends with others in other CSE-likely records (associated persons)",
        "mentions.role, mention_person, classifications across records",
    ),
    Rule(
        "T-GRP-03",
        Typology.GROUP_BASED,
        0.8,
        "The victim is linked to two or more distinct suspects across CSE-likely records",
        "mentions.role, mention_person across records",
    ),
    Rule(
        "T-GRP-04",
        Typology.GROUP_BASED,
        0.6,
        "The narrative describes several males acting together",
        "records.narrative",
    ),
    Rule(
        "T-GANG-01",
        Typology.GANG_ASSOCIATED,
        0.8,
        "Group-based, and a co-offender is a suspect in a criminal-exploitation record, named"
        " there or by the street name the record quotes when one man of the borough is"
        ' "known as" it within 730 days (not an initial)',
        "co-offender component, records.factors, records.offence, records.narrative,"
        " records.borough, records.occurred_at",
    ),
    Rule(
        "T-GANG-02",
        Typology.GANG_ASSOCIATED,
        0.7,
        "Group-based, and the record carries the gangs factor",
        "records.factors",
    ),
    Rule(
        "T-INT-01",
        Typology.INTRA_FAMILIAL,
        1.0,
        "A suspect's relationship to the victim is a family one",
        "mentions.relationship",
    ),
    Rule(
        "T-INT-02",
        Typology.INTRA_FAMILIAL,
        0.8,
        "A suspect's address (or postcode, when an address is missing) is the victim's",
        "mentions.address, mentions.postcode",
    ),
    Rule(
        "T-PEER-01",
        Typology.PEER_ON_PEER,
        1.0,
        "A suspect is under 18 at the event",
        "mentions.age_at_event, mentions.dob",
    ),
    Rule(
        "T-PEER-02",
        Typology.PEER_ON_PEER,
        0.6,
        "The narrative describes a peer and no suspect is known to be an adult",
        "records.narrative, mentions.age_at_event",
    ),
    Rule(
        "T-INS-01",
        Typology.INSTITUTIONAL,
        1.0,
        "A suspect's relationship is a staff role (carer, teacher, coach)",
        "mentions.relationship",
    ),
    Rule(
        "T-INS-02",
        Typology.INSTITUTIONAL,
        0.8,
        "The place is a care home, school or youth club and an adult non-family suspect is named",
        "locations.location_type, mentions.age_at_event",
    ),
    Rule(
        "T-INS-03",
        Typology.INSTITUTIONAL,
        0.7,
        "The narrative names a member of staff of the child's institution",
        "records.narrative",
    ),
    Rule(
        "T-ONL-01",
        Typology.ONLINE_FACILITATED,
        1.0,
        "The place of the offence is online",
        "locations.location_type",
    ),
    Rule(
        "T-ONL-02",
        Typology.ONLINE_FACILITATED,
        0.8,
        "An online identifier is attached to the record (not intelligence)",
        "record_objects, objects.kind",
    ),
    Rule(
        "T-ONL-03",
        Typology.ONLINE_FACILITATED,
        0.7,
        "The narrative or offence describes online contact",
        "records.narrative, records.offence",
    ),
    Rule(
        "T-ONL-04",
        Typology.ONLINE_FACILITATED,
        0.8,
        "The record carries the online-harm concern factor",
        "records.factors",
    ),
    Rule(
        "T-LONE-01",
        Typology.LONE_OFFENDER,
        0.8,
        "One adult suspect with no known associates, not family, staff or a peer",
        "mentions.role, mention_person, co-offender component",
    ),
    Rule(
        "T-CTX-01",
        "*",
        0.9,
        "A record without suspects (missing episode, referral) takes the organisation labels of "
        "the CSE-likely records of its child around the time",
        "mentions.role, mention_person, records.occurred_at",
    ),
    Rule(
        "T-CTX-02",
        Typology.ONLINE_FACILITATED,
        0.7,
        "A record with suspects whose child has a CSE-likely record around the time carrying "
        "the online-harm factor",
        "records.factors, mentions.role, mention_person, records.occurred_at",
    ),
    Rule(
        "T-CTX-03",
        Typology.ONLINE_FACILITATED,
        0.7,
        "An intelligence report whose subject is a suspect, around the time, in a CSE-likely "
        "record that shows online contact itself (T-ONL-01 to T-ONL-04)",
        "records.record_type, mentions.role, mention_person, records.occurred_at, "
        "online_facilitated of the subject's records",
    ),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
ORGANISATION = (
    Typology.GROUP_BASED,
    Typology.GANG_ASSOCIATED,
    Typology.INTRA_FAMILIAL,
    Typology.PEER_ON_PEER,
    Typology.INSTITUTIONAL,
    Typology.ONLINE_FACILITATED,
    Typology.LONE_OFFENDER,
)


@dataclass(frozen=True)
class RuleParams:
    """Thresholds of the rules (from ClassifySettings)."""

    cse_threshold: float = 0.5
    context_days_before: int = 60
    context_days_after: int = 120
    subject_context_days: int = 730


@dataclass
class Label:
    """A label that fired on a record."""

    strength: float = 0.0
    rule_ids: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    def fire(self, rule_id: str, evidence: Any, strength: float | None = None) -> None:
        if rule_id not in self.rule_ids:
            self.rule_ids.append(rule_id)
        self.evidence[rule_id] = evidence
        self.strength = max(
            self.strength, RULES_BY_ID[rule_id].strength if strength is None else strength
        )


Labels = dict[str, Label]


def _person_key(m: MentionFact) -> str:
    """A resolved person id, or the mention itself when link left it unresolved."""
    return f"p{m.person_id}" if m.person_id is not None else f"m{m.mention_id}"


def _combine(weights: list[float]) -> float:
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - w
    return round(1.0 - remaining, 4)


@dataclass
class _Own:
    """What a record says about itself, before looking across records."""

    hits: list[IndicatorHit]
    cse: Label
    cce: list[str]


def _own_evidence(fact: RecordFact) -> _Own:
    hits = find_indicators(fact.narrative)
    cce = [h.matched for h in hits if h.kind == "cce"]
    if ConcernFactor.CCE.value in fact.factors:
        cce.append("factor:cce")
    if _CCE_OFFENCE.search(fact.offence):
        cce.append(f"offence:{fact.offence}")
    label = Label()
    weights: list[float] = []
    if ConcernFactor.CSE.value in fact.factors:
        label.fire("T-CSE-01", ["cse"])
        weights.append(RULES_BY_ID["T-CSE-01"].strength)
    if fact.offence and _child_sex_offence(fact) and not _CCE_OFFENCE.search(fact.offence):
        label.fire("T-CSE-02", fact.offence)
        weights.append(RULES_BY_ID["T-CSE-02"].strength)
    sexual = any(h.kind == "cse_sexual" for h in hits)
    # Grooming signs (older males, cash, lifts) also describe criminal exploitation: with CCE
    # evidence and nothing sexual they do not count towards CSE.
    text = [h for h in hits if h.kind.startswith("cse") or h.kind in ("group", "online")]
    if cce and not sexual:
        text = []
    if text:
        weights.extend(h.weight for h in text)
        label.fire("T-CSE-03", {h.id: h.matched for h in text}, 0.0)
    label.strength = _combine(weights)
    return _Own(hits=hits, cse=label, cce=cce)


class _Components:
    """Union-find over person keys: co-offenders in CSE-likely records."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def classify_records(facts: dict[int, RecordFact], params: RuleParams) -> dict[int, Labels]:
    """Every label that fires on every record (records with none are absent)."""
    own = {rid: _own_evidence(f) for rid, f in sorted(facts.items())}
    cse_own = {rid for rid, o in own.items() if o.cse.strength >= params.cse_threshold}

    # Across records: co-offenders, victims' suspects, suspects of criminal exploitation.
    comps = _Components()
    victim_suspects: dict[str, set[str]] = defaultdict(set)
    victim_context: dict[str, list[tuple[dt.date | None, int]]] = defaultdict(list)
    cce_suspects: set[str] = set()
    for rid in sorted(facts):
        fact = facts[rid]
        suspects = sorted({_person_key(m) for m in fact.suspects()})
        if own[rid].cce and not any(h.kind == "cse_sexual" for h in own[rid].hits):
            cce_suspects.update(suspects)
        if rid not in cse_own or not suspects:
            continue
        for s in suspects:
            comps.find(s)
        for a, b in pairwise(suspects):
            comps.union(a, b)
        for v in fact.victims():
            victim_suspects[_person_key(v)].update(suspects)
            victim_context[_person_key(v)].append((fact.occurred_at, rid))
    cce_suspects |= _street_named_cce(facts, own, params)
    comp_members: dict[str, set[str]] = defaultdict(set)
    for key in list(comps.parent):
        comp_members[comps.find(key)].add(key)

    result: dict[int, Labels] = {}
    for rid in sorted(facts):
        fact = facts[rid]
        labels: Labels = {}
        cse = own[rid].cse
        if not fact.suspects():
            context = _context_records(fact, victim_context, params)
            if context:
                cse.fire("T-CSE-04", {"records": context}, 0.0)
                cse.strength = _combine([cse.strength, RULES_BY_ID["T-CSE-04"].strength])
        if cse.strength < params.cse_threshold:
            continue
        labels[Typology.CSE_LIKELY] = cse
        if ConcernFactor.ONLINE.value in fact.factors:
            labels.setdefault(Typology.ONLINE_FACILITATED, Label()).fire("T-ONL-04", ["online"])
        if fact.suspects():
            _organisation(
                fact, own[rid], labels, comps, comp_members, victim_suspects, cce_suspects
            )
        result[rid] = labels
    # A record with suspects takes online_facilitated from a CSE-likely record of its child,
    # around the time, that carries the online-harm factor (social care recorded online harm).
    online_context: dict[str, list[tuple[dt.date | None, int]]] = defaultdict(list)
    for rid in result:
        if ConcernFactor.ONLINE.value in facts[rid].factors:
            for v in facts[rid].victims():
                online_context[_person_key(v)].append((facts[rid].occurred_at, rid))
    for rid, labels in result.items():
        fact = facts[rid]
        if not fact.suspects() or Typology.ONLINE_FACILITATED in labels:
            continue
        online = _context_records(fact, online_context, params)
        if online:
            labels.setdefault(Typology.ONLINE_FACILITATED, Label()).fire(
                "T-CTX-02", {"records": online}
            )
    _online_subjects(facts, result, params)
    # Inherit organisation labels for records without suspects, from their context records.
    for labels in result.values():
        context = labels[Typology.CSE_LIKELY].evidence.get("T-CSE-04", {}).get("records", [])
        for ctx_id in context:
            source = result.get(ctx_id, {})
            for name, label in source.items():
                if name == Typology.CSE_LIKELY:
                    continue
                if name == Typology.PEER_ON_PEER and Typology.GROUP_BASED in source:
                    # One young member of a group makes that crime peer-involved; the child's
                    # exploitation as a whole (what a referral or an episode is about) is the
                    # group's.
                    continue
                inherited = labels.setdefault(name, Label())
                previous = inherited.evidence.get("T-CTX-01", {"records": []})
                inherited.fire(
                    "T-CTX-01",
                    {"records": sorted({*previous["records"], ctx_id})},
                    round(label.strength * RULES_BY_ID["T-CTX-01"].strength, 4),
                )
    return result


def _is_cce(own: _Own) -> bool:
    """Criminal-exploitation evidence and nothing sexual (a county-lines record)."""
    return bool(own.cce) and not any(h.kind == "cse_sexual" for h in own.hits)


def _street_named_cce(
    facts: dict[int, RecordFact], own: dict[int, _Own], params: RuleParams
) -> set[str]:
    """Men a county-lines record names by a street name only: the child "holding them for
    'Rico'" runs for the man another record of the same borough calls "known as 'Rico'" as
    its one suspect (an intelligence subject), within `subject_context_days`, when that name
    there and then is one man's and more than an initial. He is a suspect of criminal
    exploitation like the men the county-lines records name outright."""
    named: dict[tuple[str, str], list[tuple[dt.date, str]]] = defaultdict(list)
    for rid, fact in facts.items():
        keys = {_person_key(m) for m in fact.suspects()}
        if len(keys) != 1 or _is_cce(own[rid]) or not fact.borough or not fact.occurred_at:
            continue
        (key,) = keys
        for name in _KNOWN_AS.findall(fact.narrative or ""):
            named[(fact.borough, name.strip().lower())].append((fact.occurred_at, key))
    found: set[str] = set()
    for rid, fact in facts.items():
        if not _is_cce(own[rid]) or not fact.borough or not fact.occurred_at:
            continue
        for name in _QUOTED.findall(fact.narrative or ""):
            name = name.strip().lower()
            if len(name) < 2:  # an initial ('J') tells one man apart from nobody
                continue
            men = {
                key
                for when, key in named.get((fact.borough, name), [])
                if abs((fact.occurred_at - when).days) <= params.subject_context_days
            }
            if len(men) == 1:  # two men of the borough go by it: the line named neither
                found |= men
    return found


_OWN_ONLINE = frozenset({"T-ONL-01", "T-ONL-02", "T-ONL-03", "T-ONL-04"})


def _online_subjects(
    facts: dict[int, RecordFact], result: dict[int, Labels], params: RuleParams
) -> None:
    """T-CTX-03: an intelligence report about a man who offends online is about online
    exploitation. Intelligence rarely says how the subject meets children, and a handle on the
    report is no evidence (group members have handles too: T-ONL-02 skips intelligence); his
    own CSE-likely records that show online contact themselves do say it."""
    online_suspects: dict[str, list[tuple[dt.date | None, int]]] = defaultdict(list)
    for rid, labels in result.items():
        online = labels.get(Typology.ONLINE_FACILITATED)
        if online is None or not _OWN_ONLINE & set(online.rule_ids):
            continue
        for key in {_person_key(m) for m in facts[rid].suspects()}:
            online_suspects[key].append((facts[rid].occurred_at, rid))
    for rid, labels in result.items():
        fact = facts[rid]
        if fact.record_type != RecordType.INTELLIGENCE.value:
            continue
        if Typology.ONLINE_FACILITATED in labels or fact.occurred_at is None:
            continue
        found = sorted(
            {
                other
                for key in {_person_key(m) for m in fact.suspects()}
                for when, other in online_suspects.get(key, [])
                if other != rid
                and when is not None
                and abs((fact.occurred_at - when).days) <= params.subject_context_days
            }
        )
        if found:
            labels.setdefault(Typology.ONLINE_FACILITATED, Label()).fire(
                "T-CTX-03", {"records": found}
            )


def _context_records(
    fact: RecordFact,
    victim_context: dict[str, list[tuple[dt.date | None, int]]],
    params: RuleParams,
) -> list[int]:
    found: set[int] = set()
    day = fact.occurred_at
    for v in fact.victims():
        for when, other in victim_context.get(_person_key(v), []):
            if other == fact.record_id:
                continue
            if day is None or when is None:
                continue
            delta = (day - when).days
            if -params.context_days_before <= delta <= params.context_days_after:
                found.add(other)
    return sorted(found)


def _organisation(
    fact: RecordFact,
    own: _Own,
    labels: Labels,
    comps: _Components,
    comp_members: dict[str, set[str]],
    victim_suspects: dict[str, set[str]],
    cce_suspects: set[str],
) -> None:
    """Organisation labels of a CSE-likely record with suspects."""
    suspects = fact.suspects()
    victims = fact.victims()
    keys = sorted({_person_key(m) for m in suspects})
    hit_ids = {h.id: h.matched for h in own.hits}
    kinds = {h.kind for h in own.hits}

    def label(name: str) -> Label:
        return labels.setdefault(name, Label())

    if len(keys) >= 2:
        label(Typology.GROUP_BASED).fire("T-GRP-01", {"suspects": [m.mention_id for m in suspects]})
    associates: set[str] = set()
    for k in keys:
        associates |= comp_members.get(comps.find(k), {k})
    if len(associates) >= 2 and len(keys) < 2:
        label(Typology.GROUP_BASED).fire("T-GRP-02", {"associates": sorted(associates)})
    linked = set()
    for v in victims:
        linked |= victim_suspects.get(_person_key(v), set())
    if len(linked) >= 2 and linked - set(keys):
        label(Typology.GROUP_BASED).fire("T-GRP-03", {"suspects": sorted(linked)})
    if "group" in kinds and Typology.GROUP_BASED in labels:
        label(Typology.GROUP_BASED).fire("T-GRP-04", {"X-GRP-01": hit_ids.get("X-GRP-01")})
    if Typology.GROUP_BASED in labels:
        gang = sorted((associates | set(keys)) & cce_suspects)
        if gang:
            label(Typology.GANG_ASSOCIATED).fire("T-GANG-01", {"cce_suspects": gang})
        if ConcernFactor.GANGS.value in fact.factors:
            label(Typology.GANG_ASSOCIATED).fire("T-GANG-02", ["gangs"])

    family = [m for m in suspects if (m.relationship or "").lower() in FAMILY_WORDS]
    if family:
        label(Typology.INTRA_FAMILIAL).fire(
            "T-INT-01", {str(m.mention_id): m.relationship for m in family}
        )
    shared = [m.mention_id for m in suspects if any(_same_home(m, v) for v in victims)]
    if shared:
        label(Typology.INTRA_FAMILIAL).fire("T-INT-02", {"suspects": shared})

    young = [m for m in suspects if m.age is not None and m.age < 18]
    adults = [m for m in suspects if m.age is not None and m.age >= 18]
    # Without a victim on the record (intelligence) there is no peer to compare with: a young
    # subject named among adults is one member of an adult group, not peer-on-peer abuse.
    if young and (victims or not adults):
        label(Typology.PEER_ON_PEER).fire("T-PEER-01", {str(m.mention_id): m.age for m in young})
    else:
        # A peer described in words or by relationship ("schoolmate"), when no suspect is more
        # than a year past 18: a schoolmate who has just turned 18 is still the child's peer.
        peer_rel = [m for m in suspects if (m.relationship or "") in PEER_WORDS]
        near_peer = all(m.age is None or m.age <= PEER_MAX_AGE for m in suspects)
        if ("peer" in kinds or peer_rel) and near_peer:
            label(Typology.PEER_ON_PEER).fire(
                "T-PEER-02",
                {
                    "X-PEER-01": hit_ids.get("X-PEER-01"),
                    "relationship": {str(m.mention_id): m.relationship for m in peer_rel},
                },
            )

    staff = [m for m in suspects if (m.relationship or "").lower() in STAFF_WORDS]
    if staff:
        label(Typology.INSTITUTIONAL).fire(
            "T-INS-01", {str(m.mention_id): m.relationship for m in staff}
        )
    places = sorted(fact.location_types & INSTITUTION_TYPES)
    if places and not family and Typology.PEER_ON_PEER not in labels:
        adult_staff = [m.mention_id for m in adults]
        if adult_staff:
            label(Typology.INSTITUTIONAL).fire(
                "T-INS-02", {"places": places, "suspects": adult_staff}
            )
    if "staff" in kinds:
        label(Typology.INSTITUTIONAL).fire("T-INS-03", {"X-STAFF-01": hit_ids.get("X-STAFF-01")})

    if LocationType.ONLINE.value in fact.location_types:
        label(Typology.ONLINE_FACILITATED).fire("T-ONL-01", {"places": ["online"]})
    if fact.online_ids and fact.record_type != RecordType.INTELLIGENCE.value:
        label(Typology.ONLINE_FACILITATED).fire("T-ONL-02", {"objects": sorted(fact.online_ids)})
    online_offence = _ONLINE_OFFENCE.search(fact.offence or "")
    if "online" in kinds or online_offence:
        label(Typology.ONLINE_FACILITATED).fire(
            "T-ONL-03",
            {
                "X-ONL-01": hit_ids.get("X-ONL-01"),
                "offence": fact.offence if online_offence else None,
            },
        )

    exclusive = (
        Typology.GROUP_BASED,
        Typology.INTRA_FAMILIAL,
        Typology.PEER_ON_PEER,
        Typology.INSTITUTIONAL,
    )
    if len(keys) == 1 and not any(name in labels for name in exclusive):
        label(Typology.LONE_OFFENDER).fire("T-LONE-01", {"suspect": keys[0]})


def _same_home(suspect: MentionFact, victim: MentionFact) -> bool:
    if suspect.address and victim.address:
        return suspect.address == victim.address
    return bool(suspect.postcode and suspect.postcode == victim.postcode)
