"""Exports of a link chart for analysts' own tools: i2 Analyst's Notebook (CSV with its import
specification), GraphML, GEXF (Gephi) and followthemoney entities as JSON lines (Aleph).

Each export is the chart of a group or a person's network as the exporting analyst may see
it (`network.chart`), every node and edge carrying where it came from (the source system and
reference of each record behind it), and each is a disclosure: written owner-only and
audited with its purpose and recipient through `store.exports`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import Connection, Engine, select

from casereview.errors import ValidationError
from casereview.model.codes import UserRole
from casereview.model.tables import records, sources
from casereview.network.chart import LEGEND, Chart, ChartNode, ChartRequest, build_chart
from casereview.network.ftm_schema import validate_entities
from casereview.store.access import Actor, require_role
from casereview.store.db import id_batches, reading, writing
from casereview.store.exports import require_purpose, write_audited_csv, write_audited_file
from casereview.store.files import open_private

__all__ = [
    "FORMATS",
    "I2_COLUMNS",
    "ExportResult",
    "export_network",
    "ftm_entities",
    "gexf_text",
    "graphml_text",
    "i2_rows",
    "i2_specification",
]

FORMATS = ("i2", "graphml", "gexf", "ftm")
I2_COLUMNS = (
    "Entity1 Identity",
    "Entity1 Type",
    "Entity1 Label",
    "Link Type",
    "Link Label",
    "Link Date From",
    "Link Date To",
    "Entity2 Identity",
    "Entity2 Type",
    "Entity2 Label",
    "Link Sources",
)
# i2 entity types (icons of the standard Analyst's Notebook template).
_I2_TYPE = {
    "person": "Person",
    "record": "Document",
    "phone": "Telephone",
    "vehicle": "Vehicle",
    "online_id": "Online Identity",
    "place": "Location",
}


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    format: str
    files: list[str]
    nodes: int
    edges: int


def _provenance(conn: Connection, chart: Chart) -> tuple[dict[str, list[str]], dict[int, str]]:
    """node id -> sorted "source:reference" of the records behind it; record id -> that text."""
    ids = sorted({r for e in chart.edges for r in e.records})
    refs: dict[int, str] = {}
    for part in id_batches(ids):
        refs.update(
            {
                int(rid): f"{name}:{ref}"
                for rid, name, ref in conn.execute(
                    select(records.c.id, sources.c.name, records.c.source_ref)
                    .join(sources, sources.c.id == records.c.source_id)
                    .where(records.c.id.in_(part))
                ).all()
            }
        )
    behind: dict[str, set[int]] = defaultdict(set)
    for e in chart.edges:
        behind[e.source].update(e.records)
        behind[e.target].update(e.records)
    for n in chart.nodes:
        if n.kind == "record":
            behind[n.id].add(int(n.id.split(":")[1]))
    return {n: sorted(refs[r] for r in rs if r in refs) for n, rs in behind.items()}, refs


def _edge_sources(records_: list[int], refs: dict[int, str]) -> list[str]:
    return sorted(refs[r] for r in records_ if r in refs)


# --------------------------------------------------------------------------- i2


def i2_rows(chart: Chart, refs: dict[int, str]) -> list[list[str]]:
    """One row per link (entity, link, entity), then one per node without links."""
    nodes = {n.id: n for n in chart.nodes}
    rows: list[list[str]] = []
    linked: set[str] = set()
    for e in chart.edges:
        a, b = nodes[e.source], nodes[e.target]
        linked.update((a.id, b.id))
        rows.append(
            [
                a.id, _I2_TYPE[a.kind], a.label, e.relation.split(" ")[0], e.relation,
                e.first or "", e.last or "", b.id, _I2_TYPE[b.kind], b.label,
                "; ".join(_edge_sources(e.records, refs)),
            ]
        )  # fmt: skip
    for n in chart.nodes:
        if n.id not in linked:
            rows.append([n.id, _I2_TYPE[n.kind], n.label, "", "", "", "", "", "", "", ""])
    return rows


def i2_specification(chart: Chart, csv_name: str) -> str:
    """How to import the CSV in Analyst's Notebook (Import from File, a new specification):
    which columns make the two entities and the link of each row."""
    types = sorted({_I2_TYPE[n.kind] for n in chart.nodes})
    return "\n".join(
        [
            f"Analyst's Notebook import specification for {csv_name} (casereview chart {chart.key})",
            "",
            "File format: CSV, comma separated, UTF-8, first row is column headings.",
            "Import design: Entity - Link - Entity (one link per row; rows with no Link Type",
            "hold a single entity and import Entity1 only).",
            "",
            "Entity 1: Identity = [Entity1 Identity]; Type = [Entity1 Type]; Label = [Entity1 Label]",
            "Entity 2: Identity = [Entity2 Identity]; Type = [Entity2 Type]; Label = [Entity2 Label]",
            "Link: Type = [Link Type]; Label = [Link Label]; Date range = [Link Date From] to",
            "      [Link Date To] (yyyy-MM-dd); Description / card = [Link Sources]",
            "Merge entities on Identity (the same Identity in two rows is one entity).",
            "",
            f"Entity types used (standard template icons): {', '.join(types)}.",
            "Link Sources lists, for every link, the source system and reference of each record",
            "it rests on (source:reference), so every value can be traced to its record.",
            "",
        ]
    )


# --------------------------------------------------------------------------- GraphML / GEXF

_NODE_ATTRS = ("kind", "role", "label", "detail", "x", "y", "sources")
_EDGE_ATTRS = ("relation", "records", "first", "last", "sources")


def _node_values(n: ChartNode, prov: dict[str, list[str]]) -> dict[str, str]:
    return {
        "kind": n.kind,
        "role": n.role or "",
        "label": n.label,
        "detail": n.detail or "",
        "x": repr(n.x),
        "y": repr(n.y),
        "sources": "; ".join(prov.get(n.id, [])),
    }


def graphml_text(chart: Chart, prov: dict[str, list[str]], refs: dict[int, str]) -> str:
    """The chart as GraphML (undirected), every attribute declared as a string or double key."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    for attr in _NODE_ATTRS:
        kind = "double" if attr in ("x", "y") else "string"
        ET.SubElement(
            root, "key", {"id": f"n_{attr}", "for": "node", "attr.name": attr, "attr.type": kind}
        )
    for attr in _EDGE_ATTRS:
        ET.SubElement(
            root,
            "key",
            {"id": f"e_{attr}", "for": "edge", "attr.name": attr, "attr.type": "string"},
        )
    graph = ET.SubElement(root, "graph", {"id": chart.key, "edgedefault": "undirected"})
    for n in chart.nodes:
        node = ET.SubElement(graph, "node", {"id": n.id})
        for attr, value in _node_values(n, prov).items():
            ET.SubElement(node, "data", {"key": f"n_{attr}"}).text = value
    for i, e in enumerate(chart.edges):
        edge = ET.SubElement(graph, "edge", {"id": f"e{i}", "source": e.source, "target": e.target})
        for attr, value in _edge_values(e, refs).items():
            ET.SubElement(edge, "data", {"key": f"e_{attr}"}).text = value
    return _xml(root)


