"""Where the lone mentions go: pairwise F1 before `attach_bare_names`, with main's
(`MAIN`) and with this checkout's, and how often each kind of placement was right.

One run of `predict_persons` on a store (its clustering taken just before the lone
mentions are placed, as `predict_persons` makes it), saved under --keep so that later runs
(`--reuse`) try the placements again without linking the store again:

    flock /work/bench/duck1m.lock nice -n 5 .venv/bin/python benchmarks/analyse_lone_placement.py \\
        --store /work/bench/link_1m/store.db --world /work/bench/link_1m/world \\
        --keep /work/bench/linkq12/lone1m
    .venv/bin/python benchmarks/analyse_lone_placement.py --keep /work/bench/linkq12/lone1m --reuse

Main's `attach_bare_names` is read from git (`git show MAIN:src/casereview/link/placement.py`)
and run on the same clustering. A placement is right when the lone mention's true person is
the true person of one of the mentions of the person it joined. With a world's truth, the
pairs missed and put together wrongly are also counted by the kind of their two mentions
(full name, initials, a given name, surname or street name alone, an associate known only by
a name, no name: `kinds_table`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from casereview.link import stage
from casereview.link.cluster import Clustering
from casereview.link.evaluate import pairwise
from casereview.link.frame import HANDLE_SEPARATOR, handle_list
from casereview.link.placement import attach_bare_names
from casereview.link.spark_stage import LEAN_COLUMNS

MAIN = "bfb50e6"


def _main_attach() -> types.FunctionType:
    """Main's `attach_bare_names`, from git."""
    here = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "-C", str(here), "show", f"{MAIN}:src/casereview/link/placement.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("main_placement")
    sys.modules["main_placement"] = module  # dataclasses look their module up
    exec(compile(source, "main_placement.py", "exec"), module.__dict__)
    return module.attach_bare_names


def _link(store: str, world: str, keep: Path) -> None:
    from bench_link_1m import _full_names
    from link_synth_eval import truth_by_mention_id

    from casereview.link.frame import build_frame, load_mention_rows
    from casereview.store.db import make_engine, reading

    engine = make_engine(f"sqlite:///{store}")
    with reading(engine) as conn:
        rows = load_mention_rows(conn)
    frame = build_frame(rows)
    full = _full_names(rows)
    del rows
    truth = truth_by_mention_id(engine, Path(world))
    taken: dict[str, dict[int, int]] = {}
    real = stage.attach_bare_names

    def before(frame: pd.DataFrame, clustering: Clustering, judgements: object = ()) -> int:
        taken["labels"] = dict(clustering.labels)
        return real(frame, clustering, judgements)  # type: ignore[arg-type]

    stage.attach_bare_names = before  # type: ignore[assignment]
    stage.predict_persons(frame, detail=False, progress=lambda m: print("  ..", m, flush=True))
    keep.mkdir(parents=True, exist_ok=True)
    lean = frame[[c for c in LEAN_COLUMNS if c in frame.columns]].copy()
    ids = lean["unique_id"].to_numpy(dtype=np.int64)
    # The phones as plain lists (what the analysis reads) and each mention's online handles
    # (objects used by it).
    lean["phone_values"] = frame["phones"].map(
        lambda v: list(v) if isinstance(v, list | tuple) and len(v) else None
    )
    lean["handles"] = _handles(engine, ids)
    # The frame's own `handles` (read by the stage's query) against the objects read here.
    read = [handle_list(v) or None for v in frame["handles"].tolist()]
    differ = sum(
        (tuple(a) if a else None) != b for a, b in zip(lean["handles"].tolist(), read, strict=True)
    )
    print(f"  handles: {sum(b is not None for b in read)} mentions carry one; {differ} differ")
    lean["label"] = [taken["labels"].get(int(i), int(i)) for i in ids]
    lean["truth"] = [truth.get(int(i)) for i in ids]
    lean["full_name"] = np.isin(ids, full)
    lean["role"], lean["noise"], lean["true_family"] = _facts(engine, Path(world), ids)
    lean.to_parquet(keep / "frame.parquet")


def _handles(engine: Any, ids: np.ndarray) -> list[Any]:
    """Per mention id: the online handles the store attaches to it (None for none)."""
    from sqlalchemy import select

    from casereview.model.tables import objects, record_objects
    from casereview.store.db import reading

    with reading(engine) as conn:
        rows = conn.execute(
            select(record_objects.c.mention_id, objects.c.value)
            .join(objects, objects.c.id == record_objects.c.object_id)
            .where(objects.c.kind == "online_id", record_objects.c.mention_id.is_not(None))
        ).all()
    found: dict[int, list[str]] = {}
    for mention, value in rows:
        found.setdefault(int(mention), []).append(str(value))
    return [sorted(set(found[i])) if i in found else None for i in ids.tolist()]


