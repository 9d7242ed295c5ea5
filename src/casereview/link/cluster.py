"""Clustering scored pairs into persons, with human judgements on top of the model.

Mentions are joined by every pair whose match weight reaches the threshold (connected
components). Human judgements then act on the graph:

- "same" adds an edge that cannot be cut;
- "not same" removes the pair's own edge and, when the two mentions are still connected
  through others, cuts the cheapest set of edges that separates them (a minimum s-t cut with
  each edge's capacity its match weight above the threshold), repeated until every "not same"
  pair is apart. A "not same" always outranks the model and outranks "same" chains too:
  if only a "same" edge stands between the two, it is cut and the run's log says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import igraph as ig
import numpy as np
import pandas as pd

from casereview.link.model import FAR_APART_YEARS, GENERATION_YEARS

__all__ = [
    "Clustering",
    "Forenames",
    "Judgement",
    "cluster_mentions",
    "components",
    "full_date",
    "household_guard",
    "one_to_one",
    "strongest_only",
    "well_evidenced",
]

_SAME_CAPACITY = 1e9


@dataclass(frozen=True)
class Judgement:
    """A human's standing judgement on a pair of mentions (revoked ones are not passed)."""

    mention_a: int
    mention_b: int
    judgement: str  # MatchJudgement value: same | not_same | unsure


@dataclass
class Clustering:
    """Cluster label per mention (the cluster's smallest mention id) and what judgements did."""

    labels: dict[int, int]
    edges_cut: int = 0
    guard_cuts: int = 0
    notes: list[str] = field(default_factory=list)

    def clusters(self) -> dict[int, list[int]]:
        """Cluster label -> sorted mention ids."""
        out: dict[int, list[int]] = {}
        for mention, label in self.labels.items():
            out.setdefault(label, []).append(mention)
        for members in out.values():
            members.sort()
        return out


Guard = Callable[[np.ndarray, np.ndarray], list[tuple[int, int]]]


def cluster_mentions(
    mention_ids: Sequence[int],
    pairs: pd.DataFrame,
    threshold: float,
    judgements: Iterable[Judgement] = (),
    guard: Guard | None = None,
) -> Clustering:
    """Connected components of pairs at `threshold`, then judgements applied (see module),
    then the `guard` (`household_guard`): pairs of mentions it finds in one person are
    separated like a "not same" judgement, unless a human judged the pair "same" or only
    "same" judgements hold them together (humans outrank the guard, as they do the model)."""
    ids = _sorted_distinct(np.asarray(mention_ids, dtype=np.int64))
    strong = pairs[pairs["match_weight"] >= threshold]
    left = strong["unique_id_l"].to_numpy(dtype=np.int64)
    right = strong["unique_id_r"].to_numpy(dtype=np.int64)
    capacity = (strong["match_weight"].to_numpy(dtype=float) - threshold) + 1.0
    edges_l, edges_r = _positions_in(ids, left), _positions_in(ids, right)
    known = (edges_l >= 0) & (edges_r >= 0)
    edges_l, edges_r, capacity = edges_l[known], edges_r[known], capacity[known]

    def index(mention: int) -> int | None:
        at = int(_positions_in(ids, np.asarray([mention], dtype=np.int64))[0])
        return None if at < 0 else at

    same: list[tuple[int, int]] = []
    apart: list[tuple[int, int]] = []
    for j in judgements:
        a, b = index(int(j.mention_a)), index(int(j.mention_b))
        if a is None or b is None or a == b:
            continue
        if j.judgement == "same":
            same.append((min(a, b), max(a, b)))
        elif j.judgement == "not_same":
            apart.append((min(a, b), max(a, b)))
    keep = np.ones(len(edges_l), dtype=bool)
    if apart:
        # Each pair of positions as one integer, smaller first, looked up among the apart.
        width = np.int64(len(ids))
        edge_key = np.minimum(edges_l, edges_r) * width + np.maximum(edges_l, edges_r)
        apart_key = np.unique([a * width + b for a, b in apart])
        keep = _positions_in(apart_key, edge_key) < 0
    edges_l, edges_r, capacity = edges_l[keep], edges_r[keep], capacity[keep]
    pair = np.array(same, dtype=np.int64).reshape(-1, 2)
    all_l = np.concatenate([edges_l, pair[:, 0]])
    all_r = np.concatenate([edges_r, pair[:, 1]])
    membership = components(len(ids), all_l, all_r)
    result = Clustering(labels={})
    guarded: list[tuple[int, int]] = []
    if guard is not None and len(ids):
        judged_same = set(same)
        for a_id, b_id in guard(ids, membership):
            a, b = int(np.searchsorted(ids, a_id)), int(np.searchsorted(ids, b_id))
            if (min(a, b), max(a, b)) not in judged_same:
                guarded.append((min(a, b), max(a, b)))
    constraints = [(a, b, False) for a, b in apart] + [(a, b, True) for a, b in guarded]
    live = [(a, b, g) for a, b, g in constraints if membership[a] == membership[b]]
    if live:
        membership = _split_components(
            membership,
            live,
            all_l,
            all_r,
            np.concatenate([capacity, [_SAME_CAPACITY] * len(pair)]),
            result,
        )
    # Each component's label is its smallest mention id (ids are sorted: its first member).
    label = ids[_first_members(membership)] if len(ids) else ids
    result.labels = dict(zip(ids.tolist(), label.tolist(), strict=True))
    return result


