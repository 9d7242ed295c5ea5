"""The tamper-evident audit log (Data Protection Act 2018, section 62).

Each entry has a gapless sequence number and a SHA-256 hash over the previous entry's hash
and the canonical JSON of its own fields, so editing, deleting, swapping or truncating past
entries breaks the chain. Appends happen inside the caller's transaction (the entry commits
with the change it records, or not at all) and are serialised by a lock on the single
`audit_head` row (PostgreSQL) or by SQLite's write lock (BEGIN IMMEDIATE). The database
itself refuses UPDATE and DELETE on `audit_log` (triggers, see migration 0002).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from casereview.errors import AccessDenied, AuditIntegrityError, StoreBusy
from casereview.model.codes import AuditAction
from casereview.model.serial import canonical_json, from_json
from casereview.model.tables import audit_head, audit_log
from casereview.store.db import reading, writing, writing_briefly

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "ConsultationQueue",
    "VerifyResult",
    "append",
    "denials_audited",
    "entry_hash",
    "head",
    "iter_entries",
    "verify",
]

GENESIS_HASH = "0" * 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "recipient",
    "client",
    "details",
    "prev_hash",
)


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry as stored."""

    seq: int
    at: str
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    recipient: str | None
    client: str | None
    details: str
    prev_hash: str
    hash: str

    @property
    def details_dict(self) -> dict[str, Any]:
        return dict(from_json(self.details, {}))


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def _clean(text: str | None, limit: int = 2000) -> str | None:
    """Escape control characters (log injection) and bound the length of free text."""
    if text is None:
        return None
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return escaped[:limit]


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the entry's fields."""
    payload = canonical_json({name: fields[name] for name in _HASHED_FIELDS})
    return hashlib.sha256((fields["prev_hash"] + payload).encode("utf-8")).hexdigest()


def _lock_head(conn: Connection) -> tuple[int, str]:
    query = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).one()
    return int(row.seq), str(row.hash)


