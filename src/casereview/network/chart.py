"""Link charts as i2 analysts draw them: persons by role, phones, vehicles, online ids, places
and records as nodes; edges labelled by relation; a legend; a deterministic layout.

A chart is built for a group (its members and the records they are named in) or for a
person's network (the person, their records, and everyone named with them), from the records
the viewer may see (`store.access`), optionally within a date range, and may be expanded at
one node to its neighbours (at most `limit` more records). Its layout is seeded by the
chart's key and every node's own key, so two loads of the same chart give the same positions;
the positions are kept (`chart_layouts`), so a node once placed stays where it is on later
loads, after re-runs of the stages and when a node is expanded.

Relations (edge labels): co_suspect (two suspects of one record), victim_of (a victim and a
suspect of one record), named_in (a person and a record), uses_phone, drives (a vehicle),
uses_online_id, seen_at (a place), and record_has (an object or place a record names without
tying it to a person).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from casereview.errors import NotFound, ValidationError
from casereview.model.codes import AuditAction, ObjectKind
from casereview.model.tables import (
    chart_layouts,
    group_members,
    locations,
    mention_person,
    mentions,
    objects,
    persons,
    record_links,
    record_locations,
    record_objects,
    records,
)
from casereview.network.graph import mention_sides
from casereview.store import audit
from casereview.store.access import Actor, check_group, check_person, visible_records
from casereview.store.db import id_batches, reading, writing

__all__ = [
    "KINDS",
    "LEGEND",
    "RELATIONS",
    "Chart",
    "ChartEdge",
    "ChartNode",
    "ChartRequest",
    "build_chart",
    "consult_chart",
    "keep_positions",
    "kept_positions",
    "layout",
]

KINDS = ("group", "person")
MAX_RECORDS = 150  # records on one chart before it is cut (the chart says so)
EXPAND_LIMIT = 25  # records one expansion adds at most
WIDTH, HEIGHT = 1000.0, 700.0

# Node legend: (kind, role) -> (label, colour, shape). Colours from the Okabe-Ito palette.
LEGEND: dict[str, tuple[str, str, str]] = {
    "person:suspect": ("Person (suspect or offender)", "#D55E00", "circle"),
    "person:victim": ("Person (victim)", "#0072B2", "circle"),
    "person:other": ("Person (other role)", "#999999", "circle"),
    "record": ("Record", "#F0E442", "square"),
    "phone": ("Phone", "#009E73", "diamond"),
    "vehicle": ("Vehicle", "#E69F00", "diamond"),
    "online_id": ("Online identifier", "#CC79A7", "diamond"),
    "place": ("Place", "#56B4E9", "triangle"),
}
RELATIONS: dict[str, str] = {
    "co_suspect": "co-suspect: both suspects in one record",
    "victim_of": "victim of: a victim and a suspect of one record",
    "named_in": "named in: the person is named in the record (role in brackets)",
    "uses_phone": "uses phone: the phone is given for the person in a record",
    "drives": "drives: the vehicle is tied to the person in a record",
    "uses_online_id": "uses online id: the identifier is given for the person in a record",
    "seen_at": "seen at: the place is tied to the person in a record",
    "record_has": "record has: the record names the object or place",
}
_OBJECT_RELATION = {
    ObjectKind.PHONE.value: "uses_phone",
    ObjectKind.VEHICLE.value: "drives",
    ObjectKind.ONLINE_ID.value: "uses_online_id",
}


@dataclass
class ChartNode:
    """One node: `id` is its stable key (kind:number), the label is unique on the chart."""

    id: str
    kind: str  # person | record | phone | vehicle | online_id | place
    role: str | None  # persons: suspect | victim | other
    label: str
    detail: str | None = None
    x: float = 0.0
    y: float = 0.0

    @property
    def legend_key(self) -> str:
        return f"person:{self.role}" if self.kind == "person" else self.kind


@dataclass
class ChartEdge:
    """An edge, labelled by relation, with the records that support it."""

    source: str
    target: str
    relation: str
    records: list[int]
    first: str | None = None
    last: str | None = None


@dataclass
class Chart:
    """A link chart with its positions, legend and what was left out."""

    key: str  # group:ID or person:ID
    nodes: list[ChartNode]
    edges: list[ChartEdge]
    date_from: str | None
    date_to: str | None
    expanded: str | None
    truncated: bool
    legend: list[dict[str, str]] = field(default_factory=list)

    def node(self, node_id: str) -> ChartNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise NotFound(f"no node {node_id} on chart {self.key}")

    def positions(self) -> dict[str, tuple[float, float]]:
        return {n.id: (n.x, n.y) for n in self.nodes}

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "nodes": [{**asdict(n), "legend": n.legend_key} for n in self.nodes],
            "edges": [asdict(e) for e in self.edges],
            "date_from": self.date_from,
            "date_to": self.date_to,
            "expanded": self.expanded,
            "truncated": self.truncated,
            "legend": self.legend,
            "relations": RELATIONS,
        }


# --------------------------------------------------------------------------- reading


def _seed_records(
    conn: Connection, actor: Actor, kind: str, subject_id: int
) -> tuple[set[int], dict[int, str]]:
    """The records a chart starts from, and (for a group) the members' roles."""
    roles: dict[int, str] = {}
    if kind == "group":
        members = conn.execute(
            select(group_members.c.person_id, group_members.c.role).where(
                group_members.c.group_id == subject_id
            )
        ).all()
        for pid, role in members:
            roles[int(pid)] = "victim" if role == "victim" else "suspect"
        people = sorted(roles)
    else:
        people = [subject_id]
    found = conn.execute(
        select(mentions.c.record_id)
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .where(mention_person.c.person_id.in_(people), visible_records(actor, mentions.c.record_id))
        .distinct()
    ).scalars()
    return {int(r) for r in found}, roles