def _sorted_distinct(ids: np.ndarray) -> np.ndarray:
    """`ids` sorted and distinct: as they are when they already are (a frame's unique ids,
    sorted), without the sort `np.unique` makes of a million ids."""
    if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
        return ids
    return np.unique(ids)


def _first_members(membership: np.ndarray) -> np.ndarray:
    """Per node, the position of the first node of its component (`membership` holds
    component numbers, any non-negative integers): a scatter of the smallest position, not a
    sort of every node by component."""
    first = np.full(int(membership.max()) + 1, len(membership), dtype=np.int64)
    np.minimum.at(first, membership, np.arange(len(membership), dtype=np.int64))
    return first[membership]


def _positions_in(sorted_ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The position of each of `values` in `sorted_ids` (sorted, distinct), -1 when absent."""
    if not len(sorted_ids):
        return np.full(len(values), -1, dtype=np.int64)
    at = np.searchsorted(sorted_ids, values)
    found = sorted_ids[np.minimum(at, len(sorted_ids) - 1)] == values
    return np.where(found, at, -1).astype(np.int64)


def _split_components(
    membership: np.ndarray,
    constraints: list[tuple[int, int, bool]],
    left: np.ndarray,
    right: np.ndarray,
    capacity: np.ndarray,
    result: Clustering,
) -> np.ndarray:
    """`membership` with the components holding a constraint's two ends cut apart (minimum
    cuts on each such component alone; elsewhere nothing changes). A cut in one component
    never changes another, and each minimum cut and each search for what is still joined
    costs the size of the graph it runs on: on one graph of every touched component they
    cost that whole graph each time (hundreds of cuts at a million mentions)."""
    out = membership.copy()
    label = int(membership.max()) + 1
    by_component: dict[int, list[tuple[int, int, bool]]] = {}
    for a, b, g in constraints:
        by_component.setdefault(int(membership[a]), []).append((a, b, g))
    touched = np.asarray(sorted(by_component), dtype=np.int64)
    # Nodes and edges of the touched components, grouped by component (each group in id
    # order, as one graph of them all numbered them).
    nodes = np.flatnonzero(np.isin(membership, touched))
    nodes = nodes[np.argsort(membership[nodes], kind="stable")]
    node_start = np.searchsorted(membership[nodes], touched, side="left")
    node_end = np.searchsorted(membership[nodes], touched, side="right")
    edges = np.flatnonzero(np.isin(membership[left], touched))
    edges = edges[np.argsort(membership[left[edges]], kind="stable")]
    edge_start = np.searchsorted(membership[left[edges]], touched, side="left")
    edge_end = np.searchsorted(membership[left[edges]], touched, side="right")
    for k, component in enumerate(touched.tolist()):
        members = nodes[node_start[k] : node_end[k]]
        own = edges[edge_start[k] : edge_end[k]]
        graph = ig.Graph(
            n=len(members),
            edges=np.column_stack(
                [np.searchsorted(members, left[own]), np.searchsorted(members, right[own])]
            ).tolist(),
            directed=False,
        )
        graph.es["capacity"] = capacity[own].tolist()
        local = [
            (int(np.searchsorted(members, a)), int(np.searchsorted(members, b)), g)
            for a, b, g in by_component[component]
        ]
        _separate(graph, local, result)
        sub = np.asarray(graph.connected_components().membership, dtype=np.int64)
        out[members] = label + sub
        label += int(sub.max()) + 1
    return out


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected component of each of `n` nodes joined by the edges `left[i]`-`right[i]`
    (scipy's, several times faster than building an igraph graph from a million edges)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adjacency = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return np.asarray(connected_components(adjacency, directed=False)[1], dtype=np.int64)


def _separate(
    graph: ig.Graph, constraints: list[tuple[int, int, bool]], result: Clustering
) -> None:
    """Cut minimum edge sets until no constraint's two ends are connected. A guard's
    constraint (third element True) that only a cut through "same" judgements would meet is
    dropped instead (a human said they are one person); a "not same" one is always met."""
    pending = list(constraints)
    for _ in range(len(pending) * 4 + 10):
        membership = graph.connected_components().membership
        pending = [(a, b, g) for a, b, g in pending if membership[a] == membership[b]]
        if not pending:
            return
        a, b, by_guard = pending[0]
        cut = graph.mincut(a, b, capacity="capacity")
        if cut.value >= _SAME_CAPACITY:
            if by_guard:
                pending.pop(0)
                result.notes.append(
                    "the household guard left two mentions together that 'same' judgements join"
                )
                continue
            result.notes.append(
                "a 'not same' judgement overrides a chain of 'same' judgements; "
                "the 'same' edges on the cut were not applied"
            )
        if by_guard:
            result.guard_cuts += len(cut.cut)
        else:
            result.edges_cut += len(cut.cut)
        graph.delete_edges(cut.cut)


def one_to_one(pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """For two sources that each list a person at most once (`link.one_to_one_sources`):
    pairs within one source are dropped, and each mention keeps at most one pair at or above
    `threshold` with the other source, strongest first (greedy). Pairs below the threshold
    are kept as they are (near misses for explanations)."""
    if pairs.empty:
        return pairs
    across = pairs[pairs["source_l"] != pairs["source_r"]]
    strong = across[across["match_weight"] >= threshold].sort_values(
        "match_weight", ascending=False, kind="stable"
    )
    used: set[int] = set()
    keep: list[bool] = []
    for left, right in zip(
        strong["unique_id_l"].tolist(), strong["unique_id_r"].tolist(), strict=True
    ):
        ok = left not in used and right not in used
        if ok:
            used.update((left, right))
        keep.append(ok)
    weak = across[across["match_weight"] < threshold]
    return pd.concat([strong[np.array(keep, dtype=bool)], weak]).sort_index()


def strongest_only(
    pairs: pd.DataFrame,
    weak: np.ndarray,
    threshold: float,
    evidenced: np.ndarray | None = None,
) -> pd.DataFrame:
    """`pairs` without the links by which a mention of `weak` (mention ids with nothing
    that places or identifies the person, `frame.unanchored`) would bridge two people of
    its name: the mentions that are not weak are clustered on their own pairs first; a weak
    mention whose pairs at or above `threshold` reach several of those clusters keeps only
    its pairs into the one its strongest pair reaches; a pair of two weak mentions attached
    to different clusters is dropped. Pairs below the threshold are kept (near misses).

    A well-evidenced pair (`evidenced`, a mask over `pairs`: the same full name and the same
    full date of birth, `well_evidenced`) is never dropped and counts as firm: it is the
    evidence a review officer would link on, with or without an address."""
    if pairs.empty or not len(weak):
        return pairs
    left_id = pairs["unique_id_l"].to_numpy(dtype=np.int64)
    right_id = pairs["unique_id_r"].to_numpy(dtype=np.int64)
    weight = pairs["match_weight"].to_numpy(dtype=float)
    strong = weight >= threshold
    weak_l, weak_r = np.isin(left_id, weak), np.isin(right_id, weak)
    if not (strong & (weak_l | weak_r)).any():
        return pairs
    # Each mention numbered (in order of first appearance: any numbering does, only equal
    # clusters are compared) by hashing, not by sorting six million ends.
    inverse, ids = pd.factorize(np.concatenate([left_id, right_id]))
    left, right = inverse[: len(left_id)], inverse[len(left_id) :]
    sure = np.zeros(len(pairs), dtype=bool) if evidenced is None else np.asarray(evidenced, bool)
    firm = strong & ((~weak_l & ~weak_r) | sure)
    cluster = components(len(ids), left[firm], right[firm])
    # Each weak end of a strong pair with a firm mention: the cluster it reaches.
    one = strong & (weak_l ^ weak_r) & ~sure
    end = np.where(weak_l, left, right)[one]
    reach = cluster[np.where(weak_l, right, left)[one]]
    rows = np.flatnonzero(one)
    table = pd.DataFrame({"row": rows, "end": end, "reach": reach, "w": weight[rows]})
    best = table.sort_values(["w", "row"], ascending=[False, True], kind="stable")
    best = best.drop_duplicates("end").set_index("end")["reach"]
    keep = np.ones(len(pairs), dtype=bool)
    keep[rows] = table["reach"].to_numpy() == best.reindex(table["end"]).to_numpy()
    both = np.flatnonzero(strong & weak_l & weak_r & ~sure)
    if len(both):
        a = best.reindex(left[both]).to_numpy(dtype=float)
        b = best.reindex(right[both]).to_numpy(dtype=float)
        keep[both] = np.isnan(a) | np.isnan(b) | (a == b)
    return pairs[keep]


# At most this many guard constraints per person (the widest gaps first): each is a minimum
# cut, and a handful separate a wrongly joined household.
_GUARD_PER_COMPONENT = 50


def full_date(value: object) -> bool:
    """A date of birth with its day and month ("YYYY-MM-DD"): not missing, and not a
    1 January, which is often a year of birth alone written as a date and counts as a year."""
    return isinstance(value, str) and value[5:] != "01-01"


def household_guard(
    frame: pd.DataFrame,
    far_years: int = FAR_APART_YEARS,
    generation_years: tuple[int, int] = GENERATION_YEARS,
) -> Guard:
    """The household guard for `cluster_mentions`: two mentions may not be one person when
    their birth years are at least `far_years` apart and either the forenames differ (a
    parent and a child, siblings far apart: one surname, one address, often one phone, so
    chains of household links join them), or the years are a generation apart (within
    `generation_years`: a father and a son of one name) whatever the names, or both dates of
    birth are full dates (not 1 January: a year written as a date), or the years are more
    than a generation apart (two people of one
    name: two Mohammed Ahmeds), unless the two mentions give one address (the same postcode
    and house number: one person of one name at one address, the date re-keyed). Full dates
    with the same day and month are spared (one year mistyped: 2003 / 2013), and so are two
    mentions with one ordinary identifier. Birth years come from full or partial dates of
    birth or an age at the event (`yob_lo`, `yob_hi`); a mention without one is never in
    conflict."""
    uid = frame["unique_id"].to_numpy(dtype=np.int64)
    lo = pd.to_numeric(frame["yob_lo"], errors="coerce").to_numpy(dtype=float)
    hi = pd.to_numeric(frame["yob_hi"], errors="coerce").to_numpy(dtype=float)
    dob = frame["dob"].tolist()
    postcode = frame["postcode"].tolist()
    number = frame["street_number"].tolist()
    young, old = generation_years
    names = Forenames(frame)
    # Each row's identifier as "scheme:value" is made only for the few pairs asked about:
    # made for every row it was a string per mention held through both clusterings.
    schemes, values = frame["id_scheme"].tolist(), frame["identifier"].tolist()

    def identifier_of(row: int) -> str | None:
        scheme, value = schemes[row], values[row]
        return None if pd.isna(scheme) or pd.isna(value) else f"{scheme}:{value}"
    dated = np.flatnonzero(~np.isnan(lo) & ~np.isnan(hi))

    def identified(a: int, b: int) -> bool:
        """One ordinary identifier (one scheme, one or two characters apart): weighed like
        any evidence, it outranks a date of birth far off (an error of entry). A strong
        identifier is not: it links on its own whatever else disagrees, so the guard is the
        one check a date of birth far apart gets against it."""
        ia, ib = identifier_of(a), identifier_of(b)
        if not isinstance(ia, str) or not isinstance(ib, str):
            return False
        scheme_a, _, value_a = ia.partition(":")
        scheme_b, _, value_b = ib.partition(":")
        return scheme_a == scheme_b and _within_two_edits(value_a, value_b)

    def year_mistyped(a: int, b: int) -> bool:
        """Full dates with the same day and month (not 1 January): one year mistyped."""
        da, db = dob[a], dob[b]
        return full_date(da) and full_date(db) and da[5:] == db[5:]

    def both_full(a: int, b: int) -> bool:
        """Both full dates; 1 January is often a year of birth alone written as a date, and
        counts as a year."""
        return full_date(dob[a]) and full_date(dob[b])

    def one_address(a: int, b: int) -> bool:
        """The same postcode and house number on both."""
        pa, na = postcode[a], number[a]
        return isinstance(pa, str) and isinstance(na, str) and pa == postcode[b] and na == number[b]

    def guard(ids: np.ndarray, membership: np.ndarray) -> list[tuple[int, int]]:
        if not len(dated):
            return []
        where = np.searchsorted(ids, uid[dated])
        found = (where < len(ids)) & (ids[np.minimum(where, len(ids) - 1)] == uid[dated])
        rows = dated[found]
        table = pd.DataFrame(
            {"row": rows, "comp": membership[where[found]], "lo": lo[rows], "hi": hi[rows]}
        )
        span = table.groupby("comp").agg(lo=("lo", "min"), hi=("hi", "max"), n=("row", "size"))
        wide = span[(span["n"] >= 2) & (span["hi"] - span["lo"] >= far_years)].index
        table = table[table["comp"].isin(wide)]
        if table.empty:
            return []
        both = table.merge(table, on="comp", suffixes=("_a", "_b"))
        both = both[both["row_a"] < both["row_b"]]
        gap = np.maximum(both["lo_a"] - both["hi_b"], both["lo_b"] - both["hi_a"])
        both = both.assign(gap=gap)[gap >= far_years]
        both = both.sort_values(
            ["comp", "gap", "row_a", "row_b"], ascending=[True, False, True, True], kind="stable"
        )
        out: list[tuple[int, int]] = []
        taken: dict[int, int] = {}
        for comp, a, b, g in zip(
            both["comp"].tolist(),
            both["row_a"].tolist(),
            both["row_b"].tolist(),
            both["gap"].tolist(),
            strict=True,
        ):
            if taken.get(comp, 0) >= _GUARD_PER_COMPONENT:
                continue
            if year_mistyped(a, b) or identified(a, b):
                continue
            apart = names.differ(a, b) or young <= g <= old
            if apart or ((both_full(a, b) or g > old) and not one_address(a, b)):
                out.append((int(uid[a]), int(uid[b])))
                taken[comp] = taken.get(comp, 0) + 1
        return out

    return guard


def well_evidenced(frame: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Per pair of `pairs`, whether its two mentions carry the same full name (forename
    keys in common, or the same forename; the same surname key) and the same full date of
    birth. `frame` is sorted by unique id (as `build_frame` returns it)."""
    if pairs.empty:
        return np.zeros(0, dtype=bool)
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    a = np.searchsorted(ids, pairs["unique_id_l"].to_numpy(dtype=np.int64))
    b = np.searchsorted(ids, pairs["unique_id_r"].to_numpy(dtype=np.int64))
    dob = _codes(frame["dob"])
    surname = _codes(frame["surname_std"])
    fore = _codes(frame["forename_std"])
    out = (dob[a] >= 0) & (dob[a] == dob[b]) & (surname[a] >= 0) & (surname[a] == surname[b])
    # The same forename decides most pairs at once; the forename keys are compared for the
    # others only.
    out_fore = out & (fore[a] >= 0) & (fore[a] == fore[b])
    keys = frame["forename_keys"].tolist()
    for i in np.flatnonzero(out & ~out_fore):
        ka, kb = keys[a[i]], keys[b[i]]
        out[i] = isinstance(ka, list) and isinstance(kb, list) and not set(ka).isdisjoint(kb)
    return np.asarray(out, dtype=bool)