def _edge_values(e: Any, refs: dict[int, str]) -> dict[str, str]:
    return {
        "relation": e.relation,
        "records": ";".join(str(r) for r in e.records),
        "first": e.first or "",
        "last": e.last or "",
        "sources": "; ".join(_edge_sources(e.records, refs)),
    }


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def gexf_text(chart: Chart, prov: dict[str, list[str]], refs: dict[int, str]) -> str:
    """The chart as GEXF 1.2 for Gephi: attributes, the layout's positions and the legend's
    colours (viz), every node and edge with its sources."""
    ns, viz = "http://www.gexf.net/1.2draft", "http://www.gexf.net/1.2draft/viz"
    ET.register_namespace("", ns)
    ET.register_namespace("viz", viz)
    root = ET.Element(f"{{{ns}}}gexf", {"version": "1.2"})
    meta = ET.SubElement(root, f"{{{ns}}}meta", {"lastmodifieddate": dt.date.today().isoformat()})
    ET.SubElement(meta, f"{{{ns}}}creator").text = "casereview"
    ET.SubElement(meta, f"{{{ns}}}description").text = f"link chart {chart.key}"
    graph = ET.SubElement(
        root, f"{{{ns}}}graph", {"defaultedgetype": "undirected", "mode": "static"}
    )
    node_attrs = [a for a in _NODE_ATTRS if a not in ("label", "x", "y")]
    for klass, names in (("node", node_attrs), ("edge", list(_EDGE_ATTRS))):
        box = ET.SubElement(graph, f"{{{ns}}}attributes", {"class": klass})
        for i, attr in enumerate(names):
            ET.SubElement(
                box, f"{{{ns}}}attribute", {"id": str(i), "title": attr, "type": "string"}
            )
    nodes = ET.SubElement(graph, f"{{{ns}}}nodes")
    for n in chart.nodes:
        node = ET.SubElement(nodes, f"{{{ns}}}node", {"id": n.id, "label": n.label})
        values = ET.SubElement(node, f"{{{ns}}}attvalues")
        given = _node_values(n, prov)
        for i, attr in enumerate(node_attrs):
            ET.SubElement(values, f"{{{ns}}}attvalue", {"for": str(i), "value": given[attr]})
        colour = LEGEND[n.legend_key][1].lstrip("#")
        ET.SubElement(
            node,
            f"{{{viz}}}color",
            {
                "r": str(int(colour[0:2], 16)),
                "g": str(int(colour[2:4], 16)),
                "b": str(int(colour[4:6], 16)),
            },
        )
        ET.SubElement(node, f"{{{viz}}}position", {"x": repr(n.x), "y": repr(-n.y), "z": "0.0"})
    edges = ET.SubElement(graph, f"{{{ns}}}edges")
    for i, e in enumerate(chart.edges):
        edge = ET.SubElement(
            edges,
            f"{{{ns}}}edge",
            {"id": str(i), "source": e.source, "target": e.target, "label": e.relation},
        )
        values = ET.SubElement(edge, f"{{{ns}}}attvalues")
        given = _edge_values(e, refs)
        for j, attr in enumerate(_EDGE_ATTRS):
            ET.SubElement(values, f"{{{ns}}}attvalue", {"for": str(j), "value": given[attr]})
    return _xml(root)