def _neighbour_records(
    conn: Connection, actor: Actor, node_id: str, have: set[int], limit: int
) -> list[int]:
    """Up to `limit` visible records next to a node that the chart does not have yet."""
    kind, _, number = node_id.partition(":")
    if not number.lstrip("-").isdigit():
        raise NotFound(f"no node {node_id}")
    ident = int(number)
    if kind == "person":
        query = (
            select(mentions.c.record_id)
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            .where(mention_person.c.person_id == ident)
        )
        column = mentions.c.record_id
    elif kind in _OBJECT_RELATION:
        query = select(record_objects.c.record_id).where(record_objects.c.object_id == ident)
        column = record_objects.c.record_id
    elif kind == "place":
        query = (
            select(record_locations.c.record_id)
            .join(locations, locations.c.id == record_locations.c.location_id)
            .where(
                locations.c.place_id == ident if ident > 0 else locations.c.id == -ident,
            )
        )
        column = record_locations.c.record_id
    elif kind == "record":
        forward = select(record_links.c.to_record_id.label("rid")).where(
            record_links.c.record_id == ident, record_links.c.to_record_id.is_not(None)
        )
        back = select(record_links.c.record_id.label("rid")).where(
            record_links.c.to_record_id == ident
        )
        linked = {int(r) for r in conn.execute(forward.union(back)).scalars()} - have
        visible = conn.execute(
            select(records.c.id)
            .where(records.c.id.in_(sorted(linked)), visible_records(actor))
            .order_by(records.c.id)
            .limit(limit)
        ).scalars()
        return [int(v) for v in visible]
    else:
        raise NotFound(f"no node {node_id}")
    found = conn.execute(
        query.where(visible_records(actor, column), column.not_in(sorted(have)))
        .distinct()
        .order_by(column)
        .limit(limit)
    ).scalars()
    return [int(r) for r in found]


def _dated(
    conn: Connection, ids: set[int], date_from: dt.date | None, date_to: dt.date | None
) -> dict[int, Any]:
    """record id -> row (type, ref, date), within the date range when one is given."""
    out: dict[int, Any] = {}
    for part in id_batches(ids):
        query = select(
            records.c.id, records.c.record_type, records.c.source_ref, records.c.occurred_at
        ).where(records.c.id.in_(part))
        if date_from is not None:
            query = query.where(records.c.occurred_at >= date_from)
        if date_to is not None:
            query = query.where(records.c.occurred_at <= date_to)
        out.update({int(r.id): r for r in conn.execute(query).all()})
    return out


@dataclass(frozen=True)
class ChartRequest:
    """Which chart: a group or a person's network, a date range, a node to expand at."""

    kind: str  # group | person
    subject_id: int
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    expand: str | None = None
    limit: int = EXPAND_LIMIT

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject_id}"