def _facts(engine: Any, world: Path, ids: np.ndarray) -> tuple[list[Any], list[Any], list[Any]]:
    """Per mention id: its role (the store's), the world's noise codes for it
    (truth/mention_noise.csv) and its true person's family name (truth/persons.csv)."""
    from sqlalchemy import select

    from casereview.model.tables import mentions, sources
    from casereview.store.db import reading

    truth = pd.read_csv(world / "truth" / "mentions.csv", dtype=str)
    noise = pd.read_csv(world / "truth" / "mention_noise.csv", dtype=str)
    persons = pd.read_csv(world / "truth" / "persons.csv", dtype=str)
    facts = truth.merge(noise, on=["source", "mention_key"], how="left").merge(
        persons[["person_id", "family_name"]], on="person_id", how="left"
    )
    with reading(engine) as conn:
        rows = pd.DataFrame(
            conn.execute(
                select(mentions.c.id, sources.c.name, mentions.c.mention_key, mentions.c.role).join(
                    sources, sources.c.id == mentions.c.source_id
                )
            ).all(),
            columns=["id", "source", "mention_key", "role"],
        )
    rows = rows.merge(facts, on=["source", "mention_key"], how="left").set_index("id")
    rows = rows.reindex(ids)
    return rows["role"].tolist(), rows["noise"].tolist(), rows["family_name"].tolist()


def _figures(labels: dict[int, int], truth: dict[int, str], named: dict[int, str]) -> str:
    a, n = pairwise(labels, truth), pairwise(labels, named)
    return (
        f"all P {a.precision:.4f} R {a.recall:.4f} F1 {a.f1:.4f}; "
        f"full names P {n.precision:.4f} R {n.recall:.4f} F1 {n.f1:.4f}"
    )


def _kinds(frame: pd.DataFrame, before: dict[int, int], after: dict[int, int]) -> str:
    """How many lone mentions of each kind were joined, and how many rightly."""
    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    truth = frame["truth"].tolist()
    members_after: dict[int, list[int]] = {}
    for i in ids.tolist():
        members_after.setdefault(after[i], []).append(i)
    named = frame["forename_std"].notna() & frame["surname_std"].notna()
    evidence = np.zeros(len(frame), dtype=bool)
    for col in ("dob", "yob_lo", "postcode", "address", "phones", "identifier", "strong_id"):
        if col in frame.columns:
            evidence |= frame[col].notna().to_numpy()
    size = pd.Series(list(before.values())).value_counts()
    world_kinds = mention_kinds(frame) if "noise" in frame.columns else None
    counts: dict[str, list[int]] = {}
    for pos, i in enumerate(ids.tolist()):
        if size[before[i]] > 1:
            continue
        # A lone mention now in a person with others.
        mates = [m for m in members_after[after[i]] if m != i]
        if not mates:
            continue
        kind = (
            "bare full name"
            if named[pos] and not evidence[pos]
            else "full name with evidence"
            if named[pos]
            else "surname alone"
            if pd.notna(frame["surname_std"].iat[pos])
            else "other"
        )
        if world_kinds is not None:  # what the world says the mention is
            kind = f"{kind} ({KINDS[world_kinds[pos]]})"
        right = truth[pos] in {truth[int(np.searchsorted(ids, m))] for m in mates}
        c = counts.setdefault(kind, [0, 0])
        c[0] += 1
        c[1] += right
    return "\n    ".join(
        f"{k}: {n} joined, {r} rightly" for k, (n, r) in sorted(counts.items())
    )


KINDS = (
    "full name",
    "initials",
    "given name only",
    "surname only",
    "street name",
    "name-only associate",
    "no name",
)