# --------------------------------------------------------------------------- followthemoney


def _ftm_id(chart: Chart, node_id: str) -> str:
    return f"casereview-{chart.key.replace(':', '-')}-{node_id.replace(':', '-')}"


def ftm_entities(
    chart: Chart, prov: dict[str, list[str]], refs: dict[int, str]
) -> list[dict[str, Any]]:
    """The chart as followthemoney entities: Person, Event (records), Vehicle, Address
    (places), phones and online ids as properties of the person that uses them (else a
    property of nobody: they are kept as UnknownLink-free notes on the record's Event);
    Associate for co-suspects and victim-suspect ties; UnknownLink for person-vehicle and
    person-place ties. `provenance` gives, per property, the records each value rests on."""
    nodes = {n.id: n for n in chart.nodes}
    entities: dict[str, dict[str, Any]] = {}

    def add(node_id: str, schema: str, props: dict[str, list[str]]) -> dict[str, Any]:
        ident = _ftm_id(chart, node_id)
        entity = {
            "id": ident,
            "schema": schema,
            "properties": props,
            "datasets": ["casereview"],
            "provenance": {p: {"records": prov.get(node_id, [])} for p in props},
        }
        entities[node_id] = entity
        return entity

    for n in chart.nodes:
        if n.kind == "person":
            add(n.id, "Person", {"name": [n.label], "keywords": [n.role or "other"]})
        elif n.kind == "record":
            props = {"name": [n.label], "recordId": [n.id]}
            if n.detail and n.detail != "undated":
                props["date"] = [n.detail]
            add(n.id, "Event", props)
        elif n.kind == "vehicle":
            add(n.id, "Vehicle", {"name": [n.label], "registrationNumber": [n.label]})
        elif n.kind == "place":
            add(n.id, "Address", {"name": [n.label], "full": [n.label]})
    links: list[dict[str, Any]] = []
    for i, e in enumerate(chart.edges):
        a, b = nodes[e.source], nodes[e.target]
        sources_ = _edge_sources(e.records, refs)
        dates = {k: [v] for k, v in (("startDate", e.first), ("endDate", e.last)) if v}
        if b.kind in ("phone", "online_id") and a.kind == "person":
            prop = "phone" if b.kind == "phone" and b.label.startswith("+") else "keywords"
            if b.kind == "online_id" and "@" in b.label:
                prop = "email"
            person = entities[a.id]
            values = person["properties"].setdefault(prop, [])
            if b.label not in values:
                values.append(b.label)
            seen = person["provenance"].setdefault(prop, {"records": []})
            seen["records"] = sorted(set(seen["records"]) | set(sources_))
        elif b.kind == "record" and a.kind == "person":
            event = entities[b.id]
            event["properties"].setdefault("involved", []).append(entities[a.id]["id"])
            event["provenance"].setdefault("involved", {"records": sources_})
        elif a.kind == "person" and b.kind == "person":
            props = {
                "person": [entities[a.id]["id"]],
                "associate": [entities[b.id]["id"]],
                "relationship": [e.relation],
                "recordId": [str(r) for r in e.records],
                **dates,
            }
            links.append(_link(chart, i, "Associate", props, sources_))
        elif b.id in entities and a.id in entities:
            props = {
                "subject": [entities[a.id]["id"]],
                "object": [entities[b.id]["id"]],
                "role": [e.relation],
                "recordId": [str(r) for r in e.records],
                **dates,
            }
            links.append(_link(chart, i, "UnknownLink", props, sources_))
        elif a.kind == "record":  # a phone or online id the record names for no one
            event = entities[a.id]
            event["properties"].setdefault("summary", []).append(f"{b.kind}: {b.label}")
            event["provenance"].setdefault("summary", {"records": sources_})
    return [*entities.values(), *links]