def build_chart(
    conn: Connection,
    actor: Actor,
    request: ChartRequest,
    kept: Mapping[str, tuple[float, float]] | None = None,
) -> Chart:
    """The chart of a group or a person's network as `actor` may see it (see module).
    Nodes with a `kept` position stay there; the others are placed around them."""
    kept = kept or {}
    kind, subject_id, key = request.kind, request.subject_id, request.key
    date_from, date_to, expand = request.date_from, request.date_to, request.expand
    if kind not in KINDS:
        raise ValidationError(f"unknown chart kind {kind!r}: use group or person")
    if date_from and date_to and date_from > date_to:
        raise ValidationError("the date range ends before it starts")
    (check_group if kind == "group" else check_person)(conn, actor, subject_id)
    seeds, group_roles = _seed_records(conn, actor, kind, subject_id)
    rows = _dated(conn, seeds, date_from, date_to)
    truncated = len(rows) > MAX_RECORDS
    if truncated:  # the most recent records stay
        keep = sorted(rows, key=lambda r: (rows[r].occurred_at or dt.date.min, r))[-MAX_RECORDS:]
        rows = {r: rows[r] for r in keep}
    base = _assemble(conn, key, rows, kind, group_roles)
    base.truncated = truncated
    base.date_from = date_from.isoformat() if date_from else None
    base.date_to = date_to.isoformat() if date_to else None
    layout(base, seed=key, pinned={n.id: kept[n.id] for n in base.nodes if n.id in kept})
    if expand is None:
        return base
    if expand not in {n.id for n in base.nodes}:
        raise NotFound(f"no node {expand} on chart {key}")
    limit = max(1, min(request.limit, EXPAND_LIMIT))
    more = _neighbour_records(conn, actor, expand, set(rows), limit)
    rows.update(_dated(conn, set(more), date_from, date_to))
    chart = _assemble(conn, key, rows, kind, group_roles)
    chart.expanded = expand
    chart.truncated, chart.date_from, chart.date_to = truncated, base.date_from, base.date_to
    pinned = {n.id: kept[n.id] for n in chart.nodes if n.id in kept}
    layout(chart, seed=key, pinned={**pinned, **base.positions()})
    return chart


def _assemble(
    conn: Connection,
    key: str,
    rows: dict[int, Any],
    kind: str,
    group_roles: dict[int, str],
) -> Chart:
    """Nodes and edges from the chart's records (no positions yet)."""
    ids = sorted(rows)
    people = pd.DataFrame(
        conn.execute(
            select(
                mentions.c.id,
                mentions.c.record_id,
                mention_person.c.person_id,
                mentions.c.role,
                records.c.record_type,
                mentions.c.dob,
            )
            .join(mention_person, mention_person.c.mention_id == mentions.c.id)
            .join(records, records.c.id == mentions.c.record_id)
            .where(mentions.c.record_id.in_(ids))
            .order_by(mentions.c.id)
        ).all(),
        columns=["mention_id", "record_id", "person", "role", "record_type", "dob"],
    )
    if not people.empty:
        people["side"] = mention_sides(people["role"], people["record_type"])
    if kind == "group" and not people.empty:
        # Group charts show members, and the victims and suspects of the members' records.
        keep = people["person"].isin(group_roles) | people["side"].isin(["suspect", "victim"])
        people = people[keep]
    person_ids = sorted({int(p) for p in people["person"]}) if not people.empty else []
    names = dict(
        conn.execute(
            select(persons.c.id, persons.c.display_name).where(persons.c.id.in_(person_ids))
        ).all()
    )
    nodes: dict[str, ChartNode] = {}
    edges: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for rid in ids:
        r = rows[rid]
        when = r.occurred_at.isoformat() if r.occurred_at else "undated"
        nodes[f"record:{rid}"] = ChartNode(
            f"record:{rid}", "record", None, f"{r.record_type} {r.source_ref}", when
        )
    sides: dict[int, Counter[str]] = defaultdict(Counter)
    births: dict[int, Counter[int]] = defaultdict(Counter)
    mention_owner: dict[int, int] = {}
    for m in people.itertuples(index=False):
        pid = int(m.person)
        mention_owner[int(m.mention_id)] = pid
        sides[pid][m.side] += 1
        if m.dob is not None and not pd.isna(m.dob):
            births[pid][m.dob.year] += 1
        label = "suspect" if m.side == "suspect" else ("victim" if m.side == "victim" else m.role)
        edges[(f"person:{pid}", f"record:{int(m.record_id)}", f"named_in ({label})")].append(
            int(m.record_id)
        )
    for pid in person_ids:
        role = group_roles.get(pid) or next(
            (s for s in ("suspect", "victim") if sides[pid][s]), "other"
        )
        nodes[f"person:{pid}"] = ChartNode(f"person:{pid}", "person", role, names.get(pid) or "")
    _person_ties(people, edges)
    _objects_and_places(conn, ids, mention_owner, nodes, edges)
    _disambiguate([n for n in nodes.values() if n.kind == "person"], births)
    return _chart(key, nodes, edges, rows)


