"""Explanations: why two mentions were (or were not) judged the same person.

An explanation is the data of a waterfall chart: the prior (log2 of the prior odds that two
mentions match) and one bar per comparison, with the level reached, the two values compared
and its match weight (log2 Bayes factor, term-frequency adjustment included). The bars and
the prior add up to the pair's match weight.

Scored pairs of the last link run are stored in `match_pairs` with this JSON; any other pair
is scored on the fly with the model saved with that run (the frame is rebuilt from the store
so that term frequencies are the run's).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, and_, or_, select

from casereview.errors import NotFound, StageError
from casereview.model.serial import from_json
from casereview.model.tables import match_pairs, mention_person, mentions, run_artifacts
from casereview.store.db import reading
from casereview.store.runs import latest_run

__all__ = [
    "Bar",
    "Explanation",
    "explain_pair",
    "explanation_columns",
    "explanations_from_pairs",
]

# Columns whose values are shown beside each comparison's bar.
_VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "forename": ("forename1",),
    "surname": ("surname",),
    "dob": ("dob", "yob_lo", "yob_hi"),
    "sex": ("sex",),
    "postcode": ("postcode",),
    "phones": ("phones",),
    "identifier": ("identifier",),
    "strong_id": ("strong_id",),
    "context": ("context",),
}


@dataclass(frozen=True)
class Bar:
    """One comparison's contribution."""

    comparison: str
    level: str
    weight: float
    value_a: str | None
    value_b: str | None


@dataclass
class Explanation:
    """Why two mentions match or not: prior + bars = match_weight."""

    mention_a: int
    mention_b: int
    prior: float
    bars: list[Bar]
    match_weight: float
    match_probability: float
    stored: bool
    same_person: bool | None = None
    threshold: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _levels(settings: dict[str, Any]) -> dict[str, list[str]]:
    """Comparison -> labels of its non-null levels indexed by gamma value."""
    out: dict[str, list[str]] = {}
    for comp in settings["comparisons"]:
        labels = [
            lvl.get("label_for_charts") or lvl["sql_condition"]
            for lvl in comp["comparison_levels"]
            if not lvl.get("is_null_level")
        ]
        out[comp["output_column_name"]] = labels[::-1]
    return out