def _link(
    chart: Chart, i: int, schema: str, props: dict[str, list[str]], sources_: list[str]
) -> dict[str, Any]:
    return {
        "id": f"casereview-{chart.key.replace(':', '-')}-link-{i}",
        "schema": schema,
        "properties": props,
        "datasets": ["casereview"],
        "provenance": {p: {"records": sources_} for p in props},
    }


# --------------------------------------------------------------------------- the export


def export_network(
    engine: Engine,
    actor: Actor,
    request: ChartRequest,
    fmt: str,
    out: Path,
    *,
    purpose: str,
    recipient: str,
) -> ExportResult:
    """Write the chart of a group or a person's network in `fmt` (analysts only): one audited
    disclosure naming the purpose, the recipient and every file written."""
    require_role(actor, UserRole.ANALYST)
    if fmt not in FORMATS:
        raise ValidationError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    stated = require_purpose(purpose)
    if not recipient or not recipient.strip():
        raise ValidationError("an export of personal data needs a recipient (--recipient)")
    with reading(engine) as conn:
        chart = build_chart(conn, actor, request)
        prov, refs = _provenance(conn, chart)
    what = f"network:{chart.key}:{fmt}"
    details = {"format": fmt, "nodes": len(chart.nodes), "edges": len(chart.edges)}
    files = [str(out)]
    with writing(engine) as conn:
        if fmt == "i2":
            spec = out.with_name(out.stem + ".import-spec.txt")
            files.append(str(spec))
            write_audited_csv(
                conn, out, I2_COLUMNS, i2_rows(chart, refs),
                what=what, purpose=stated, recipient=recipient.strip(), actor=actor.username,
            )  # fmt: skip
            with open_private(spec) as handle:  # beside the data it describes, owner-only
                handle.write(i2_specification(chart, out.name))
        else:
            if fmt == "graphml":
                text = graphml_text(chart, prov, refs)
            elif fmt == "gexf":
                text = gexf_text(chart, prov, refs)
            else:
                entities = ftm_entities(chart, prov, refs)
                validate_entities(entities)  # never hand Aleph what it would refuse
                text = "".join(
                    json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entities
                )
            write_audited_file(
                conn, out, text,
                what=what, purpose=stated, recipient=recipient.strip(), actor=actor.username,
                client=actor.client, details=details,
            )  # fmt: skip
    return ExportResult(fmt, files, len(chart.nodes), len(chart.edges))
