"""The bad-input corpus (bad_input/cases.yaml, 110 cases): each export file has the outcome the
corpus gives it, on SQLite and on PostgreSQL alike: rows loaded, rows quarantined with their
reason and field, nested items quarantined, notes, or the file refused with a message naming
it (and then nothing of it stored). Rows read always equal rows loaded plus quarantined."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select

from casereview.errors import CaseReviewError
from casereview.ingest import ingest_mapping
from casereview.model.tables import imports, quarantine, sources
from casereview.settings import IngestSettings

CASES = yaml.safe_load((Path(__file__).parent / "bad_input" / "cases.yaml").read_text("utf-8"))
SETTINGS = IngestSettings(max_field_bytes=2000, chunk_rows=7)

BASES = {
    "csv": """\
source: {name: NAME, kind: police}
codes:
  role: {values: {V: victim, S: suspect}, unknown: strict}
files:
  - role: crimes
    path: FILE
    records:
      key: ref
      record_type: {constant: crime}
      occurred_at: {column: date, formats: ["%d/%m/%Y"]}
      cse_flag: cse
      narrative: text
      persons:
        - key: {column: ref, prefix: "P-"}
          role: {column: role, codes: role}
          name: name
          dob: {column: dob, formats: ["%d/%m/%Y"]}
          phones: phone
          postcode: postcode
""",
    "persons": """\
source: {name: NAME, kind: police}
codes:
  role: {values: {V: victim, S: suspect}, unknown: strict}
files:
  - role: crimes
    path: crimes.csv
    records: {key: ref, record_type: {constant: crime}}
  - role: nominals
    path: FILE
    persons:
      record_key: ref
      person:
        key: id
        role: {column: role, codes: role}
        name: name
""",
    "jsonl": """\
source: {name: NAME, kind: local_authority}
files:
  - role: referrals
    path: FILE
    records:
      key: id
      record_type: {constant: referral}
      occurred_at: date
      narrative: summary
      persons:
        - key: child.id
          role: {constant: subject}
          name: child.name
        - each: associates
          key: id
          role: {constant: associate}
          name: name
          age: age
""",
}
BASES["json"] = BASES["jsonl"]


def _bytes(case: dict[str, Any]) -> bytes:
    data: str = case["data"]
    if data.startswith("utf16:"):
        return data[len("utf16:") :].encode("utf-16")
    how = case.get("latin1")
    if how is True:
        return data.encode("latin-1")
    if how == "surrogate":
        return data.encode("utf-8", "surrogateescape")
    return data.encode("utf-8")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def corpus_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _pg_template: str | None,
) -> Iterator[Engine]:
    """One store per backend for the whole corpus (each case is a source of its own)."""
    import importlib.util

    from casereview.store.db import make_engine
    from casereview.store.migrate import upgrade

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'store.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    if _pg_template is None:
        pytest.skip("PostgreSQL variant: set CASEREVIEW_TEST_DATABASE_URL to run it (CI does)")
    # The suite's own helpers (tests/conftest.py), loaded by path: "conftest" by name is
    # another folder's.
    spec = importlib.util.spec_from_file_location(
        "root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    name, url = root._new_pg_database(_pg_template)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        root._drop_pg_database(name)


def test_the_corpus_has_at_least_100_cases_each_with_an_outcome() -> None:
    ids = [c["id"] for c in CASES["cases"]]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)
    for case in CASES["cases"]:
        assert set(case["expect"]) <= {"loaded", "quarantined", "items", "notes", "refused"}
        assert ("refused" in case["expect"]) != ("loaded" in case["expect"]), case["id"]


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["id"] for c in CASES["cases"]])
def test_bad_input(case: dict[str, Any], corpus_store: Engine, tmp_path: Path) -> None:
    name, expect = case["id"], case["expect"]
    mapping = BASES[case["base"]].replace("NAME", name)
    for old, new in case.get("change", []):
        assert old in mapping, (name, old)
        mapping = mapping.replace(old, new)
    mapping = mapping.replace("FILE", case["file"])
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for other, body in case.get("extra", {}).items():
        (data_dir / other).write_text(body, encoding="utf-8")
    if case["data"] is not None:
        (data_dir / case["file"]).write_bytes(_bytes(case))
    path = tmp_path / "m.yaml"
    path.write_text(mapping, encoding="utf-8")
    if "refused" in expect:
        with pytest.raises(CaseReviewError) as caught:
            ingest_mapping(corpus_store, path, data_dir, "corpus", settings=SETTINGS)
        assert re.search(expect["refused"], str(caught.value)), str(caught.value)
        with corpus_store.connect() as conn:
            stored = (
                conn.execute(
                    select(imports.c.file_name).join(sources).where(sources.c.name == name)
                )
                .scalars()
                .all()
            )
        assert case["file"] not in stored
        return
    results = ingest_mapping(corpus_store, path, data_dir, "corpus", settings=SETTINGS)
    (result,) = [r for r in results if r.file_name == case["file"]]
    held = expect.get("quarantined", [])
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert (result.rows_loaded, result.rows_quarantined) == (expect["loaded"], len(held))
    assert result.notes == expect.get("notes", {})
    with corpus_store.connect() as conn:
        rows = conn.execute(
            select(quarantine.c.row_number, quarantine.c.reason, quarantine.c.field,
                   quarantine.c.scope)
            .where(quarantine.c.import_id == result.import_id)
            .order_by(quarantine.c.row_number, quarantine.c.id)
        ).all()  # fmt: skip
    assert [[r[0], r[1], r[2]] for r in rows if r[3] == "row"] == held
    assert [[r[0], r[1], r[2]] for r in rows if r[3] == "item"] == expect.get("items", [])
