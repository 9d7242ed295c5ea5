"""Erasure leaves no personal value anywhere (issue 22, item 2).

On a store built by the real pipeline, `casereview purge --before DATE` erases the older
records. Every personal value written about the people of those records (names, aliases,
dates of birth, addresses, postcodes, phones, identifiers, vehicles) that no remaining record
also holds must then be gone from every column of every table: persons, places, objects,
scored pairs, group summaries, evidence, run artefacts, quarantine, the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, MetaData, func, select

from casereview.cli import main
from casereview.model import tables as t
from casereview.store.audit import verify
from casereview.store.db import reading
from pipeline_world import build_pipeline_store, copy_store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pipeline_store(tmp_path_factory.mktemp("erasure"))


def _mention_values(conn: Connection, record_ids: Iterable[int] | None) -> set[str]:
    """Personal values written in the mentions (and objects, places) of these records."""
    m = t.mentions
    query = select(m)
    objects = select(t.objects.c.value, t.record_objects.c.raw_value).join(
        t.record_objects, t.record_objects.c.object_id == t.objects.c.id
    )
    # A person's addresses (a place attached to a mention); premises of an event are not personal.
    places = (
        select(t.locations.c.address, t.locations.c.postcode, t.record_locations.c.raw_value)
        .join(t.record_locations, t.record_locations.c.location_id == t.locations.c.id)
        .where(t.record_locations.c.mention_id.is_not(None))
    )
    if record_ids is not None:
        ids = list(record_ids)
        query = query.where(m.c.record_id.in_(ids))
        objects = objects.where(t.record_objects.c.record_id.in_(ids))
        places = places.where(t.record_locations.c.record_id.in_(ids))
    values: set[str] = set()
    for row in conn.execute(query):
        values |= {row.forenames, row.surname, row.name_raw, row.dob_raw, row.address, row.postcode}
        if row.forenames and row.surname:
            values.add(f"{row.forenames} {row.surname}")
        if row.dob is not None:
            values.add(row.dob.isoformat())
        values |= set(json.loads(row.phones)) | set(json.loads(row.aliases))
        values |= {str(v) for v in json.loads(row.identifiers).values()}
    for row in conn.execute(objects):
        values |= {row.value, row.raw_value}
    for row in conn.execute(places):
        values |= {row.address, row.postcode, row.raw_value}
    return {str(v).strip().lower() for v in values if v and len(str(v).strip()) >= 4}


def _remaining_text(conn: Connection, record_ids: list[int]) -> str:
    """Everything the kept records say (mentions, rows as read, narratives, boroughs)."""
    parts = []
    for chunk in range(0, len(record_ids), 500):
        ids = record_ids[chunk : chunk + 500]
        for r in conn.execute(select(t.records).where(t.records.c.id.in_(ids))):
            parts += [str(v) for v in r if v is not None]
        for m in conn.execute(select(t.mentions).where(t.mentions.c.record_id.in_(ids))):
            parts += [str(v) for v in m if v is not None]
    return "\n".join(parts).lower()


def _pattern(values: Iterable[str]) -> re.Pattern[str]:
    """Any of `values` as a whole word (not inside a longer word)."""
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _scan(engine: Engine, values: set[str]) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> the values found in it, over every column of every table."""
    pattern = _pattern(values)
    found: dict[tuple[str, str], set[str]] = {}
    meta = MetaData()
    meta.reflect(engine)
    with reading(engine) as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for column, cell in row._mapping.items():
                    if cell is None:
                        continue
                    hits = set(pattern.findall(str(cell).lower()))
                    if hits:
                        found.setdefault((table.name, column), set()).update(hits)
    return found


def test_purge_leaves_no_personal_value_of_erased_people(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = copy_store(built, tmp_path / "store.db")
    when = func.coalesce(t.records.c.occurred_at, t.records.c.recorded_at)
    with reading(engine) as conn:
        dates = sorted(d for d in conn.execute(select(when)).scalars() if d is not None)
        cutoff = dt.date(dates[len(dates) // 3].year, 1, 1)
        old = [int(r) for r in conn.execute(select(t.records.c.id).where(when < cutoff)).scalars()]
        kept = [
            int(r) for r in conn.execute(select(t.records.c.id).where(when >= cutoff)).scalars()
        ]
        undated = conn.execute(
            select(func.count()).select_from(t.records).where(when.is_(None))
        ).scalar_one()
        # Values of the erased people that nothing kept also says (a kept person may share a
        # surname, a forename or a postcode, and kept records name towns and years).
        candidates = _mention_values(conn, old) - _mention_values(conn, kept)
        said = set(_pattern(candidates).findall(_remaining_text(conn, kept)))
        erased = candidates - said
        persons_before = conn.execute(select(func.count()).select_from(t.persons)).scalar_one()
    assert undated == 0 and len(old) > 50 and len(erased) > 200
    assert _scan(engine, erased), "before the purge the values are there to be found"
    engine.dispose()

    code = main(["--database", f"sqlite:///{tmp_path / 'store.db'}", "purge", "--before",
                 cutoff.isoformat(), "--reason", "retention schedule", "--json"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    engine = copy_store(tmp_path / "store.db", tmp_path / "after.db")
    assert _scan(engine, erased) == {}
    with reading(engine) as conn:
        people = conn.execute(
            select(t.persons.c.id, t.persons.c.display_name, t.persons.c.mention_count)
        ).all()
        mentioned = set(conn.execute(select(t.mention_person.c.person_id)).scalars())
    # A person whose every mention was erased keeps no name (the id stays for group history).
    assert {p.id for p in people if p.display_name is not None} <= mentioned
    assert all(p.mention_count == 0 for p in people if p.id not in mentioned)
    assert len(people) == persons_before
    assert verify(engine).ok
    engine.dispose()
