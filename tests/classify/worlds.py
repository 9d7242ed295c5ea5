"""Small hand-built worlds written straight into a store, for the classify and network tests.

A `World` collects rows (sources, imports, records, mentions, resolved persons, locations,
objects, source links, match pairs) and `save()` writes them in one transaction, as if
ingest and link had run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from casereview.model.tables import (
    imports,
    locations,
    match_pairs,
    mention_person,
    mentions,
    objects,
    persons,
    record_links,
    record_locations,
    record_objects,
    records,
    runs,
    sources,
)
from casereview.store.db import writing

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = dt.date(2020, 3, 1)


@dataclass
class World:
    """Rows of a small world; ids are assigned here so tests can refer to them."""

    sources: dict[str, tuple[int, str]] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    record_locations: list[dict[str, Any]] = field(default_factory=list)
    objects: dict[tuple[str, str], int] = field(default_factory=dict)
    record_objects: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)

    def source(self, name: str, kind: str = "police") -> int:
        if name not in self.sources:
            self.sources[name] = (len(self.sources) + 1, kind)
        return self.sources[name][0]

    def record(
        self,
        ref: str,
        *,
        source: str = "met_crime",
        kind: str = "police",
        record_type: str = "crime",
        on: dt.date = DAY,
        cse_flag: bool | None = None,
        factors: list[str] | None = None,
        offence: str | None = None,
        narrative: str | None = None,
        borough: str | None = "Hackney",
        place: tuple[str, str] | None = None,
        place_id: int | None = None,
    ) -> int:
        rid = len(self.records) + 1
        self.records.append(
            {
                "id": rid,
                "source_id": self.source(source, kind),
                "source_ref": ref,
                "record_type": record_type,
                "occurred_at": on,
                "borough": borough,
                "cse_flag": cse_flag,
                "factors": json.dumps(factors or []),
                "offence": offence,
                "narrative": narrative,
                "raw": "{}",
                "content_hash": ref,
                "import_id": 1,
                "updated_at": NOW,
                "source_flags": "{}",
            }
        )
        if place is not None:
            self.place(rid, place[0], place[1], place_id=place_id)
        return rid

    def mention(
        self,
        record_id: int,
        role: str,
        person: int | None,
        *,
        age: int | None = None,
        dob: dt.date | None = None,
        relationship: str | None = None,
        address: str | None = None,
        postcode: str | None = None,
        ethnicity: str | None = None,
        nationality: str | None = None,
        key: str | None = None,
    ) -> int:
        mid = len(self.mentions) + 1
        source_id = self.records[record_id - 1]["source_id"]
        self.mentions.append(
            {
                "id": mid,
                "record_id": record_id,
                "source_id": source_id,
                "mention_key": key or f"M{mid}",
                "role": role,
                "dob": dob,
                "age_at_event": age,
                "relationship": relationship,
                "address": address,
                "postcode": postcode,
                "ethnicity": ethnicity,
                "ethnicity_raw": ethnicity,
                "nationality": nationality,
                "raw": "{}",
                "content_hash": str(mid),
                "person": person,
                "aliases": "[]",
                "phones": "[]",
                "dob_precision": "day" if dob else "none",
            }
        )
        return mid

    def place(
        self,
        record_id: int,
        key: str,
        location_type: str,
        *,
        place_id: int | None = None,
        mention_id: int | None = None,
    ) -> None:
        if key not in self.locations:
            lid = len(self.locations) + 1
            self.locations[key] = {
                "id": lid,
                "location_key": key,
                "location_type": location_type,
                "place_id": place_id if place_id is not None else lid,
            }
        self.record_locations.append(
            {
                "record_id": record_id,
                "location_id": self.locations[key]["id"],
                "mention_id": mention_id,
                "relation": "incident_location",
            }
        )

    def obj(self, record_id: int, kind: str, value: str, mention_id: int | None = None) -> int:
        oid = self.objects.setdefault((kind, value), len(self.objects) + 1)
        self.record_objects.append(
            {"record_id": record_id, "object_id": oid, "mention_id": mention_id}
        )
        return oid

    def link(self, record_id: int, to_record_id: int) -> None:
        ref = self.records[to_record_id - 1]["source_ref"]
        self.links.append(
            {"record_id": record_id, "to_source_ref": ref, "to_record_id": to_record_id}
        )

    def pair(self, mention_a: int, mention_b: int, weight: float) -> None:
        self.pairs.append(
            {
                "mention_a_id": mention_a,
                "mention_b_id": mention_b,
                "match_weight": weight,
                "match_probability": 0.9,
                "comparison": "{}",
            }
        )

    def save(self, engine: Engine) -> None:
        """Write everything, with a succeeded link run owning the persons."""
        with writing(engine) as conn:
            run_id = conn.execute(
                insert(runs)
                .values(
                    stage="link",
                    parameters="{}",
                    software_version="test",
                    status="succeeded",
                    started_at=NOW,
                    finished_at=NOW,
                )
                .returning(runs.c.id)
            ).scalar_one()
            for name, (sid, kind) in self.sources.items():
                conn.execute(insert(sources).values(id=sid, name=name, kind=kind, created_at=NOW))
            first = next(iter(self.sources.values()))[0]
            conn.execute(
                insert(imports).values(
                    id=1,
                    source_id=first,
                    file_name="x",
                    file_role="x",
                    sha256="0" * 64,
                    mapping_name="x",
                    mapping_sha256="0" * 64,
                    rows_read=0,
                    rows_loaded=0,
                    rows_quarantined=0,
                    imported_by="test",
                    started_at=NOW,
                    finished_at=NOW,
                )
            )
            if self.records:
                conn.execute(insert(records), self.records)
            rows = [{k: v for k, v in m.items() if k != "person"} for m in self.mentions]
            if rows:
                conn.execute(insert(mentions), rows)
            counts = Counter(m["person"] for m in self.mentions if m["person"] is not None)
            if counts:
                conn.execute(
                    insert(persons),
                    [
                        {
                            "id": pid,
                            "display_name": f"P{pid}",
                            "mention_count": n,
                            "active": True,
                            "first_run_id": run_id,
                            "last_run_id": run_id,
                        }
                        for pid, n in sorted(counts.items())
                    ],
                )
                conn.execute(
                    insert(mention_person),
                    [
                        {
                            "mention_id": m["id"],
                            "person_id": m["person"],
                            "match_weight": 20.0,
                            "match_probability": 1.0,
                            "run_id": run_id,
                        }
                        for m in self.mentions
                        if m["person"] is not None
                    ],
                )
            if self.locations:
                conn.execute(insert(locations), list(self.locations.values()))
                conn.execute(insert(record_locations), self.record_locations)
            if self.objects:
                conn.execute(
                    insert(objects),
                    [
                        {"id": oid, "kind": kind, "value": value}
                        for (kind, value), oid in self.objects.items()
                    ],
                )
                conn.execute(insert(record_objects), self.record_objects)
            if self.links:
                conn.execute(insert(record_links), self.links)
            if self.pairs:
                conn.execute(insert(match_pairs), [{**p, "run_id": run_id} for p in self.pairs])
