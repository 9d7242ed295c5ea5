"""The link stage: mentions -> persons, as one recorded, audited run.

    result = run_link(engine)                     # DuckDB in-process
    result = run_link(engine, engine_name="spark")

Reads every mention, builds the frame, guards skewed blocks, trains the Splink model without
labels, scores candidate pairs, clusters them at `link.match_weight_threshold` with human
judgements on top, keeps person ids stable, resolves places, and writes link's derived
tables (mention_person, match_pairs, persons' active flags and names, person_lineage rows,
locations.place_id) inside one `stage_run` transaction, audited as a combination.
The Splink work happens before the write transaction opens, so other writers (reviewers
recording decisions) are not held up while the model trains.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, delete, func, select, update

from casereview.collector import collector_paused
from casereview.errors import LinkageError, StageError
from casereview.link.cluster import (
    Clustering,
    Forenames,
    cluster_mentions,
    household_guard,
    one_to_one,
    strongest_only,
    well_evidenced,
)
from casereview.link.context import (
    COMMON,
    ELSE,
    SAME_RECORD,
    apply_context,
    context_levels,
    estimate_context,
    linked_mates,
    load_record_links,
    record_ids,
)
from casereview.link.explain import (
    LEGEND_ARTIFACT,
    compared_at,
    explanation_columns,
    explanation_legend,
    merge_legends,
    pair_levels,
)
from casereview.link.forked import Forked
from casereview.link.frame import (
    BLOCKING_KEYS,
    build_frame,
    context_lists,
    context_matrix,
    effective_block_cap,
    guard_blocks,
    lists_by_position,
    load_mention_rows,
    select_blocking_keys,
    unanchored,
)
from casereview.link.judgements import active_judgements
from casereview.link.model import (
    ScoredPairs,
    TrainedModel,
    backend_for,
    context_comparison,
    distinct_blocked_pairs,
    in_pair_order,
    linker_for,
    model_settings,
    predictions_as_pandas,
    score_frame,
    train,
    training_sample,
    u_pairs,
)
from casereview.link.placement import attach_bare_names, join_split_pairs
from casereview.link.places import PlacesAhead, resolve_places
from casereview.link.prenormalise import normalised_ahead
from casereview.link.reference import MIN_TRAIN_MENTIONS, reference_model
from casereview.link.score import duckdb_settings_from_saved
from casereview.link.stable_ids import IdAssignment, assign_stable_ids
from casereview.model.codes import AuditAction
from casereview.model.serial import canonical_json
from casereview.model.tables import (
    match_pairs,
    mention_person,
    mentions,
    person_lineage,
    persons,
)
from casereview.settings import Settings, get_settings
from casereview.store import audit
from casereview.store.db import reading
from casereview.store.runs import stage_run
from casereview.values.display_name import MAX_DISPLAY_NAME, written_name

__all__ = ["LinkResult", "Prediction", "predict_persons", "run_link"]

Progress = Callable[[str], None]


@dataclass
class Prediction:
    """What the model produced for a frame, before anything is written."""

    frame: pd.DataFrame
    pairs: pd.DataFrame
    model_json: dict[str, Any]
    clustering: Clustering
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # The explanation columns of `pairs`, row for row, when they are not columns of `pairs`
    # (Spark: a million explained pairs as pandas objects held gigabytes on the driver): an
    # object whose `take(rows)` gives those rows as an Arrow table (`spark_stage.
    # ExplainedPairs`, kept in a file); `_write` turns them into pandas a slice at a time.
    detail: Any = None


@dataclass
class LinkResult:
    """The outcome of a link run."""

    run_id: int
    mentions: int
    persons: int
    pairs_scored: int
    pairs_stored: int
    lineage: dict[str, int]
    notes: list[str]
    timings: dict[str, float]


@collector_paused(collect_after=True)
def predict_persons(
    frame: pd.DataFrame,
    *,
    engine_name: str = "duckdb",
    settings: Settings | None = None,
    judgements: list[Any] | None = None,
    detail: bool = True,
    progress: Progress | None = None,
    trained: dict[str, Any] | None = None,
    record_links: np.ndarray | None = None,
    prepared: Any = None,
) -> Prediction:
    """Guard blocks, train (unless a `trained` model is given), score and cluster a frame.
    No store is involved; the benchmarks and the Spark test use it directly. `record_links`
    (record id pairs, `context.load_record_links`) widen each mention's record context to
    the records its source linked to its record. `prepared` (Spark only,
    `spark_prepare.prepare_in_child`): the frame guarded and staged by a child process,
    `frame` the empty frame its lean columns come back into. The garbage collector is paused
    meanwhile (`casereview.collector`)."""
    if engine_name == "spark":  # the frame staged once, kept lean (link/spark_stage.py)
        from casereview.link.spark_stage import predict_persons_on_spark

        return predict_persons_on_spark(
            frame,
            settings=settings or get_settings(),
            judgements=judgements,
            detail=detail,
            progress=progress,
            trained=trained,
            record_links=record_links,
            ready=prepared.ready if prepared is not None else None,
            folder=prepared.folder if prepared is not None else None,
        )
    link = (settings or get_settings()).link
    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    plan = plan_prediction(frame, link, trained, record_links, say)
    frame, notes, trained, partial, floor = (
        plan.frame,
        plan.notes,
        plan.trained,
        plan.partial,
        plan.floor,
    )
    dialect = "spark" if engine_name == "spark" else "duckdb"
    sample = plan.sample
    if sample is not None and sample is frame:
        # Trained on every mention: the training linker scores too (one backend, one set
        # of term-frequency tables, Splink's setup paid once).
        say(f"training the model on all {len(frame)} mentions ({engine_name})")
        with backend_for(engine_name, link) as db_api:
            linker, model = _trained_linker(db_api, frame, frame, link)
            notes.extend(model.notes)
            timings["train_s"] = time.perf_counter() - t0
            scored, levels = _scored(linker, model, floor, link, timings, say, detail, dialect)
    else:
        if sample is not None:
            trained = train_on_sample(engine_name, link, sample, frame, len(frame), notes, say)
            del sample
        assert trained is not None
        with backend_for(engine_name, link) as db_api:
            settings_dict = scoring_settings(frame, trained, dialect, partial, link)
            linker = linker_for(db_api, frame, _without_sources(settings_dict, link))
            model = TrainedModel(settings_dict)
            timings["train_s"] = time.perf_counter() - t0
            scored, levels = _scored(linker, model, floor, link, timings, say, detail, dialect)
    return finish_prediction(
        frame,
        scored,
        model,
        plan,
        link,
        judgements,
        detail,
        dialect,
        say,
        timings,
        lambda frame, pairs, settings: (
            _with_levels(frame, pairs, settings, levels)
            if levels is not None
            else _with_detail(frame, pairs, settings, engine_name, link, dialect)
        ),
    )


def _scored(
    linker: Any,
    model: TrainedModel,
    floor: float,
    link: Any,
    timings: dict[str, float],
    say: Progress,
    detail: bool,
    dialect: str,
) -> tuple[ScoredPairs, PairLevels | None]:
    """Score every candidate pair down to `floor` (`score_timed`); with `detail` on DuckDB,
    each pair's comparison levels are kept from that one scoring (`_score_keeping_levels`)
    so that the pairs kept are never scored again for their explanations."""
    if not detail or dialect != "duckdb":
        return score_timed(linker, model, floor, link, timings, say), None
    say("scoring candidate pairs")
    t1 = time.perf_counter()
    scored, levels = _score_keeping_levels(linker, model, floor, link.one_to_one_sources)
    timings["predict_s"] = time.perf_counter() - t1
    return scored, levels


def scoring_settings(
    shape: pd.DataFrame, trained: dict[str, Any], dialect: str, partial: bool, link: Any
) -> dict[str, Any]:
    """The settings a trained (or the reference) model scores the frame with: ids, weights
    and probabilities only. The per-comparison columns of every pair (values, gammas, Bayes
    factors) cost most of predict's time and memory at 1M; the pairs kept get them
    afterwards (`_with_detail`)."""
    settings_dict = duckdb_settings_from_saved(
        shape,
        trained,
        dialect,
        addresses=link.compare_addresses if partial else None,
        partial=partial,
    )
    if partial:
        _without_term_frequencies(settings_dict)
    settings_dict["retain_matching_columns"] = False
    settings_dict["retain_intermediate_calculation_columns"] = False
    return settings_dict


def _without_sources(settings_dict: dict[str, Any], link: Any) -> dict[str, Any]:
    """The settings the backend scores with: without each pair's two sources unless
    `link.one_to_one_sources` reads them (two text columns gathered for every blocked pair,
    tens of millions at a million mentions, for nothing). The saved model keeps them."""
    if link.one_to_one_sources:
        return settings_dict
    return {**settings_dict, "additional_columns_to_retain": []}


def train_on_sample(
    engine_name: str,
    link: Any,
    sample: pd.DataFrame,
    shape: pd.DataFrame,
    mentions: int,
    notes: list[str],
    say: Progress,
) -> dict[str, Any]:
    """Train on `sample` in a backend of its own (Splink caches term-frequency tables per
    backend, and those of a sample must never score the whole frame); the comparisons are
    those `shape`'s columns allow. The training notes are added to `notes`."""
    say(f"training the model on {len(sample)} of {mentions} mentions ({engine_name})")
    with backend_for(engine_name, link) as train_api:
        _linker, learned = _trained_linker(train_api, sample, shape, link)
    notes.extend(learned.notes)
    return learned.settings


