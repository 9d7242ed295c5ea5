"""Planted failures: truth/failures.csv lists exactly what a reader can see in the exports."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from synthworld import World

from casereview.model.codes import FindingCode, IndicatorCode
from casereview.synth import FailureRates, SynthConfig, generate_world

CCE_OFFENCES = {
    "Possession with intent to supply class A",
    "Being concerned in the supply of class A",
    "Modern slavery - criminal exploitation",
}


def _failures(world: World, code: str) -> set[tuple[str, str]]:
    return {
        (r["record_ref"], r["person_id"])
        for r in world.csv("truth/failures.csv")
        if r["code"] == code
    }


def _committed(row: dict[str, str]) -> date:
    return datetime.strptime(row["committed_date"], "%d/%m/%Y %H:%M").date()


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# Indicators whose cases the world holds without planting them as failures: an associate a
# referral names who is never a suspect, a police concern about a child the council never
# recorded. benchmarks/bench_findings.py derives their truth from the exports and the true
# persons (issue 16).
DERIVED_NOT_PLANTED = {
    IndicatorCode.NAMED_ASSOCIATE_NOT_INVESTIGATED,
    IndicatorCode.POLICE_CONCERN_NO_LA_RECORD,
}


def test_every_code_is_planted_and_is_a_known_code(world_4000: World) -> None:
    codes = {r["code"] for r in world_4000.csv("truth/failures.csv")}
    known = {
        FindingCode.MISSING_CSE_FLAG,
        FindingCode.WRONG_CSE_FLAG,
        FindingCode.POLICE_LA_MISMATCH,
    } | (set(IndicatorCode) - DERIVED_NOT_PLANTED)
    assert codes == {c.value for c in known}


def test_flag_failures_are_exactly_the_disagreements_in_the_export(world_4000: World) -> None:
    truth = {
        r["record_ref"]: r["is_cse"]
        for r in world_4000.csv("truth/records.csv")
        if r["source"] == "met_crime"
    }
    crimes = world_4000.csv("met_crime/crimes.csv")
    missing = {
        c["crime_ref"] for c in crimes if truth[c["crime_ref"]] == "1" and c["cse_flag"] != "Y"
    }
    wrong = {
        c["crime_ref"] for c in crimes if truth[c["crime_ref"]] == "0" and c["cse_flag"] == "Y"
    }
    assert {ref for ref, _ in _failures(world_4000, "missing_cse_flag")} == missing
    assert {ref for ref, _ in _failures(world_4000, "wrong_cse_flag")} == wrong
    # Rates within tolerance of the defaults.
    cse = sum(v == "1" for v in truth.values())
    assert abs(len(missing) / cse - FailureRates().missing_cse_flag) < 0.04
    pre_2019_cce = [c for c in crimes if c["offence"] in CCE_OFFENCES and _committed(c).year < 2019]
    assert len(pre_2019_cce) > 80
    flagged = sum(c["cse_flag"] == "Y" for c in pre_2019_cce) / len(pre_2019_cce)
    assert abs(flagged - FailureRates().wrong_flag_cce_pre2019) < 0.1


def test_failure_rates_are_knobs(tmp_path: Path) -> None:
    none = FailureRates(
        missing_cse_flag=0.0,
        wrong_flag_cce_pre2019=0.0,
        wrong_flag_other=0.0,
        intel_unlinked=0.0,
        la_only_concern=0.0,
        victim_arrested=0.0,
        boyfriend=0.0,
    )
    generate_world(SynthConfig(cases=600, seed=3, failures=none), tmp_path / "none")
    codes = {r["code"] for r in World(tmp_path / "none").csv("truth/failures.csv")}
    assert codes.isdisjoint({"missing_cse_flag", "wrong_cse_flag", "la_concern_no_police_record"})
    every = FailureRates(missing_cse_flag=1.0)
    generate_world(SynthConfig(cases=600, seed=3, failures=every), tmp_path / "all")
    world = World(tmp_path / "all")
    cse = {
        r["record_ref"]
        for r in world.csv("truth/records.csv")
        if r["source"] == "met_crime" and r["is_cse"] == "1"
    }
    assert {ref for ref, _ in _failures(world, "missing_cse_flag")} == cse


def test_police_link_an_offenders_crimes_unless_planted(tmp_path: Path) -> None:
    """Outside detected groups, a repeat suspect's closed crimes are left unlinked exactly when
    `suspect_unlinked` says so (group offenders' crimes follow `police_link_group`)."""

    def ungrouped_unlinked(rate: float) -> set[tuple[str, str]]:
        out = tmp_path / f"w{rate}"
        generate_world(
            SynthConfig(cases=2000, seed=5, failures=FailureRates(suspect_unlinked=rate)), out
        )
        world = World(out)
        members = {r["person_id"] for r in world.csv("truth/groups.csv")}
        return {
            (ref, pid)
            for ref, pid in _failures(world, "unlinked_repeat_suspect")
            if pid not in members
        }

    assert ungrouped_unlinked(0.0) == set()
    assert len(ungrouped_unlinked(1.0)) > 20


def _suspect_crimes(world: World) -> dict[str, set[str]]:
    person_of = world.person_of()
    crimes: dict[str, set[str]] = defaultdict(set)
    for row in world.csv("met_crime/nominals.csv"):
        if row["role"] == "S":
            crimes[person_of[("met_crime", row["nominal_id"])]].add(row["crime_ref"])
    return crimes


def test_unlinked_intelligence_is_exactly_what_the_export_shows(world_4000: World) -> None:
    person_of = world_4000.person_of()
    suspect_crimes = _suspect_crimes(world_4000)
    expected = set()
    reports_on_suspects = 0
    for row in world_4000.csv("met_intel/intel_log.csv"):
        pid = person_of[("met_intel", row["subject_id"])]
        linked = set(filter(None, row["linked_crime_refs"].split(";")))
        if suspect_crimes[pid]:
            reports_on_suspects += 1
            if not suspect_crimes[pid] & linked:
                expected.add((row["intel_ref"], pid))
    assert _failures(world_4000, "unlinked_intelligence") == expected
    share = len(expected) / reports_on_suspects
    assert FailureRates().intel_unlinked - 0.05 < share < FailureRates().intel_unlinked + 0.3


def test_la_concern_without_police_record_is_exact(world_4000: World) -> None:
    person_of = world_4000.person_of()
    in_crimes = {
        person_of[("met_crime", r["nominal_id"])] for r in world_4000.csv("met_crime/nominals.csv")
    }
    expected = set()
    for line in world_4000.jsonl():
        pid = person_of[("la_csc", line["child"]["child_id"])]
        if line["cse_concern"] == "Y" and pid not in in_crimes:
            expected.add((line["referral_id"], pid))
    assert expected
    assert _failures(world_4000, "la_concern_no_police_record") == expected


def test_age_gap_partners_are_adults_described_as_partners_of_under_16s(
    world_4000: World,
) -> None:
    person_of = world_4000.person_of()
    births = {
        r["person_id"]: date.fromisoformat(r["birth_date"])
        for r in world_4000.csv("truth/persons.csv")
    }
    committed = {c["crime_ref"]: _committed(c) for c in world_4000.csv("met_crime/crimes.csv")}
    by_crime: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in world_4000.csv("met_crime/nominals.csv"):
        by_crime[row["crime_ref"]].append(row)
    expected = set()
    for ref, rows in by_crime.items():
        day = committed[ref]
        young = any(
            _age(births[person_of[("met_crime", r["nominal_id"])]], day) < 16
            for r in rows
            if r["role"] == "V"
        )
        for r in rows:
            pid = person_of[("met_crime", r["nominal_id"])]
            if (
                young
                and r["role"] == "S"
                and r["relationship_to_victim"]
                in {"boyfriend", "girlfriend", "partner", "ex-partner"}
                and _age(births[pid], day) >= 18
            ):
                expected.add((ref, pid))
    listed = {
        (f["record_ref"], f["person_id"])
        for f in world_4000.csv("truth/failures.csv")
        if f["code"] == "age_gap_partner" and f["source"] == "met_crime"
    }
    assert expected and listed == expected


def test_repeat_missing_episodes_are_third_or_later_in_twelve_months(world_4000: World) -> None:
    person_of = world_4000.person_of()
    episodes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in world_4000.csv("met_missing/missing_episodes.csv"):
        when = datetime.strptime(row["reported_missing"], "%Y-%m-%d %H:%M")
        episodes[person_of[("met_missing", row["person_id"])]].append((when, row["episode_id"]))
    repeat = _failures(world_4000, "repeat_missing")
    assert len(repeat) > 100
    for ref, pid in repeat:
        mine = sorted(episodes[pid])
        at = next(w for w, r in mine if r == ref)
        earlier = [w for w, r in mine if (w, r) < (at, ref) and (at - w).days <= 365]
        assert len(earlier) >= 2
    no_referral = _failures(world_4000, "repeat_missing_no_referral")
    assert no_referral and no_referral < repeat


def test_victims_treated_as_suspects_are_children_who_are_also_cse_victims(
    world_4000: World,
) -> None:
    person_of = world_4000.person_of()
    cse = {r["record_ref"] for r in world_4000.csv("truth/records.csv") if r["is_cse"] == "1"}
    victims_of_cse = {
        person_of[("met_crime", r["nominal_id"])]
        for r in world_4000.csv("met_crime/nominals.csv")
        if r["role"] == "V" and r["crime_ref"] in cse
    }
    listed = _failures(world_4000, "victim_treated_as_suspect")
    assert listed
    suspect_crimes = _suspect_crimes(world_4000)
    for ref, pid in listed:
        assert pid in victims_of_cse
        assert ref in suspect_crimes[pid]
