"""Worlds for the review stage.

`indicator_store`: tests/review/indicator_world.py built by the real pipeline, which the
indicator and review-build tests read. `ReviewWorld` inserts rows directly into a fresh store,
persons and review items included: the workflow tests (tests/review/test_workflow*.py,
tests/cli/test_review_cli.py) use it for the items they move through the workflow; what the
review build derives is tested on `indicator_store`."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from casereview.model.codes import ReviewStatus, UserRole
from casereview.model.serial import canonical_json
from casereview.model.tables import (
    classifications,
    flag_findings,
    group_members,
    groups,
    imports,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    record_links,
    record_locations,
    record_objects,
    records,
    review_items,
    runs,
    sources,
    team_members,
    teams,
    users,
)
from casereview.store.access import Actor, load_actor
from casereview.store.db import reading, writing
from review.indicator_world import World, build_indicator_world

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class ReviewWorld:
    """Builds sources, records, mentions, persons, users and teams with direct inserts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._refs = itertools.count(1)
        self._mentions = itertools.count(1)
        self._persons: set[int] = set()
        self.sources: dict[str, int] = {}
        self.import_ids: dict[str, int] = {}
        with writing(engine) as conn:
            self.run_id = int(
                conn.execute(
                    insert(runs)
                    .values(
                        stage="link",
                        parameters="{}",
                        software_version="test",
                        status="succeeded",
                        started_at=NOW,
                    )
                    .returning(runs.c.id)
                ).scalar_one()
            )

    # ------------------------------------------------------------------ case content

    def source(self, name: str, kind: str = "police") -> int:
        if name not in self.sources:
            with writing(self.engine) as conn:
                sid = int(
                    conn.execute(
                        insert(sources)
                        .values(name=name, kind=kind, created_at=NOW)
                        .returning(sources.c.id)
                    ).scalar_one()
                )
                self.import_ids[name] = int(
                    conn.execute(
                        insert(imports)
                        .values(
                            source_id=sid,
                            file_name=f"{name}.csv",
                            file_role="records",
                            sha256=name.ljust(64, "0")[:64],
                            mapping_name=name,
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
                )
            self.sources[name] = sid
        return self.sources[name]

    def record(
        self,
        source: str,
        record_type: str,
        occurred: dt.date | str,
        *,
        kind: str | None = None,
        ref: str | None = None,
        closed: dt.date | str | None = None,
        outcome: str | None = None,
        cse_flag: bool | None = None,
        factors: list[str] | None = None,
        referral_made: bool | None = None,
        people: list[dict[str, Any]] | None = None,
    ) -> int:
        """A record with its mentions; each person dict: person, role and mention columns."""
        if kind is None:
            kind = "local_authority" if source.startswith("la") else "police"
        sid = self.source(source, kind)
        ref = ref or f"{source.upper()}-{next(self._refs)}"
        with writing(self.engine) as conn:
            rid = int(
                conn.execute(
                    insert(records)
                    .values(
                        source_id=sid,
                        source_ref=ref,
                        record_type=record_type,
                        occurred_at=_date(occurred),
                        closed_at=_date(closed),
                        cse_flag=cse_flag,
                        factors=canonical_json(factors or []),
                        outcome=outcome,
                        referral_made=referral_made,
                        raw="{}",
                        content_hash=ref.ljust(64, "0")[:64],
                        import_id=self.import_ids[source],
                        updated_at=NOW,
                        source_flags="{}",
                    )
                    .returning(records.c.id)
                ).scalar_one()
            )
            for person in people or []:
                self._mention(conn, rid, sid, dict(person))
        return rid

    def _mention(self, conn: Any, record_id: int, source_id: int, spec: dict[str, Any]) -> int:
        person_id = spec.pop("person", None)
        if "dob" in spec:
            spec["dob"] = _date(spec["dob"])
        phones = spec.pop("phones", [])
        spec.setdefault("role", "victim")
        mid = int(
            conn.execute(
                insert(mentions)
                .values(
                    record_id=record_id,
                    source_id=source_id,
                    mention_key=f"m{next(self._mentions)}",
                    aliases="[]",
                    phones=canonical_json(phones),
                    raw="{}",
                    content_hash="0" * 64,
                    dob_precision="day" if spec.get("dob") else "none",
                    **spec,
                )
                .returning(mentions.c.id)
            ).scalar_one()
        )
        if person_id is not None:
            if person_id not in self._persons:
                conn.execute(
                    insert(persons).values(
                        id=person_id, display_name=f"P{person_id}", mention_count=1
                    )
                )
                self._persons.add(person_id)
            conn.execute(
                insert(mention_person).values(
                    mention_id=mid, person_id=person_id, run_id=self.run_id
                )
            )
        return mid

    def link(self, from_record: int, to_record: int) -> None:
        with writing(self.engine) as conn:
            ref = conn.execute(
                select(records.c.source_ref).where(records.c.id == to_record)
            ).scalar_one()
            conn.execute(
                insert(record_links).values(
                    record_id=from_record, to_source_ref=ref, to_record_id=to_record
                )
            )

    def obj(self, record_id: int, kind: str, value: str, role: str | None = None) -> None:
        """An object on the record (held by its first mention in `role`, if given)."""
        with writing(self.engine) as conn:
            mid = None
            if role is not None:
                mid = conn.execute(
                    select(mentions.c.id)
                    .where(mentions.c.record_id == record_id, mentions.c.role == role)
                    .order_by(mentions.c.id)
                ).scalar()
            oid = conn.execute(
                select(objects.c.id).where(objects.c.kind == kind, objects.c.value == value)
            ).scalar()
            if oid is None:
                oid = conn.execute(
                    insert(objects).values(kind=kind, value=value).returning(objects.c.id)
                ).scalar_one()
            conn.execute(
                insert(record_objects).values(record_id=record_id, object_id=oid, mention_id=mid)
            )

    def place(self, record_id: int, key: str, location_type: str = "hotel") -> None:
        with writing(self.engine) as conn:
            lid = conn.execute(
                select(locations.c.id).where(locations.c.location_key == key)
            ).scalar()
            if lid is None:
                lid = conn.execute(
                    insert(locations)
                    .values(location_key=key, location_type=location_type, address=key)
                    .returning(locations.c.id)
                ).scalar_one()
            conn.execute(
                insert(record_locations).values(
                    record_id=record_id, location_id=lid, relation="incident_location"
                )
            )

    def classify(self, record_id: int, label: str = "cse_likely", strength: float = 0.9) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                insert(classifications).values(
                    record_id=record_id,
                    label=label,
                    strength=strength,
                    rule_ids="[]",
                    evidence="{}",
                    rules_version="t",
                    run_id=self.run_id,
                )
            )

    def finding(self, record_id: int, code: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(
                insert(flag_findings).values(
                    record_id=record_id,
                    code=code,
                    evidence="{}",
                    rules_version="t",
                    run_id=self.run_id,
                )
            )

    def group(self, group_id: int, offenders: list[int], victims: list[int] = ()) -> None:  # type: ignore[assignment]
        with writing(self.engine) as conn:
            conn.execute(
                insert(groups).values(
                    id=group_id,
                    size=len(offenders),
                    victim_count=len(victims),
                    record_count=0,
                    boroughs="[]",
                    summary="{}",
                    run_id=self.run_id,
                )
            )
            for pid in [*offenders, *victims]:
                if pid not in self._persons:
                    conn.execute(
                        insert(persons).values(id=pid, display_name=f"P{pid}", mention_count=0)
                    )
                    self._persons.add(pid)
            for pid in offenders:
                conn.execute(
                    insert(group_members).values(group_id=group_id, person_id=pid, role="offender")
                )
            for pid in victims:
                conn.execute(
                    insert(group_members).values(group_id=group_id, person_id=pid, role="victim")
                )

    # ------------------------------------------------------------------ people and work

    def team(self, name: str) -> int:
        with writing(self.engine) as conn:
            return int(
                conn.execute(
                    insert(teams).values(name=name, created_at=NOW).returning(teams.c.id)
                ).scalar_one()
            )

    def user(self, username: str, role: UserRole, *team_ids: int) -> Actor:
        with writing(self.engine) as conn:
            uid = conn.execute(
                insert(users)
                .values(username=username, display_name=username, role=role.value, created_at=NOW)
                .returning(users.c.id)
            ).scalar_one()
            for tid in team_ids:
                conn.execute(insert(team_members).values(team_id=tid, user_id=uid, added_at=NOW))
        with reading(self.engine) as conn:
            return load_actor(conn, username)

    def item(
        self, subject_id: int, *, team_id: int | None = None, subject_type: str = "record"
    ) -> int:
        with writing(self.engine) as conn:
            return int(
                conn.execute(
                    insert(review_items)
                    .values(
                        subject_type=subject_type,
                        subject_id=subject_id,
                        team_id=team_id,
                        status=ReviewStatus.NEW.value,
                        priority=1.0,
                        score_breakdown="{}",
                        evidence_hash="0" * 64,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                    .returning(review_items.c.id)
                ).scalar_one()
            )


def indicator_world(w: ReviewWorld) -> dict[str, int]:
    """A world with one planted case of each indicator and near misses beside them."""
    adult, kid = "1980-06-01", "2000-01-01"
    r: dict[str, int] = {}
    # Child 1: victim of an exploitation crime; suspect 12 belongs to detected group 100.
    r["C1"] = w.record(
        "met_crime", "crime", "2014-01-10", cse_flag=True, outcome="21",
        people=[{"person": 1, "role": "victim", "dob": kid},
                {"person": 12, "role": "suspect", "dob": adult}],
    )  # fmt: skip
    w.group(100, offenders=[12, 13])
    # Three missing episodes of child 1 within a year and no LA record: repeat missing.
    for ref, day in (("M1", "2014-02-01"), ("M2", "2014-05-01"), ("M3", "2014-09-01")):
        r[ref] = w.record(
            "met_missing", "missing_episode", day, people=[{"person": 1, "role": "subject"}]
        )
    # Child 2: three episodes but no exploitation concern anywhere: nothing.
    for ref, day in (("N1", "2014-02-01"), ("N2", "2014-03-01"), ("N3", "2014-04-01")):
        r[ref] = w.record(
            "met_missing", "missing_episode", day, people=[{"person": 2, "role": "subject"}]
        )
    # Suspect 10: two unlinked crimes closed without charge; the first reappears later.
    r["C2"] = w.record(
        "met_crime", "crime", "2014-03-01", outcome="15",
        people=[{"person": 3, "role": "victim", "age_at_event": 14},
                {"person": 10, "role": "suspect", "dob": adult, "relationship": "Boyfriend"}],
    )  # fmt: skip
    r["C3"] = w.record(
        "met_crime", "crime", "2015-03-01", outcome="16",
        people=[{"person": 5, "role": "victim", "age_at_event": 17},
                {"person": 10, "role": "suspect", "dob": adult, "relationship": "friend"}],
    )  # fmt: skip
    # Suspect 11: two crimes closed without charge but linked by the source: nothing.
    r["C4"] = w.record(
        "met_crime", "crime", "2014-03-01", outcome="18",
        people=[{"person": 6, "role": "victim", "age_at_event": 15},
                {"person": 11, "role": "suspect", "age_at_event": 15, "relationship": "boyfriend"}],
    )  # fmt: skip
    r["C5"] = w.record(
        "met_crime", "crime", "2015-03-01", outcome="18",
        people=[{"person": 7, "role": "victim"}, {"person": 11, "role": "suspect"}],
    )  # fmt: skip
    w.link(r["C5"], r["C4"])
    # Child 1 named as suspect three months after being exploited.
    r["C6"] = w.record(
        "met_crime", "crime", "2014-04-01", outcome="1",
        people=[{"person": 1, "role": "suspect", "dob": kid},
                {"person": 8, "role": "victim", "dob": adult}],
    )  # fmt: skip
    # One vehicle on the crimes of two different victims; a victim's own phone ties nobody.
    w.obj(r["C1"], "vehicle", "AB12CDE")
    w.obj(r["C2"], "vehicle", "AB12CDE")
    w.obj(r["C4"], "phone", "+447700900001", role="victim")
    w.obj(r["C5"], "phone", "+447700900001", role="victim")
    # Intelligence on suspect 10 linked to none of his crimes; on 11 linked to one.
    r["I1"] = w.record("met_intel", "intelligence", "2014-06-01",
                       people=[{"person": 10, "role": "subject"}])  # fmt: skip
    r["I2"] = w.record("met_intel", "intelligence", "2014-06-01",
                       people=[{"person": 11, "role": "subject"}])  # fmt: skip
    w.link(r["I2"], r["C4"])
    # LA CSE concern about child 4 whom no police crime names; one about child 1 who is.
    r["L1"] = w.record("la_csc", "referral", "2016-01-01", cse_flag=True,
                       people=[{"person": 4, "role": "subject"}])  # fmt: skip
    r["L2"] = w.record("la_csc", "referral", "2016-01-01", factors=["cse"],
                       people=[{"person": 1, "role": "subject"}])  # fmt: skip
    return r


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


@pytest.fixture(scope="session")
def indicator_store(tmp_path_factory: pytest.TempPathFactory) -> World:
    """tests/review/indicator_world.py, built once by the real pipeline; never changed (tests
    that change the store or its exports work on `indicator_store.copy(path)`)."""
    return build_indicator_world(tmp_path_factory.mktemp("indicators"))


@pytest.fixture
def world(fresh_store: Engine) -> ReviewWorld:
    """An empty review world on each backend."""
    return ReviewWorld(fresh_store)


@pytest.fixture
def review_world_class() -> type[ReviewWorld]:
    """The world builder itself, for tests that make their own stores (stateful tests)."""
    return ReviewWorld
