"""Whole-world properties of the generator: determinism, truth completeness, group structure."""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

from synthworld import World

from casereview.synth import TRUTH_HEADERS, SynthConfig, generate_world

EXPORTS = (
    "met_crime/crimes.csv",
    "met_crime/nominals.csv",
    "met_intel/intel_log.csv",
    "la_csc/referrals.jsonl",
    "met_missing/missing_episodes.csv",
)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files_whatever_the_workers(
    tmp_path: Path, world_1500: World
) -> None:
    again = tmp_path / "again"
    generate_world(SynthConfig(cases=1500, seed=7), again, workers=2)
    expected = _hashes(world_1500.root)
    assert len(expected) == 12
    assert _hashes(again) == expected


def test_different_seed_gives_a_different_world(tmp_path: Path, world_1500: World) -> None:
    other = tmp_path / "other"
    generate_world(SynthConfig(cases=1500, seed=8), other, workers=1)
    ours, theirs = _hashes(world_1500.root), _hashes(other)
    assert [name for name in EXPORTS if ours[name] == theirs[name]] == []
    names = {(r["given_name"], r["family_name"]) for r in World(other).csv("truth/persons.csv")}
    assert names != {
        (r["given_name"], r["family_name"]) for r in world_1500.csv("truth/persons.csv")
    }


