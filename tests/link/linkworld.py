"""Link test helpers: mentions written straight into a store (no ingest) and a tiny world."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, insert, select

from casereview.model.tables import imports, mentions, records, sources, users
from casereview.store.db import writing

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _source_id(conn: Any, name: str) -> tuple[int, int]:
    sid = conn.execute(select(sources.c.id).where(sources.c.name == name)).scalar()
    if sid is None:
        sid = conn.execute(
            insert(sources).values(name=name, kind="police", created_at=NOW).returning(sources.c.id)
        ).scalar_one()
    iid = conn.execute(
        insert(imports)
        .values(
            source_id=sid,
            file_name=f"{name}.csv",
            file_role="main",
            sha256=f"{name}-{dt.datetime.now().timestamp()}",
            mapping_name="test",
            mapping_sha256="0" * 64,
            rows_read=0,
            rows_loaded=0,
            rows_quarantined=0,
            imported_by="test",
            started_at=NOW,
            finished_at=NOW,
        )
        .returning(imports.c.id)
    ).scalar_one()
    return int(sid), int(iid)


def add_mentions(engine: Engine, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Insert one record and one mention per row; returns mention_key -> mention id.

    Row keys: key (mention_key), source (default 'met_crime'), forenames, surname, dob
    (ISO text or None), dob_precision, age, sex, postcode, address, phones (list), role,
    event (ISO date of the record).
    """
    out: dict[str, int] = {}
    with writing(engine) as conn:
        cache: dict[str, tuple[int, int]] = {}
        for row in rows:
            src = row.get("source", "met_crime")
            if src not in cache:
                cache[src] = _source_id(conn, src)
            sid, iid = cache[src]
            key = row["key"]
            rid = conn.execute(
                insert(records)
                .values(
                    source_id=sid,
                    source_ref=f"R-{key}",
                    record_type="crime",
                    occurred_at=dt.date.fromisoformat(row.get("event", "2015-06-01")),
                    raw="{}",
                    content_hash=key,
                    import_id=iid,
                    updated_at=NOW,
                )
                .returning(records.c.id)
            ).scalar_one()
            dob = row.get("dob")
            mid = conn.execute(
                insert(mentions)
                .values(
                    record_id=rid,
                    source_id=sid,
                    mention_key=key,
                    role=row.get("role", "victim"),
                    forenames=row.get("forenames"),
                    surname=row.get("surname"),
                    dob=dt.date.fromisoformat(dob) if dob else None,
                    dob_precision=row.get("dob_precision", "day" if dob else "none"),
                    age_at_event=row.get("age"),
                    sex=row.get("sex"),
                    postcode=row.get("postcode"),
                    address=row.get("address"),
                    phones=json.dumps(row.get("phones", [])),
                    raw="{}",
                    content_hash=key,
                )
                .returning(mentions.c.id)
            ).scalar_one()
            out[key] = int(mid)
    return out


def add_user(engine: Engine, username: str = "reviewer1") -> int:
    with writing(engine) as conn:
        return int(
            conn.execute(
                insert(users)
                .values(username=username, display_name=username, role="reviewer", created_at=NOW)
                .returning(users.c.id)
            ).scalar_one()
        )


FORENAMES = [
    ("Robert", "Bob"),
    ("Katarzyna", "Kasia"),
    ("Mohammed", "Muhammad"),
    ("Aleksander", "Alexander"),
    ("Oluwaseun", "Seun"),
    ("Siobhan", "Shivaun"),
    ("Hussain", "Hossain"),
    ("Jessica", "Jess"),
    ("Ionut", "Ionuț"),
    ("Ayesha", "Aisha"),
    ("Kwame", "Kwame"),
    ("Fatima", "Fatema"),
    ("Daniel", "Danny"),
    ("Chloe", "Chloe"),
    ("Mehmet", "Mehmet"),
    ("Priya", "Priya"),
    ("Abdirahman", "Abdurahman"),
    ("Shanice", "Shaniece"),
    ("Tomasz", "Tomasz"),
    ("Grace", "Grace"),
]
SURNAMES = [
    "Smith",
    "Kowalski",
    "Begum",
    "Okafor",
    "Murphy",
    "Ahmed",
    "Popescu",
    "Hoxha",
    "Yilmaz",
    "Mensah",
    "Campbell",
    "Khan",
    "Chowdhury",
    "Patel",
    "Silva",
    "Warsame",
    "Brown",
    "Nguyen",
    "Smith-Jones",
    "O'Brien",
    "Wojcik",
    "Mohamud",
    "Osei",
    "Clarke",
    "Akhtar",
    "Taylor",
]


def tiny_people(seed: int, n_people: int, prefix: str = "p") -> list[dict[str, Any]]:
    """A small deterministic world: each person written 2-4 times with realistic noise.
    Each row has `person` (the truth) besides the mention columns."""
    import random

    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n_people):
        formal, variant = rng.choice(FORENAMES)
        surname = rng.choice(SURNAMES)
        born = dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
        sex = rng.choice(["female", "male"])
        postcode = (
            f"E{rng.randint(1, 18)} {rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}"
        )
        phone = f"+4477009{rng.randint(0, 99999):05d}"
        for j in range(rng.randint(2, 4)):
            fore, sur, dob = formal, surname, born.isoformat()
            noise = rng.random()
            if noise < 0.15:
                fore = variant
            elif noise < 0.22 and born.day <= 12 and born.day != born.month:
                dob = dt.date(born.year, born.day, born.month).isoformat()
            elif noise < 0.28:
                dob = None
            elif noise < 0.32:
                fore, sur = sur, fore
            rows.append(
                {
                    "key": f"{prefix}{i}-{j}",
                    "source": rng.choice(["met_crime", "la_csc"]),
                    "person": f"{prefix}{i}",
                    "forenames": fore,
                    "surname": sur,
                    "dob": dob,
                    "sex": sex if rng.random() > 0.1 else None,
                    "postcode": postcode if rng.random() > 0.3 else None,
                    "phones": [phone] if rng.random() > 0.6 else [],
                    "role": rng.choice(["victim", "suspect", "witness"]),
                }
            )
    return rows


def add_planted(
    rows: list[dict[str, Any]], planted: Mapping[str, Iterable[Mapping[str, Any]]]
) -> tuple[dict[int, str], dict[str, int]]:
    """Append the planted people's mention rows to `rows` (a test world's background people):
    a mention's `record` (a name) becomes a record id shared by every mention naming it. Then
    every row is numbered (`mention_id` 1, 2, ...) and given what a mention row must carry
    (its own record, met_crime, an event date, a day-precise date of birth). Returns each
    planted mention id's person and the records' ids by name."""
    people: dict[int, str] = {}
    records: dict[str, int] = {}
    for person, their in planted.items():
        for mention in their:
            row = {k: v for k, v in mention.items() if k != "record"}
            if "record" in mention:
                row["record_id"] = records.setdefault(mention["record"], 100_000 + len(records))
            rows.append(row)
            people[len(rows)] = person
    for i, row in enumerate(rows, start=1):
        row["mention_id"] = i
        row.setdefault("record_id", i)
        row.setdefault("source", "met_crime")
        row.setdefault("event_date", "2022-06-01")
        if row.get("dob"):
            row.setdefault("dob_precision", "day")
    return people, records
