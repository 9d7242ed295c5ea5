"""A small review world written straight into a fresh store, for the report tests.

A few hundred records of three sources across six boroughs and thirteen years, with victim and
suspect mentions (distinctive invented names, dates of birth, addresses, phones, vehicles),
resolved persons, classifications, flag findings, offender groups, indicators, review items and
decisions including blind second reviews. `ReportWorld.secrets` lists every personal value so
that a test can prove none of it reaches the report.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import Engine, insert

from casereview.model import tables as t
from casereview.model.codes import (
    DecisionKind,
    DecisionOutcome,
    FindingCode,
    IndicatorCode,
    RecordType,
    ReviewStatus,
    Typology,
)
from casereview.store.db import writing

BOROUGHS = ["Ashdown", "Brackenfield", "Coldharbour", "Dunmere", "Elmstead", "Foxley"]
FORENAMES = [
    "Zephyrine",
    "Quillon",
    "Marisabel",
    "Thorvald",
    "Ysolde",
    "Caspian",
    "Orlaith",
    "Ptolemy",
    "Wenonah",
    "Leontyne",
    "Isambard",
    "Xanthe",
]
SURNAMES = [
    "Quarrington",
    "Vexbridge",
    "Oxenholme",
    "Thistlewood",
    "Zabrowski",
    "Marchbanks",
    "Pennywhistle",
    "Grimsditch",
    "Featherstonehaugh",
    "Kettlewell",
]
STREETS = ["Larkspur Crescent", "Wolfsbane Row", "Nightjar Lane", "Cormorant Walk"]
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass
class ReportWorld:
    engine: Engine
    records: int = 0
    secrets: dict[str, set[str]] = field(default_factory=dict)


def _person(rng: random.Random, pid: int, adult: bool) -> dict[str, object]:
    year = rng.randint(1960, 1985) if adult else rng.randint(1992, 2006)
    return {
        "forenames": rng.choice(FORENAMES),
        "surname": rng.choice(SURNAMES),
        "dob": dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
        "address": f"{rng.randint(2, 240)} {rng.choice(STREETS)}",
        "postcode": f"ZZ{rng.randint(10, 99)} {rng.randint(1, 9)}QX",
        "phone": f"+4477009{pid:05d}",
        "vrm": f"QX{pid % 100:02d} {chr(65 + pid % 26)}ZQ",
        "ethnicity": rng.choice(["white", "asian", "black", "mixed", "other", None]),
    }


def build_world(engine: Engine, *, seed: int = 7, n_records: int = 320) -> ReportWorld:
    rng = random.Random(seed)
    world = ReportWorld(engine)
    secrets: dict[str, set[str]] = {
        k: set() for k in ("name", "dob", "address", "postcode", "phone", "vrm", "ref")
    }
    with writing(engine) as conn:
        users = [
            conn.execute(
                insert(t.users)
                .values(
                    username=u,
                    display_name=u.title(),
                    role=r,
                    disabled=False,
                    created_at=NOW,
                )
                .returning(t.users.c.id)
            ).scalar_one()
            for u, r in [("rev1", "reviewer"), ("rev2", "reviewer"), ("sup1", "supervisor")]
        ]
        run_id = conn.execute(
            insert(t.runs)
            .values(
                stage="fixture",
                parameters="{}",
                software_version="test",
                status="succeeded",
                started_at=NOW,
                finished_at=NOW,
            )
            .returning(t.runs.c.id)
        ).scalar_one()
        src_ids: dict[str, int] = {}
        imp_ids: dict[str, int] = {}
        for name, kind in [
            ("met_crime", "police"),
            ("met_intel", "police"),
            ("la_csc", "local_authority"),
        ]:
            src_ids[name] = conn.execute(
                insert(t.sources)
                .values(name=name, kind=kind, created_at=NOW)
                .returning(t.sources.c.id)
            ).scalar_one()
        people = {pid: _person(rng, pid, adult=pid >= 120) for pid in range(1, 200)}
        for pid in people:
            conn.execute(
                insert(t.persons).values(
                    id=pid,
                    display_name=None,
                    mention_count=0,
                    active=True,
                    first_run_id=run_id,
                    last_run_id=run_id,
                )
            )
        record_rows, mention_rows, links = [], [], []
        rec_id = mention_id = 0
        per_source: dict[str, int] = {s: 0 for s in src_ids}
        for _ in range(n_records):
            source = rng.choices(list(src_ids), weights=[5, 2, 3])[0]
            per_source[source] += 1
            rec_id += 1
            rtype = {
                "met_crime": RecordType.CRIME,
                "met_intel": RecordType.INTELLIGENCE,
                "la_csc": rng.choice([RecordType.REFERRAL, RecordType.ASSESSMENT]),
            }[source]
            ref = f"REF/{source[:3].upper()}/{rec_id:06d}Q"
            secrets["ref"].add(ref)
            when = (
                None
                if rng.random() < 0.03
                else dt.date(rng.randint(2008, 2020), rng.randint(1, 12), 15)
            )
            record_rows.append(
                {
                    "id": rec_id,
                    "source_id": src_ids[source],
                    "source_ref": ref,
                    "record_type": rtype.value,
                    "occurred_at": when,
                    "borough": None if rng.random() < 0.04 else rng.choice(BOROUGHS),
                    "cse_flag": rng.choice([True, True, False, None])
                    if source != "met_intel"
                    else rng.choice([True, False]),
                    "outcome": rng.choice(["1", "15", "16", "18", "21"])
                    if rtype == RecordType.CRIME
                    else None,
                    "narrative": f"Narrative naming {rng.choice(FORENAMES)}",
                    "raw": "{}",
                    "content_hash": f"{rec_id:064d}",
                    "import_id": None,
                    "updated_at": NOW,
                    "source_flags": "{}",
                    "factors": "[]",
                }
            )
            for role, pid in [("victim", rng.randint(1, 119)), ("suspect", rng.randint(120, 199))]:
                if role == "suspect" and rng.random() < 0.3:
                    continue
                p = people[pid]
                mention_id += 1
                with_dob = rng.random() < 0.8
                mention_rows.append(
                    {
                        "id": mention_id,
                        "record_id": rec_id,
                        "source_id": src_ids[source],
                        "mention_key": f"{rec_id}-{role}",
                        "role": role,
                        "forenames": p["forenames"],
                        "surname": p["surname"],
                        "name_raw": f"{p['surname']}, {p['forenames']}".upper(),
                        "dob": p["dob"] if with_dob else None,
                        "dob_precision": "day" if with_dob else "none",
                        "ethnicity": p["ethnicity"],
                        "nationality": "British"
                        if source != "la_csc" and rng.random() < 0.7
                        else None,
                        "address": p["address"] if rng.random() < 0.75 else None,
                        "postcode": p["postcode"],
                        "phones": f'["{p["phone"]}"]',
                        "raw": "{}",
                        "content_hash": f"{mention_id:064d}",
                        "aliases": "[]",
                    }
                )
                links.append({"mention_id": mention_id, "person_id": pid, "run_id": run_id})
        for source, sid in src_ids.items():
            n = per_source[source]
            imp_ids[source] = conn.execute(
                insert(t.imports)
                .values(
                    source_id=sid,
                    file_name=f"{source}.csv",
                    file_role="records",
                    sha256=f"{sid:064d}",
                    mapping_name=source,
                    mapping_sha256="0" * 64,
                    rows_read=n + 25,
                    rows_loaded=n,
                    rows_quarantined=25,
                    imported_by="test",
                    started_at=NOW,
                    finished_at=NOW,
                )
                .returning(t.imports.c.id)
            ).scalar_one()
            for k in range(25):
                conn.execute(
                    insert(t.quarantine).values(
                        import_id=imp_ids[source],
                        source_id=sid,
                        file_name=f"{source}.csv",
                        row_number=k + 2,
                        field="date",
                        reason="bad_date" if k < 18 else "missing_required",
                        message="bad",
                        raw='{"name": "Zephyrine Quarrington"}',
                    )
                )
        for row in record_rows:
            sid = row["source_id"]
            row["import_id"] = next(imp_ids[s] for s, i in src_ids.items() if i == sid)
        conn.execute(insert(t.records), record_rows)
        conn.execute(insert(t.mentions), mention_rows)
        conn.execute(insert(t.mention_person), links)
        for pid, p in people.items():
            obj = conn.execute(
                insert(t.objects)
                .values(kind="vehicle", value=str(p["vrm"]).replace(" ", ""))
                .returning(t.objects.c.id)
            ).scalar_one()
            conn.execute(
                insert(t.record_objects).values(
                    record_id=1 + pid % rec_id, object_id=obj, raw_value=str(p["vrm"])
                )
            )
            secrets["name"].add(f"{p['forenames']} {p['surname']}")
            secrets["dob"].add(p["dob"].isoformat())  # type: ignore[attr-defined]
            secrets["dob"].add(p["dob"].strftime("%d/%m/%Y"))  # type: ignore[attr-defined]
            secrets["address"].add(str(p["address"]))
            secrets["postcode"].add(str(p["postcode"]))
            secrets["phone"].add(str(p["phone"]))
            secrets["vrm"].add(str(p["vrm"]))
            secrets["vrm"].add(str(p["vrm"]).replace(" ", ""))
        labels, findings = [], []
        for rid in range(1, rec_id + 1):
            for label in rng.sample(list(Typology), rng.choice([0, 1, 1, 2])):
                labels.append(
                    {
                        "record_id": rid,
                        "label": label.value,
                        "strength": 0.9,
                        "rule_ids": "[]",
                        "evidence": "{}",
                        "rules_version": "1",
                        "run_id": run_id,
                    }
                )
            if rng.random() < 0.2:
                code = rng.choice(
                    [
                        FindingCode.MISSING_CSE_FLAG,
                        FindingCode.WRONG_CSE_FLAG,
                        FindingCode.MISSING_CSE_FLAG,
                        FindingCode.POLICE_LA_MISMATCH,
                    ]
                )
                findings.append(
                    {
                        "record_id": rid,
                        "code": code.value,
                        "evidence": "{}",
                        "rules_version": "1",
                        "run_id": run_id,
                    }
                )
        conn.execute(insert(t.classifications), labels)
        conn.execute(insert(t.flag_findings), findings)
        for gid in range(1, 15):
            size = rng.choice([2, 3, 3, 4, 5, 6, 12])
            first = dt.date(rng.randint(2008, 2016), 3, 1)
            conn.execute(
                insert(t.groups).values(
                    id=gid,
                    size=size,
                    victim_count=rng.randint(1, 6),
                    record_count=rng.randint(3, 30),
                    first_seen=first,
                    last_seen=first + dt.timedelta(days=rng.randint(30, 3000)),
                    boroughs=f'["{rng.choice(BOROUGHS)}"'
                    + (f', "{rng.choice(BOROUGHS)}"]' if gid % 2 else "]"),
                    summary="{}",
                    active=True,
                    run_id=run_id,
                )
            )
            for pid in rng.sample(range(120, 200), size):
                conn.execute(
                    insert(t.group_members).values(group_id=gid, person_id=pid, role="offender")
                )
        seen = set()
        for _ in range(90):
            code = rng.choice(list(IndicatorCode)[:6])
            rid = rng.randint(1, rec_id)
            if (code, rid) in seen:
                continue
            seen.add((code, rid))
            conn.execute(
                insert(t.indicators).values(
                    code=code.value,
                    subject_type="record",
                    subject_id=rid,
                    record_id=rid,
                    evidence="{}",
                    run_id=run_id,
                )
            )
        statuses = (
            [ReviewStatus.NEW] * 40
            + [ReviewStatus.ASSIGNED] * 12
            + [ReviewStatus.IN_REVIEW] * 6
            + [ReviewStatus.AWAITING_SIGN_OFF] * 4
            + [ReviewStatus.CLOSED] * 30
        )
        outcomes = list(DecisionOutcome)
        for k, status in enumerate(statuses, start=1):
            item = conn.execute(
                insert(t.review_items)
                .values(
                    subject_type="record",
                    subject_id=k,
                    status=status.value,
                    priority=1.0,
                    score_breakdown="{}",
                    evidence_hash="0" * 64,
                    created_at=NOW,
                    updated_at=NOW,
                    active=True,
                    second_review=False,
                    needs_another_look=False,
                )
                .returning(t.review_items.c.id)
            ).scalar_one()
            if status in (ReviewStatus.AWAITING_SIGN_OFF, ReviewStatus.CLOSED):
                first = rng.choice(outcomes[:3])
                conn.execute(
                    insert(t.decisions).values(
                        review_item_id=item,
                        kind=DecisionKind.DECISION.value,
                        outcome=first.value,
                        rationale="r",
                        user_id=users[0],
                        created_at=NOW,
                    )
                )
                if status == ReviewStatus.CLOSED and k % 2:
                    second = first if rng.random() < 0.75 else rng.choice(outcomes[:3])
                    conn.execute(
                        insert(t.decisions).values(
                            review_item_id=item,
                            kind=DecisionKind.SECOND_REVIEW.value,
                            outcome=second.value,
                            rationale="r",
                            user_id=users[1],
                            created_at=NOW,
                        )
                    )
    world.records = rec_id
    world.secrets = secrets
    return world