def _trained_linker(
    db_api: Any, data: pd.DataFrame, shape: pd.DataFrame, link: Any
) -> tuple[Any, TrainedModel]:
    """(linker over `data`, the model trained on `data`): the comparisons are those `shape`'s
    columns allow."""
    linker = linker_for(db_api, data, model_settings(shape, addresses=link.compare_addresses))
    return linker, _train(linker, link, data)


def score_timed(
    linker: Any,
    model: TrainedModel,
    floor: float,
    link: Any,
    timings: dict[str, float],
    say: Progress,
) -> ScoredPairs:
    """Score every candidate pair down to `floor`, timed as `predict_s`."""
    say("scoring candidate pairs")
    t1 = time.perf_counter()
    scored = score_frame(
        linker, model, min_weight=floor, detail=False, sources=link.one_to_one_sources
    )
    timings["predict_s"] = time.perf_counter() - t1
    return scored


@dataclass
class Plan:
    """What scoring needs to know before any model runs: the guarded frame, its notes so far,
    the model to score with (None: train one), the floor to score down to, record context."""

    frame: pd.DataFrame
    notes: list[str]
    trained: dict[str, Any] | None
    partial: bool
    floor: float
    use_context: bool
    mates: tuple[np.ndarray, np.ndarray] | None
    sample: pd.DataFrame | None


def plan_prediction(
    frame: pd.DataFrame,
    link: Any,
    trained: dict[str, Any] | None,
    record_links: np.ndarray | None,
    say: Progress,
) -> Plan:
    """The skewed-block guard, the reference model for too few mentions, the training
    sample, and how far down to score (shared by DuckDB and `spark_stage`)."""
    frame = select_blocking_keys(frame, addresses=link.compare_addresses)
    cap = effective_block_cap(link.max_block_size, len(frame), link.block_cap_reference_mentions)
    report = guard_blocks(frame, cap)
    notes = report.notes()
    if report.dropped:
        say(f"skewed-block guard dropped blocks on {', '.join(sorted(report.dropped))}")
    partial = False
    if trained is None and len(frame) < MIN_TRAIN_MENTIONS:
        # Too few mentions to estimate u and the prior from: the reference model scores them.
        trained, partial = reference_model(), True
        notes.append(
            f"{len(frame)} mentions are too few to train on (fewer than {MIN_TRAIN_MENTIONS}): "
            "scored with the reference model (docs/linkage.md)"
        )
    min_weight = link.match_weight_threshold - link.near_miss_margin
    # Record context can lift a pair by up to context_max_weight: score down to there.
    mates = linked_mates(frame, record_links) if record_links is not None else None
    use_context = bool(frame["record_id"].dropna().duplicated().any()) or bool(
        mates is not None and len(mates[0])
    )
    floor = min_weight - (link.context_max_weight if use_context else 0.0)
    sample = (
        None
        if trained is not None
        else training_sample(frame, link.train_sample_size, link.random_seed)
    )
    return Plan(frame, notes, trained, partial, floor, use_context, mates, sample)


def finish_prediction(
    frame: pd.DataFrame,
    scored: ScoredPairs | list[ScoredPairs],
    model: TrainedModel,
    plan: Plan,
    link: Any,
    judgements: list[Any] | None,
    detail: bool,
    dialect: str,
    say: Progress,
    timings: dict[str, float],
    explain: Callable[[pd.DataFrame, pd.DataFrame, dict[str, Any]], pd.DataFrame],
    cluster: Callable[[np.ndarray, pd.DataFrame, float, list[Any]], Clustering] | None = None,
) -> Prediction:
    """Cluster the scored pairs (guards, record context, bare names), explain the pairs kept
    with `explain(frame, pairs, model settings)`, and gather the notes (shared by DuckDB and
    `spark_stage`). `scored` may come in a one-item list, which is emptied: the caller then
    holds no reference to every scored pair, and they are freed as soon as record context
    has replaced them with the pairs it keeps (Spark's driver: 3 million pairs at 1M).
    `cluster(ids, pairs, threshold, judgements)`: what `cluster_mentions` with the
    household guard on `frame` answers, computed elsewhere (Spark: `spark_components`)."""
    notes, use_context, mates = plan.notes, plan.use_context, plan.mates
    if isinstance(scored, list):  # handed in a list: the only reference is ours
        scored = scored.pop()
    say(f"clustering {len(scored.pairs)} pairs at match weight {link.match_weight_threshold}")
    t2 = time.perf_counter()
    weak = unanchored(frame)
    guard = household_guard(frame) if cluster is None else None

    def clustered(scored: ScoredPairs) -> tuple[ScoredPairs, Clustering]:
        pairs = scored.pairs
        if link.one_to_one_sources:
            pairs = one_to_one(pairs, link.match_weight_threshold)
            scored = ScoredPairs(pairs=pairs, model=scored.model)
        sure = well_evidenced(frame, pairs)
        pairs = strongest_only(pairs, weak, link.match_weight_threshold, sure)
        ids = frame["unique_id"].to_numpy(dtype=np.int64)
        if cluster is not None:
            return scored, cluster(ids, pairs, link.match_weight_threshold, judgements or [])
        return scored, cluster_mentions(
            ids, pairs, link.match_weight_threshold, judgements or [], guard=guard
        )

    scored, clustering = clustered(scored)
    if use_context:
        say("adding record context and clustering again")
        frame, scored, contexts = _with_context(
            frame, scored, clustering, link, dialect, detail, mates
        )
        notes.append(contexts)
        del clustering  # the first clustering's labels go before the second's are made
        scored, clustering = clustered(scored)
    return explained_prediction(
        frame,
        scored,
        clustering,
        model,
        notes,
        judgements,
        detail,
        say,
        timings,
        explain,
        t2,
        threshold=link.match_weight_threshold,
    )