def mention_kinds(frame: pd.DataFrame) -> np.ndarray:
    """Each mention's kind (an index into KINDS), by what the store holds of its name and,
    for a name of one word, what the world says it is (its noise codes, its person's family
    name): a one-word name stored as a surname may be a given name (a one-field "Igor")."""
    fore = frame["forename_std"].to_numpy(dtype=object)
    sur = frame["surname_std"].to_numpy(dtype=object)
    noise = frame["noise"].fillna("").astype(str).to_numpy()
    family = frame["true_family"].fillna("").astype(str).str.lower().to_numpy()
    out = np.zeros(len(frame), dtype=np.int64)
    for pos in range(len(frame)):
        f, s = fore[pos], sur[pos]
        f, s = (f if pd.notna(f) else None), (s if pd.notna(s) else None)
        codes = noise[pos].split(";")
        if f is not None and s is not None:
            one_letter = len(str(f)) == 1 or len(str(s)) == 1
            out[pos] = KINDS.index("initials" if one_letter else "full name")
        elif f is None and s is None:
            out[pos] = KINDS.index("no name")
        elif "name_only" in codes:
            out[pos] = KINDS.index("name-only associate")
        elif "alias" in codes:
            out[pos] = KINDS.index("street name")
        else:
            word = str(f if f is not None else s)
            is_family = bool(family[pos]) and word[:3] == family[pos][:3]
            out[pos] = KINDS.index("surname only" if is_family else "given name only")
    return out