def append(
    conn: Connection,
    *,
    actor: str,
    action: AuditAction | str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    purpose: str | None = None,
    recipient: str | None = None,
    client: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: str | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's (write) transaction and return it.

    `details` must hold identifiers and counts only: never passwords, tokens or narratives.
    `at` (ISO UTC) is when the event happened, for an entry written after it (a queued
    consultation); by default now.
    """
    action_value = AuditAction(action).value
    seq, prev_hash = _lock_head(conn)
    fields: dict[str, Any] = {
        "seq": seq + 1,
        "at": at or _utc_now(),
        "actor": _clean(actor, 64) or "unknown",
        "action": action_value,
        "object_type": _clean(object_type, 32),
        "object_id": _clean(None if object_id is None else str(object_id), 200),
        "purpose": _clean(purpose),
        "recipient": _clean(recipient),
        "client": _clean(client, 100),
        "details": canonical_json(dict(details or {})),
        "prev_hash": prev_hash,
    }
    fields["hash"] = entry_hash(fields)
    conn.execute(insert(audit_log).values(**fields))
    conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(seq=fields["seq"], hash=fields["hash"])
    )
    return AuditEntry(**fields)


def append_alone(
    engine: Engine, *, actor: str, action: AuditAction | str, **fields: Any
) -> AuditEntry:
    """`append` in a write transaction of its own: for a consultation, refusal or check that
    changes nothing else (the CLI's views, denials and verifications)."""
    with writing(engine) as conn:
        return append(conn, actor=actor, action=action, **fields)


@contextmanager
def denials_audited(
    engine: Engine,
    *,
    actor: str,
    object_type: str | None,
    object_id: str | int | None,
    client: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """An `AccessDenied` raised inside is audited as DENIED (in a transaction of its own,
    after the refused work has rolled back) and raised again."""
    try:
        yield
    except AccessDenied as refused:
        append_alone(
            engine,
            actor=actor,
            action=AuditAction.DENIED,
            object_type=object_type,
            object_id=object_id,
            client=client,
            details={**(details or {}), "reason": str(refused)},
        )
        raise


log = logging.getLogger("casereview.audit")


class ConsultationQueue:
    """Audit entries of consultations (page views, searches, refusals) that never wait long.

    An entry is written at once in a short transaction that waits at most `try_s` for the
    write lock. When another writer holds it (a pipeline stage), the entry is queued instead,
    with the time of the consultation, and a background thread commits the queue in short
    transactions as soon as the lock is free, in order. Once the oldest queued entry has
    waited `max_age_s`, `record` raises StoreBusy: the caller answers 503 rather than show
    more than that unrecorded. `flush` waits for the queue to empty (the app's shutdown).
    """

    def __init__(
        self, engine: Engine, *, wait_s: float, max_age_s: float, try_s: float = 0.05
    ) -> None:
        self.engine = engine
        self.wait_s, self.max_age_s, self.try_s = wait_s, max_age_s, min(try_s, wait_s)
        self._pending: deque[tuple[float, dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def record(self, **fields: Any) -> None:
        """Write one consultation entry now, or queue it; StoreBusy when the queue is stale."""
        fields.setdefault("at", _utc_now())
        with self._lock:
            if self._pending:
                self._enqueue_locked(fields)
                return
        try:
            with writing_briefly(self.engine, self.try_s) as conn:
                append(conn, **fields)
        except StoreBusy:
            with self._lock:
                self._enqueue_locked(fields)

    def _enqueue_locked(self, fields: dict[str, Any]) -> None:
        now = time.monotonic()
        if self._pending and now - self._pending[0][0] > self.max_age_s:
            raise StoreBusy(
                f"{len(self._pending)} audit entries have waited over {self.max_age_s:g} s "
                "for the store's write lock"
            )
        self._pending.append((now, fields))
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._drain, name="casereview-audit-queue", daemon=True
            )
            self._writer.start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._writer = None  # decided under the lock: a new entry starts a writer
                    return
                batch = [fields for _, fields in list(self._pending)[:500]]
            try:
                with writing_briefly(self.engine, self.wait_s) as conn:
                    for fields in batch:
                        append(conn, **fields)
            except StoreBusy:
                continue  # the lock is still held: try again (each try waits wait_s)
            except Exception:  # the store is gone or broken: keep the entries, retry later
                log.exception("queued audit entries could not be written; retrying")
                time.sleep(self.wait_s)
                continue
            with self._lock:
                for _ in batch:
                    self._pending.popleft()

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued entry is written; False if some are left after the timeout."""
        writer = self._writer
        if writer is not None:
            writer.join(timeout_s)
        with self._lock:
            return not self._pending


def head(conn: Connection) -> tuple[int, str]:
    """The recorded head of the chain: (last sequence number, its hash)."""
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
    return int(row.seq), str(row.hash)


def iter_entries(conn: Connection, *, batch: int = 5000) -> Iterator[AuditEntry]:
    """Every entry in sequence order, read in batches."""
    last = 0
    columns = [audit_log.c[name] for name in (*_HASHED_FIELDS, "hash")]
    while True:
        rows = conn.execute(
            select(*columns).where(audit_log.c.seq > last).order_by(audit_log.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield AuditEntry(**row._mapping)
        last = int(rows[-1].seq)


def verify(
    engine: Engine, *, expected_head: tuple[int, str] | None = None, raise_on_error: bool = False
) -> VerifyResult:
    """Walk the chain; name the first broken sequence number.

    Detects an edited field (hash mismatch), a deleted row (gap), swapped rows (sequence or
    link mismatch) and a truncated tail (the chain ends before the recorded head, or before
    `expected_head` when one recorded outside the database is given).
    """
    with reading(engine) as conn:
        stored_head = head(conn)
        count = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        expected_seq, prev = 1, GENESIS_HASH
        hash_at_expected: str | None = None
        result: VerifyResult | None = None
        for entry in iter_entries(conn):
            problem = None
            if entry.seq != expected_seq:
                problem = f"sequence {expected_seq} is missing (next entry is {entry.seq})"
            elif entry.prev_hash != prev:
                problem = f"entry {entry.seq} does not follow entry {entry.seq - 1}"
            elif entry_hash(entry.__dict__) != entry.hash:
                problem = f"entry {entry.seq} was altered (its hash does not match its content)"
            if problem:
                result = VerifyResult(False, count, *stored_head, expected_seq, problem)
                break
            if expected_head is not None and entry.seq == expected_head[0]:
                hash_at_expected = entry.hash
            prev = entry.hash
            expected_seq += 1
    if result is None:
        result = _check_tail(expected_seq - 1, prev, stored_head, expected_head, hash_at_expected)
        result = VerifyResult(result.ok, count, *stored_head, result.first_bad_seq, result.problem)
    if raise_on_error and not result.ok:
        assert result.first_bad_seq is not None
        raise AuditIntegrityError(result.problem or "audit chain broken", result.first_bad_seq)
    return result


def _check_tail(
    last_seq: int,
    last_hash: str,
    stored_head: tuple[int, str],
    expected_head: tuple[int, str] | None,
    hash_at_expected: str | None,
) -> VerifyResult:
    """Compare the end of an intact chain with the recorded head (and an external one)."""
    head_seq, head_hash = stored_head
    if last_seq < head_seq:
        return _bad(
            last_seq + 1, f"chain ends at {last_seq} but the head is {head_seq}: tail truncated"
        )
    if last_seq > head_seq:
        return _bad(head_seq + 1, f"chain runs past the recorded head {head_seq}: head rolled back")
    if head_seq > 0 and last_hash != head_hash:
        return _bad(head_seq, f"entry {head_seq} does not match the recorded head's hash")
    if expected_head is not None:
        seq, expected_hash = expected_head
        if last_seq < seq:
            return _bad(
                last_seq + 1, f"chain ends at {last_seq} but {seq} was recorded: tail truncated"
            )
        if seq > 0 and hash_at_expected != expected_hash:
            return _bad(seq, f"entry {seq} does not match the hash recorded for it")
    return VerifyResult(True, 0, *stored_head)


def _bad(seq: int, problem: str) -> VerifyResult:
    return VerifyResult(False, 0, 0, "", seq, problem)