def explained_prediction(
    frame: pd.DataFrame,
    scored: ScoredPairs,
    clustering: Clustering,
    model: TrainedModel,
    notes: list[str],
    judgements: list[Any] | None,
    detail: bool,
    say: Progress,
    timings: dict[str, float],
    explain: Callable[[pd.DataFrame, pd.DataFrame, dict[str, Any]], pd.DataFrame],
    started: float,
    *,
    threshold: float,
) -> Prediction:
    """The end of `finish_prediction` once the pairs are clustered (shared with
    `spark_pairs`, which clusters on Spark): persons split in two joined in pairs
    (`join_split_pairs`, with the pairs kept below `threshold`: the run's match weight
    threshold), lone mentions placed, the pairs kept explained with `model`
    (the model without context), the notes gathered. `started`: when the clustering began
    (`cluster_s`)."""
    join_split_pairs(frame, clustering, scored.pairs, threshold, judgements or [])
    attach_bare_names(frame, clustering, judgements or [])
    timings["cluster_s"] = time.perf_counter() - started
    if detail and len(scored.pairs):
        say(f"explaining the {len(scored.pairs)} pairs kept")
        t3 = time.perf_counter()
        pairs = explain(frame, scored.pairs, model.settings)
        scored = ScoredPairs(pairs=pairs, model=scored.model)
        timings["explain_s"] = time.perf_counter() - t3
    notes.extend(clustering.notes)
    if clustering.guard_cuts:
        notes.append(f"the household guard cut {clustering.guard_cuts} model link(s)")
    if clustering.edges_cut:
        notes.append(f"'not same' judgements cut {clustering.edges_cut} model link(s)")
    # The model with the record-context comparison when context was added: the explanations
    # show its bar, and `link.score` scores a pair again with it.
    return Prediction(frame, scored.pairs, scored.model.settings, clustering, notes, timings)


def _without_term_frequencies(settings: dict[str, Any]) -> None:
    """No term-frequency adjustment, in place: in a store of a few mentions every name is
    frequent (one child written twice is all of its names), and the adjustment would cancel
    the reference model's weight for two equal names."""
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)


