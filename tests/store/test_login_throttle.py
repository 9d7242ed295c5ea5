"""Issue 22 items 4 and 10: sign-in throttling that cannot lock a user out, hashing outside any
write transaction, anonymous attempts audited in aggregate without what was typed."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from casereview.model.tables import audit_log, login_attempts
from casereview.store import audit, users
from casereview.store.db import reading, writing
from casereview.store.users import LoginPolicy, create_user, unlock_user, verify_login

GOOD = "violet-harbour-lantern-42"
NOW = dt.datetime(2025, 3, 1, 12, 0, 30, tzinfo=dt.UTC)
POLICY = LoginPolicy(free_failures=3, base_delay_s=1, max_delay_s=60, client_max_failures=10)


def _reason(
    engine: Engine,
    username: str,
    password: str,
    client: str,
    at: dt.datetime,
    policy: LoginPolicy = POLICY,
) -> str:
    return verify_login(engine, username, password, client=client, policy=policy, now=at)[0].reason


@pytest.fixture
def store(fresh_store: Engine) -> Engine:
    with writing(fresh_store) as conn:
        create_user(conn, "eve", "Eve", "reviewer", GOOD)
    return fresh_store


def test_attacker_failures_delay_only_their_own_address(store: Engine) -> None:
    """An attacker at c1 failing 30 times against eve: c1 is delayed exponentially, eve at
    c2 signs in at once (no lock-out of a known user)."""
    at = NOW
    reasons = []
    for i in range(30):
        reasons.append(_reason(store, "eve", f"wrong-password-{i}", "c1", at))
    # 3 free failures, then every attempt within the delay is refused unchecked.
    assert reasons[:3] == ["bad_credentials"] * 3
    assert set(reasons[3:]) == {"throttled"}
    assert _reason(store, "eve", GOOD, "c1", at) == "throttled"  # even the right password
    assert _reason(store, "eve", GOOD, "c2", at) == "ok"  # the user, elsewhere: never locked


def test_delay_doubles_and_is_capped(store: Engine) -> None:
    result: Any
    patient = LoginPolicy(free_failures=3, max_delay_s=60, client_max_failures=100)
    at = NOW
    waits: list[int] = []
    for i in range(30):
        result, _ = verify_login(store, "eve", f"bad-{i}", client="c1", policy=patient, now=at)
        if result.reason == "throttled":
            waits.append(result.retry_after_s)
            at += dt.timedelta(seconds=result.retry_after_s)
        if len(waits) == 7:
            break
    # After the free failures each checked failure doubles the wait: 1, 2, 4... capped at 60.
    assert waits == [1, 2, 4, 8, 16, 32, 60]
    assert _reason(store, "eve", "bad-last", "c1", at, patient) == "bad_credentials"
    result, _ = verify_login(store, "eve", GOOD, client="c1", policy=patient, now=at)
    assert (result.reason, result.retry_after_s) == ("throttled", 60)
    at += dt.timedelta(seconds=60)
    assert _reason(store, "eve", GOOD, "c1", at, patient) == "ok"
    # A success clears the pair's delay.
    assert _reason(store, "eve", "bad-again", "c1", at, patient) == "bad_credentials"


def test_admin_unlock_clears_the_delay_and_is_audited(store: Engine) -> None:
    for i in range(6):
        _reason(store, "eve", f"bad-{i}", "c1", NOW)
    assert _reason(store, "eve", GOOD, "c1", NOW) == "throttled"
    with writing(store) as conn:
        cleared = unlock_user(conn, "eve", actor="adm", client="cli os-user=root")
    assert cleared == 3
    assert _reason(store, "eve", GOOD, "c1", NOW) == "ok"
    with reading(store) as conn:
        last = [e for e in audit.iter_entries(conn) if e.action == "admin"][-1]
    assert (last.actor, last.client, last.details_dict) == (
        "adm",
        "cli os-user=root",
        {"operation": "unlock_user", "failures_cleared": 3},
    )


def test_spraying_from_one_address_is_throttled(store: Engine) -> None:
    for i in range(10):
        _reason(store, f"user{i}", "whatever-password", "c9", NOW)
    assert _reason(store, "eve", GOOD, "c9", NOW) == "throttled"
    assert _reason(store, "eve", GOOD, "c8", NOW) == "ok"


def test_anonymous_attempts_are_audited_in_aggregate_without_the_typed_text(
    store: Engine,
) -> None:
    typed = ["Password-Typed-In-Username-1!", "nobody", "admin"]
    for name in typed:
        _reason(store, name, "x" * 12, "c1", NOW)
    for _ in range(5):  # throttled (never checked) attempts count too
        _reason(store, "eve", "bad-password-x", "c5", NOW)
    with reading(store) as conn:
        assert (
            conn.execute(select(audit_log.c.seq).where(audit_log.c.actor == "anonymous")).all()
            == []
        )
    # The next attempt after the interval writes one aggregate entry for it.
    later = NOW + dt.timedelta(minutes=16)
    _reason(store, "eve", GOOD, "c2", later)
    with reading(store) as conn:
        entries = list(audit.iter_entries(conn))
        kept = {r[0] for r in conn.execute(select(login_attempts.c.username))}
    anonymous = [e for e in entries if e.actor == "anonymous"]
    assert [(e.action, e.details_dict) for e in anonymous] == [
        (
            "sign_in_failed",
            {
                "interval_start": "2025-03-01T12:00:00+00:00",
                "interval_end": "2025-03-01T12:15:00+00:00",
                "attempts": 5,
                "throttled": 2,
                "clients": 2,
            },
        )
    ]
    everything = " ".join(str(v) for e in entries for v in e.__dict__.values()) + " ".join(kept)
    assert all(name not in everything for name in typed[:2])
    assert audit.verify(store).ok
    # Aggregated once: a further attempt writes no second entry for the same interval.
    _reason(store, "eve", GOOD, "c2", later)
    with reading(store) as conn:
        assert sum(e.actor == "anonymous" for e in audit.iter_entries(conn)) == 1


def test_password_hashing_runs_outside_any_write_transaction(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While Argon2 verifies, another writer can commit (the write lock is not held)."""
    committed: list[bool] = []
    real = users._hasher

    class Probing(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            def write() -> None:
                with writing(store) as conn:
                    audit.append(conn, actor="probe", action="verify")
                committed.append(True)

            writer = threading.Thread(target=write)
            writer.start()
            writer.join(10)
            return real.verify(hash, password)

    monkeypatch.setattr(users, "_hasher", Probing(time_cost=1, memory_cost=1024, parallelism=1))
    assert _reason(store, "eve", GOOD, "c1", NOW) == "ok"
    assert _reason(store, "nobody", GOOD, "c1", NOW) == "bad_credentials"
    assert committed == [True, True]