def _codes(values: pd.Series) -> np.ndarray:
    """An integer per row, equal for equal values, -1 for a missing one (comparisons of
    millions of pairs on integers, not on Python strings)."""
    return np.asarray(pd.factorize(values, use_na_sentinel=True)[0], dtype=np.int64)


class Forenames:
    """The forenames of a frame's rows, for telling whether two rows name different people."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.keys = frame["forename_keys"].tolist()
        self.first = frame["forename1"].tolist()
        self.std = frame["forename_std"].tolist()
        self.surname = frame["surname_std"].tolist()
        self._first_codes: np.ndarray | None = None

    def differ(self, a: int, b: int) -> bool:
        """Rows `a` and `b` (positions) carry different forenames: no key in common, neither
        an initial of the other, not a misspelling of it, not written in the other's surname
        field. An unknown forename differs from nothing."""
        ka, kb = self.keys[a], self.keys[b]
        if not isinstance(ka, list | tuple) or not isinstance(kb, list | tuple):
            return False
        if not set(ka).isdisjoint(kb):
            return False
        fa, fb = str(self.first[a] or ""), str(self.first[b] or "")
        if (len(fa) == 1 or len(fb) == 1) and fa[:1] == fb[:1]:
            return False
        sa, sb = self.std[a], self.std[b]
        if sa is not None and (sa == self.surname[b] or sb == self.surname[a]):
            return False
        return SequenceMatcher(None, fa, fb).ratio() < 0.75

    def differ_pairs(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """`differ` of each pair of rows `left[i]`, `right[i]`. Two rows with one forename
        written alike never differ (its keys are its own, and a name matches itself), which
        settles most pairs at once; the others are asked one by one."""
        if self._first_codes is None:
            self._first_codes = _codes(pd.Series(self.first, dtype=object))
        code = self._first_codes
        out = np.zeros(len(left), dtype=bool)
        alike = (code[left] >= 0) & (code[left] == code[right])
        for i in np.flatnonzero(~alike):
            out[i] = self.differ(int(left[i]), int(right[i]))
        return out


def _within_two_edits(a: str, b: str) -> bool:
    """At most two insertions, deletions or substitutions apart (Levenshtein <= 2)."""
    if abs(len(a) - len(b)) > 2:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > 2:
            return False
        previous = current
    return previous[-1] <= 2
