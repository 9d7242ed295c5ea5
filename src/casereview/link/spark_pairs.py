"""The scored pairs' steps between scoring and the write, on Spark: the driver reads only
the pairs it keeps, once.

On DuckDB `stage.finish_prediction` holds every scored pair (3 million at a million
mentions) through two clusterings and record context. On Spark the scored pairs stay where
the executors wrote them (Parquet files in the run's private folder) and every step that
reads all of them runs there, each exactly as the driver's function it stands for:

- `cluster.well_evidenced` (the same full name and full date of birth): a join of the
  pairs with four facts of each mention;
- `cluster.strongest_only` (a mention with nothing that places it joins one person only):
  the firm pairs' components (`spark_components.components_on_spark`), then, for each weak
  mention, the component its strongest pair reaches (a window per mention);
- the clustering of the pairs left (`spark_components.cluster_edges_on_spark`);
- record context's levels (`context.context_levels`): a join of the pairs with each
  mention's record id and its context (the first persons of its record mates).

What the driver holds is per mention, never per pair: the facts above, computed from its
lean frame by the driver's own functions (so that they answer as on DuckDB) and written as
one Parquet file; the first clustering's labels; the context matrix. Of the pairs it
collects only what record context's estimate reads (each pair's level and weight, with the
ids of the pairs whose records name a person in common, for the forename check the driver
makes with `cluster.Forenames`), and at the end the pairs kept, once, in the pairs' order.
The context weights are added on Spark by the same double-precision sum as numpy's; the
match probabilities are computed on the driver from the weights it reads.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from casereview.errors import LinkageError
from casereview.link.cluster import Clustering, Forenames, _codes
from casereview.link.context import (
    COMMON,
    ELSE,
    NULL,
    SAME_RECORD,
    estimate_context,
    record_ids,
)
from casereview.link.frame import context_matrix, unanchored
from casereview.link.model import ScoredPairs, TrainedModel, context_comparison
from casereview.link.spark_components import cluster_edges_on_spark, components_on_spark
from casereview.link.stage import Plan, Progress

__all__ = ["ContextOnSpark", "PairsOnSpark", "clustered_on_spark"]

# The pair's key: its two ids as one number, in the order the driver sorts pairs
# (`model.in_pair_order`); the ids are below 2**31 (checked).
_KEY_SHIFT = 2**32


def _key(spark_functions: Any) -> Any:
    F = spark_functions
    return F.col("unique_id_l") * F.lit(_KEY_SHIFT) + F.col("unique_id_r")


class PairsOnSpark:
    """The scored pairs in `folder` (Parquet files of `columns`, as the executors wrote
    them) and the mentions' facts the steps read, for one Spark session `spark`; `work`:
    the run's private folder, where each step's files are written and removed."""

    def __init__(
        self,
        spark: Any,
        folder: Path,
        columns: list[str],
        frame: pd.DataFrame,
        work: Path,
    ) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.spark, self.folder, self.columns, self.work = spark, folder, columns, work
        self.ids = frame["unique_id"].to_numpy(dtype=np.int64)
        if len(self.ids) and (self.ids.min() < 0 or self.ids.max() >= 2**31):
            raise LinkageError("mention ids outside 0..2**31 cannot key the pairs on Spark")
        weak = np.zeros(len(self.ids), dtype=bool)
        weak[np.searchsorted(self.ids, unanchored(frame))] = True
        keys = frame["forename_keys"].tolist()
        facts = pa.table(
            {
                "id": pa.array(self.ids),
                "weak": pa.array(weak),
                # `well_evidenced`'s codes: equal for equal values, -1 for missing.
                "dob": pa.array(_codes(frame["dob"])),
                "sur": pa.array(_codes(frame["surname_std"])),
                "fore": pa.array(_codes(frame["forename_std"])),
                "keys": pa.array(
                    [k if isinstance(k, list) else None for k in keys],
                    type=pa.list_(pa.string()),
                ),
            }
        )
        del keys, weak
        self.facts = work / f"facts-{time.monotonic_ns()}"
        self.facts.mkdir(mode=0o700)
        pq.write_table(facts, self.facts / "part-00000.parquet")
        del facts
        self.count = self.read().count()

    def read(self) -> Any:
        """The scored pairs with their key (`seq`)."""
        from pyspark.sql import functions as F

        return self.spark.read.parquet(str(self.folder)).withColumn("seq", _key(F))

    def _facts(self, side: str) -> Any:
        from pyspark.sql import functions as F

        facts = self.spark.read.parquet(str(self.facts))
        return facts.select(*[F.col(c).alias(f"{c}_{side}") for c in facts.columns])

    def kept_for_clustering(self, pairs: Any, threshold: float) -> Any:
        """`strongest_only(pairs, unanchored(frame), threshold, well_evidenced(frame,
        pairs))` of the pairs at or above `threshold` (those the clustering reads), as a
        Spark DataFrame of `l`, `r`, `w`, `seq`."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        with_facts = (
            pairs.select("unique_id_l", "unique_id_r", "match_weight", "seq")
            .where(F.col("match_weight") >= F.lit(threshold))
            .join(self._facts("l"), F.col("unique_id_l") == F.col("id_l"))
            .join(self._facts("r"), F.col("unique_id_r") == F.col("id_r"))
        )
        fore_same = (F.col("fore_l") >= 0) & (F.col("fore_l") == F.col("fore_r"))
        keys_meet = F.coalesce(F.arrays_overlap("keys_l", "keys_r"), F.lit(False))
        sure = (
            (F.col("dob_l") >= 0)
            & (F.col("dob_l") == F.col("dob_r"))
            & (F.col("sur_l") >= 0)
            & (F.col("sur_l") == F.col("sur_r"))
            & (fore_same | keys_meet)
        )
        step = self._new("strongest")
        marked = with_facts.select(
            F.col("unique_id_l").alias("l"),
            F.col("unique_id_r").alias("r"),
            F.col("match_weight").alias("w"),
            "seq",
            F.col("weak_l"),
            F.col("weak_r"),
            sure.alias("sure"),
        )
        marked.write.parquet(str(step / "marked"))
        marked = self.spark.read.parquet(str(step / "marked"))
        firm = marked.where((~F.col("weak_l") & ~F.col("weak_r")) | F.col("sure"))
        comp = components_on_spark(self.spark, firm.select("l", "r"), step / "firm")
        one = (
            self.spark.read.parquet(str(step / "marked"))
            .where((F.col("weak_l") != F.col("weak_r")) & ~F.col("sure"))
            .select(
                "seq",
                "w",
                F.when(F.col("weak_l"), F.col("l")).otherwise(F.col("r")).alias("end"),
                F.when(F.col("weak_l"), F.col("r")).otherwise(F.col("l")).alias("other"),
            )
            .join(comp.withColumnRenamed("id", "other"), "other", "left")
            .select("seq", "w", "end", F.coalesce("comp", "other").alias("reach"))
        )
        one.write.parquet(str(step / "one"))
        one = self.spark.read.parquet(str(step / "one"))
        # Each weak mention's strongest pair (the first in pair order among equals).
        best = (
            one.withColumn(
                "rank",
                F.row_number().over(
                    Window.partitionBy("end").orderBy(F.col("w").desc(), F.col("seq").asc())
                ),
            )
            .where(F.col("rank") == 1)
            .select("end", F.col("reach").alias("best"))
        )
        best.write.parquet(str(step / "best"))
        dropped_one = (
            self.spark.read.parquet(str(step / "one"))
            .join(self.spark.read.parquet(str(step / "best")), "end")
            .where(F.col("reach") != F.col("best"))
            .select("seq")
        )
        best_l = self.spark.read.parquet(str(step / "best")).select(
            F.col("end").alias("l"), F.col("best").alias("best_l")
        )
        best_r = self.spark.read.parquet(str(step / "best")).select(
            F.col("end").alias("r"), F.col("best").alias("best_r")
        )
        dropped_both = (
            self.spark.read.parquet(str(step / "marked"))
            .where(F.col("weak_l") & F.col("weak_r") & ~F.col("sure"))
            .join(best_l, "l")
            .join(best_r, "r")
            .where(F.col("best_l") != F.col("best_r"))
            .select("seq")
        )
        kept = (
            self.spark.read.parquet(str(step / "marked"))
            .join(dropped_one.unionByName(dropped_both), "seq", "left_anti")
            .select("l", "r", "w", "seq")
        )
        kept.write.parquet(str(step / "edges"))
        return step / "edges"

    def cluster(
        self,
        pairs: Any,
        threshold: float,
        judgements: list[Any],
        staged: Path,
        timings: dict[str, float],
    ) -> Clustering:
        """What `finish_prediction`'s `clustered` gives for `pairs` (without one-to-one):
        well-evidenced pairs found, strongest-only applied, then clustered with the
        household guard, all on Spark."""
        t0 = time.perf_counter()
        edges = self.kept_for_clustering(pairs, threshold)
        timings["strongest_spark_s"] = timings.get("strongest_spark_s", 0.0) + (
            time.perf_counter() - t0
        )
        try:
            return cluster_edges_on_spark(
                self.spark, self.ids, edges, threshold, judgements, staged, self.work, timings
            )
        finally:
            shutil.rmtree(edges.parent, ignore_errors=True)

    def _new(self, name: str) -> Path:
        step = self.work / f"{name}-{time.monotonic_ns()}"
        step.mkdir(mode=0o700)
        return step

    def collect(self, pairs: Any) -> pd.DataFrame:
        """`pairs` (a Spark DataFrame of the scored pairs' columns, with `seq`) read by the
        driver in the pairs' order, as `model.read_written_pairs` and `in_pair_order` give
        them. The files are read as Arrow and turned into pandas once, the Arrow buffers
        freed as each column is converted; the executors wrote them in `seq` order, which
        is the pairs' order, so `in_pair_order` finds them sorted (the pairs kept are held
        once, not as the files' frames, their concatenation and a sorted copy)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from casereview.link.model import in_pair_order

        step = self._new("kept")
        try:
            pairs.orderBy("seq").drop("seq").write.parquet(str(step / "pairs"))
            parts = [pq.read_table(part) for part in sorted((step / "pairs").glob("*.parquet"))]
        finally:
            shutil.rmtree(step, ignore_errors=True)
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns})
        table = pa.concat_tables(parts)
        del parts
        # Integer columns with NULLs as Python ints and None (`model.read_written_pairs`).
        got = table.to_pandas(integer_object_nulls=True, self_destruct=True, split_blocks=True)
        del table
        return in_pair_order(got)

    def close(self) -> None:
        shutil.rmtree(self.facts, ignore_errors=True)


class ContextOnSpark:
    """`stage._with_context` with the pairs on Spark (module docstring): levels on the
    executors, the estimate on the collected levels and weights, the weights added there,
    the pairs under the near-miss floor dropped there."""

    def __init__(self, on: PairsOnSpark, frame: pd.DataFrame, mates: Any, labels: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.on = on
        self.matrix = context_matrix(frame, labels, mates)
        self.record = record_ids(frame)
        known = self.matrix[:, 0] >= 0
        live = self.matrix >= 0
        counts = live.sum(axis=1)
        offsets = np.zeros(len(counts) + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        values = pa.array(self.matrix[live].astype(np.int64))
        lists = pa.ListArray.from_arrays(
            pa.array(offsets, type=pa.int32()), values, mask=pa.array(~known)
        )
        self.folder = on.work / f"context-{time.monotonic_ns()}"
        self.folder.mkdir(mode=0o700)
        pq.write_table(
            pa.table({"id": pa.array(on.ids), "rec": pa.array(self.record), "ctx": lists}),
            self.folder / "part-00000.parquet",
        )

    def _side(self, side: str) -> Any:
        from pyspark.sql import functions as F

        got = self.on.spark.read.parquet(str(self.folder))
        return got.select(*[F.col(c).alias(f"{c}_{side}") for c in got.columns])

    def levels(self, pairs: Any) -> Any:
        """`pairs` with `level`: `context.context_levels` of each pair."""
        from pyspark.sql import functions as F

        joined = pairs.join(self._side("l"), F.col("unique_id_l") == F.col("id_l")).join(
            self._side("r"), F.col("unique_id_r") == F.col("id_r")
        )
        same = (F.col("rec_l") >= 0) & (F.col("rec_l") == F.col("rec_r"))
        known = F.col("ctx_l").isNotNull() & F.col("ctx_r").isNotNull()
        common = known & ~same & F.coalesce(F.arrays_overlap("ctx_l", "ctx_r"), F.lit(False))
        level = (
            F.when(same, F.lit(SAME_RECORD))
            .when(common, F.lit(COMMON))
            .when(known, F.lit(ELSE))
            .otherwise(F.lit(NULL))
        )
        return joined.withColumn("level", level.cast("byte")).drop(
            "id_l", "rec_l", "ctx_l", "id_r", "rec_r", "ctx_r"
        )

    def apply(
        self,
        frame: pd.DataFrame,
        link: Any,
        detail: bool,
        template: dict[str, Any],
        scored_model: dict[str, Any],
    ) -> tuple[Any, dict[str, Any], str, Callable[[pd.DataFrame], pd.DataFrame]]:
        """Record context added to every scored pair on Spark: the pairs kept (a Spark
        DataFrame with the context weight added), the model with the context comparison,
        the note, and what finishes the pairs once the driver has read them (their match
        probability, and with `detail` the context columns an explanation shows)."""
        import copy

        import pyarrow.parquet as pq
        from pyspark.sql import functions as F

        on = self.on
        step = on._new("levels")
        leveled = self.levels(on.read())
        leveled.write.parquet(str(step / "levels"))
        leveled = on.spark.read.parquet(str(step / "levels"))
        # What the estimate reads, in the pairs' order: each counted pair's level and
        # weight, and the ids of the pairs in common (the forename check below).
        (
            leveled.where(F.col("level").isin(ELSE, COMMON))
            .select("seq", "level", "match_weight", "unique_id_l", "unique_id_r")
            .orderBy("seq")
            .write.parquet(str(step / "counted"))
        )
        parts = sorted((step / "counted").glob("*.parquet"))
        level_parts, weight_parts, common_l, common_r, common_seq = [], [], [], [], []
        last = -1
        for part in parts:
            got = pq.read_table(part)
            seq = got["seq"].to_numpy()
            if len(seq) and (seq[0] <= last or (len(seq) > 1 and (np.diff(seq) <= 0).any())):
                raise LinkageError("Spark wrote the counted pairs out of order")
            last = int(seq[-1]) if len(seq) else last
            lv = got["level"].to_numpy().astype(np.int8)
            level_parts.append(lv)
            weight_parts.append(got["match_weight"].to_numpy().astype(float))
            at = lv == COMMON
            common_seq.append(seq[at])
            common_l.append(got["unique_id_l"].to_numpy()[at])
            common_r.append(got["unique_id_r"].to_numpy()[at])
            del got, seq
        level = np.concatenate(level_parts) if level_parts else np.zeros(0, dtype=np.int8)
        weight = np.concatenate(weight_parts) if weight_parts else np.zeros(0)
        del level_parts, weight_parts
        model = estimate_context(
            level,
            weight,
            self.record,
            self.matrix,
            max_weight=link.context_max_weight,
            random_pairs=link.context_random_pairs,
            seed=link.random_seed,
        )
        del level, weight
        # A person in common is evidence for one name only (`stage._with_context`).
        seqs = np.concatenate(common_seq) if common_seq else np.zeros(0, dtype=np.int64)
        left = np.searchsorted(on.ids, np.concatenate(common_l) if common_l else seqs)
        right = np.searchsorted(on.ids, np.concatenate(common_r) if common_r else seqs)
        differ = seqs[Forenames(frame).differ_pairs(left, right)]
        del seqs, left, right
        pq.write_table(_one_column("seq", differ), step / "differ.parquet")
        demoted = on.spark.read.parquet(str(step / "differ.parquet")).withColumn(
            "demoted", F.lit(True)
        )
        weights = {g: float(model.weight(g)) for g in (NULL, ELSE, COMMON, SAME_RECORD)}
        final = (
            on.spark.read.parquet(str(step / "levels"))
            .join(demoted, "seq", "left")
            .withColumn(
                "level",
                F.when(F.col("demoted").isNotNull(), F.lit(ELSE).cast("byte")).otherwise(
                    F.col("level")
                ),
            )
            .drop("demoted")
        )
        added = F.when(F.col("level") == NULL, F.lit(weights[NULL]))
        for g in (ELSE, COMMON, SAME_RECORD):
            added = added.when(F.col("level") == g, F.lit(weights[g]))
        floor = link.match_weight_threshold - link.near_miss_margin
        out = final.withColumn("mw_context", added).withColumn(
            "match_weight", F.col("match_weight") + F.col("mw_context")
        )
        out = out.where(F.col("match_weight") >= F.lit(floor))
        extra = ["gamma_context", "mw_context"] if detail else []
        out = out.withColumn("gamma_context", F.col("level").cast("long")).select(
            *on.columns, *extra, "seq"
        )
        out.write.parquet(str(step / "kept"))
        self.step = step
        kept = on.spark.read.parquet(str(step / "kept"))
        settings = copy.deepcopy(scored_model)
        settings["comparisons"].append(model.comparison(template))
        shown = ", ".join(
            f"{name} {model.weight(g):+.1f}"
            for name, g in (
                ("one record", SAME_RECORD),
                ("a person in common", COMMON),
                ("else", ELSE),
            )
        )
        note = f"record context added to {on.count} scored pairs: {shown}"
        matrix, ids = self.matrix, on.ids

        def finished(pairs: pd.DataFrame) -> pd.DataFrame:
            from casereview.link.frame import context_lists

            weight = pairs["match_weight"].to_numpy(dtype=float)
            pairs["match_probability"] = 1.0 / (1.0 + np.exp2(-weight))
            if detail:
                pairs["gamma_context"] = pairs["gamma_context"].to_numpy().astype(int)
                pairs["mw_context"] = pairs["mw_context"].to_numpy(dtype=float)
                left = np.searchsorted(ids, pairs["unique_id_l"].to_numpy(dtype=np.int64))
                right = np.searchsorted(ids, pairs["unique_id_r"].to_numpy(dtype=np.int64))
                shown = np.full(len(ids), None, dtype=object)
                marked = np.zeros(len(ids), dtype=bool)
                marked[left] = True
                marked[right] = True
                named = np.flatnonzero(marked)
                del marked
                shown[named] = pd.Series(context_lists(matrix[named]), dtype="object").to_numpy()
                pairs["context_l"] = shown[left]
                pairs["context_r"] = shown[right]
            return pairs

        return kept, settings, note, finished

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        step = getattr(self, "step", None)
        if step is not None:
            shutil.rmtree(step, ignore_errors=True)


def _one_column(name: str, values: np.ndarray) -> Any:
    import pyarrow as pa

    return pa.table({name: pa.array(np.asarray(values, dtype=np.int64))})


def clustered_on_spark(
    spark: Any,
    scored: tuple[Path, list[str]],
    frame: pd.DataFrame,
    model: TrainedModel,
    plan: Plan,
    link: Any,
    judgements: list[Any] | None,
    detail: bool,
    say: Progress,
    timings: dict[str, float],
    staged: Path,
) -> tuple[ScoredPairs, Clustering]:
    """The clustering part of `stage.finish_prediction` (without one-to-one) for the
    scored pairs Spark wrote in `scored` (their folder and columns): the two clusterings
    and record context on `spark` (module docstring), the pairs kept read once, with the
    model that scored them (with the context comparison when context was added), and the
    persons; `stage.explained_prediction` goes on from there, as on DuckDB. `staged`: the
    staged frame (the guard's columns). The scored pairs' folder is removed."""
    folder, columns = scored
    threshold = link.match_weight_threshold
    on = PairsOnSpark(spark, folder, columns, frame, staged.parent)
    context: ContextOnSpark | None = None
    try:
        say(f"clustering {on.count} pairs at match weight {threshold}")
        clustering = on.cluster(on.read(), threshold, judgements or [], staged, timings)
        if plan.use_context:
            say("adding record context and clustering again")
            context = ContextOnSpark(on, frame, plan.mates, clustering.labels)
            del clustering
            template = context_comparison().get_comparison("spark").as_dict()
            kept, settings, note, finished = context.apply(
                frame, link, detail, template, model.settings
            )
            plan.notes.append(note)
            clustering = on.cluster(kept, threshold, judgements or [], staged, timings)
            t1 = time.perf_counter()
            pairs = finished(on.collect(kept))
            kept_model = TrainedModel(settings)
        else:
            t1 = time.perf_counter()
            pairs = on.collect(on.read())
            kept_model = model
        timings["read_pairs_s"] = time.perf_counter() - t1
    finally:
        if context is not None:
            context.close()
        on.close()
        shutil.rmtree(folder, ignore_errors=True)
    return ScoredPairs(pairs=pairs, model=kept_model), clustering
