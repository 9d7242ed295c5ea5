"""Person identifiers (mentions.identifiers) and postcodes of any country: mapping checks,
what is stored, changed identifiers upsert, and migration 0004 keeps existing mentions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from casereview.errors import MappingError
from casereview.ingest import ingest_mapping, parse_mapping
from casereview.model import tables as t
from casereview.store.migrate import alembic_config, current_revision, head_revision, upgrade

MAPPING = """\
source: {name: ids_test, kind: police}
files:
  - role: people
    path: people.csv
    records:
      key: ref
      record_type: {constant: incident}
      locations:
        - address: place
          postcode: {column: place_pc, country: any, on_invalid: "null"}
      persons:
        - key: {column: ref, prefix: "M-"}
          role: {constant: subject}
          name: name
          postcode: {column: pc, country: any}
          identifiers:
            pnc: {column: pnc, normalise: identifier}
            cro: cro
            ssn: {column: ssn, on_invalid: "null", normalise: identifier}
"""
PEOPLE = """\
ref,name,pc,pnc,cro,ssn,place,place_pc
1,Amy LEE,sw1a1aa,12/345678a,123456/12A,,1 Main St,2600
2,Ben COLE,2615,, ,5 123 456,,
3,Cara DAY,n/a,,,,,
4,Dan FOX,,,,,2 High St,!!
"""


def _load(engine: Engine, folder: Path, people: str = PEOPLE) -> None:
    data = folder / "data"
    data.mkdir(exist_ok=True)
    (data / "people.csv").write_text(people, encoding="utf-8")
    (folder / "ids.yaml").write_text(MAPPING, encoding="utf-8")
    for r in ingest_mapping(engine, folder / "ids.yaml", data, "test"):
        assert r.rows_read == r.rows_loaded + r.rows_quarantined


def _mentions(engine: Engine) -> dict[str, tuple[str | None, dict[str, str], int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.mentions.c.mention_key, t.mentions.c.postcode, t.mentions.c.identifiers,
                   t.mentions.c.id)
        ).all()  # fmt: skip
    return {k: (pc, json.loads(ids), mid) for k, pc, ids, mid in rows}


def test_identifiers_and_any_country_postcodes_are_stored(
    fresh_store: Engine, tmp_path: Path
) -> None:
    _load(fresh_store, tmp_path)
    got = _mentions(fresh_store)
    assert {k: v[:2] for k, v in got.items()} == {
        "M-1": ("SW1A 1AA", {"cro": "123456/12A", "pnc": "12/345678A"}),
        "M-2": ("2615", {"ssn": "5123456"}),
        "M-4": (None, {}),
    }
    with fresh_store.connect() as conn:
        raw = conn.execute(
            select(t.mentions.c.identifiers).where(t.mentions.c.mention_key == "M-1")
        ).scalar_one()
        places = conn.execute(select(t.locations.c.postcode, t.locations.c.address)).all()
        reasons = conn.execute(select(t.quarantine.c.row_number, t.quarantine.c.field)).all()
    assert raw == '{"cro":"123456/12A","pnc":"12/345678A"}'  # canonical JSON
    assert sorted(places, key=str) == [("2600", "1 Main St"), (None, "2 High St")]
    assert reasons == [(4, "persons[0].postcode")]

    # A changed identifier upserts the mention and keeps its id.
    _load(fresh_store, tmp_path, PEOPLE.replace("12/345678a", "99/000001Z"))
    again = _mentions(fresh_store)
    assert again["M-1"][1]["pnc"] == "99/000001Z"
    assert again["M-1"][2] == got["M-1"][2]


@pytest.mark.parametrize(
    ("person_yaml", "message"),
    [
        ("identifiers: {PNC: pnc}", "identifier scheme(s) 'PNC'"),
        ("identifiers: {nhs-no: nhs}", "identifier scheme(s) 'nhs-no'"),
        ("name: {column: name, normalise: name, country: any}", "country applies to postcodes"),
        ("postcode: {column: pc, country: au}", "key files.0.records.persons.0.postcode.country"),
    ],
)
def test_mapping_checks_identifiers_and_country(person_yaml: str, message: str) -> None:
    text = MAPPING.split("          name: name")[0] + "          " + person_yaml + "\n"
    with pytest.raises(MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_mapping(text, "t.yaml")


def test_uk_postcodes_stay_the_default(fresh_store: Engine, tmp_path: Path) -> None:
    mapping = MAPPING.replace("{column: pc, country: any}", "{column: pc, on_invalid: 'null'}")
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "uk.yaml").write_text(mapping, encoding="utf-8")
    ingest_mapping(fresh_store, tmp_path / "uk.yaml", data, "test")
    got = {k: v[0] for k, v in _mentions(fresh_store).items()}
    assert got == {"M-1": "SW1A 1AA", "M-2": None, "M-3": None, "M-4": None}


def test_migration_0004_keeps_mentions_both_ways(fresh_store: Engine, tmp_path: Path) -> None:
    _load(fresh_store, tmp_path)
    with fresh_store.connect() as conn:
        objects_before = conn.execute(select(t.record_locations.c.id)).all()
    cfg = alembic_config(fresh_store)
    command.downgrade(cfg, "0003")
    assert current_revision(fresh_store) == "0003"
    columns = {c["name"] for c in inspect(fresh_store).get_columns("mentions")}
    assert "identifiers" not in columns
    upgrade(fresh_store)
    assert current_revision(fresh_store) == head_revision()
    got = _mentions(fresh_store)
    assert sorted(got) == ["M-1", "M-2", "M-4"]
    assert all(ids == {} for _, ids, _ in got.values())  # existing mentions: "{}"
    with fresh_store.connect() as conn:
        assert conn.execute(select(t.record_locations.c.id)).all() == objects_before
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []
