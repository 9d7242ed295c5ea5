"""No protected characteristic is an input: a metamorphic test on a pipeline-built store.

A synthetic world is imported through the real ingest stage. Then, on one copy, ethnicity
(the code as written and the ONS group), nationality and any religion are permuted at random
across the mentions of each source, both in the mention's columns and inside the source rows
kept as read (`mentions.raw`, `records.raw`), and every later stage is run on both copies:
the persons, the typology, the flag findings, the groups, the indicators, the scores and the
queue order must come out identical. Sex may be identity evidence in linkage only: on the
linked store, sex is permuted in the same way with the persons fixed, and classify, network
and review must again give identical results.

The synthetic sources record ethnicity (police nominals as IC or 16+1 codes, children's
social care as DfE codes) and sex; none records nationality or religion (the schema has a
`nationality` column, permuted all the same; it has no religion column).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from casereview.classify import run_classify
from casereview.link.stage import run_link
from casereview.model import tables as t
from casereview.network import run_network
from casereview.review.build import build_review
from casereview.review.triage import queue
from casereview.store.db import reading, writing
from pipeline_world import build_ingested_store, copy_store

pytestmark = pytest.mark.slow

# Keys of a source row (at any depth) that hold a protected characteristic, and sex.
PROTECTED_KEYS = ("ethnic", "national", "relig")
SEX_KEYS = ("sex", "gender")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic world imported by the real ingest stage (nothing linked yet)."""
    return build_ingested_store(tmp_path_factory.mktemp("protected"))


def _later_stages(engine: Engine, *, link: bool) -> None:
    if link:
        run_link(engine, actor="test")
    run_classify(engine, actor="test")
    run_network(engine, actor="test")
    build_review(engine, actor="test")


@pytest.fixture(scope="module")
def linked(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ingested world, unpermuted, through every later stage: the same run both tests
    start from (the original of the first, the linked store whose sex the second permutes),
    made once. Never changed: the tests read it or copy it."""
    path = tmp_path_factory.mktemp("protected-linked") / "original.db"
    engine = copy_store(ingested, path)
    try:
        _later_stages(engine, link=True)
    finally:
        engine.dispose()
    return path


def _rounded(value: Any) -> Any:
    # DuckDB sums in parallel, so a match weight may differ in its last bits between two runs
    # of the same data on a busy machine; six decimal places are far above that noise.
    return round(value, 6) if isinstance(value, float) else value


def _rows(engine: Engine, *columns: Any, order: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with reading(engine) as conn:
        rows = conn.execute(select(*columns).order_by(*(order or columns)))
        return [tuple(_rounded(v) for v in r) for r in rows]


def _outputs(engine: Engine) -> dict[str, Any]:
    """Everything the stages decide, without timestamps."""
    mp, c, f, g, gm, i, ri = (t.mention_person, t.classifications, t.flag_findings, t.groups,
                              t.group_members, t.indicators, t.review_items)  # fmt: skip
    return {
        "persons": _rows(engine, mp.c.mention_id, mp.c.person_id, mp.c.match_probability, mp.c.match_weight),
        "display": _rows(engine, t.persons.c.id, t.persons.c.display_name, t.persons.c.mention_count, t.persons.c.active),
        "typology": _rows(engine, c.c.record_id, c.c.label, c.c.strength, c.c.rule_ids, c.c.evidence),
        "findings": _rows(engine, f.c.record_id, f.c.code, f.c.person_id, f.c.evidence),
        "groups": _rows(engine, g.c.id, g.c.size, g.c.victim_count, g.c.record_count, g.c.first_seen,
                        g.c.last_seen, g.c.boroughs, g.c.stable, g.c.stability, g.c.summary, g.c.active),
        "members": _rows(engine, gm.c.group_id, gm.c.person_id, gm.c.role, gm.c.degree,
                         gm.c.betweenness, gm.c.eigenvector),
        "indicators": _rows(engine, i.c.code, i.c.subject_type, i.c.subject_id, i.c.record_id,
                            i.c.person_id, i.c.group_id, i.c.evidence),
        "scores": _rows(engine, ri.c.subject_type, ri.c.subject_id, ri.c.team_id, ri.c.status,
                        ri.c.priority, ri.c.score_breakdown, ri.c.evidence_hash, ri.c.active),
        "queue": [(e.subject_type, e.subject_id, _rounded(e.priority)) for e in queue(engine, limit=None)],
    }  # fmt: skip


def _swap(value: Any, keys: tuple[str, ...], change: dict[str, str]) -> Any:
    """`value` (parsed JSON) with the strings under matching keys replaced per `change`."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            hit = isinstance(v, str) and any(key in k.lower() for key in keys) and v in change
            out[k] = change[v] if hit else _swap(v, keys, change)
        return out
    if isinstance(value, list):
        return [_swap(v, keys, change) for v in value]
    return value


def _raw_code(raw: Any, keys: tuple[str, ...]) -> str | None:
    """The first string under a matching key of a source row (depth first)."""
    if isinstance(raw, dict):
        for k, v in raw.items():
            if isinstance(v, str) and v and any(key in k.lower() for key in keys):
                return v
        for v in raw.values():
            found = _raw_code(v, keys)
            if found is not None:
                return found
    if isinstance(raw, list):
        for v in raw:
            found = _raw_code(v, keys)
            if found is not None:
                return found
    return None


def _permute(engine: Engine, columns: list[str], keys: tuple[str, ...], seed: int) -> int:
    """Shuffle the values of `columns` (with the source's own code in the raw row) across the
    mentions of each source; returns how many mentions got another value."""
    rng = random.Random(seed)
    m, r = t.mentions, t.records
    moved = 0
    with writing(engine) as conn:
        rows = conn.execute(select(m.c.id, m.c.source_id, m.c.record_id, m.c.raw,
                                   *(m.c[c] for c in columns)).order_by(m.c.id)).all()  # fmt: skip
        by_source: dict[int, list[Any]] = {}
        for row in rows:
            by_source.setdefault(int(row.source_id), []).append(row)
        record_changes: dict[int, dict[str, str]] = {}
        for mentions_of_source in by_source.values():
            values = [
                (tuple(row._mapping[c] for c in columns), _raw_code(json.loads(row.raw), keys))
                for row in mentions_of_source
            ]
            shuffled = values[:]
            rng.shuffle(shuffled)
            for row, (old, old_code), (new, new_code) in zip(
                mentions_of_source, values, shuffled, strict=True
            ):
                if old == new and old_code == new_code:
                    continue
                moved += 1
                change = {old_code: new_code or ""} if old_code else {}
                raw = json.dumps(_swap(json.loads(row.raw), keys, change), ensure_ascii=False)
                conn.execute(
                    update(m)
                    .where(m.c.id == row.id)
                    .values(raw=raw, **dict(zip(columns, new, strict=True)))
                )
                if old_code:
                    record_changes.setdefault(int(row.record_id), {}).setdefault(
                        old_code, new_code or ""
                    )
        for record_id, change in record_changes.items():
            raw = conn.execute(select(r.c.raw).where(r.c.id == record_id)).scalar_one()
            new_raw = json.dumps(_swap(json.loads(raw), keys, change), ensure_ascii=False)
            conn.execute(update(r).where(r.c.id == record_id).values(raw=new_raw))
    return moved


def _differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, int]:
    return {k: sum(1 for x, y in zip(a[k], b[k], strict=False) if x != y) + abs(len(a[k]) - len(b[k]))
            for k in a if a[k] != b[k]}  # fmt: skip


