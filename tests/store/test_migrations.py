"""Schema: migrations build exactly the declared tables; init is idempotent; constraints hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from casereview.errors import ConfigError
from casereview.model import tables as t
from casereview.store.db import writing
from casereview.store.migrate import head_revision, upgrade
from casereview.store.summary import store_summary

NOW = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_migrated_schema_matches_declared_tables(fresh_store: Engine) -> None:
    with fresh_store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diff == []
    names = set(inspect(fresh_store).get_table_names()) - {"alembic_version"}
    assert names == set(t.metadata.tables)


def test_every_table_named_in_the_design_exists() -> None:
    design = {
        "sources",
        "imports",
        "quarantine",
        "records",
        "mentions",
        "objects",
        "locations",
        "record_objects",
        "record_locations",
        "persons",
        "mention_person",
        "match_judgements",
        "classifications",
        "flag_findings",
        "groups",
        "group_members",
        "indicators",
        "review_items",
        "decisions",
        "users",
        "teams",
        "team_members",
        "audit_log",
        "runs",
    }
    assert design <= set(t.metadata.tables)


def test_init_twice_changes_nothing(fresh_store: Engine) -> None:
    before = store_summary(fresh_store)
    assert upgrade(fresh_store) == (head_revision(), head_revision())
    assert store_summary(fresh_store) == before


def _source(conn, name: str = "met_crime") -> int:
    return conn.execute(
        insert(t.sources).values(name=name, kind="police", created_at=NOW).returning(t.sources.c.id)
    ).scalar_one()


def _import(conn, source_id: int, sha: str = "a" * 64) -> int:
    return conn.execute(
        insert(t.imports)
        .values(
            source_id=source_id,
            file_name="crimes.csv",
            file_role="crimes",
            sha256=sha,
            mapping_name="met",
            mapping_sha256="b" * 64,
            rows_read=1,
            rows_loaded=1,
            rows_quarantined=0,
            imported_by="test",
            started_at=NOW,
            finished_at=NOW,
        )
        .returning(t.imports.c.id)
    ).scalar_one()


def _record(conn, source_id: int, import_id: int, ref: str) -> int:
    return conn.execute(
        insert(t.records)
        .values(
            source_id=source_id,
            source_ref=ref,
            record_type="crime",
            raw="{}",
            content_hash="c" * 64,
            import_id=import_id,
            updated_at=NOW,
            occurred_at=dt.date(2015, 6, 1),
            cse_flag=True,
            narrative="Neutral note.",
        )
        .returning(t.records.c.id)
    ).scalar_one()


def test_round_trip_of_a_record_and_mention(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        sid = _source(conn)
        rid = _record(conn, sid, _import(conn, sid), "CR/1")
        conn.execute(
            insert(t.mentions).values(
                record_id=rid,
                source_id=sid,
                mention_key="N1",
                role="victim",
                forenames="Amy",
                surname="Stone",
                dob=dt.date(2001, 2, 3),
                dob_precision="day",
                raw="{}",
                content_hash="d" * 64,
                phones='["+447700900123"]',
            )
        )
    with fresh_store.connect() as conn:
        rec = conn.execute(select(t.records)).one()._mapping
        men = conn.execute(select(t.mentions)).one()._mapping
    assert (rec["source_ref"], rec["occurred_at"], rec["cse_flag"]) == (
        "CR/1",
        dt.date(2015, 6, 1),
        True,
    )
    assert (men["mention_key"], men["dob"], men["phones"]) == (
        "N1",
        dt.date(2001, 2, 3),
        '["+447700900123"]',
    )


@pytest.mark.parametrize("table", ["records", "imports", "mentions", "sources"])
def test_natural_keys_are_unique(fresh_store: Engine, table: str) -> None:
    with writing(fresh_store) as conn:
        sid = _source(conn)
        iid = _import(conn, sid)
        rid = _record(conn, sid, iid, "CR/1")
    values = {
        "sources": lambda c: _source(c),
        "imports": lambda c: _import(c, sid),
        "records": lambda c: _record(c, sid, iid, "CR/1"),
        "mentions": lambda c: [
            c.execute(
                insert(t.mentions).values(
                    record_id=rid,
                    source_id=sid,
                    mention_key="N1",
                    role="victim",
                    raw="{}",
                    content_hash="e" * 64,
                )
            )
            for _ in range(2)
        ],
    }[table]
    with pytest.raises(IntegrityError):
        with writing(fresh_store) as conn:
            values(conn)
    with fresh_store.connect() as conn:
        # The failed transaction left nothing behind.
        assert conn.execute(
            select(func.count()).select_from(t.metadata.tables[table])
        ).scalar_one() == (0 if table == "mentions" else 1)


def test_foreign_keys_are_enforced(fresh_store: Engine) -> None:
    with pytest.raises(IntegrityError):
        with writing(fresh_store) as conn:
            conn.execute(insert(t.record_links).values(record_id=999, to_source_ref="X"))


def test_a_new_sqlite_store_gets_the_configured_page_size_and_an_old_one_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from casereview.settings import reset_settings
    from casereview.store.db import make_engine

    def page_size(path: Path) -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("PRAGMA page_size").fetchone()[0])

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:  # a store made with SQLite's default pages
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("CREATE TABLE t (x)")
    monkeypatch.setenv("CASEREVIEW_STORE__SQLITE_PAGE_SIZE", "8192")
    reset_settings()
    for name in ("new.db", "old.db"):
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        upgrade(engine)
        engine.dispose()
    assert page_size(tmp_path / "new.db") == 8192
    assert page_size(old) == 4096
    monkeypatch.setenv("CASEREVIEW_STORE__SQLITE_PAGE_SIZE", "3000")
    reset_settings()
    with pytest.raises(ConfigError, match="power of two"):
        make_engine(f"sqlite:///{tmp_path / 'other.db'}")