def _person_ties(people: pd.DataFrame, edges: dict[tuple[str, str, str], list[int]]) -> None:
    if people.empty:
        return
    for rid, group in people.groupby("record_id", sort=True):
        suspects = sorted({int(p) for p in group.loc[group["side"] == "suspect", "person"]})
        victims = sorted({int(p) for p in group.loc[group["side"] == "victim", "person"]})
        for a, b in combinations(suspects, 2):
            edges[(f"person:{a}", f"person:{b}", "co_suspect")].append(int(rid))
        for v in victims:
            for s in suspects:
                if v != s:
                    edges[(f"person:{v}", f"person:{s}", "victim_of")].append(int(rid))


def _objects_and_places(
    conn: Connection,
    ids: list[int],
    owner: dict[int, int],
    nodes: dict[str, ChartNode],
    edges: dict[tuple[str, str, str], list[int]],
) -> None:
    for rid, oid, okind, value, mid in conn.execute(
        select(
            record_objects.c.record_id,
            objects.c.id,
            objects.c.kind,
            objects.c.value,
            record_objects.c.mention_id,
        )
        .join(objects, objects.c.id == record_objects.c.object_id)
        .where(record_objects.c.record_id.in_(ids))
        .order_by(record_objects.c.id)
    ).all():
        node = f"{okind}:{int(oid)}"
        nodes.setdefault(node, ChartNode(node, okind, None, str(value)))
        pid = owner.get(int(mid)) if mid is not None else None
        if pid is not None:
            edges[(f"person:{pid}", node, _OBJECT_RELATION.get(okind, "record_has"))].append(rid)
        else:
            edges[(f"record:{int(rid)}", node, "record_has")].append(int(rid))
    for rid, lid, place, ltype, address, postcode, mid in conn.execute(
        select(
            record_locations.c.record_id,
            locations.c.id,
            locations.c.place_id,
            locations.c.location_type,
            locations.c.address,
            locations.c.postcode,
            record_locations.c.mention_id,
        )
        .join(locations, locations.c.id == record_locations.c.location_id)
        .where(record_locations.c.record_id.in_(ids))
        .order_by(record_locations.c.id)
    ).all():
        number = int(place) if place is not None else -int(lid)
        node = f"place:{number}"
        text = ", ".join(p for p in (address, postcode) if p) or "place"
        nodes.setdefault(node, ChartNode(node, "place", None, text, ltype))
        pid = owner.get(int(mid)) if mid is not None else None
        if pid is not None:
            edges[(f"person:{pid}", node, "seen_at")].append(int(rid))
        else:
            edges[(f"record:{int(rid)}", node, "record_has")].append(int(rid))


def _disambiguate(people: list[ChartNode], births: dict[int, Counter[int]]) -> None:
    """Two persons with one name on a chart get their id and year of birth added."""
    counts = Counter(p.label.casefold() for p in people)
    for p in people:
        pid = int(p.id.split(":")[1])
        if not p.label:
            p.label = f"person {pid}"
        elif counts[p.label.casefold()] > 1:
            year = births[pid].most_common(1)[0][0] if births[pid] else None
            born = f", b. {year}" if year else ""
            p.label = f"{p.label} (P{pid}{born})"


def _chart(
    key: str,
    nodes: dict[str, ChartNode],
    edges: dict[tuple[str, str, str], list[int]],
    rows: dict[int, Any],
) -> Chart:
    out_edges = []
    for (source, target, relation), supporting in sorted(edges.items()):
        recs = sorted(set(supporting))
        dates = sorted(rows[r].occurred_at for r in recs if rows[r].occurred_at is not None)
        out_edges.append(
            ChartEdge(
                source,
                target,
                relation,
                recs,
                dates[0].isoformat() if dates else None,
                dates[-1].isoformat() if dates else None,
            )
        )
    ordered = sorted(nodes.values(), key=lambda n: (n.kind, n.id))
    used = sorted({n.legend_key for n in ordered}, key=list(LEGEND).index)
    legend = [
        {"key": k, "label": LEGEND[k][0], "colour": LEGEND[k][1], "shape": LEGEND[k][2]}
        for k in used
    ]
    return Chart(key, ordered, out_edges, None, None, None, False, legend)


# --------------------------------------------------------------------------- layout


