"""Exports for analysts on a pipeline-built store, each opened by its reader: GraphML and
GEXF by networkx, followthemoney entities by the FtM schema subset, the i2 CSV by the csv
module against its import specification; every node traced to its records; one audited
disclosure per export; analysts only."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import select

from casereview.errors import ValidationError
from casereview.model.tables import audit_log, groups
from casereview.network.analyst_exports import I2_COLUMNS
from casereview.network.ftm_schema import validate_entities
from casereview.store.db import reading

PURPOSE, RECIPIENT = "operation planning", "force intelligence bureau"


def _export(world, tmp_path: Path, fmt: str) -> tuple[dict, Path]:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        gid = int(conn.execute(select(groups.c.id).order_by(groups.c.id)).scalars().first())
    chart = json.loads(world.run("ana", "chart", "group", str(gid)).out)
    out = tmp_path / f"group.{fmt}"
    result = world.run_json(
        "ana", "export-network", "group", str(gid), "--format", fmt, "--out", str(out),
        "--purpose", PURPOSE, "--recipient", RECIPIENT,
    )  # fmt: skip
    assert (result["nodes"], result["edges"]) == (len(chart["nodes"]), len(chart["edges"]))
    with reading(world.engine) as conn:
        entry = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert (entry.action, entry.object_id, entry.purpose, entry.recipient) == (
        "disclose",
        f"network:group:{gid}:{fmt}",
        PURPOSE,
        RECIPIENT,
    )
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    return chart, out


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_files_read_back_by_networkx(world, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    chart, out = _export(world, tmp_path, fmt)
    graph = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert set(graph.nodes) == {n["id"] for n in chart["nodes"]}
    assert graph.number_of_edges() == len(chart["edges"])
    read = {(min(a, b), max(a, b), d["relation"]) for a, b, d in graph.edges(data=True)}
    assert read == {
        (min(e["source"], e["target"]), max(e["source"], e["target"]), e["relation"])
        for e in chart["edges"]
    }
    for n in chart["nodes"]:
        data = graph.nodes[n["id"]]
        assert (data["kind"], data["label"]) == (n["kind"], n["label"])
        assert data["sources"], f"{n['id']} has no source"
    if fmt == "graphml":
        assert {k: (graph.nodes[k]["x"], graph.nodes[k]["y"]) for k in graph.nodes} == {
            n["id"]: (n["x"], n["y"]) for n in chart["nodes"]
        }


def test_ftm_entities_validate_and_carry_their_sources(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chart, out = _export(world, tmp_path, "ftm")
    entities = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert validate_entities(entities) == len(entities)
    schemata = {e["schema"] for e in entities}
    assert {"Person", "Event"} <= schemata
    people = [e for e in entities if e["schema"] == "Person"]
    assert len(people) == sum(1 for n in chart["nodes"] if n["kind"] == "person")
    for e in entities:
        assert set(e["provenance"]) == set(e["properties"])
        assert all(p["records"] for p in e["provenance"].values()), e["id"]
    # The validator refuses what Aleph would: an unknown property, a bad reference.
    bad = dict(people[0], properties={**people[0]["properties"], "shoeSize": ["9"]})
    with pytest.raises(ValidationError, match="no property 'shoeSize'"):
        validate_entities([bad])
    link = next(e for e in entities if e["schema"] in ("Associate", "UnknownLink"))
    with pytest.raises(ValidationError, match="not in the export"):
        validate_entities([link])


def test_i2_csv_follows_its_specification(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chart, out = _export(world, tmp_path, "i2")
    spec = out.with_name(out.stem + ".import-spec.txt").read_text(encoding="utf-8")
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0].keys()) == I2_COLUMNS
    for column in I2_COLUMNS:
        assert f"[{column}]" in spec
    links = [r for r in rows if r["Link Type"]]
    assert len(links) == len(chart["edges"]) and all(r["Link Sources"] for r in links)
    entities = {r["Entity1 Identity"] for r in rows} | {r["Entity2 Identity"] for r in links}
    assert entities == {n["id"] for n in chart["nodes"]}


def test_only_analysts_export(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with reading(world.engine) as conn:
        gid = int(conn.execute(select(groups.c.id)).scalars().first())
    out = tmp_path / "x.graphml"
    refused = world.run("rev_n", "export-network", "group", str(gid), "--format", "graphml",
                        "--out", str(out), "--purpose", PURPOSE, "--recipient", RECIPIENT)  # fmt: skip
    assert refused.code == 1 and not out.exists()
    with reading(world.engine) as conn:
        last = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert (last.actor, last.action, last.object_id) == ("rev_n", "denied", "export-network")
