"""Audit log: append and verify; every tamper case named by its sequence number; concurrency."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, StatementError

from casereview.errors import AuditIntegrityError, StoreError
from casereview.model.codes import AuditAction
from casereview.model.tables import audit_log
from casereview.store import audit
from casereview.store.db import make_engine, reading, writing


def _append_many(engine: Engine, n: int, actor: str = "alice") -> None:
    for i in range(n):
        with writing(engine) as conn:
            audit.append(
                conn,
                actor=actor,
                action=AuditAction.CONSULT,
                object_type="record",
                object_id=i,
                details={"i": i},
            )


def _tamper(engine: Engine, *statements: str) -> None:
    """Change the log as an attacker with direct database access would (triggers off)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.commit()


def test_append_and_verify(fresh_store: Engine) -> None:
    _append_many(fresh_store, 10)
    result = audit.verify(fresh_store)
    assert (result.ok, result.entries, result.head_seq, result.first_bad_seq) == (
        True,
        10,
        10,
        None,
    )
    with reading(fresh_store) as conn:
        entries = list(audit.iter_entries(conn))
    assert [e.seq for e in entries] == list(range(1, 11))
    assert entries[3].details_dict == {"i": 3}
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(entries[i].prev_hash == entries[i - 1].hash for i in range(1, 10))
    assert all(e.at.endswith("+00:00") for e in entries)


def test_entry_commits_with_the_callers_transaction(fresh_store: Engine) -> None:
    with pytest.raises(RuntimeError):
        with writing(fresh_store) as conn:
            audit.append(conn, actor="bob", action=AuditAction.ALTER)
            raise RuntimeError("the change failed")
    result = audit.verify(fresh_store)
    assert (result.ok, result.entries, result.head_seq) == (True, 0, 0)


def test_control_characters_are_escaped(fresh_store: Engine) -> None:
    with writing(fresh_store) as conn:
        entry = audit.append(
            conn, actor="eve\nFAKE ENTRY", action="search", purpose="find\x1b[31m red"
        )
    assert entry.actor == "eve\\x0aFAKE ENTRY"
    assert entry.purpose == "find\\x1b[31m red"
    assert audit.verify(fresh_store).ok


def test_database_refuses_update_and_delete(fresh_store: Engine) -> None:
    _append_many(fresh_store, 2)
    for statement in (
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
    ):
        with pytest.raises((DBAPIError, StatementError, StoreError)):
            with writing(fresh_store) as conn:
                conn.execute(text(statement))
    with reading(fresh_store) as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 2
    assert audit.verify(fresh_store).ok


@pytest.mark.parametrize(
    ("statements", "first_bad"),
    [
        (["UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"], 4),
        (["UPDATE audit_log SET details = '{\"i\":99}' WHERE seq = 7"], 7),
        (["DELETE FROM audit_log WHERE seq = 5"], 5),
        (["DELETE FROM audit_log WHERE seq >= 9"], 9),
    ],
    ids=["edited-actor", "edited-details", "deleted-row", "truncated-tail"],
)
def test_tampering_is_named_by_sequence(
    fresh_store: Engine, statements: list[str], first_bad: int
) -> None:
    _append_many(fresh_store, 10)
    _tamper(fresh_store, *statements)
    result = audit.verify(fresh_store)
    assert (result.ok, result.first_bad_seq) == (False, first_bad)
    with pytest.raises(AuditIntegrityError) as caught:
        audit.verify(fresh_store, raise_on_error=True)
    assert caught.value.first_bad_seq == first_bad


def test_swapped_rows_are_detected(fresh_store: Engine) -> None:
    _append_many(fresh_store, 10)
    cols = ["at", "actor", "action", "object_type", "object_id", "details", "prev_hash", "hash"]
    with reading(fresh_store) as conn:
        rows = {
            r.seq: r._mapping
            for r in conn.execute(select(audit_log).where(audit_log.c.seq.in_([3, 4])))
        }

    def assign(row) -> str:
        return ", ".join(f"{c} = '{row[c]}'" for c in cols)

    _tamper(
        fresh_store,
        f"UPDATE audit_log SET {assign(rows[4])} WHERE seq = 3",
        f"UPDATE audit_log SET {assign(rows[3])} WHERE seq = 4",
    )
    result = audit.verify(fresh_store)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_truncation_with_rewound_head_needs_the_external_head(fresh_store: Engine) -> None:
    _append_many(fresh_store, 10)
    with reading(fresh_store) as conn:
        recorded = audit.head(conn)
        eighth = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == 8)).scalar_one()
    _tamper(
        fresh_store,
        "DELETE FROM audit_log WHERE seq > 8",
        f"UPDATE audit_head SET seq = 8, hash = '{eighth}'",
    )
    assert audit.verify(fresh_store).ok  # the store alone cannot tell ...
    result = audit.verify(fresh_store, expected_head=recorded)  # ... the kept head can
    assert (result.ok, result.first_bad_seq) == (False, 9)


def test_external_head_with_wrong_hash_is_named(fresh_store: Engine) -> None:
    _append_many(fresh_store, 5)
    result = audit.verify(fresh_store, expected_head=(3, "f" * 64))
    assert (result.ok, result.first_bad_seq) == (False, 3)


def _writer(url: str, actor: str, n: int) -> None:
    engine = make_engine(url)
    _append_many(engine, n, actor=actor)
    engine.dispose()


def test_concurrent_writers_give_a_gapless_verified_chain(store_url: str) -> None:
    writers, per_writer = 8, 1000
    ctx = mp.get_context("fork")
    procs = [
        ctx.Process(target=_writer, args=(store_url, f"w{i}", per_writer)) for i in range(writers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * writers
    engine = make_engine(store_url)
    result = audit.verify(engine)
    with reading(engine) as conn:
        seqs = [r[0] for r in conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq))]
        per_actor = dict(
            conn.execute(select(audit_log.c.actor, func.count()).group_by(audit_log.c.actor)).all()
        )
    engine.dispose()
    assert (result.ok, result.entries) == (True, writers * per_writer)
    assert seqs == list(range(1, writers * per_writer + 1))
    assert per_actor == {f"w{i}": per_writer for i in range(writers)}
