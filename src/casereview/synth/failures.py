"""Find every recording failure that holds in a chunk's exported data, by its exact rule.

The stories plant failures with the configured probabilities; this module then
reads the finished records (flags, outcomes, linked refs, dates and the objects
actually written) and lists each record where a code's condition really holds,
so truth/failures.csv is exact even where stories overlap. Each rule is written
out in docs/synthetic-data.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from casereview.model.codes import FindingCode, IndicatorCode, OutcomeType
from casereview.synth.entities import LA_CSC, MET_CRIME, MET_INTEL, MET_MISSING, Record, age_at
from casereview.synth.world import ChunkWorld

__all__ = ["PARTNER_WORDS", "WINDOW_DAYS", "find_failures"]

WINDOW_DAYS = 365  # police/LA agreement window and repeat-missing window
REFERRAL_GRACE_DAYS = 30  # a referral this long after a repeat episode still counts
ARREST_WINDOW_DAYS = 180  # "around the time" of exploitation for victim-as-suspect
PARTNER_WORDS = frozenset({"boyfriend", "girlfriend", "partner", "ex-partner"})
_CLOSED_CODES = frozenset({"14", "15", "16", "21"})

Row = tuple[str, str, str, str]  # source, record_ref, code, person_id
_Add = Callable[[str, str, str, str], None]


def _closed_without_charge(outcome: str) -> bool:
    return bool(outcome) and OutcomeType(outcome).closed_without_charge


def find_failures(world: ChunkWorld) -> list[Row]:
    """Every (source, record_ref, code, person_id) whose planted condition holds."""
    found: dict[Row, None] = {}

    def add(source: str, ref: str, code: str, pid: str) -> None:
        found[(source, ref, code, pid)] = None

    crimes = world.crimes
    victim_of: dict[str, list[Record]] = defaultdict(list)
    suspect_in: dict[str, list[Record]] = defaultdict(list)
    in_any_crime: set[str] = set()
    for rec in crimes:
        for m in rec.mentions:
            in_any_crime.add(m.person.pid)
            if m.role == "V":
                victim_of[m.person.pid].append(rec)
            elif m.role == "S":
                suspect_in[m.person.pid].append(rec)
    la_of: dict[str, list[Record]] = defaultdict(list)
    for rec in world.referrals:
        la_of[rec.mentions[0].person.pid].append(rec)
    group_offenders = {p.pid for _, offenders, _ in world.groups for p in offenders}

    # Flags.
    for rec in crimes:
        people = rec.of_role("V") or rec.of_role("S")
        pid = people[0].pid if people else ""
        if rec.is_cse and rec.cse_flag != "Y":
            add(MET_CRIME, rec.ref, FindingCode.MISSING_CSE_FLAG.value, pid)
        if not rec.is_cse and rec.cse_flag == "Y":
            add(MET_CRIME, rec.ref, FindingCode.WRONG_CSE_FLAG.value, pid)

    # Police and local authority disagreeing about the same child.
    window = timedelta(days=WINDOW_DAYS)
    for rec in world.referrals:
        if not rec.cse_concern:
            continue
        kid = rec.mentions[0].person
        day = rec.when.date()
        flagged = [
            c
            for c in victim_of[kid.pid]
            if c.cse_flag == "Y" and abs(c.when.date() - day) <= window
        ]
        if not flagged:
            add(LA_CSC, rec.ref, FindingCode.POLICE_LA_MISMATCH.value, kid.pid)
        if kid.pid not in in_any_crime:
            add(LA_CSC, rec.ref, IndicatorCode.LA_CONCERN_NO_POLICE_RECORD.value, kid.pid)
    for rec in crimes:
        if rec.cse_flag != "Y":
            continue
        day = rec.when.date()
        for kid in rec.of_role("V"):
            if age_at(kid.birth, day) >= 18:
                continue
            concern = [
                r for r in la_of[kid.pid] if r.cse_concern and abs(r.when.date() - day) <= window
            ]
            if not concern:
                add(MET_CRIME, rec.ref, FindingCode.POLICE_LA_MISMATCH.value, kid.pid)

    _missing_rules(world, victim_of, la_of, add)
    _suspect_rules(crimes, suspect_in, group_offenders, add)
    _people_rules(world, victim_of, add)
    _shared_objects(crimes, add)

    for rec in world.intel:
        for person in rec.of_role("subject"):
            refs = {c.ref for c in suspect_in.get(person.pid, [])}
            if refs and not refs.intersection(rec.linked):
                add(MET_INTEL, rec.ref, IndicatorCode.UNLINKED_INTELLIGENCE.value, person.pid)
    return list(found)


def _concerned_children(world: ChunkWorld, victim_of: dict[str, list[Record]]) -> set[str]:
    """Children with exploitation concerns a reader can see: CSE victim, CSE/CCE factor, CCE arrest."""
    pids = {pid for pid, recs in victim_of.items() if any(r.is_cse for r in recs)}
    for rec in world.referrals:
        if {"CSE", "CCE"} & set(rec.factors):
            pids.add(rec.mentions[0].person.pid)
    for rec in world.crimes:
        if rec.cce:
            pids.update(m.person.pid for m in rec.mentions if m.role == "S" and m.arrested)
    return pids


def _missing_rules(
    world: ChunkWorld, victim_of: dict[str, list[Record]], la_of: dict[str, list[Record]], add: _Add
) -> None:
    concerned = _concerned_children(world, victim_of)
    episodes: dict[str, list[Record]] = defaultdict(list)
    for rec in world.missing:
        episodes[rec.mentions[0].person.pid].append(rec)
    for pid, recs in episodes.items():
        if pid not in concerned or len(recs) < 3:
            continue
        ordered = sorted(recs, key=lambda r: (r.when, r.ref))
        for i, rec in enumerate(ordered):
            day = rec.when.date()
            in_window = [r for r in ordered[:i] if (day - r.when.date()).days <= WINDOW_DAYS]
            if len(in_window) < 2:
                continue
            add(MET_MISSING, rec.ref, IndicatorCode.REPEAT_MISSING.value, pid)
            first = in_window[0].when.date()
            last = day + timedelta(days=REFERRAL_GRACE_DAYS)
            if not any(first <= r.when.date() <= last for r in la_of.get(pid, [])):
                add(MET_MISSING, rec.ref, IndicatorCode.REPEAT_MISSING_NO_REFERRAL.value, pid)


def _suspect_rules(
    crimes: list[Record], suspect_in: dict[str, list[Record]], group_offenders: set[str], add: _Add
) -> None:
    for pid, recs in suspect_in.items():
        closed = [r for r in recs if _closed_without_charge(r.outcome)]
        if len(closed) >= 2:
            for rec in closed:
                if _component(rec, closed) != {r.ref for r in closed}:
                    add(MET_CRIME, rec.ref, IndicatorCode.UNLINKED_REPEAT_SUSPECT.value, pid)
        for rec in recs:
            if rec.outcome not in _CLOSED_CODES:
                continue
            later = any(other.when > rec.when for other in recs)
            if pid in group_offenders or later:
                add(MET_CRIME, rec.ref, IndicatorCode.CLOSED_DESPITE_GROUP_LINK.value, pid)


def _component(start: Record, records: list[Record]) -> set[str]:
    """Refs reachable from `start` through linked refs (either direction) within `records`."""
    refs = {r.ref for r in records}
    edges: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for other in r.linked:
            if other in refs:
                edges[r.ref].add(other)
                edges[other].add(r.ref)
    seen = {start.ref}
    todo = [start.ref]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _people_rules(world: ChunkWorld, victim_of: dict[str, list[Record]], add: _Add) -> None:
    for rec in world.crimes:
        day = rec.when.date()
        victims = rec.of_role("V")
        young = any(age_at(v.birth, day) < 16 for v in victims)
        for m in rec.mentions:
            if (
                young
                and m.role == "S"
                and m.relationship in PARTNER_WORDS
                and age_at(m.person.birth, day) >= 18
            ):
                add(MET_CRIME, rec.ref, IndicatorCode.AGE_GAP_PARTNER.value, m.person.pid)
            if m.role == "S" and age_at(m.person.birth, day) < 18:
                near = [
                    c
                    for c in victim_of.get(m.person.pid, [])
                    if c.is_cse and abs((c.when.date() - day).days) <= ARREST_WINDOW_DAYS
                ]
                if near:
                    add(
                        MET_CRIME,
                        rec.ref,
                        IndicatorCode.VICTIM_TREATED_AS_SUSPECT.value,
                        m.person.pid,
                    )
    for rec in world.referrals:
        day = rec.when.date()
        kid = rec.mentions[0].person
        if age_at(kid.birth, day) >= 16:
            continue
        for m in rec.mentions[1:]:
            if m.relationship in PARTNER_WORDS and age_at(m.person.birth, day) >= 18:
                add(LA_CSC, rec.ref, IndicatorCode.AGE_GAP_PARTNER.value, m.person.pid)


def _shared_objects(crimes: list[Record], add: _Add) -> None:
    """A vehicle, suspect phone or crime location written on records of two or more victims."""
    holders: dict[str, list[Record]] = defaultdict(list)
    for rec in crimes:
        keys: set[str] = set()
        if rec.place is not None and rec.place.address:  # not online, not inside a vehicle
            keys.add(f"place:{rec.place.key}")
        for m in rec.mentions:
            if m.vrm:
                keys.add(f"vrm:{m.vrm}")
            if m.phone and m.role == "S":
                keys.add(f"phone:{m.phone}")
        for key in sorted(keys):
            holders[key].append(rec)
    for recs in holders.values():
        victims = {v.pid for r in recs for v in r.of_role("V")}
        if len(victims) < 2:
            continue
        for rec in recs:
            for v in rec.of_role("V"):
                add(MET_CRIME, rec.ref, IndicatorCode.SHARED_OBJECT_ACROSS_VICTIMS.value, v.pid)