def _start(seed: str, node_id: str) -> tuple[float, float]:
    """A node's starting point from its own key: the same whatever else is on the chart."""
    digest = hashlib.sha256(f"{seed}|{node_id}".encode()).digest()
    x = int.from_bytes(digest[:8], "big") / 2**64
    y = int.from_bytes(digest[8:16], "big") / 2**64
    return x * WIDTH, y * HEIGHT


def layout(
    chart: Chart,
    *,
    seed: str,
    pinned: dict[str, tuple[float, float]] | None = None,
    iterations: int = 150,
) -> None:
    """Place the nodes (Fruchterman-Reingold from seeded starting points; `pinned` nodes keep
    their positions). Deterministic: the same chart and seed give the same positions."""
    pinned = pinned or {}
    n = len(chart.nodes)
    if n == 0:
        return
    index = {node.id: i for i, node in enumerate(chart.nodes)}
    pos = np.array(
        [pinned.get(node.id) or _start(seed, node.id) for node in chart.nodes], dtype=float
    )
    fixed = np.array([node.id in pinned for node in chart.nodes])
    pairs = np.array(
        [(index[e.source], index[e.target]) for e in chart.edges if e.source != e.target],
        dtype=int,
    ).reshape(-1, 2)
    k = 0.8 * np.sqrt(WIDTH * HEIGHT / n)
    temperature = WIDTH / 10
    for step in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.sqrt((delta**2).sum(axis=-1)), 1.0)
        push = (delta / dist[..., None] * (k * k / dist)[..., None]).sum(axis=1)
        if len(pairs):
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            length = np.maximum(np.sqrt((d**2).sum(axis=1)), 1.0)
            pull = d / length[:, None] * (length * length / k)[:, None]
            np.subtract.at(push, pairs[:, 0], pull)
            np.add.at(push, pairs[:, 1], pull)
        size = np.maximum(np.sqrt((push**2).sum(axis=1)), 1e-9)
        move = push / size[:, None] * np.minimum(size, temperature)[:, None]
        move[fixed] = 0.0
        pos += move
        pos[:, 0] = np.clip(pos[:, 0], 20, WIDTH - 20)
        pos[:, 1] = np.clip(pos[:, 1], 20, HEIGHT - 20)
        temperature = WIDTH / 10 * (1 - (step + 1) / iterations) + 1.0
    for node, (x, y) in zip(chart.nodes, pos.round(1).tolist(), strict=True):
        node.x, node.y = float(x), float(y)


# --------------------------------------------------------------------------- audited view


def kept_positions(conn: Connection, key: str) -> dict[str, tuple[float, float]]:
    """The positions stored for a chart's nodes."""
    rows = conn.execute(
        select(chart_layouts.c.node_id, chart_layouts.c.x, chart_layouts.c.y).where(
            chart_layouts.c.chart_key == key
        )
    ).all()
    return {str(n): (float(x), float(y)) for n, x, y in rows}


def keep_positions(conn: Connection, chart: Chart) -> int:
    """Store the positions of the chart's nodes that have none yet (a placed node is never
    moved); returns how many were stored."""
    have = kept_positions(conn, chart.key)
    now = dt.datetime.now(dt.UTC)
    new = [
        {"chart_key": chart.key, "node_id": n.id, "x": n.x, "y": n.y, "placed_at": now}
        for n in chart.nodes
        if n.id not in have
    ]
    if new:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        conn.execute(upsert(chart_layouts).on_conflict_do_nothing(), new)
    return len(new)


def consult_chart(engine: Engine, actor: Actor, request: ChartRequest) -> Chart:
    """`build_chart` on the chart's kept positions (new nodes' positions are kept too),
    audited as a consultation of the group or person (DENIED if refused)."""
    with audit.denials_audited(
        engine, actor=actor.username, object_type=request.kind, object_id=request.subject_id,
        client=actor.client, details={"view": "chart"},
    ), reading(engine) as conn:  # fmt: skip
        chart = build_chart(conn, actor, request, kept_positions(conn, request.key))
    with writing(engine) as conn:
        keep_positions(conn, chart)
        audit.append(
            conn,
            actor=actor.username,
            action=AuditAction.CONSULT,
            object_type=request.kind,
            object_id=request.subject_id,
            client=actor.client,
            details={
                "view": "chart",
                "nodes": len(chart.nodes),
                "edges": len(chart.edges),
                "expanded": request.expand,
                "date_from": chart.date_from,
                "date_to": chart.date_to,
            },
        )
    return chart
