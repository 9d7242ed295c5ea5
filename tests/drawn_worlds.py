"""Whole runs on drawn synthetic worlds, as a new team would do them, with their invariants.

`run_world` drives the command line from nothing: synth, init, every mapping's ingest,
pipeline, report, every export, audit verify; then checks what must hold on every world, and
runs link and the pipeline again on the same store to check that nothing moves. Used by
tests/test_worlds.py (a handful of small worlds, every test run) and by
benchmarks/bench_worlds.py (a long run over larger worlds).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from casereview.cli import main
from casereview.model.codes import RunStatus
from casereview.model.tables import (
    audit_log,
    flag_findings,
    group_members,
    groups,
    indicators,
    mention_person,
    mentions,
    records,
    review_items,
    runs,
)
from casereview.store import audit
from casereview.store.db import make_engine, reading
from casereview.synth.config import PROFILES, FailureRates, NoiseRates

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "mappings"
EXPORTS = ("persons", "groups", "findings")


@dataclass(frozen=True)
class WorldOptions:
    """One drawn world: the arguments of `casereview synth`."""

    cases: int
    seed: int
    noise: str | None = None
    failures: str | None = None
    extra: tuple[str, ...] = ()
    profile: str | None = None

    def synth_args(self) -> list[str]:
        args = ["--cases", str(self.cases), "--seed", str(self.seed)]
        if self.profile is not None:
            args += ["--profile", self.profile]
        if self.noise is not None:
            args += ["--noise", self.noise]
        if self.failures is not None:
            args += ["--failures", self.failures]
        return [*args, *self.extra]


def _overrides(names: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    """None (the defaults), "none" (every rate zero) or a few rates set to drawn values."""
    some = st.dictionaries(
        st.sampled_from(names),
        st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.3, 0.6, 1.0]),
        min_size=1,
        max_size=4,
    ).map(lambda d: ",".join(f"{k}={v}" for k, v in sorted(d.items())))
    return st.one_of(st.none(), st.just("none"), some)


def world_options(min_cases: int = 50, max_cases: int = 2000) -> st.SearchStrategy[WorldOptions]:
    """Every option of the synthetic world, drawn."""
    return st.builds(
        WorldOptions,
        cases=st.integers(min_cases, max_cases),
        seed=st.integers(0, 100_000),
        noise=_overrides(tuple(f.name for f in dataclasses.fields(NoiseRates))),
        failures=_overrides(tuple(f.name for f in dataclasses.fields(FailureRates))),
        profile=st.one_of(st.none(), st.sampled_from(sorted(PROFILES))),
    )


@dataclass
class Snapshot:
    """What the derived stages concluded, in a form two runs can be compared by."""

    persons: dict[str, int]
    groups: list[tuple[int, tuple[tuple[int, str], ...]]]
    findings: list[tuple[int, str, int | None]]
    indicators: list[tuple[str, str, int]]
    queue: list[tuple[str, int, float]]


def snapshot(engine: Engine) -> Snapshot:
    with reading(engine) as conn:
        persons = {
            f"{r.source_id}:{r.mention_key}": int(r.person_id)
            for r in conn.execute(
                select(
                    mentions.c.source_id, mentions.c.mention_key, mention_person.c.person_id
                ).join(mention_person, mention_person.c.mention_id == mentions.c.id)
            )
        }
        members: dict[int, list[tuple[int, str]]] = {}
        for r in conn.execute(
            select(group_members.c.group_id, group_members.c.person_id, group_members.c.role)
            .join(groups, groups.c.id == group_members.c.group_id)
            .where(groups.c.active.is_(True))
        ):
            members.setdefault(int(r.group_id), []).append((int(r.person_id), str(r.role)))
        found = sorted(
            (int(r.record_id), str(r.code), None if r.person_id is None else int(r.person_id))
            for r in conn.execute(
                select(flag_findings.c.record_id, flag_findings.c.code, flag_findings.c.person_id)
            )
        )
        signals = sorted(
            (str(r.code), str(r.subject_type), int(r.subject_id))
            for r in conn.execute(
                select(indicators.c.code, indicators.c.subject_type, indicators.c.subject_id)
            )
        )
        queue = [
            (str(r.subject_type), int(r.subject_id), round(float(r.priority), 6))
            for r in conn.execute(
                select(review_items.c.subject_type, review_items.c.subject_id, review_items.c.priority)
                .where(review_items.c.active.is_(True))
                .order_by(review_items.c.priority.desc(), review_items.c.subject_type,
                          review_items.c.subject_id)
            )
        ]  # fmt: skip
    return Snapshot(
        persons=persons,
        groups=sorted((g, tuple(sorted(m))) for g, m in members.items()),
        findings=found,
        indicators=signals,
        queue=queue,
    )


@dataclass
class WorldRun:
    """What one world's run produced, for the caller's report."""

    options: WorldOptions
    counts: dict[str, int] = field(default_factory=dict)


def _cli(args: list[str], say: Callable[[str], None]) -> None:
    """Run one command; a non-zero exit is a failure naming the command."""
    code = main(args)
    if code != 0:
        raise AssertionError(f"`casereview {' '.join(args)}` exited {code}")
    say(" ".join(args[2:4]))


def run_world(
    options: WorldOptions,
    folder: Path,
    say: Callable[[str], None] = lambda _: None,
    *,
    url: str | None = None,
) -> WorldRun:
    """The whole job on one world, then its invariants and a second run that must agree.
    The store is a new SQLite file in `folder` unless `url` names another (PostgreSQL)."""
    world = folder / "world"
    url = url or f"sqlite:///{folder / 'store.db'}"
    db = ["--database", url]
    _cli(["synth", *options.synth_args(), "--out", str(world), "--json"], say)
    _cli([*db, "init", "--json"], say)
    for mapping in sorted(MAPPINGS.glob("*.yaml")):
        _cli([*db, "ingest", str(mapping), "--data-dir", str(world), "--json"], say)
    _cli([*db, "pipeline", "--json"], say)
    _cli([*db, "report", "--out", str(folder / "report"), "--json"], say)
    for export in EXPORTS:
        out = folder / f"{export}.csv"
        _cli([*db, "export", export, "--out", str(out), "--purpose", "world test", "--json"], say)
        assert out.is_file(), export
    _cli([*db, "audit", "verify", "--json"], say)

    engine = make_engine(url)
    try:
        run = WorldRun(options, check_invariants(engine))
        first = snapshot(engine)
        _cli([*db, "link", "--json"], say)
        _cli([*db, "pipeline", "--json"], say)
        second = snapshot(engine)
        for part in ("persons", "groups", "findings", "indicators", "queue"):
            assert getattr(first, part) == getattr(second, part), (
                f"{part} changed when link and the pipeline ran again on the same store"
            )
        assert audit.verify(engine).ok
    finally:
        engine.dispose()
    return run


def check_invariants(engine: Engine) -> dict[str, int]:
    """What holds on every world: each mention in exactly one person, every record through
    classify, a review run done, the audit chain whole. Returns the store's counts."""
    with reading(engine) as conn:
        n_mentions = int(conn.execute(select(func.count()).select_from(mentions)).scalar_one())
        n_records = int(conn.execute(select(func.count()).select_from(records)).scalar_one())
        mapped = conn.execute(
            select(func.count(), func.count(func.distinct(mention_person.c.mention_id)))
        ).one()
        assert (int(mapped[0]), int(mapped[1])) == (n_mentions, n_mentions), (
            "every mention belongs to exactly one person"
        )
        done = {
            str(r.stage): json.loads(r.counts or "{}")
            for r in conn.execute(
                select(runs.c.stage, runs.c.counts)
                .where(runs.c.status == RunStatus.SUCCEEDED.value)
                .order_by(runs.c.id)
            )
        }
        assert {"link", "classify", "network", "review"} <= set(done), sorted(done)
        assert int(done["classify"].get("records", -1)) == n_records, "every record classified"
        n_items = int(conn.execute(select(func.count()).select_from(review_items)).scalar_one())
        n_audit = int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
    assert audit.verify(engine).ok
    return {"records": n_records, "mentions": n_mentions, "review_items": n_items,
            "audit_entries": n_audit}  # fmt: skip


def describe(run: WorldRun) -> dict[str, Any]:
    return {"options": dataclasses.asdict(run.options), **run.counts}