def _pair_counts(group: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """pairs[a, b] (a <= b): the pairs of rows in one group of `group` (integer codes) whose
    kinds are a and b."""
    k = len(KINDS)
    counts = np.bincount(group * k + kind, minlength=(group.max() + 1) * k).reshape(-1, k)
    counts = counts.astype(np.float64)
    pairs = counts.T @ counts
    pairs[np.diag_indices(k)] = (counts * (counts - 1) / 2).sum(axis=0)
    return np.triu(pairs)


def kinds_table(frame: pd.DataFrame, labels: dict[int, int]) -> str:
    """Pairs missed and pairs put together wrongly, by the kinds of their two mentions, and
    what F1 over all mentions each kind costs (F1 if its missed pairs were found and its
    false pairs left apart, each alone)."""
    known = frame["truth"].notna().to_numpy()
    ids = frame["unique_id"].to_numpy(dtype=np.int64)[known]
    kind = mention_kinds(frame)[known]
    truth = pd.factorize(frame["truth"].to_numpy(dtype=object)[known])[0]
    label = pd.factorize(np.array([labels[int(i)] for i in ids], dtype=np.int64))[0]
    cell = pd.factorize(truth.astype(np.int64) * (label.max() + 1) + label)[0]
    true_pairs = _pair_counts(truth, kind)
    pred_pairs = _pair_counts(label, kind)
    both = _pair_counts(cell, kind)
    missed, false = true_pairs - both, pred_pairs - both
    tp, fn, fp = both.sum(), missed.sum(), false.sum()

    def f1(tp: float, fn: float, fp: float) -> float:
        return 2 * tp / (2 * tp + fn + fp)

    base = f1(tp, fn, fp)
    lines = [
        f"  all mentions: {int(tp)} pairs right, {int(fn)} missed, {int(fp)} false; F1 {base:.4f}",
        "  | kind | mentions | missed pairs touching it | false pairs touching it "
        "| F1 if its misses found | F1 if its false pairs apart |",
        "  | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    counts = np.bincount(kind, minlength=len(KINDS))
    for k, name in enumerate(KINDS):
        touch = np.zeros_like(missed, dtype=bool)
        touch[k, :] = touch[:, k] = True
        m, f = missed[touch].sum(), false[touch].sum()
        lines.append(
            f"  | {name} | {counts[k]:,} | {int(m):,} | {int(f):,} "
            f"| {f1(tp + m, fn - m, fp):.4f} | {f1(tp, fn, fp - f):.4f} |"
        )
    lines.append("  pairs of kinds (missed / false), largest missed first:")
    order = sorted(
        ((a, b) for a in range(len(KINDS)) for b in range(a, len(KINDS))),
        key=lambda ab: -missed[ab],
    )
    for a, b in order:
        if missed[a, b] or false[a, b]:
            lines.append(
                f"    {KINDS[a]} ~ {KINDS[b]}: {int(missed[a, b]):,} / {int(false[a, b]):,}"
            )
    return "\n".join(lines)


def _why_left(frame: pd.DataFrame, after: dict[int, int]) -> str:
    """Why the full-name mentions still alone after placing (whose true person is mentioned
    again) were not placed: the step of `attach_bare_names` that stopped each."""
    from casereview.link.placement import _Company, _Years

    ids = frame["unique_id"].to_numpy(dtype=np.int64)
    label = np.array([after[int(i)] for i in ids], dtype=np.int64)
    size = pd.Series(label).value_counts()
    truth = frame["truth"].to_numpy(dtype=object)
    truth_size = pd.Series(truth).value_counts()
    fore = frame["forename_std"].to_numpy(dtype=object)
    sur = frame["surname_std"].to_numpy(dtype=object)
    named = pd.notna(fore) & pd.notna(sur)
    key = np.array([f"{f}|{s}" if n else "" for f, s, n in zip(fore, sur, named, strict=True)])
    record = pd.to_numeric(frame["record_id"], errors="coerce").to_numpy(dtype=float)
    at = pd.Series(label).groupby(label).indices
    company = _Company(record, label, at)
    years = _Years(frame)
    # The persons (labels) of each true person's mentions, and of each full name.
    persons_of_truth: dict[str, set[int]] = {}
    for t, lab in zip(truth.tolist(), label.tolist(), strict=True):
        persons_of_truth.setdefault(t, set()).add(lab)
    holders: dict[str, set[int]] = {}
    for k, lab in zip(key[named].tolist(), label[named].tolist(), strict=True):
        holders.setdefault(k, set()).add(lab)
    reasons: dict[str, int] = {}
    lone = (pd.Series(label).map(size).to_numpy() == 1) & named
    for pos in np.flatnonzero(lone):
        t = truth[pos]
        if t is None or truth_size[t] < 2:
            continue
        own = int(label[pos])
        mine = persons_of_truth[t] - {own}
        same_name = holders.get(key[pos], set()) - {own}
        if not mine & same_name:
            why = "its person's other mentions carry another full name"
        elif not company.named_with(int(pos), own):
            why = "its record names no one else"
        else:
            sharing = company.sharing(company.named_with(int(pos), own), same_name)
            if not sharing & mine:
                why = "its person is not named with anyone its record names"
            elif len(sharing) > 1:
                near = {p for p in sharing if years.near(int(pos), at[p])}
                why = "two or more of that name named with its company" + (
                    " (one left by the year)" if len(near) == 1 else ""
                )
            elif not years.near(int(pos), at[next(iter(sharing))]):
                why = "years of birth apart"
            else:
                why = "other (same record, judgement, borough)"
        reasons[why] = reasons.get(why, 0) + 1
    return "; ".join(f"{k}: {n}" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store")
    parser.add_argument("--world")
    parser.add_argument("--keep", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=0, help="then time both functions this many times more"
    )
    args = parser.parse_args()
    if not args.reuse:
        _link(args.store, args.world, args.keep)
    frame = pd.read_parquet(args.keep / "frame.parquet")
    frame["forename_keys"] = frame["forename_keys"].map(
        lambda v: list(v) if v is not None else None
    )
    ids = frame["unique_id"].to_numpy(dtype=np.int64).tolist()
    before = dict(zip(ids, frame["label"].astype("int64").tolist(), strict=True))
    truth = {i: t for i, t in zip(ids, frame["truth"].tolist(), strict=True) if t is not None}
    full = frame["full_name"].tolist()
    named = {i: truth[i] for i, f in zip(ids, full, strict=True) if f and i in truth}
    lean = frame.drop(
        columns=[
            c
            for c in (
                "label",
                "truth",
                "full_name",
                "role",
                "noise",
                "true_family",
                "phone_values",
                "handles",
            )
            if c in frame.columns
        ]
    )
    if "phone_values" in frame.columns:  # the phones themselves, as the stage's frame has them
        lean["phones"] = frame["phone_values"].map(lambda v: list(v) if v is not None else None)
    if "handles" in frame.columns:  # the handles, as the stage's frame has them (one text)
        lean["handles"] = frame["handles"].map(
            lambda v: HANDLE_SEPARATOR.join(sorted(v)) if v is not None and len(v) else None
        )
    print(f"{len(frame)} mentions")
    print(f"  before placing lone mentions: {_figures(before, truth, named)}")
    if "noise" in frame.columns:
        print(kinds_table(frame, before))
    main_attach = _main_attach()
    for name, attach in ((f"main {MAIN}", main_attach), ("this checkout", attach_bare_names)):
        clustering = Clustering(labels=dict(before))
        started = time.perf_counter()
        joined = attach(lean, clustering)
        seconds = time.perf_counter() - started
        after = clustering.labels
        print(f"  {name}: {joined} joined in {seconds:.1f} s; {_figures(after, truth, named)}")
        print(f"    {_kinds(frame, before, after)}")
        for note in clustering.notes:
            print(f"    {note}")
        if "noise" in frame.columns:
            print(kinds_table(frame, after))
    print(f"  full names still alone, their person mentioned again: {_why_left(frame, after)}")
    for _ in range(args.rounds):
        for name, attach in ((f"main {MAIN}", main_attach), ("this checkout", attach_bare_names)):
            clustering = Clustering(labels=dict(before))
            started = time.perf_counter()
            attach(lean, clustering)
            print(f"  {name}: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
