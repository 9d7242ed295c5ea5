"""`cluster.cluster_mentions` on Spark: the components found and the guards run on executors.

On DuckDB the driver clusters the pairs itself (`cluster.cluster_mentions`): connected
components of the pairs at the threshold (with "same" judgements added and the pairs judged
"not same" removed), then, in each component where the household guard finds two mentions
that cannot be one person or a "not same" judgement holds two mentions together, minimum
cuts until they are apart. On Spark the same is done without the driver building a graph
or reading the guard's columns of every mention:

1. the pairs at the threshold go to Spark as one Parquet file of four numbers a pair (the
   two ids, the weight and the pair's row, for the order the cuts see edges in), with the
   "same" and "not same" judgements as two small tables;
2. the components are found on Spark by propagating the smallest mention id along the edges,
   each round followed by a jump to the label's own label (`components_on_spark`), until no
   label changes: every mention of a component ends with its smallest id;
3. the components the guard could act on (two mentions with years of birth at least
   `FAR_APART_YEARS` apart) or that hold both ends of a "not same" judgement are picked on
   Spark, and each of them goes to an executor with its mentions' guard columns (read from
   the staged frame's Parquet files, not from the driver) and its edges in the pairs' order,
   where `cluster_mentions` and `household_guard` run on that component alone
   (`_split_component`): the same code, the same edges in the same order, the same cuts;
4. the driver reads back the label of each mention in a component of two or more.

A component is clustered alone exactly as in the whole graph: a cut in one component never
changes another, the guard caps its constraints per component, and the nodes and edges of a
component keep their order (`cluster._split_components` says so for the whole graph).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from casereview.errors import LinkageError
from casereview.link.cluster import Clustering, Judgement, cluster_mentions, household_guard
from casereview.link.model import FAR_APART_YEARS

__all__ = ["GUARD_COLUMNS", "cluster_edges_on_spark", "cluster_on_spark", "components_on_spark"]

# The columns of a mention that `household_guard` reads (its `Forenames` among them).
GUARD_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "yob_lo",
    "yob_hi",
    "dob",
    "postcode",
    "street_number",
    "id_scheme",
    "identifier",
    "forename_keys",
    "forename1",
    "forename_std",
    "surname_std",
)
# A component's first output row carries its cut counts and notes (the others zero, "").
_OUT_SCHEMA = "unique_id long, label long, comp long, guard_cuts long, edges_cut long, notes string"
_EDGE_TYPES = {"l": "int64", "r": "int64", "w": "float64", "seq": "int64"}
# Rounds before giving up (`components_on_spark`: 8 for a path of 5,000 nodes).
_MAX_ROUNDS = 64


def components_on_spark(spark: Any, edges: Any, folder: Path) -> Any:
    """Each node of `edges` (a Spark DataFrame of `l`, `r`: mention ids) with its
    component's smallest id, as a Spark DataFrame of `id`, `comp` read from Parquet files
    in `folder` (which must not exist: made here, the caller removes it). Labels start as
    each node's smallest neighbour; each round every node, and the root its label names,
    take the smallest label across their edges, then each label is replaced by its own
    label twice, until no label changes (a path of 5,000 nodes in random order settles in
    8 rounds). Labels only fall, and only to ids of the same component, so what is left
    is every component's smallest id. Each step's labels are written there and read back:
    the plan of a round never holds the rounds before it (Spark keeps a checkpoint's plan
    for its size estimates, and those of twenty joined rounds overflowed a driver's heap)."""
    from pyspark.sql import functions as F

    folder.mkdir(mode=0o700)

    def saved(frame: Any, name: str) -> Any:
        frame.write.parquet(str(folder / name))
        return spark.read.parquet(str(folder / name))

    both = saved(
        edges.select(F.col("l").alias("a"), F.col("r").alias("b"))
        .unionByName(edges.select(F.col("r").alias("a"), F.col("l").alias("b")))
        .where(F.col("a") != F.col("b"))
        .distinct(),
        "edges",
    )
    labels = saved(
        both.groupBy("a")
        .agg(F.least(F.first("a"), F.min("b")).alias("comp"))
        .withColumnRenamed("a", "id"),
        "round-0",
    )
    for round_ in range(1, _MAX_ROUNDS + 1):
        # Each node takes the smallest label of its neighbours, and so does the node its own
        # label names (the root of its tree: Shiloach and Vishkin's hooking, which joins two
        # trees at once rather than one node a round) ...
        seen = (
            both.join(labels.withColumnRenamed("id", "a").withColumnRenamed("comp", "la"), "a")
            .join(labels.withColumnRenamed("id", "b").withColumnRenamed("comp", "lb"), "b")
            .where(F.col("lb") < F.col("la"))
        )
        offered = (
            seen.select(F.col("a").alias("id"), F.col("lb").alias("m"))
            .unionByName(seen.select(F.col("la").alias("id"), F.col("lb").alias("m")))
            .groupBy("id")
            .agg(F.min("m").alias("m"))
        )
        current = saved(
            labels.join(offered, "id", "left").select(
                "id", F.least("comp", F.coalesce("m", "comp")).alias("comp")
            ),
            f"round-{round_}",
        )
        # ... then, twice, its label's label (a smaller id of the same component).
        for jump in (1, 2):
            current = saved(
                current.alias("x")
                .join(
                    spark.read.parquet(str(folder / _last(round_, jump))).alias("y"),
                    F.col("x.comp") == F.col("y.id"),
                )
                .select(F.col("x.id").alias("id"), F.col("y.comp").alias("comp")),
                f"round-{round_}-jump-{jump}",
            )
        changed = (
            current.alias("n")
            .join(labels.alias("o"), "id")
            .where(F.col("n.comp") != F.col("o.comp"))
            .limit(1)
            .count()
        )
        labels = current
        if not changed:
            return labels
    raise LinkageError("connected components on Spark did not settle")  # pragma: no cover


def _last(round_: int, jump: int) -> str:
    """The folder of the labels a jump of `round_` starts from."""
    return f"round-{round_}" if jump == 1 else f"round-{round_}-jump-{jump - 1}"


def _split_component(
    nodes: pd.DataFrame, edges: pd.DataFrame, threshold: float, judgements: list[Judgement]
) -> pd.DataFrame:
    """One component clustered as `cluster_mentions` clusters the whole graph (module
    docstring): `nodes` its mentions' `GUARD_COLUMNS` as Spark gives them, `edges` its
    pairs at the threshold (`l`, `r`, `w`, `seq`: the pair's row, their order)."""
    nodes = nodes.sort_values("unique_id", kind="stable").reset_index(drop=True)
    # Arrow lists come from Spark as numpy arrays; the guard reads Python lists.
    nodes["forename_keys"] = [
        list(k) if k is not None and not isinstance(k, float) else None
        for k in nodes["forename_keys"].tolist()
    ]
    if "seq" not in edges.columns:  # a component joined by "same" judgements alone
        edges = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in _EDGE_TYPES.items()})
    edges = edges.sort_values("seq", kind="stable")
    pairs = pd.DataFrame(
        {
            "unique_id_l": edges["l"].to_numpy(dtype=np.int64),
            "unique_id_r": edges["r"].to_numpy(dtype=np.int64),
            "match_weight": edges["w"].to_numpy(dtype=float),
        }
    )
    ids = nodes["unique_id"].to_numpy(dtype=np.int64)
    done = cluster_mentions(ids, pairs, threshold, judgements, guard=household_guard(nodes))
    label = np.asarray([done.labels[int(i)] for i in ids], dtype=np.int64)
    out = pd.DataFrame(
        {
            "unique_id": ids,
            "label": label,
            "comp": np.full(len(ids), int(ids.min()) if len(ids) else 0, dtype=np.int64),
            "guard_cuts": np.zeros(len(ids), dtype=np.int64),
            "edges_cut": np.zeros(len(ids), dtype=np.int64),
            "notes": [""] * len(ids),
        }
    )
    if len(out):
        out.loc[0, "guard_cuts"] = done.guard_cuts
        out.loc[0, "edges_cut"] = done.edges_cut
        out.loc[0, "notes"] = json.dumps(done.notes)
    return out