def test_truth_files_have_exactly_the_documented_headers(world_1500: World) -> None:
    for name, header in TRUTH_HEADERS.items():
        first = (world_1500.root / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.split(",") == header


def _export_mention_keys(world: World) -> list[tuple[str, str]]:
    keys = [("met_crime", r["nominal_id"]) for r in world.csv("met_crime/nominals.csv")]
    keys += [("met_intel", r["subject_id"]) for r in world.csv("met_intel/intel_log.csv")]
    keys += [("met_missing", r["person_id"]) for r in world.csv("met_missing/missing_episodes.csv")]
    for line in world.jsonl():
        keys.append(("la_csc", line["child"]["child_id"]))
        keys += [("la_csc", a["associate_id"]) for a in line["associates"]]
    return keys


def test_every_mention_has_exactly_one_truth_row_and_vice_versa(world_1500: World) -> None:
    exported = _export_mention_keys(world_1500)
    truth = [(r["source"], r["mention_key"]) for r in world_1500.csv("truth/mentions.csv")]
    assert len(exported) == len(set(exported))  # ids unique within source, across chunks
    assert len(truth) == len(set(truth))
    assert set(exported) == set(truth)
    persons = {r["person_id"] for r in world_1500.csv("truth/persons.csv")}
    assert set(world_1500.person_of().values()) == persons


def test_child_and_episode_keys_follow_their_record_ids(world_1500: World) -> None:
    for row in world_1500.csv("met_missing/missing_episodes.csv"):
        assert row["person_id"] == f"{row['episode_id']}-C"
    for line in world_1500.jsonl():
        assert line["child"]["child_id"] == f"{line['referral_id']}-C"
        ids = [a["associate_id"] for a in line["associates"]]
        assert ids == [f"{line['referral_id']}-A{i}" for i in range(1, len(ids) + 1)]


def test_records_truth_covers_every_exported_record(world_1500: World) -> None:
    truth = {(r["source"], r["record_ref"]) for r in world_1500.csv("truth/records.csv")}
    exported = {("met_crime", r["crime_ref"]) for r in world_1500.csv("met_crime/crimes.csv")}
    exported |= {("met_intel", r["intel_ref"]) for r in world_1500.csv("met_intel/intel_log.csv")}
    exported |= {("la_csc", line["referral_id"]) for line in world_1500.jsonl()}
    exported |= {
        ("met_missing", r["episode_id"]) for r in world_1500.csv("met_missing/missing_episodes.csv")
    }
    assert truth == exported
    counts = Counter(source for source, _ in truth)
    assert counts["met_crime"] == 1500


def test_every_group_member_is_a_suspect_in_two_or_more_crimes(world_1500: World) -> None:
    person_of = world_1500.person_of()
    suspect_crimes: dict[str, set[str]] = defaultdict(set)
    for row in world_1500.csv("met_crime/nominals.csv"):
        if row["role"] == "S":
            suspect_crimes[person_of[("met_crime", row["nominal_id"])]].add(row["crime_ref"])
    groups = world_1500.csv("truth/groups.csv")
    offenders = [r["person_id"] for r in groups if r["role"] == "offender"]
    assert len({r["group_id"] for r in groups}) >= 5
    assert offenders
    assert [pid for pid in offenders if len(suspect_crimes[pid]) < 2] == []
    sizes = Counter(r["group_id"] for r in groups if r["role"] == "offender")
    assert min(sizes.values()) >= 2 and max(sizes.values()) <= 9


def test_typologies_and_groups_in_records_truth_are_consistent(world_1500: World) -> None:
    records = world_1500.csv("truth/records.csv")
    allowed = {
        "group_based",
        "gang_associated",
        "intra_familial",
        "peer_on_peer",
        "institutional",
        "online_facilitated",
        "lone_offender",
        "cse_likely",
    }
    for r in records:
        labels = set(filter(None, r["typology"].split(";")))
        assert labels <= allowed
        assert bool(labels) == (r["is_cse"] == "1")
    seen = Counter(label for r in records for label in r["typology"].split(";") if label)
    assert set(seen) == allowed
    cse_share = sum(r["is_cse"] == "1" for r in records if r["source"] == "met_crime") / 1500
    assert 0.3 < cse_share < 0.6


def test_exports_never_contain_truth_person_ids(world_1500: World) -> None:
    for name in EXPORTS:
        assert "P0000" not in (world_1500.root / name).read_text(encoding="utf-8")


def test_synth_never_imports_ingest() -> None:
    package = Path(__file__).parents[2] / "src" / "casereview" / "synth"
    imported: set[str] = set()
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert [m for m in imported if m.startswith("casereview.ingest")] == []
    assert {
        m for m in imported if m.startswith("casereview.") and not m.startswith("casereview.synth")
    } == {"casereview.errors", "casereview.model.codes"}


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def test_events_fall_in_2010_2025_and_children_are_10_to_17(world_1500: World) -> None:
    person_of = world_1500.person_of()
    persons = {r["person_id"]: r for r in world_1500.csv("truth/persons.csv")}
    born = {pid: date.fromisoformat(p["birth_date"]) for pid, p in persons.items()}
    crime_day = {
        r["crime_ref"]: datetime.strptime(r["committed_date"], "%d/%m/%Y %H:%M").date()
        for r in world_1500.csv("met_crime/crimes.csv")
    }
    days = list(crime_day.values())
    child_ages = []
    for row in world_1500.csv("met_crime/nominals.csv"):
        pid = person_of[("met_crime", row["nominal_id"])]
        if row["role"] == "V" and persons[pid]["kind"] == "child":
            child_ages.append(_age(born[pid], crime_day[row["crime_ref"]]))
    for row in world_1500.csv("met_missing/missing_episodes.csv"):
        day = datetime.strptime(row["reported_missing"], "%Y-%m-%d %H:%M").date()
        days.append(day)
        child_ages.append(_age(born[person_of[("met_missing", row["person_id"])]], day))
    for line in world_1500.jsonl():
        text = line["date_received"]
        day = (
            date.fromisoformat(text)
            if text[4] == "-"
            else datetime.strptime(text, "%d-%b-%Y").date()
        )
        days.append(day)
        child_ages.append(_age(born[person_of[("la_csc", line["child"]["child_id"])]], day))
    days += [
        date.fromisoformat(r["report_date"]) for r in world_1500.csv("met_intel/intel_log.csv")
    ]
    assert date(2010, 1, 1) <= min(days) and max(days) <= date(2025, 12, 31)
    assert min(child_ages) >= 10 and max(child_ages) <= 17


def test_output_does_not_depend_on_the_interpreter_hash_seed(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from casereview.synth import SynthConfig, generate_world; "
        "generate_world(SynthConfig(cases=300, seed=2), Path(sys.argv[1]), workers=1)"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)], env=env, check=True)
    assert _hashes(tmp_path / "1") == _hashes(tmp_path / "2")
