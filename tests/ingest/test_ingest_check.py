"""`casereview mapping check` on every mapping in mappings/ (a synthetic world's exports) and
on a team's export with problems: what would load, what would be quarantined and why, per
field counts and examples, unknown codes, future dates of birth; nothing is written; a file
ingest would refuse gives exit 1. `ingest` creates a store that has none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casereview.cli import main
from casereview.ingest.check import check_mapping
from casereview.store.migrate import head_revision
from casereview.synth import SynthConfig, generate_world

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("check") / "world"
    generate_world(SynthConfig(cases=120, seed=3), out, workers=1)
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in MAPPINGS.glob("*.yaml")))
def test_every_mapping_checks_clean_on_a_synthetic_world(world: Path, name: str) -> None:
    _mapping, checks = check_mapping(MAPPINGS / name, world)
    assert checks and all(c.refused is None for c in checks)
    for c in checks:
        assert c.rows_read == c.would_load + c.would_quarantine > 0
        assert c.would_quarantine == 0, c.as_dict()["quarantine"]
        assert {"key"} <= set(c.fields)
        for stats in c.fields.values():
            assert stats.read + stats.empty == c.rows_read or "[" in stats.name or "." in stats.name
            assert stats.failed == 0
    assert list(world.glob("*.db")) == []


POLICE = """\
source: {name: force, kind: police}
codes:
  role: {values: {V: victim, S: suspect}, unknown: strict}
  place: {values: {HOME: residential}, unknown: default, default: other}
files:
  - role: crimes
    path: crimes.csv
    records:
      key: OccurrenceRef
      record_type: {constant: crime}
      occurred_at: {column: Committed, formats: ["%d/%m/%y"]}
      borough: Area
      locations:
        - address: Where
          type: {column: PlaceType, codes: place}
  - role: nominals
    path: nominals.csv
    persons:
      record_key: OccurrenceRef
      person:
        key: NominalRef
        role: {column: Involvement, codes: role}
        name: Name
        dob: {column: DOB, formats: ["%d/%m/%y"]}
"""
CRIMES = """\
OccurrenceRef,Committed,Area,Where,PlaceType
C1,03/02/15,Tower Hamlets,1 High St,HOME
C2,31/02/15,HT,2 Low Rd,SHOP
C3,04/02/15,Hackny Wick,3 Mill Rd,SHOP
"""
NOMINALS = """\
NominalRef,OccurrenceRef,Involvement,Name,DOB
N1,C1,V,Amy LEE,30/05/64
N2,C1,X,Ben COLE,01/01/99
N3,C9,S,Cara DAY,
"""


def _team(folder: Path) -> Path:
    (folder / "crimes.csv").write_text(CRIMES, encoding="utf-8")
    (folder / "nominals.csv").write_text(NOMINALS, encoding="utf-8")
    path = folder / "police.yaml"
    path.write_text(POLICE, encoding="utf-8")
    return path


def test_check_reports_what_ingest_would_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = _team(tmp_path)
    assert main(["mapping", "check", str(mapping), "--data-dir", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    crimes, nominals = report["files"]
    assert (crimes["rows_read"], crimes["would_load"], crimes["would_quarantine"]) == (3, 2, 1)
    assert crimes["quarantine"] == [{"reason": "bad_date", "field": "occurred_at", "count": 1,
        "examples": [[3, "occurred_at", "'31/02/15' matches none of ['%d/%m/%y']"]]}]  # fmt: skip
    fields = {f["name"]: f for f in crimes["fields"]}
    assert {k: fields["occurred_at"][k] for k in ("read", "parsed", "empty", "failed")} == {
        "read": 3, "parsed": 2, "empty": 0, "failed": 1}  # fmt: skip
    # Notes are those of the rows that would load (C2 stops at its date).
    assert crimes["notes"]["unknown_code"]["locations[0].type"]["values"] == {"SHOP": 1}
    assert crimes["notes"]["unreadable_borough"]["borough"]["values"] == {"Hackny Wick": 1}
    # Nominals: N2's role X is not in the strict table, N3's crime C9 is not in crimes.csv
    # (C2 is quarantined, so it would not exist either); 30/05/64 is read as 2064.
    assert (nominals["would_load"], nominals["would_quarantine"]) == (1, 2)
    assert [(q["reason"], q["field"]) for q in nominals["quarantine"]] == [
        ("orphan", "record_key"), ("unknown_code", "role")]  # fmt: skip
    future = nominals["notes"]["future_dob"]["dob"]
    assert future["count"] == 1 and future["examples"] == [
        [2, "30/05/64", "read as 2064-05-30, after the day of the import"]]  # fmt: skip
    assert list(tmp_path.glob("*.db")) == []  # nothing written
    # The text form says the same in a few lines.
    assert main(["mapping", "check", str(mapping), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "crimes.csv (crimes, csv): rows read 3 = would load 2 + would quarantine 1" in out
    assert "dates of birth in the future: dob: 1 ('30/05/64' 1)" in out


def test_a_file_ingest_would_refuse_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = _team(tmp_path)
    (tmp_path / "crimes.csv").write_text(CRIMES.replace("Area", "District"), encoding="utf-8")
    assert main(["mapping", "check", str(mapping), "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert (
        "crimes.csv (crimes, csv): would be REFUSED: crimes.csv: row 1: missing required column(s) Area"
        in out
    )
    # The persons file is still checked; with its records unknown, orphans are not judged.
    assert "nominals.csv (nominals, csv): rows read 3 = would load 2 + would quarantine 1" in out


def test_ingest_creates_a_missing_store_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = _team(tmp_path)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["--database", url, "ingest", str(mapping), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"store {url} had no schema: created (revision {head_revision()}), as "
                          "casereview init would\n")  # fmt: skip
    assert "force/crimes crimes.csv: rows read 3 = loaded 2 + quarantined 1" in out
    assert main(["--database", url, "audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