def _judged(
    judgements: Iterable[Judgement], ids: np.ndarray
) -> tuple[list[Judgement], np.ndarray, np.ndarray]:
    """The judgements whose two mentions are both in `ids` (sorted) and apart (those
    `cluster_mentions` reads), with their "same" and "not same" pairs as k x 2 arrays."""
    kept = []
    for j in judgements:
        a, b = int(j.mention_a), int(j.mention_b)
        if a == b or not np.isin([a, b], ids).all():
            continue
        kept.append(Judgement(a, b, j.judgement))
    same = [
        (min(j.mention_a, j.mention_b), max(j.mention_a, j.mention_b))
        for j in kept
        if j.judgement == "same"
    ]
    apart = [
        (min(j.mention_a, j.mention_b), max(j.mention_a, j.mention_b))
        for j in kept
        if j.judgement == "not_same"
    ]
    return (
        kept,
        np.asarray(same, dtype=np.int64).reshape(-1, 2),
        np.asarray(apart, dtype=np.int64).reshape(-1, 2),
    )


def cluster_on_spark(
    spark: Any,
    mention_ids: Sequence[int] | np.ndarray,
    pairs: pd.DataFrame,
    threshold: float,
    judgements: Iterable[Judgement],
    staged: Path,
    folder: Path,
    timings: dict[str, float] | None = None,
) -> Clustering:
    """`cluster_mentions(mention_ids, pairs, threshold, judgements, guard=household_guard(
    frame))` computed on Spark (module docstring), `frame` being the mentions staged as
    Parquet in `staged` (their `GUARD_COLUMNS` are read there, on the executors); `folder`
    (the run's private one) holds the edges and labels for the moment they are needed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    weight = pairs["match_weight"].to_numpy(dtype=float)
    rows = np.flatnonzero(weight >= threshold)
    edges = folder / f"edges-{time.monotonic_ns()}"
    edges.mkdir(mode=0o700)
    try:
        pq.write_table(
            pa.table(
                {
                    "l": pa.array(pairs["unique_id_l"].to_numpy(dtype=np.int64)[rows]),
                    "r": pa.array(pairs["unique_id_r"].to_numpy(dtype=np.int64)[rows]),
                    "w": pa.array(weight[rows]),
                    "seq": pa.array(rows.astype(np.int64)),
                }
            ),
            edges / "part-00000.parquet",
        )
        del weight, rows
        return cluster_edges_on_spark(
            spark, mention_ids, edges, threshold, judgements, staged, folder, timings
        )
    finally:
        shutil.rmtree(edges, ignore_errors=True)


def cluster_edges_on_spark(
    spark: Any,
    mention_ids: Sequence[int] | np.ndarray,
    edges: Path,
    threshold: float,
    judgements: Iterable[Judgement],
    staged: Path,
    folder: Path,
    timings: dict[str, float] | None = None,
) -> Clustering:
    """`cluster_on_spark` of the pairs at the threshold already on disk: `edges`, Parquet
    files of `l`, `r`, `w` and `seq` (any number ordering the pairs as the driver's pairs
    are ordered), every one at or above `threshold` (`spark_pairs` writes them there, the
    driver never reading them)."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    ids = np.asarray(mention_ids, dtype=np.int64)
    if len(ids) > 1 and not bool((ids[1:] > ids[:-1]).all()):
        ids = np.unique(ids)
    kept, same, apart = _judged(judgements, ids)
    work = folder / f"clusters-{time.monotonic_ns()}"
    work.mkdir(mode=0o700)
    try:
        strong = spark.read.parquet(str(edges)).select("l", "r", "w", "seq")
        # Edges in the component graph: the strong pairs not judged "not same" (each pair's
        # ends in either order), and the "same" judgements.
        graph = strong.select("l", "r")
        if len(apart):
            judged_apart = spark.createDataFrame(
                pd.DataFrame({"lo": apart[:, 0], "hi": apart[:, 1]})
            )
            graph = graph.join(
                judged_apart,
                (F.least("l", "r") == F.col("lo")) & (F.greatest("l", "r") == F.col("hi")),
                "left_anti",
            )
        if len(same):
            graph = graph.unionByName(
                spark.createDataFrame(pd.DataFrame({"l": same[:, 0], "r": same[:, 1]}))
            )
        found = components_on_spark(spark, graph, work / "rounds")
        found.write.parquet(str(work / "components"))
        del found

        def read_labels() -> Any:
            # Each read a relation of its own (Spark refuses as ambiguous a join of two
            # plans built on one relation).
            return spark.read.parquet(str(work / "components"))

        labels = read_labels()
        # Components the guard could act on, or holding both ends of a "not same".
        mentions = (
            spark.read.parquet(str(staged))
            .select(*GUARD_COLUMNS)
            .join(labels, F.col("unique_id") == F.col("id"))
            .drop("id")
        )
        dated = mentions.where(F.col("yob_lo").isNotNull() & F.col("yob_hi").isNotNull())
        touched = (
            dated.groupBy("comp")
            .agg(
                F.count("*").alias("n"),
                F.min("yob_lo").alias("lo"),
                F.max("yob_hi").alias("hi"),
            )
            .where((F.col("n") >= 2) & (F.col("hi") - F.col("lo") >= FAR_APART_YEARS))
            .select("comp")
        )
        if len(apart):
            ends = read_labels().select(F.col("id").alias("a_id"), F.col("comp").alias("a_comp"))
            other = read_labels().select(F.col("id").alias("b_id"), F.col("comp").alias("b_comp"))
            inside = (
                judged_apart.join(ends, F.col("lo") == F.col("a_id"))
                .join(other, F.col("hi") == F.col("b_id"))
                .where(F.col("a_comp") == F.col("b_comp"))
                .select(F.col("a_comp").alias("comp"))
            )
            touched = touched.unionByName(inside)
        touched.distinct().write.parquet(str(work / "touched"))
        their_nodes = mentions.join(spark.read.parquet(str(work / "touched")), "comp")
        their_edges = strong.join(read_labels().withColumnRenamed("id", "l"), "l").join(
            spark.read.parquet(str(work / "touched")), "comp"
        )

        def split(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
            return _split_component(nodes.drop(columns=["comp"]), edges, threshold, kept)

        split_out = (
            their_nodes.groupBy("comp")
            .cogroup(their_edges.groupBy("comp"))
            .applyInPandas(split, schema=_OUT_SCHEMA)
        )
        # The split components' labels, each group's cuts on its first row: written once,
        # the groups run once.
        split_out.write.parquet(str(work / "split"))
        split_back = spark.read.parquet(str(work / "split"))
        (
            read_labels()
            .join(
                split_back.select(F.col("unique_id").alias("sid"), "label"),
                F.col("id") == F.col("sid"),
                "left",
            )
            .where(F.coalesce("label", "comp") != F.col("id"))
            .select(F.col("id").alias("unique_id"), F.coalesce("label", "comp").alias("label"))
            .write.parquet(str(work / "labels"))
        )
        got = pq.read_table(work / "labels")
        cuts = (
            pq.read_table(work / "split", columns=["comp", "guard_cuts", "edges_cut", "notes"])
            .to_pandas()
            .query("guard_cuts > 0 or edges_cut > 0 or notes != ''")
            .sort_values("comp", kind="stable")
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    label = ids.copy()
    at = np.searchsorted(ids, got["unique_id"].to_numpy())
    label[at] = got["label"].to_numpy()
    del got
    clustering = Clustering(labels=dict(zip(ids.tolist(), label.tolist(), strict=True)))
    clustering.guard_cuts = int(cuts["guard_cuts"].sum())
    clustering.edges_cut = int(cuts["edges_cut"].sum())
    for notes in cuts["notes"].tolist():
        if notes:
            clustering.notes.extend(json.loads(notes))
    if timings is not None:
        timings["cluster_spark_s"] = timings.get("cluster_spark_s", 0.0) + (
            time.perf_counter() - t0
        )
    return clustering
