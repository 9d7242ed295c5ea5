"""Linkage on a real Spark standalone cluster: a master and two workers started from the
pyspark package on loopback (Java 17 from Debian), stopped at the end.

`casereview link --engine spark --spark-master URL` runs the whole stage on the cluster (one
link run, the cluster's only one: each is minutes of small Spark jobs) and scores, clusters and
writes as DuckDB does from the same store under the same model: every scored pair (all of
them are stored), its weight and explanation, and the persons. Each backend would train its
own model (u is estimated from random pairs, which the two backends draw differently), so the
world is one scored by the shipped reference model on both; a model trained on DuckDB, with
term frequencies, scoring the same on Spark is `test_spark.py`'s (local[2]).

Skipped with a reason where pyspark or Java is missing; CI installs both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casereview.model.tables import match_pairs, mention_person
from casereview.store.db import make_engine, reading
from pipeline_world import build_ingested_store

pytestmark = pytest.mark.slow

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip(
        "Java is not installed (scripts/test-prerequisites.sh installs it)", allow_module_level=True
    )

CASEREVIEW = str(Path(sys.executable).parent / "casereview")


# The JVMs of this module live seconds to a minute each: the master, the two workers, and for
# every step of the link run a new driver and new executors (on a cluster the stage stops its
# driver JVM between steps). HotSpot's C2 compiler spends CPU on code such a JVM then barely
# runs; C1 alone compiles quickly (454 s of CPU for this module on main, 268 s with C1, side
# by side). Only the JIT differs, not what the JVMs compute: the test checks the same results,
# to the same tolerance. Not for the local session of the other Spark modules: one JVM for
# all their tests, which C2's code makes cheaper over the whole (benchmarks/RESULTS.md, ci13
# and ci15).
CLUSTER_JVM_OPTIONS = "-XX:TieredStopAtLevel=1"


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """spark://127.0.0.1:PORT of a master with two workers (one core, 1 GB each). Every JVM
    started while the module runs (the cluster's, the executors its workers start, the link
    run's driver) takes `CLUSTER_JVM_OPTIONS` from `JDK_JAVA_OPTIONS`; restored after."""
    from casereview.errors import LinkageError
    from casereview.link.spark_cluster import loopback_cluster

    options = " ".join(filter(None, [os.environ.get("JDK_JAVA_OPTIONS"), CLUSTER_JVM_OPTIONS]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JDK_JAVA_OPTIONS", options)
        try:
            with loopback_cluster(tmp_path_factory.mktemp("spark-cluster")) as cluster:
                yield cluster.url
        except LinkageError as e:
            pytest.fail(str(e))


def _persons(url: str) -> set[frozenset[int]]:
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            rows = conn.execute(
                select(mention_person.c.person_id, mention_person.c.mention_id)
            ).all()
    finally:
        engine.dispose()
    by_person: dict[int, set[int]] = {}
    for person, mention in rows:
        by_person.setdefault(int(person), set()).add(int(mention))
    return {frozenset(m) for m in by_person.values()}


def _explanations(url: str) -> dict[tuple[int, int], tuple[float, list[tuple[Any, ...]]]]:
    """Every stored pair's weight and explanation bars (comparison, level, both values,
    weight), as `link.explain` renders them from what the stage stored."""
    from casereview.link.explain import compared_of, load_legends, stored_explanation

    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            rows = conn.execute(select(match_pairs)).all()
            legends = load_legends(conn, {r.run_id for r in rows})
            compared = compared_of(
                conn, {m for r in rows for m in (r.mention_a_id, r.mention_b_id)}
            )
    finally:
        engine.dispose()
    out = {}
    for row in rows:
        _, bars = stored_explanation(row, legends, compared)
        out[(int(row.mention_a_id), int(row.mention_b_id))] = (
            float(row.match_weight),
            [(x.comparison, x.level, x.value_a, x.value_b, x.weight) for x in bars],
        )
    return out


def test_the_link_stage_on_the_cluster_scores_and_writes_as_duckdb(
    spark_cluster: str, tmp_path: Path
) -> None:
    """The whole stage (read the store, score, cluster, write persons and explanations) on the
    cluster and on DuckDB, with one model: a world below `MIN_TRAIN_MENTIONS`, scored by the
    shipped reference model on both. Trained on each backend the weights differ (Splink samples
    the u pairs differently on Spark and DuckDB: up to 0.4 on a level at 150 cases), and a pair
    near the threshold then lands differently (docs/deployment.md); that training on Spark
    gives DuckDB's clusters is `test_spark.py`'s.

    Scoring on the cluster is checked here too (it was a second cluster run,
    `test_the_cluster_scores_as_duckdb_does`, until the thirteenth session): every scored pair
    is stored (`pairs_stored == pairs_scored` on both backends), so the stored pairs compared
    below are the scored pairs, with their weights (to 1e-9; that test allowed 1e-6), and the
    persons are the clusters."""
    from casereview.link.reference import MIN_TRAIN_MENTIONS

    ingested = build_ingested_store(tmp_path, cases=15, seed=5)
    on_duckdb, on_cluster = tmp_path / "duckdb.db", tmp_path / "cluster.db"
    shutil.copy(ingested, on_duckdb)
    shutil.copy(ingested, on_cluster)
    # On Spark the store is read and staged by a child process (link/spark_prepare.py) in a
    # private folder here: nothing of it is left once the stage ends.
    staging = tmp_path / "staging"
    staging.mkdir()
    env = {**os.environ, "CASEREVIEW_LINK__SPARK_STAGING_DIR": str(staging)}
    scored: dict[str, int] = {}
    for store, engine in ((on_duckdb, ["--engine", "duckdb"]),
                          (on_cluster, ["--engine", "spark", "--spark-master", spark_cluster])):  # fmt: skip
        done = subprocess.run(
            [CASEREVIEW, "--database", f"sqlite:///{store}", "link", "--json", *engine],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
            env=env,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        summary = json.loads(done.stdout)
        assert summary["mentions"] < MIN_TRAIN_MENTIONS  # the reference model
        assert summary["pairs_stored"] == summary["pairs_scored"] > 0  # every scored pair kept
        scored[engine[1]] = summary["pairs_scored"]
    assert scored["spark"] == scored["duckdb"]
    assert list(staging.iterdir()) == []
    duckdb_persons = _persons(f"sqlite:///{on_duckdb}")
    cluster_persons = _persons(f"sqlite:///{on_cluster}")
    assert any(len(p) > 1 for p in duckdb_persons)  # mentions were joined, not only kept apart
    differences = sorted(sorted(p) for p in duckdb_persons ^ cluster_persons)
    assert differences == [], f"persons placed differently by the two backends: {differences}"
    # The same explanations: every stored pair, its bars' levels and the values shown (the
    # Spark pairs come back from Parquet files, DuckDB's straight from the database), and
    # weights equal to the last few digits (the backends' log2 and sums round differently).
    on_duckdb_pairs = _explanations(f"sqlite:///{on_duckdb}")
    on_cluster_pairs = _explanations(f"sqlite:///{on_cluster}")
    assert sorted(on_cluster_pairs) == sorted(on_duckdb_pairs)
    for pair, (weight, bars) in on_duckdb_pairs.items():
        got_weight, got_bars = on_cluster_pairs[pair]
        assert got_weight == pytest.approx(weight, abs=1e-9), pair
        assert [bar[:4] for bar in got_bars] == [bar[:4] for bar in bars], pair
        assert [bar[4] for bar in got_bars] == pytest.approx([bar[4] for bar in bars], abs=1e-9)