def _non_empty(outputs: dict[str, Any]) -> dict[str, int]:
    return {k: len(v) for k, v in outputs.items()}


def test_permuting_ethnicity_and_nationality_changes_nothing(
    ingested: Path, linked: Path, tmp_path: Path
) -> None:
    original = copy_store(linked, tmp_path / "original.db")  # through the later stages
    permuted = copy_store(ingested, tmp_path / "permuted.db")
    control = copy_store(ingested, tmp_path / "control.db")
    try:
        moved = _permute(
            permuted, ["ethnicity_raw", "ethnicity", "nationality"], PROTECTED_KEYS, seed=1
        )
        assert moved > 100, "the permutation moved values"
        # The control: the same permutation of a real input (postcodes) must move the outputs,
        # or this test could not fail.
        assert _permute(control, ["postcode"], ("postcode",), seed=1) > 100
        for engine in (permuted, control):
            _later_stages(engine, link=True)
        before, after = _outputs(original), _outputs(permuted)
        assert all(_non_empty(before).values()), _non_empty(before)
        assert _differences(before, after) == {}
        assert {"persons", "scores", "queue"} <= set(_differences(before, _outputs(control)))
    finally:
        for engine in (original, permuted, control):
            engine.dispose()


def test_permuting_sex_after_linkage_changes_nothing(linked: Path, tmp_path: Path) -> None:
    permuted = copy_store(linked, tmp_path / "permuted.db")
    again = copy_store(linked, tmp_path / "again.db")
    try:
        moved = _permute(permuted, ["sex"], SEX_KEYS, seed=2)
        assert moved > 100
        for engine in (again, permuted):
            _later_stages(engine, link=False)
        before, after = _outputs(again), _outputs(permuted)
        assert all(_non_empty(before).values()), _non_empty(before)
        assert _differences(before, after) == {}
    finally:
        permuted.dispose()
        again.dispose()
