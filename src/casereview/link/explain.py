"""Explanations: why two mentions were (or were not) judged the same person.

An explanation is the data of a waterfall chart: the prior (log2 of the prior odds that two
mentions match) and one bar per comparison, with the level reached, the two values compared
and its match weight (log2 Bayes factor, term-frequency adjustment included). The bars and
the prior add up to the pair's match weight.

Scored pairs of the last link run are stored compactly: each pair's comparison levels
(`match_pairs.levels`, with its term-frequency adjustments), each mention's compared values
once (`mention_person.compared`), and the labels, level weights and prior once per run (the
run artifact `explanation_legend`). `render` puts an explanation together from these, for
every reader. Any other pair is scored on the fly with the model saved with that run (the
frame is rebuilt from the store so that term frequencies are the run's) and rendered alike.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, and_, or_, select

from casereview.errors import LinkageError, NotFound, StageError
from casereview.model.serial import from_json
from casereview.model.tables import match_pairs, mention_person, mentions, run_artifacts
from casereview.store.db import id_batches, reading
from casereview.store.runs import latest_run

__all__ = [
    "LEGEND_ARTIFACT",
    "NOT_WEIGHED",
    "Bar",
    "Explanation",
    "compared_at",
    "compared_of",
    "compared_values",
    "explain_pair",
    "explanation_columns",
    "explanation_legend",
    "load_legends",
    "merge_legends",
    "pair_levels",
    "parse_legacy",
    "render",
    "render_pairs",
    "stored_explanation",
]

# The run artifact holding a link run's explanation legend (`explanation_legend`).
LEGEND_ARTIFACT = "explanation_legend"
# The level shown for a comparison left out of a pair although both mentions give a value.
NOT_WEIGHED = "not weighed: another comparison weighs it"

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

    if name != "dob" and columns[0] in values:
        return _json_texts(values[columns[0]]), key
    if name == "dob":
        return _dob_texts([at("dob", i) for i in range(len(first))],
                          [at("yob_lo", i) for i in range(len(first))],
                          [at("yob_hi", i) for i in range(len(first))]), key  # fmt: skip
    return [json.dumps(_show(at(columns[0], i))) for i in range(len(first))], key


def _dob_text(dob: Any, lo: Any, hi: Any) -> str:
    """The JSON text shown beside the date-of-birth bar: the date, else the years of birth."""
    shown = _show(dob)
    if not shown:
        low, high = _show(lo), _show(hi)
        shown = None if low is None else (f"born {low}" if low == high else f"born {low}-{high}")
    return json.dumps(shown)


def _dob_texts(dobs: list[Any], los: list[Any], his: list[Any]) -> list[str]:
    """`_dob_text` of each (date, low year, high year): a date that is plain text (an ISO
    date) is its own JSON text in quotes, and the years' text is made once per distinct
    pair of years (a million mentions have a few hundred)."""
    plain = _PLAIN.fullmatch
    # Keyed with the types too: 1990 and 1990.0 are one key to a dict, not one text.
    years: dict[tuple[Any, ...], str] = {}
    out = []
    for dob, lo, hi in zip(dobs, los, his, strict=True):
        if type(dob) is str and dob and plain(dob):
            out.append(f'"{dob}"')
            continue
        if dob is not None:  # anything else shown as it always was
            out.append(_dob_text(dob, lo, hi))
            continue
        pair = (type(lo), lo, type(hi), hi)
        try:
            text = years.get(pair)
        except TypeError:  # unhashable years, or pandas' NA compared
            text = None
        if text is None:
            text = _dob_text(None, lo, hi)
            with contextlib.suppress(TypeError):
                years[pair] = text
        out.append(text)
    return out


# Printable ASCII but for `"` and `\\`: a string of these alone is its own JSON text in quotes.
_PLAIN_JSON = r"^[ !#-\[\]-~]*$"
_PLAIN = re.compile(r"[ !#-\[\]-~]*")


def _json_texts(values: list[Any]) -> list[str]:
    """`json.dumps(_show(v))` of each of `values`: the strings that need no escaping (plain
    ASCII, no quote or backslash) and the missing values through Arrow, every other value
    (non-ASCII text, a list, a number) one by one as before."""
    try:
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # lists (phones): one by one, None at once
        return ["null" if v is None else json.dumps(_show(v)) for v in values]
    text = pa.large_string()
    plain = pc.fill_null(pc.match_substring_regex(array, _PLAIN_JSON), True)
    quoted = pc.binary_join_element_wise(
        pa.scalar('"', text), array, pa.scalar('"', text), pa.scalar("", text)
    )
    out = pc.fill_null(quoted, pa.scalar("null", text)).to_pylist()
    for i in np.flatnonzero(~plain.to_numpy(zero_copy_only=False)).tolist():
        out[i] = json.dumps(_show(values[i]))
    return out


def explanation_columns(settings: dict[str, Any], columns: list[str]) -> list[str]:
    """The columns of scored pairs (of `columns`) that the explanations (`pair_levels`,
    `compared_values`, `explanation_legend`) read for the model `settings`: each comparison's
    gamma, weight and term-frequency adjustment, and the values shown beside its bar. Splink's other intermediate columns (Bayes factors,
    term frequencies, the comparison inputs never shown) need not leave the backend."""
    wanted = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        shown = _VALUE_COLUMNS.get(name, (name,))
        wanted += [f"gamma_{name}", f"mw_{name}", f"mw_tf_adj_{name}"]
        wanted += [f"{c}_{side}" for c in shown for side in ("l", "r")]
    present = set(columns)
    return [c for c in dict.fromkeys(wanted) if c in present]


def _spread(texts: list[str], index: np.ndarray) -> pa.Array:
    """`texts[index[i]]` for every i, as an Arrow string array (no Python string per row)."""
    return pa.array(texts, type=pa.large_string()).take(pa.array(index, type=pa.int64()))


def _join(pieces: list[Any]) -> list[str]:
    """Row by row, the concatenation of `pieces` (constant strings and Arrow string arrays)."""
    text = pa.large_string()
    joined = pc.binary_join_element_wise(
        *(pa.scalar(x, text) if isinstance(x, str) else x for x in pieces), pa.scalar("", text)
    )
    return list(joined.to_pylist())


def explanation_legend(pairs: pd.DataFrame, settings: dict[str, Any]) -> dict[str, Any]:
    """What every pair scored by one model shares, stored once per link run (run artifact
    `LEGEND_ARTIFACT`): the prior, and per comparison (in the model's order) its name, the
    label of each level (index gamma + 1: the first is "no value on one side") and each
    level's match weight as Splink computed it for `pairs` (term-frequency adjustment
    apart, which is the pair's own)."""
    levels = _levels(settings)
    comparisons = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        weights: dict[str, float] = {}
        if len(pairs):
            gamma = pairs[f"gamma_{name}"].to_numpy(dtype=np.int64)
            weight = pairs[f"mw_{name}"].to_numpy(dtype=float)
            order = np.lexsort((weight, gamma))
            gamma, weight = gamma[order], weight[order]
            first = np.flatnonzero(np.concatenate([[True], gamma[1:] != gamma[:-1]]))
            last = np.append(first[1:], len(gamma)) - 1
            if not np.array_equal(weight[first], weight[last], equal_nan=True):
                raise LinkageError(f"comparison {name}: one level scored with several weights")
            weights = {str(g): float(w) for g, w in zip(gamma[first], weight[first], strict=True)}
        comparisons.append(
            {"name": name, "labels": ["no value on one side", *levels[name]], "weights": weights}
        )
    return {"prior": prior_weight(settings), "comparisons": comparisons}


def merge_legends(legends: list[dict[str, Any]]) -> dict[str, Any]:
    """One legend from the legends of slices of one run's pairs (`explanation_legend` of each):
    the levels each slice saw, together. A level scored with another weight in another slice
    is an error, as within one slice."""
    if not legends:
        raise LinkageError("no legend to merge")
    merged = copy.deepcopy(legends[0])
    for legend in legends[1:]:
        for into, comparison in zip(merged["comparisons"], legend["comparisons"], strict=True):
            for level, weight in comparison["weights"].items():
                seen = into["weights"].setdefault(level, weight)
                if seen != weight and not (math.isnan(seen) and math.isnan(weight)):
                    raise LinkageError(
                        f"comparison {into['name']}: one level scored with several weights"
                    )
    return merged


def pair_levels(pairs: pd.DataFrame, settings: dict[str, Any]) -> list[str]:
    """Each scored pair's comparison levels as stored in `match_pairs.levels`: per comparison
    of the model, in its order, the gamma (Splink's level number, -1 for a value missing),
    followed by `:` and the term-frequency adjustment of the weight when there is one (not 0), the
    comparisons separated by commas (`3:0.4150374992788438,2,-1,0`)."""
    names = [c["output_column_name"] for c in settings["comparisons"]]
    if not names or not len(pairs):
        return [""] * len(pairs)
    pieces: list[Any] = []
    for number, name in enumerate(names):
        if number:
            pieces.append(",")
        gamma = pa.array(pairs[f"gamma_{name}"].to_numpy(dtype=np.int64))
        pieces.append(pc.cast(gamma, pa.large_string()))
        tf = f"mw_tf_adj_{name}"
        if tf in pairs.columns:
            values = pairs[tf].to_numpy(dtype=float)
            # None where there is no adjustment (NaN) or it is 0: `render` adds 0.0 then.
            adjustment = pa.array(values, mask=np.isnan(values) | (values == 0.0))
            shown = pc.binary_join_element_wise(
                pa.scalar(":", pa.large_string()),
                pc.cast(adjustment, pa.large_string()),
                pa.scalar("", pa.large_string()),
            )
            pieces.append(pc.fill_null(shown, pa.scalar("", pa.large_string())))
    return _join(pieces)


def compared_values(
    pairs: pd.DataFrame, settings: dict[str, Any], known: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """The values each mention of `pairs` was compared with, as stored in
    `mention_person.compared`: the ids of the mentions, and for each a JSON list with, per
    comparison of the model in its order, the value shown beside its bar (null when none).
    A mention's values are the same in every pair it is in; they are taken from its first.
    Mentions whose id is in `known` (sorted ids: their values were made from an earlier
    slice of the same pairs) are left out, and none of their values is made again."""
    left = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    ids, first = np.unique(np.concatenate([left, right]), return_index=True)
    if known is not None and len(known) and len(ids):
        at = np.minimum(np.searchsorted(known, ids), len(known) - 1)
        new = known[at] != ids
        ids, first = ids[new], first[new]
    if not len(ids):
        return ids, []
    # One row per mention, its values from the side of the first pair it appears in.
    side = first >= len(left)
    row = np.where(side, first - len(left), first)
    return ids, compared_at(pairs, settings, row, side)


def compared_at(
    pairs: pd.DataFrame, settings: dict[str, Any], row: np.ndarray, side: np.ndarray
) -> list[str]:
    """`compared_values`' text of the mention on side `side` (False: left, True: right) of
    each row `row` of `pairs`, in that order."""
    names = [c["output_column_name"] for c in settings["comparisons"]]
    if not len(row):
        return []
    if not names:
        return ["[]"] * len(row)
    side = np.asarray(side, dtype=bool)
    wanted = {c for name in names for c in _VALUE_COLUMNS.get(name, (name,))}
    columns = {}
    for c in sorted(wanted):
        if f"{c}_l" in pairs.columns and f"{c}_r" in pairs.columns:
            # Only the rows wanted leave pandas (a whole Arrow column to objects costs more).
            values = np.empty(len(row), dtype=object)
            values[~side] = pairs[f"{c}_l"].iloc[row[~side]].to_numpy(dtype=object)
            values[side] = pairs[f"{c}_r"].iloc[row[side]].to_numpy(dtype=object)
            columns[f"{c}_m"] = pd.Series(values, dtype="object")
    mentions_frame = pd.DataFrame(columns, index=pd.RangeIndex(len(row)))
    pieces: list[Any] = ["["]
    for number, name in enumerate(names):
        if number:
            pieces.append(", ")
        pieces.append(_spread(*_side_values(mentions_frame, name, "m")))
    pieces.append("]")
    return _join(pieces)


def render(
    legend: dict[str, Any], levels: str, compared_a: str | None, compared_b: str | None
) -> tuple[float, list[Bar]]:
    """(prior, bars) of a stored pair: its `levels` (`pair_levels`) read against the run's
    `legend` (`explanation_legend`), each bar beside the values its two mentions were
    compared with (`compared_values`). The one place an explanation is put together, for
    the web app, the command line and `explain_pair`."""
    comparisons = legend["comparisons"]
    values_a = json.loads(compared_a) if compared_a else [None] * len(comparisons)
    values_b = json.loads(compared_b) if compared_b else [None] * len(comparisons)
    parts = levels.split(",") if levels else []
    if not (len(parts) == len(comparisons) == len(values_a) == len(values_b)):
        raise LinkageError("a stored pair's levels do not fit its run's model")
    bars = []
    for comparison, part, a, b in zip(comparisons, parts, values_a, values_b, strict=True):
        gamma, _, adjustment = part.partition(":")
        weight = comparison["weights"][gamma] + (float(adjustment) if adjustment else 0.0)
        label = comparison["labels"][int(gamma) + 1]
        if gamma == "-1" and a is not None and b is not None:
            # A null level that is not about a missing value: the borough where both mentions
            # give a postcode, which the postcode comparison weighs (docs/linkage.md).
            label = NOT_WEIGHED
        bars.append(Bar(comparison["name"], label, weight, a, b))
    return float(legend["prior"]), bars


def render_pairs(pairs: pd.DataFrame, settings: dict[str, Any]) -> list[tuple[float, list[Bar]]]:
    """(prior, bars) of each scored pair (Splink's output with the columns
    `explanation_columns` names), in row order, put together as stored pairs are."""
    legend = explanation_legend(pairs, settings)
    ids, texts = compared_values(pairs, settings)
    compared = dict(zip(ids.tolist(), texts, strict=True))
    return [
        render(legend, levels, compared[int(a)], compared[int(b)])
        for levels, a, b in zip(
            pair_levels(pairs, settings),
            pairs["unique_id_l"].tolist(),
            pairs["unique_id_r"].tolist(),
            strict=True,
        )
    ]


def _swap(expl: Explanation) -> Explanation:
    """The same explanation with the two sides exchanged (a pair is stored low id first)."""
    expl.bars = [Bar(x.comparison, x.level, x.weight, x.value_b, x.value_a) for x in expl.bars]
    return expl


def parse_legacy(text: str) -> tuple[float, list[Bar]]:
    """(prior, bars) of a pair stored before levels were (`match_pairs.comparison`: the
    whole explanation as JSON, `{"bars": [...], "prior": ...}`)."""
    data = json.loads(text)
    return float(data["prior"]), [Bar(**bar) for bar in data["bars"]]


def load_legends(conn: Connection, run_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """run id -> the explanation legend that link run stored."""
    wanted = sorted({int(r) for r in run_ids})
    if not wanted:
        return {}
    rows = conn.execute(
        select(run_artifacts.c.run_id, run_artifacts.c.content).where(
            run_artifacts.c.run_id.in_(wanted), run_artifacts.c.name == LEGEND_ARTIFACT
        )
    ).all()
    return {int(r.run_id): json.loads(r.content) for r in rows}


def stored_explanation(
    row: Any, legends: dict[int, dict[str, Any]], compared: dict[int, str | None]
) -> tuple[float, list[Bar]]:
    """(prior, bars) of a `match_pairs` row: rendered from its levels, or, for a pair written
    before levels were stored, read from its JSON."""
    if row.levels is None:
        return parse_legacy(row.comparison)
    legend = legends.get(int(row.run_id))
    if legend is None:
        raise StageError(f"link run {row.run_id} stored no explanation legend")
    return render(
        legend,
        row.levels,
        compared.get(int(row.mention_a_id)),
        compared.get(int(row.mention_b_id)),
    )


def compared_of(conn: Connection, mention_ids: Iterable[int]) -> dict[int, str | None]:
    """mention id -> the values it was compared with in the last link run."""
    out: dict[int, str | None] = {}
    for part in id_batches(set(int(m) for m in mention_ids)):
        rows = conn.execute(
            select(mention_person.c.mention_id, mention_person.c.compared).where(
                mention_person.c.mention_id.in_(part)
            )
        ).all()
        out.update({int(m): c for m, c in rows})
    return out


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
        stored = None
        if row is not None:
            legends = {} if row.levels is None else load_legends(conn, [row.run_id])
            stored = stored_explanation(row, legends, compared_of(conn, [lo, hi]))
    if row is not None and stored is not None:
        prior, bars = stored
        expl = Explanation(
            lo, hi, prior, bars, float(row.match_weight), float(row.match_probability), True
        )
    else:
        if model_text is None:
            raise StageError("the last link run saved no model: run `casereview link` again")
        from casereview.link.score import score_one_pair

        weight, prob, (prior, bars) = score_one_pair(engine, json.loads(model_text), lo, hi)
        expl = Explanation(lo, hi, prior, bars, weight, prob, stored=False)
    if persons.get(lo) is not None and persons.get(hi) is not None:
        expl.same_person = persons[lo] == persons[hi]
    expl.threshold = params.get("match_weight_threshold")
    if int(mention_a) != lo:
        expl.mention_a, expl.mention_b = expl.mention_b, expl.mention_a
        expl = _swap(expl)
    return expl