def prior_weight(settings: dict[str, Any]) -> float:
    p = float(settings["probability_two_random_records_match"])
    return math.log2(p / (1 - p))


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = list(value.tolist() if hasattr(value, "tolist") else value)
        return ", ".join(str(v) for v in items) if items else None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA:
        return None
    return str(value)


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of `values`, equal values equal codes (missing -1): pandas' factorize,
    for a column of lists (phones, context) on the lists as tuples."""
    try:
        codes, _ = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable: lists
        items = values.tolist()
        as_tuples = np.empty(len(items), dtype=object)
        as_tuples[:] = [
            tuple(v.tolist() if isinstance(v, np.ndarray) else v)
            if isinstance(v, list | tuple | np.ndarray)
            else None
            for v in items
        ]
        try:
            codes, _ = pd.factorize(as_tuples, use_na_sentinel=True)
        except TypeError:  # lists of lists: one by one
            codes, _ = pd.factorize(
                np.array([None if v is None else repr(v) for v in as_tuples], dtype=object),
                use_na_sentinel=True,
            )
    return np.asarray(codes, dtype=np.int64)


def _side_values(pairs: pd.DataFrame, name: str, side: str) -> tuple[list[str], np.ndarray]:
    """The JSON texts of the values shown beside comparison `name` for one side ("l" or
    "r") of the pairs, each distinct value shown and encoded once, and each pair's position
    in those texts."""
    n = len(pairs)
    columns = (
        ("dob", "yob_lo", "yob_hi") if name == "dob" else _VALUE_COLUMNS.get(name, (name,))[:1]
    )
    present = [f"{c}_{side}" for c in columns if f"{c}_{side}" in pairs.columns]
    if not present:
        return ["null"], np.zeros(n, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    for col in present:
        codes = _codes(pairs[col]) + 1  # missing -> 0
        key = key * (int(codes.max(initial=0)) + 1) + codes
        key, _ = pd.factorize(key)  # keep the combined key small, codes by first appearance
        key = np.asarray(key, dtype=np.int64)
    # factorize numbers keys in order of first appearance: a row is a key's first exactly
    # when its key exceeds every key before it.
    before = np.maximum.accumulate(np.concatenate([[-1], key[:-1]])) if n else key
    first = np.flatnonzero(key > before)
    # The values of one row per distinct key, as Python objects (tolist, as the rows were).
    values = {
        c: pairs[f"{c}_{side}"].iloc[first].tolist()
        for c in columns
        if f"{c}_{side}" in pairs.columns
    }

    def at(c: str, i: int) -> Any:
        return values[c][i] if c in values else None

    texts = []
    for i in range(len(first)):
        if name == "dob":
            shown = _show(at("dob", i))
            if not shown:
                lo, hi = _show(at("yob_lo", i)), _show(at("yob_hi", i))
                shown = None if lo is None else (f"born {lo}" if lo == hi else f"born {lo}-{hi}")
        else:
            shown = _show(at(columns[0], i))
        texts.append(json.dumps(shown))
    return texts, key


def explanation_columns(settings: dict[str, Any], columns: list[str]) -> list[str]:
    """The columns of scored pairs (of `columns`) that `explanations_from_pairs` reads for
    the model `settings`: each comparison's gamma, weight and term-frequency adjustment, and
    the values shown beside its bar. Splink's other intermediate columns (Bayes factors,
    term frequencies, the comparison inputs never shown) need not leave the backend."""
    wanted = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        shown = _VALUE_COLUMNS.get(name, (name,))
        wanted += [f"gamma_{name}", f"mw_{name}", f"mw_tf_adj_{name}"]
        wanted += [f"{c}_{side}" for c in shown for side in ("l", "r")]
    present = set(columns)
    return [c for c in dict.fromkeys(wanted) if c in present]


def _number(value: float) -> str:
    return repr(value) if math.isfinite(value) else json.dumps(value)


def _spread(texts: list[str], index: np.ndarray) -> pa.Array:
    """`texts[index[i]]` for every i, as an Arrow string array (no Python string per row)."""
    return pa.array(texts, type=pa.large_string()).take(pa.array(index, type=pa.int64()))


def explanations_from_pairs(pairs: pd.DataFrame, settings: dict[str, Any]) -> list[str]:
    """The comparison JSON of each scored pair (Splink's predict output with intermediate
    columns), in row order: {"bars": [...], "prior": ...} with sorted keys, built column by
    column (each distinct value, level and weight encoded once, the pieces joined by Arrow)."""
    levels = _levels(settings)
    prior = json.dumps(prior_weight(settings))
    names = [c["output_column_name"] for c in settings["comparisons"]]
    n = len(pairs)
    if not names or not n:
        return ['{"bars": [], "prior": ' + prior + "}"] * n
    pieces: list[Any] = ['{"bars": [']
    for number, name in enumerate(names):
        gammas = pairs[f"gamma_{name}"].to_numpy(dtype=np.int64)
        weight = pairs[f"mw_{name}"].astype(float)
        tf = f"mw_tf_adj_{name}"
        if tf in pairs.columns:
            weight = weight + pairs[tf].astype(float).fillna(0.0)
        labels = ["no value on one side"] + levels[name]
        heads = [
            f'{{"comparison": {json.dumps(name)}, "level": {json.dumps(label)}, "value_a": '
            for label in labels
        ]
        # gamma -1 (a value missing) is the first label, gamma g the (g + 1)-th.
        head = np.where(gammas >= 0, gammas + 1, 0)
        # Each distinct weight written once (factorize keeps each one's first occurrence).
        codes, distinct = pd.factorize(weight.to_numpy(dtype=float), use_na_sentinel=False)
        weights = [_number(w) for w in distinct.tolist()]
        if number:
            pieces.append(", ")
        pieces += [
            _spread(heads, head),
            _spread(*_side_values(pairs, name, "l")),
            ', "value_b": ',
            _spread(*_side_values(pairs, name, "r")),
            ', "weight": ',
            _spread(weights, np.asarray(codes, dtype=np.int64)),
            "}",
        ]
    pieces.append('], "prior": ' + prior + "}")
    text = pa.large_string()
    joined = pc.binary_join_element_wise(
        *(pa.scalar(x, text) if isinstance(x, str) else x for x in pieces), pa.scalar("", text)
    )
    return list(joined.to_pylist())


def _from_json(a: int, b: int, weight: float, prob: float, text: str, stored: bool) -> Explanation:
    data = json.loads(text)
    bars = [Bar(**bar) for bar in data["bars"]]
    return Explanation(a, b, float(data["prior"]), bars, weight, prob, stored)


def _swap(expl: Explanation) -> Explanation:
    """The same explanation with the two sides exchanged (a pair is stored low id first)."""
    expl.bars = [Bar(x.comparison, x.level, x.weight, x.value_b, x.value_a) for x in expl.bars]
    return expl


def explain_pair(engine: Engine, mention_a: int, mention_b: int) -> Explanation:
    """The explanation for any two mentions: the stored scored pair when the last link run
    kept it, else scored now with that run's saved model."""
    if mention_a == mention_b:
        raise NotFound("explain needs two different mentions")
    lo, hi = sorted((int(mention_a), int(mention_b)))
    with reading(engine) as conn:
        found = (
            conn.execute(select(mentions.c.id).where(mentions.c.id.in_([lo, hi]))).scalars().all()
        )
        if len(found) != 2:
            missing = sorted({lo, hi} - set(found))
            raise NotFound(f"no mention with id {', '.join(map(str, missing))}")
        run = latest_run(conn, "link")
        if run is None:
            raise StageError("no link run yet: run `casereview link` first")
        row = conn.execute(
            select(match_pairs).where(
                or_(
                    and_(match_pairs.c.mention_a_id == lo, match_pairs.c.mention_b_id == hi),
                    and_(match_pairs.c.mention_a_id == hi, match_pairs.c.mention_b_id == lo),
                )
            )
        ).first()
        persons = dict(
            conn.execute(
                select(mention_person.c.mention_id, mention_person.c.person_id).where(
                    mention_person.c.mention_id.in_([lo, hi])
                )
            ).all()
        )
        params = from_json(run["parameters"], {})
        model_text = conn.execute(
            select(run_artifacts.c.content).where(
                run_artifacts.c.run_id == run["id"], run_artifacts.c.name == "splink_model"
            )
        ).scalar_one_or_none()
    if row is not None:
        expl = _from_json(
            lo, hi, row.match_weight, row.match_probability, row.comparison, stored=True
        )
    else:
        if model_text is None:
            raise StageError("the last link run saved no model: run `casereview link` again")
        from casereview.link.score import score_one_pair

        weight, prob, text = score_one_pair(engine, json.loads(model_text), lo, hi)
        expl = _from_json(lo, hi, weight, prob, text, stored=False)
    if persons.get(lo) is not None and persons.get(hi) is not None:
        expl.same_person = persons[lo] == persons[hi]
    expl.threshold = params.get("match_weight_threshold")
    if int(mention_a) != lo:
        expl.mention_a, expl.mention_b = expl.mention_b, expl.mention_a
        expl = _swap(expl)
    return expl