def _positions(frame: pd.DataFrame, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in `frame` (sorted by unique id) of each pair's two mentions."""
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    return (
        np.searchsorted(ids, pairs["unique_id_l"].to_numpy(dtype=np.int64)),
        np.searchsorted(ids, pairs["unique_id_r"].to_numpy(dtype=np.int64)),
    )


def _with_detail(
    frame: pd.DataFrame,
    pairs: pd.DataFrame,
    trained: dict[str, Any],
    engine_name: str,
    link: Any,
    dialect: str,
) -> pd.DataFrame:
    """`pairs` with Splink's per-comparison columns (both values, gamma, weight and
    term-frequency adjustment of every comparison) for the explanations, by scoring exactly
    these pairs again with the `trained` model: each mention lists the pairs it is in
    (`bka_pair`), the only blocking rule joins on one of them. The weights and
    probabilities stay those of `pairs` (record context included)."""
    from splink import block_on

    left, right = _positions(frame, pairs)
    number = np.arange(len(pairs), dtype=np.int64)
    keyed = frame.copy(deep=False)
    keyed["bka_pair"] = pd.Series(
        lists_by_position(
            np.concatenate([left, right]), np.concatenate([number, number]), len(frame)
        ),
        index=frame.index,
        dtype="object",
    )
    settings_dict = duckdb_settings_from_saved(keyed, trained, dialect)
    if not any(
        level.get("tf_adjustment_column")
        for comparison in trained["comparisons"]
        for level in comparison["comparison_levels"]
    ):
        _without_term_frequencies(settings_dict)  # scored by the reference model
    settings_dict["blocking_rules_to_generate_predictions"] = [
        block_on("bka_pair", arrays_to_explode=["bka_pair"]).create_blocking_rule_dict(dialect)
    ]
    settings_dict["retain_matching_columns"] = True
    settings_dict["retain_intermediate_calculation_columns"] = True
    with backend_for(engine_name, link) as db_api:
        linker = linker_for(db_api, keyed, settings_dict)
        predicted = linker.inference.predict()
        # Only what the explanations read leaves the backend: the other columns of a million
        # pairs (comparison inputs, Bayes factors, term frequencies) cost half this step.
        quoted = {c.unquote().name: c.quote().name for c in predicted.columns}
        wanted = ["unique_id_l", "unique_id_r", "match_key"]
        wanted += explanation_columns(trained, list(quoted))
        scored = predictions_as_pandas(predicted, [quoted[c] for c in wanted])
    ours = [c for c in pairs.columns if c not in ("unique_id_l", "unique_id_r")]
    scored = scored.drop(columns=[c for c in ours if c in scored.columns])
    detail = pairs.merge(scored, on=["unique_id_l", "unique_id_r"], how="left")
    if len(detail) != len(pairs) or detail["match_key"].isna().any():
        raise LinkageError("explaining the kept pairs did not score every one of them")
    return detail


@dataclass
class PairLevels:
    """Each scored pair's comparison levels from the one scoring that found it (DuckDB), row
    for row with the scored pairs (sorted by their two ids, as `score_frame` sorts them):
    per comparison (by output column name) its gamma and term-frequency adjustment, each
    level's match weight as the backend computed it, and the input columns the comparisons
    read (the values an explanation shows beside a bar)."""

    keys: np.ndarray
    gammas: dict[str, np.ndarray]
    adjustments: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    inputs: frozenset[str]


def _pair_keys(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """One int64 per pair of mention ids, in the order of (left, right)."""
    if len(left) and (min(left.min(), right.min()) < 0 or max(left.max(), right.max()) >= 2**31):
        raise LinkageError("mention ids out of the range a pair key holds")
    return (left.astype(np.int64) << 32) | right.astype(np.int64)


@contextmanager
def _predict_keeping_levels() -> Iterator[None]:
    """Splink's predict, meanwhile, also returns each pair's gamma (as a small integer) and
    term-frequency adjustment per comparison, and nothing else more (not the compared
    values, Bayes factors or term frequencies): the match weights are those of the lean
    predict, computed by the same SQL. Splink keeps gammas only with the compared values
    (`retain_matching_columns`), which at a million mentions cost most of predict's time and
    memory, so its predict statements are made with training mode's columns and narrowed by
    one more select."""
    from splink.internals import predict as splink_predict
    from splink.internals.dialects import SplinkDialect
    from splink.internals.linker_components import inference

    original = inference.predict_from_comparison_vectors_sqls_using_settings

    def with_levels(
        settings_obj: Any,
        threshold_match_probability: float | None = None,
        threshold_match_weight: float | None = None,
        include_clerical_match_score: bool = False,
    ) -> list[dict[str, str]]:
        sqls = splink_predict.predict_from_comparison_vectors_sqls(
            unique_id_input_columns=settings_obj.column_info_settings.unique_id_input_columns,
            core_model_settings=settings_obj.core_model_settings,
            sql_dialect=SplinkDialect.from_string(settings_obj._sql_dialect_str),
            threshold_match_probability=threshold_match_probability,
            threshold_match_weight=threshold_match_weight,
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=True,
            training_mode=True,
            additional_columns_to_retain=settings_obj._additional_columns_to_retain,
            include_clerical_match_score=include_clerical_match_score,
        )
        comparisons = settings_obj.core_model_settings.comparisons
        columns = [
            name
            for column in settings_obj.column_info_settings.unique_id_input_columns
            for name in (column.name_l, column.name_r)
        ]
        columns += ["match_weight", "match_probability"]
        columns += [n for c in settings_obj._additional_columns_to_retain for n in c.names_l_r]
        columns += ["match_key"]
        columns += [
            f"cast({c._gamma_column_name} as tinyint) as {c._gamma_column_name}"
            for c in comparisons
        ]
        columns += [c._mw_tf_adj_column_name for c in comparisons if c._has_tf_adjustments]
        wide = "__splink__df_predict_with_levels"
        last = sqls[-1]
        return [
            *sqls[:-1],
            {"sql": last["sql"], "output_table_name": wide},
            {
                # Splink's own column names: nothing from the data.
                "sql": f"select {', '.join(columns)} from {wide}",  # noqa: S608  # nosec B608
                "output_table_name": last["output_table_name"],
            },
        ]

    inference.predict_from_comparison_vectors_sqls_using_settings = with_levels
    try:
        yield
    finally:
        inference.predict_from_comparison_vectors_sqls_using_settings = original


def _level_weights(db_api: Any, comparison: Any) -> np.ndarray:
    """Each level's match weight of a Splink `comparison` (index gamma + 1), computed by the
    backend from the same SQL as predict's (the weights an explanation shows are Splink's to
    the last bit); NaN where no level has that gamma."""
    gamma = comparison._gamma_column_name
    numbers = [int(level.comparison_vector_value) for level in comparison.comparison_levels]
    case = "\n".join(level._match_weight_sql(gamma) for level in comparison.comparison_levels)
    listed = ", ".join(str(n) for n in numbers)
    # Splink's own SQL and level numbers: nothing from the data.
    sql = f"select {gamma} as g, CASE {case} END as w from (select unnest([{listed}]) as {gamma})"  # noqa: S608  # nosec B608
    got = db_api.query_sql(sql, output_type="pandas")
    weights = np.full(max(numbers) + 2, np.nan)
    weights[got["g"].to_numpy(dtype=np.int64) + 1] = got["w"].to_numpy(dtype=float)
    return weights


def _score_keeping_levels(
    linker: Any, model: TrainedModel, floor: float, sources: bool
) -> tuple[ScoredPairs, PairLevels]:
    """`score_frame` without detail (the same pairs, weights and order), and each pair's
    comparison levels beside it (`PairLevels`), from one predict."""
    comparisons = linker._settings_obj.core_model_settings.comparisons
    with _predict_keeping_levels(), distinct_blocked_pairs(linker):
        predictions = linker.inference.predict(threshold_match_weight=floor)
    gammas = {c.output_column_name: c._gamma_column_name for c in comparisons}
    adjusted = {
        c.output_column_name: c._mw_tf_adj_column_name for c in comparisons if c._has_tf_adjustments
    }
    present = {c.unquote().name for c in predictions.columns}
    if not set(gammas.values()) | set(adjusted.values()) <= present:
        raise LinkageError("Splink's predict did not keep the comparison levels")
    keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    if sources:
        keep += ["source_l", "source_r"]
    pairs = predictions_as_pandas(predictions, keep + list(gammas.values()) + list(adjusted.values()))
    pairs = in_pair_order(pairs)
    levels = PairLevels(
        keys=_pair_keys(
            pairs["unique_id_l"].to_numpy(dtype=np.int64),
            pairs["unique_id_r"].to_numpy(dtype=np.int64),
        ),
        gammas={name: pairs[col].to_numpy(dtype=np.int8) for name, col in gammas.items()},
        adjustments={name: pairs[col].to_numpy(dtype=float) for name, col in adjusted.items()},
        weights={c.output_column_name: _level_weights(linker._db_api, c) for c in comparisons},
        inputs=frozenset(
            column.unquote().name
            for c in comparisons
            for level in c.comparison_levels
            for column in level._input_columns_used_by_sql_condition
        ),
    )
    pairs = pairs[keep].copy()
    return ScoredPairs(pairs=pairs, model=model), levels


def _with_levels(
    frame: pd.DataFrame, pairs: pd.DataFrame, trained: dict[str, Any], levels: PairLevels
) -> pd.DataFrame:
    """`pairs` with the columns `_with_detail` gives them (each comparison's gamma, weight,
    term-frequency adjustment, and the values compared, taken from `frame`), from the levels
    kept when they were scored. The comparisons `pairs` already explain (record context)
    keep their own columns."""
    keys = _pair_keys(
        pairs["unique_id_l"].to_numpy(dtype=np.int64), pairs["unique_id_r"].to_numpy(dtype=np.int64)
    )
    at = np.searchsorted(levels.keys, keys)
    found = at < len(levels.keys)
    if not found.all() or not np.array_equal(levels.keys[at], keys):
        raise LinkageError("explaining the kept pairs: a pair kept was never scored")
    columns: dict[str, Any] = {}
    for name, gamma in levels.gammas.items():
        if f"gamma_{name}" in pairs.columns:
            continue
        level = gamma[at].astype(np.int64)
        columns[f"gamma_{name}"] = level
        columns[f"mw_{name}"] = levels.weights[name][level + 1]
        if name in levels.adjustments:
            columns[f"mw_tf_adj_{name}"] = levels.adjustments[name][at]
    left, right = _positions(frame, pairs)
    offered = [f"{c}_{side}" for c in sorted(levels.inputs) if c in frame.columns for side in "lr"]
    for column in explanation_columns(trained, offered):
        if column in pairs.columns:
            continue
        values = _as_backend_gives(frame[column[:-2]])
        columns[column] = values[left if column.endswith("_l") else right]
    return pd.concat([pairs, pd.DataFrame(columns, index=pairs.index)], axis=1)


def _as_backend_gives(values: pd.Series) -> np.ndarray:
    """A frame column's values as Splink's retained columns give them (the frame goes to
    DuckDB as `model._arrow_frame` types it): years and other integer columns as integers
    or missing (a float year would show as "born 1994.0")."""
    if values.dtype.kind == "f" or str(values.dtype) == "Int64":
        return values.astype("Int64").to_numpy(dtype=object)
    return values.to_numpy(dtype=object)


def _with_context(
    frame: pd.DataFrame,
    scored: ScoredPairs,
    first: Clustering,
    link: Any,
    dialect: str,
    detail: bool,
    mates: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, ScoredPairs, str]:
    """The scored pairs with record context added (see `casereview.link.context`), those
    below the near-miss floor dropped, and the model with the context comparison. `mates`:
    the mentions of linked records (`context.linked_mates`), context too."""
    matrix = context_matrix(frame, first.labels, mates)
    record = record_ids(frame)
    pairs = scored.pairs
    left, right = _positions(frame, pairs)
    level = context_levels(left, right, record, matrix)
    model = estimate_context(
        level,
        pairs["match_weight"].to_numpy(dtype=float),
        record,
        matrix,
        max_weight=link.context_max_weight,
        random_pairs=link.context_random_pairs,
        seed=link.random_seed,
    )
    # A person in common is evidence for two mentions of one name (an associate named on two
    # referrals about one child), never for two names: a mother and her son, two siblings,
    # are named with the same people all the time.
    common = np.flatnonzero(level == COMMON)
    level[common[Forenames(frame).differ_pairs(left[common], right[common])]] = ELSE
    # The pairs context leaves below the near-miss floor are dropped before context is
    # applied (the same weights: `apply_context` adds the same numbers), so that only the
    # pairs kept are copied (on Spark's driver at a million mentions: 1 of 3 million).
    weighed = pairs["match_weight"].to_numpy(dtype=float) + model.weights(level)
    keep = weighed >= link.match_weight_threshold - link.near_miss_margin
    del weighed
    pairs = apply_context(pairs[keep].reset_index(drop=True), level[keep], model, detail=detail)
    if detail:  # the values an explanation shows beside the context bar
        # Each mention's list made once and shared by its pairs (a mention is in many), for
        # the mentions of the pairs kept only.
        shown = np.full(len(frame), None, dtype=object)
        marked = np.zeros(len(frame), dtype=bool)
        marked[left[keep]] = True
        marked[right[keep]] = True
        named = np.flatnonzero(marked)  # sorted and distinct, without sorting two million
        del marked
        shown[named] = pd.Series(context_lists(matrix[named]), dtype="object").to_numpy()
        pairs["context_l"] = shown[left[keep]]
        pairs["context_r"] = shown[right[keep]]
        del shown
    settings = copy.deepcopy(scored.model.settings)
    template = context_comparison().get_comparison(dialect).as_dict()
    settings["comparisons"].append(model.comparison(template))
    weights = ", ".join(
        f"{name} {model.weight(g):+.1f}"
        for name, g in (("one record", SAME_RECORD), ("a person in common", COMMON), ("else", ELSE))
    )
    note = f"record context added to {len(level)} scored pairs: {weights}"
    return frame, ScoredPairs(pairs=pairs, model=TrainedModel(settings)), note


def _train(linker: Any, link: Any, frame: pd.DataFrame) -> TrainedModel:
    return train(
        linker,
        u_max_pairs=u_pairs(len(frame), link.u_pairs_per_mention, link.u_max_pairs),
        seed=link.random_seed,
        em_sample=link.em_record_sample_proportion,
        frame=frame,
    )


def _display_names(rows: pd.DataFrame, person: np.ndarray) -> dict[int, str]:
    """The name each person is most often written with, ties to the first in sort order (the
    rule of `values.display_name`, applied to every person at once: each distinct written
    name is made once, and the counting is on integer codes). `person`: the person id of
    each row of `rows`."""
    # Each distinct (forenames, surname, name as written) once, on integer codes (missing
    # values one code: `written_name` reads them all as missing).
    triple = np.zeros(len(rows), dtype=np.int64)
    for column in ("forenames", "surname", "name_raw"):
        codes, uniques = pd.factorize(rows[column], use_na_sentinel=True)
        triple, _ = pd.factorize(triple * (len(uniques) + 1) + (codes + 1))
        triple = np.asarray(triple, dtype=np.int64)
    # factorize numbers keys by first appearance: a row is its key's first exactly when its
    # key exceeds every key before it.
    before = np.maximum.accumulate(np.concatenate([[-1], triple[:-1]])) if len(triple) else triple
    first = np.flatnonzero(triple > before)
    written = [
        written_name(*t)
        for t in zip(
            _values_at(rows["forenames"], first),
            _values_at(rows["surname"], first),
            _values_at(rows["name_raw"], first),
            strict=True,
        )
    ]
    # Codes numbered in the names' sort order, so that the smallest code is the first name
    # (Arrow sorts by UTF-8 bytes, which is the order of code points, Python's string order;
    # a sort of Python objects took seconds at a million mentions). Missing names: -1.
    encoded = pa.array(written, type=pa.large_string()).dictionary_encode()
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    index = encoded.indices.to_numpy(zero_copy_only=False)
    name_code = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1, 0)
    valid = name_code == 0
    name_code[valid] = rank[index[valid].astype(np.int64)]
    distinct = encoded.dictionary.take(pa.array(order)).to_pylist()
    code = name_code[triple] if len(triple) else triple
    return most_written(np.asarray(person, dtype=np.int64), code, distinct)


def _previous_persons(conn: Connection) -> dict[int, int]:
    """Each mention's person of the last run (`mention_person`), as plain tuples through the
    DB-API cursor (a row object per mention took a second or so at a million)."""
    query = select(mention_person.c.mention_id, mention_person.c.person_id)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        return {int(m): int(p) for m, p in cursor.fetchall()}
    finally:
        cursor.close()


def _same_mentions(conn: Connection, labels: dict[int, int]) -> bool:
    """The store's mention ids are exactly those clustered (the keys of `labels`): compared
    as sorted arrays, read through the DB-API cursor (a set of a million Python ints each
    side, from a row object per mention, took seconds)."""
    query = select(mentions.c.id).order_by(mentions.c.id)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        stored = np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
    finally:
        cursor.close()
    clustered = np.sort(np.fromiter(labels.keys(), dtype=np.int64, count=len(labels)))
    return bool(np.array_equal(stored, clustered))


def _values_at(column: pd.Series, at: np.ndarray) -> list[Any]:
    """`column`'s values at the positions `at` as Python objects; an Arrow-backed column's
    through Arrow, None where missing (pandas makes its values one at a time, as pandas'
    NA: both are missing to `written_name`)."""
    part = column.iloc[at]
    if isinstance(part.dtype, pd.ArrowDtype):
        return list(part.array.__arrow_array__().to_pylist())
    return list(part.tolist())


def most_written(pid: np.ndarray, code: np.ndarray, texts: list[Any]) -> dict[int, str]:
    """Per person (`pid`, row for row with `code`), the name code it carries most often, ties
    to the smallest code, as its text in `texts` (codes sorted as the texts are); a code
    below 0 is no name."""
    named = code >= 0
    pid, code = pid[named], code[named].astype(np.int64)
    if not len(pid):
        return {}
    # Each (person, name) pair once with its count, then per person the largest count,
    # ties to the smallest code.
    order = np.lexsort((code, pid))
    pid, code = pid[order], code[order]
    start = np.flatnonzero(
        np.concatenate([[True], (pid[1:] != pid[:-1]) | (code[1:] != code[:-1])])
    )
    count = np.diff(np.append(start, len(pid)))
    pid, code = pid[start], code[start]
    best = np.lexsort((code, -count, pid))
    pid, code = pid[best], code[best]
    first = np.concatenate([[True], pid[1:] != pid[:-1]])
    return {
        int(p): str(texts[c])[:MAX_DISPLAY_NAME]
        for p, c in zip(pid[first].tolist(), code[first].tolist(), strict=True)
    }


def _edge_strength(
    mention: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    inside: np.ndarray,
    weight: np.ndarray,
    probability: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per mention of `mention` (sorted ids), the strongest weight and probability of a
    pair inside its own person (NaN when none): `left` and `right` are the pairs' row
    positions in `mention`, `inside` whether the pair is within one person."""
    ends = np.concatenate([left[inside], right[inside]])
    w = np.concatenate([weight[inside], weight[inside]])
    p = np.concatenate([probability[inside], probability[inside]])
    best_w = np.full(len(mention), np.nan)
    best_p = np.full(len(mention), np.nan)
    if len(ends):
        order = np.lexsort((w, ends))
        ends, w, p = ends[order], w[order], p[order]
        last = np.concatenate([ends[1:] != ends[:-1], [True]])
        best_w[ends[last]] = w[last]
        best_p[ends[last]] = p[last]
    return best_w, best_p


def _none_for_nan(values: np.ndarray) -> list[Any]:
    """`values` as Python floats, None where NaN (a NULL in the store)."""
    out = np.asarray(values, dtype=float).astype(object)
    out[np.isnan(np.asarray(values, dtype=float))] = None
    return list(out.tolist())


_WRITE_SLICE = 50_000


def _insert_many(conn: Connection, table: Any, columns: list[Any], rows: Iterable[tuple]) -> int:
    """INSERT `rows` (tuples in the order of `columns`) through the DB-API cursor of the open
    transaction, `_WRITE_SLICE` rows per executemany: SQLAlchemy Core builds and processes
    a parameter dict per row, which at a million mentions cost more than the insert itself.
    Every value is already a plain int, float, bool, str or None."""
    names = ", ".join(c.name for c in columns)
    marks = ", ".join("?" if conn.dialect.name == "sqlite" else "%s" for _ in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - names from the table  # nosec B608
    return _execute_many(conn, sql, rows)


def _update_many(
    conn: Connection, table: Any, columns: list[Any], key: Any, rows: Iterable[tuple]
) -> int:
    """UPDATE `table` SET `columns` WHERE `key` for `rows` (tuples: the columns' values in
    order, then the key's), as `_insert_many` inserts: through the DB-API cursor of the open
    transaction, `_WRITE_SLICE` rows per executemany."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sets = ", ".join(f"{c.name} = {mark}" for c in columns)
    sql = f"UPDATE {table.name} SET {sets} WHERE {key.name} = {mark}"  # noqa: S608 - names from the table  # nosec B608
    return _execute_many(conn, sql, rows)


def _execute_many(conn: Connection, sql: str, rows: Iterable[tuple]) -> int:
    """`sql` for each of `rows` through the DB-API cursor of the open transaction,
    `_WRITE_SLICE` rows per executemany; the number of rows."""
    cursor = conn.connection.cursor()
    written = 0
    try:
        for batch in _batched(rows, _WRITE_SLICE):
            cursor.executemany(sql, batch)
            written += len(batch)
    finally:
        cursor.close()
    return written


# SQLite's page cache while the stage writes, in KiB (negative: KiB, not pages).
_WRITE_CACHE_KIB = 262_144


@contextmanager
def _write_settings(conn: Connection) -> Iterator[None]:
    """On SQLite, for the connection while link writes its tables: a 256 MiB page cache (the
    default 2 MiB: a million rows go into the unique index on a pair, and each row's foreign
    keys are looked up). The connection's own setting is restored after; other databases
    are left as they are. The store file is not memory-mapped: every page of `mentions` a
    pair's foreign key reads would count in the process's resident memory (+600 MiB at a
    million mentions, the stage's high-water on Spark) for no time saved in the stage."""
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{_WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")


# The tables link empties and fills again whose secondary indexes `_indexes_rebuilt` drops.
_REBUILT_TABLES = ("mention_person", "match_pairs")


@contextmanager
def _indexes_rebuilt(conn: Connection) -> Iterator[None]:
    """On SQLite, the secondary indexes of mention_person and match_pairs (keyed on a
    mention's person, a pair's second mention: keys that arrive in no order) dropped before
    link writes the rows and created again after, each from its own definition in the store
    (`sqlite_master`): one sort each instead of a million inserts at random places. Inside
    the stage's one transaction, so a crash rolls the drop back with the rows. The unique
    constraints stay (their keys arrive in order, and they guard the rows as they go in).
    Other databases are left as they are (on PostgreSQL dropping an index would lock its
    table against readers for the run)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    indexes = [
        (str(name), str(sql))
        for name, table, sql in conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master"
            " WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        ).all()
        if table in _REBUILT_TABLES and not str(sql).lstrip().upper().startswith("CREATE UNIQUE")
    ]
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        conn.exec_driver_sql(sql)


def _batched(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _explained_slice(pairs: pd.DataFrame, detail: Any, at: np.ndarray) -> pd.DataFrame:
    """Rows `at` of `pairs` with their explanation columns (`Prediction.detail`'s rows
    `at` beside them when they are kept apart)."""
    part = pairs.iloc[at]
    if detail is None:
        return part
    import pyarrow as pa

    # Integers with NULLs as Python ints and None, as the pairs' own columns hold them (an
    # explanation would show "born 1981.0").
    extra = detail.take(pa.array(at, type=pa.int64())).to_pandas(integer_object_nulls=True)
    extra.index = part.index
    return pd.concat([part, extra], axis=1)


def _write(
    conn: Connection,
    run_id: int,
    rows: pd.DataFrame,
    prediction: Prediction,
    ids: IdAssignment,
    threshold: float,
    margin: float,
    save_artifact: Callable[[str, str], None],
) -> dict[str, int]:
    """Persons, mention_person (each mention's compared values with it), person_lineage and
    match_pairs (each pair's levels; the run's explanation legend through `save_artifact`)."""
    labels = prediction.clustering.labels
    # Every mention's person as arrays in mention id order (no dict per mention).
    mention = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
    label = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))
    order = np.argsort(mention, kind="stable")
    mention, label = mention[order], label[order]
    cluster, cluster_at = np.unique(label, return_inverse=True)
    person_of_cluster = ids.person_of_cluster
    person = np.fromiter(
        (person_of_cluster[c] for c in cluster.tolist()), dtype=np.int64, count=len(cluster)
    )[cluster_at]
    pairs = prediction.pairs
    if pairs.empty:
        left = right = np.zeros(0, dtype=np.int64)
    else:
        left = np.searchsorted(mention, pairs["unique_id_l"].to_numpy(dtype=np.int64))
        right = np.searchsorted(mention, pairs["unique_id_r"].to_numpy(dtype=np.int64))
    same = label[left] == label[right]
    weight = pairs["match_weight"].to_numpy(dtype=float) if len(pairs) else np.zeros(0)
    probability = pairs["match_probability"].to_numpy(dtype=float) if len(pairs) else np.zeros(0)
    strength_w, strength_p = _edge_strength(mention, left, right, same, weight, probability)
    at = np.searchsorted(mention, rows["mention_id"].to_numpy(dtype=np.int64))
    pids, counts = np.unique(person, return_counts=True)

    keep = (
        np.flatnonzero(same | (weight >= threshold - margin))
        if not pairs.empty
        else np.zeros(0, dtype=np.int64)
    )
    # Each mention's compared values come from one kept pair (`_compared_sources`): the
    # mentions' ends of the kept pairs are not needed after.
    source, source_right = _compared_sources(left[keep], right[keep], len(mention))
    del left, right, same, weight, probability
    # The rows' CPU work that no insert waits for until the last ones (persons' display
    # names, each mention's compared values) is done in a forked child while this process
    # deletes, and explains and inserts the pairs (`Forked`: the same values, worked out
    # here if the child cannot give them). Not with Spark's explanation columns kept apart
    # in a file (`Prediction.detail`), which the child would read through the same handle:
    # there they are made here a slice at a time, as their rows are inserted, never for
    # every mention at once (the driver's memory).
    person_of_row = person[at]
    later = _Later(
        lambda: _names_slices(rows, person_of_row, pids),
        lambda: _compared_slices(
            pairs, prediction.detail, prediction.model_json, keep, source, source_right
        ),
        fork=prediction.detail is None,
    )
    try:
        stored = _write_rows(
            conn, run_id, prediction, ids, pairs, keep, pids, counts, later, save_artifact
        )
        _insert_many(
            conn,
            mention_person,
            [mention_person.c.mention_id, mention_person.c.person_id,
             mention_person.c.match_weight, mention_person.c.match_probability,
             mention_person.c.run_id, mention_person.c.compared],
            (
                row
                for start, compared in zip(
                    range(0, len(mention), _WRITE_SLICE), later.compared(), strict=True
                )
                for row in zip(
                    mention[start : start + _WRITE_SLICE].tolist(),
                    person[start : start + _WRITE_SLICE].tolist(),
                    _none_for_nan(strength_w[start : start + _WRITE_SLICE]),
                    _none_for_nan(strength_p[start : start + _WRITE_SLICE]),
                    itertools.repeat(run_id),
                    compared,
                    strict=False,
                )
            ),
        )  # fmt: skip
    finally:
        later.close()
    return {"persons": len(pids), "pairs_stored": stored}


def _compared_sources(
    left: np.ndarray, right: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each of `count` mentions (positions, sorted ids), the kept pair its compared
    values are made from (a row of the kept pairs, -1 when it is in none) and whether it
    is that pair's right mention; `left` and `right`: the kept pairs' mention positions.
    The pair is the one the values were always taken from when the kept pairs were
    explained `_WRITE_SLICE` at a time in their order: the first such slice the mention is
    in, and in it its first pair as the left mention, else its first as the right."""
    source = np.full(count, -1, dtype=np.int64)
    source_right = np.zeros(count, dtype=bool)
    as_right, first_right = np.unique(right, return_index=True)
    source[as_right] = first_right
    source_right[as_right] = True
    as_left, first_left = np.unique(left, return_index=True)
    slice_right = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    slice_right[as_right] = first_right // _WRITE_SLICE
    use = first_left // _WRITE_SLICE <= slice_right[as_left]
    source[as_left[use]] = first_left[use]
    source_right[as_left[use]] = False
    return source, source_right


def _compared_slices(
    pairs: pd.DataFrame,
    detail: Any,
    model_json: dict[str, Any],
    keep: np.ndarray,
    source: np.ndarray,
    source_right: np.ndarray,
) -> Iterator[list[str | None]]:
    """Each mention's compared values (`mention_person.compared`), `_WRITE_SLICE` mentions
    (sorted ids) at a time: made from its source pair (`_compared_sources`: a row of the
    kept pairs, rows `keep` of `pairs`), only the pairs a slice needs explained; None for
    a mention in no kept pair."""
    for start in range(0, len(source), _WRITE_SLICE):
        src = source[start : start + _WRITE_SLICE]
        has = np.flatnonzero(src >= 0)
        needed, row = np.unique(keep[src[has]], return_inverse=True)
        part = _explained_slice(pairs, detail, needed)
        texts = compared_at(part, model_json, row, source_right[start : start + _WRITE_SLICE][has])
        del part
        compared: list[str | None] = [None] * len(src)
        for position, text in zip(has.tolist(), texts, strict=True):
            compared[position] = text
        yield compared


def _names_slices(
    rows: pd.DataFrame, person_of_row: np.ndarray, pids: np.ndarray
) -> Iterator[dict[int, str]]:
    """The display names (`_display_names`) of the persons `pids` (sorted), `_WRITE_SLICE`
    persons at a time, each from the rows of `rows` that are its (`person_of_row`, row for
    row): never a dict of every person."""
    order = np.argsort(person_of_row, kind="stable")
    grouped = person_of_row[order]
    for start in range(0, len(pids), _WRITE_SLICE):
        part = pids[start : start + _WRITE_SLICE]
        lo = int(np.searchsorted(grouped, part[0], side="left"))
        hi = int(np.searchsorted(grouped, part[-1], side="right"))
        at = np.sort(order[lo:hi])
        yield _display_names(rows.iloc[at], person_of_row[at])


class _Later:
    """What `_write` gets besides the pairs, a slice at a time: the persons' display names
    (`_WRITE_SLICE` persons a slice) and the mentions' compared values (`_WRITE_SLICE`
    mentions a slice). With `fork`, worked out whole in a forked child (`Forked`) while the
    rest is written, each slice then read from the whole; else here, a slice as it is asked
    for."""

    def __init__(
        self,
        names: Callable[[], Iterator[dict[int, str]]],
        compared: Callable[[], Iterator[list[str | None]]],
        *,
        fork: bool,
    ) -> None:
        self._names, self._compared = names, compared
        self.forked: Forked[tuple[dict[int, str], list[str | None]]] = Forked(
            lambda: (
                {pid: name for part in names() for pid, name in part.items()},
                list(itertools.chain.from_iterable(compared())),
            ),
            enabled=fork,
        )
        self.whole = self.forked.forked
        self.got: tuple[dict[int, str], list[str | None]] | None = None

    def _get(self) -> tuple[dict[int, str], list[str | None]]:
        if self.got is None:
            self.got = self.forked.result()
        return self.got

    def names(self, slices: int) -> Iterator[dict[int, str]]:
        """The display names of each of `slices` slices of persons."""
        if not self.whole:
            yield from self._names()
            return
        every = self._get()[0]
        for _ in range(slices):
            yield every

    def compared(self) -> Iterator[list[str | None]]:
        """The compared values of each slice of mentions."""
        if not self.whole:
            yield from self._compared()
            return
        every = self._get()[1]
        for start in range(0, len(every), _WRITE_SLICE):
            yield every[start : start + _WRITE_SLICE]

    def close(self) -> None:
        self.forked.close()


def _write_rows(
    conn: Connection,
    run_id: int,
    prediction: Prediction,
    ids: IdAssignment,
    pairs: pd.DataFrame,
    keep: np.ndarray,
    pids: np.ndarray,
    counts: np.ndarray,
    later: _Later,
    save_artifact: Callable[[str, str], None],
) -> int:
    """`_write`'s rows but mention_person's: the old rows deleted, match_pairs (each kept
    pair's levels, the run's legend), person_lineage, then persons (their display names from
    `later`, asked for last). The number of pairs stored."""
    # The person ids already in the store, as a sorted array (not a set of Python ints).
    existing = np.sort(
        np.fromiter(conn.execute(select(persons.c.id)).scalars(), dtype=np.int64)
    )
    old = np.isin(pids, existing, assume_unique=True)
    del existing
    conn.execute(delete(mention_person))
    conn.execute(delete(match_pairs))
    conn.execute(update(persons).values(active=False, mention_count=0, last_run_id=run_id))
    if ids.lineage:
        _insert_many(
            conn,
            person_lineage,
            [person_lineage.c.run_id, person_lineage.c.old_person_id,
             person_lineage.c.new_person_id, person_lineage.c.change, person_lineage.c.overlap],
            (
                (run_id, int(r.old_person_id),
                 None if r.new_person_id is None else int(r.new_person_id), r.change,
                 int(r.overlap))
                for r in ids.lineage
            ),
        )  # fmt: skip
    # The kept pairs are explained and written a slice at a time (with `Prediction.detail`'s
    # columns beside them when Spark keeps those apart): at a million mentions the explanation
    # columns of every kept pair at once, or a copy of the kept pairs, held gigabytes. The
    # run's legend joins every slice's.
    legends = []
    stored = 0
    columns = [match_pairs.c.mention_a_id, match_pairs.c.mention_b_id,
               match_pairs.c.match_weight, match_pairs.c.match_probability,
               match_pairs.c.levels, match_pairs.c.run_id]  # fmt: skip
    for start in range(0, len(keep), _WRITE_SLICE):
        part = _explained_slice(pairs, prediction.detail, keep[start : start + _WRITE_SLICE])
        legends.append(explanation_legend(part, prediction.model_json))
        stored += _insert_many(
            conn,
            match_pairs,
            columns,
            zip(
                part["unique_id_l"].astype("int64").tolist(),
                part["unique_id_r"].astype("int64").tolist(),
                part["match_weight"].astype(float).tolist(),
                part["match_probability"].astype(float).tolist(),
                pair_levels(part, prediction.model_json),
                itertools.repeat(run_id),
            ),
        )
        del part
    if legends:
        save_artifact(LEGEND_ARTIFACT, canonical_json(merge_legends(legends)))
    # Persons a slice at a time, each slice's display names made as it is written.
    starts = range(0, len(pids), _WRITE_SLICE)
    for start, names in zip(starts, later.names(len(starts)), strict=True):
        part = slice(start, start + _WRITE_SLICE)
        new, is_old = pids[part], old[part]
        _insert_many(
            conn,
            persons,
            [persons.c.id, persons.c.display_name, persons.c.mention_count, persons.c.active,
             persons.c.first_run_id, persons.c.last_run_id],
            (
                (pid, names.get(pid), n, True, run_id, run_id)
                for pid, n in zip(
                    new[~is_old].tolist(), counts[part][~is_old].tolist(), strict=True
                )
            ),
        )  # fmt: skip
        if is_old.any():
            # One executemany through the DB-API cursor, never one statement per person.
            _update_many(
                conn,
                persons,
                [persons.c.display_name, persons.c.mention_count, persons.c.active],
                persons.c.id,
                (
                    (names.get(pid), n, True, pid)
                    for pid, n in zip(
                        new[is_old].tolist(), counts[part][is_old].tolist(), strict=True
                    )
                ),
            )
    return stored



@collector_paused(collect_after=True)
def run_link(
    engine: Engine,
    *,
    engine_name: str = "duckdb",
    actor: str = "cli",
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> LinkResult:
    """Resolve every person mention in the store into persons (see module docstring). The
    garbage collector is paused meanwhile (`casereview.collector`)."""
    settings = settings or get_settings()
    link = settings.link
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    say("reading mentions")
    phase: dict[str, float] = {}
    places_ahead: PlacesAhead | None = None
    try:
        t0 = time.perf_counter()
        frame: pd.DataFrame | None = None
        prepared = None
        if engine_name == "spark":
            # Read, normalised, guarded and staged in a child process whose heap goes with it;
            # the driver reads back the lean frame, names and previous persons when it needs
            # them (link/spark_prepare.py).
            from casereview.link.spark_prepare import prepare_in_child

            say("reading and staging mentions in a child process")
            prepared = prepare_in_child(engine, settings)
            if not prepared.mentions:
                prepared.remove()
                raise StageError("the store has no person mentions: import source exports first")
            rows, frame, judgements, links = pd.DataFrame(), pd.DataFrame(), prepared.judgements, None
            previous: dict[int, int] = {}
        else:
            # The frame's normalisers run in a forked child on each chunk as it is read (the
            # second core; `prenormalise`), and `build_frame` looks their results up.
            with normalised_ahead() as ahead:
                with reading(engine) as conn:
                    rows = load_mention_rows(conn, feed=ahead.feed)
                    previous = _previous_persons(conn)
                    judgements = active_judgements(conn)
                    links = load_record_links(conn)
                    # The locations' places worked out in a forked child while the frame is
                    # built and pairs scored; checked against the store in the transaction.
                    places_ahead = PlacesAhead(conn)
                if rows.empty:
                    raise StageError("the store has no person mentions: import source exports first")
                phase["read_s"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                # The frame's phase from here: what the child still had to work out is waited for.
                frame = build_frame(rows, ahead.result())
        if "read_s" not in phase:
            phase["read_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
        phase["frame_s"] = time.perf_counter() - t0
        # Only the names are needed again (persons' display names): the rest of what was read
        # (addresses, phones, identifiers) would sit in memory through training and scoring.
        rows = rows[["mention_id", "forenames", "surname", "name_raw"]].copy() if len(rows) else rows
        try:
            prediction = predict_persons(
                frame,
                engine_name=engine_name,
                settings=settings,
                judgements=judgements,
                progress=say,
                record_links=links,
                prepared=prepared,
            )
            if prepared is not None:
                rows, previous = prepared.names(), prepared.previous()
        finally:
            if prepared is not None:
                prepared.remove()
        mention_count = prepared.mentions if prepared is not None else len(frame)
        # Nothing after the prediction reads the frame: its columns go before the store is
        # written (at a million mentions on Spark, most of what the driver still held).
        for col in list(prediction.frame.columns):
            del prediction.frame[col]
        del frame
        parameters = {
            "engine": engine_name,
            "match_weight_threshold": link.match_weight_threshold,
            "max_block_size": link.max_block_size,
            "u_max_pairs": link.u_max_pairs,
            "u_pairs_per_mention": link.u_pairs_per_mention,
            "em_record_sample_proportion": link.em_record_sample_proportion,
            "random_seed": link.random_seed,
            "judgements": len(judgements),
            "blocking_keys": list(BLOCKING_KEYS),
        }
        say("writing persons")
        t0 = time.perf_counter()
        with stage_run(engine, "link", parameters, actor=actor) as run:
            conn = run.conn
            if not _same_mentions(conn, prediction.clustering.labels):
                raise LinkageError("mentions changed while linking (an import ran): run link again")
            max_used = conn.execute(select(func.max(persons.c.id))).scalar() or 0
            active = set(conn.execute(select(persons.c.id).where(persons.c.active.is_(True))).scalars())
            ids = assign_stable_ids(
                prediction.clustering.clusters(),
                previous,
                max_used_id=int(max_used),
                active_before=active,
            )
            with _write_settings(conn):
                with _indexes_rebuilt(conn):
                    written = _write(
                        conn,
                        run.run_id,
                        rows,
                        prediction,
                        ids,
                        link.match_weight_threshold,
                        link.near_miss_margin,
                        run.save_artifact,
                    )
                phase["write_s"] = time.perf_counter() - t0
                t1 = time.perf_counter()
                place_counts = resolve_places(conn, places_ahead)
                phase["places_s"] = time.perf_counter() - t1
            for line in prediction.notes:
                run.note(line)
            run.save_artifact("splink_model", canonical_json(prediction.model_json))
            lineage = Counter(r.change for r in ids.lineage)
            run.counts.update(
                {
                    "mentions": mention_count,
                    "persons": written["persons"],
                    "pairs_scored": len(prediction.pairs),
                    "pairs_stored": written["pairs_stored"],
                    "places": place_counts["places"],
                    "locations": place_counts["locations"],
                    **{f"lineage_{k}": v for k, v in sorted(lineage.items())},
                }
            )
            audit.append(
                conn,
                actor=actor,
                action=AuditAction.COMBINE,
                object_type="run",
                object_id=run.run_id,
                details={"stage": "link", "mentions": mention_count, "persons": written["persons"]},
            )
            run_id = run.run_id
        phase["store_s"] = time.perf_counter() - t0  # write, places, commit
        timings = {**phase, **prediction.timings}
        timings["total_s"] = time.perf_counter() - started
        return LinkResult(
            run_id=run_id,
            mentions=mention_count,
            persons=written["persons"],
            pairs_scored=len(prediction.pairs),
            pairs_stored=written["pairs_stored"],
            lineage=dict(lineage),
            notes=prediction.notes,
            timings=timings,
        )
    finally:
        if places_ahead is not None:
            places_ahead.close()
