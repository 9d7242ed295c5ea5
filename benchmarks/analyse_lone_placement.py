"""Where the lone mentions go: pairwise F1 before `attach_bare_names`, with main's
(75ffaf7) and with this checkout's, and how often each kind of placement was right.

One run of `predict_persons` on a store (its clustering taken just before the lone
mentions are placed, as `predict_persons` makes it), saved under --keep so that later runs
(`--reuse`) try the placements again without linking the store again:

    flock /work/bench/duck1m.lock nice -n 5 .venv/bin/python benchmarks/analyse_lone_placement.py \\
        --store /work/bench/link_1m/store.db --world /work/bench/link_1m/world \\
        --keep /work/bench/linkq10/lone1m
    .venv/bin/python benchmarks/analyse_lone_placement.py --keep /work/bench/linkq10/lone1m --reuse

Main's `attach_bare_names` is read from git (`git show 75ffaf7:src/casereview/link/cluster.py`)
and run on the same clustering. A placement is right when the lone mention's true person is
the true person of one of the mentions of the person it joined.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from casereview.link import stage
from casereview.link.cluster import Clustering
from casereview.link.evaluate import pairwise
from casereview.link.placement import attach_bare_names
from casereview.link.spark_stage import LEAN_COLUMNS, PRESENCE_COLUMNS

MAIN = "75ffaf7"


def _main_attach() -> types.FunctionType:
    """Main's `attach_bare_names`, from git."""
    here = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "-C", str(here), "show", f"{MAIN}:src/casereview/link/cluster.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("main_cluster")
    sys.modules["main_cluster"] = module  # dataclasses look their module up
    exec(compile(source, "main_cluster.py", "exec"), module.__dict__)
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
    for col in PRESENCE_COLUMNS:
        lean[col] = frame[col].map(lambda v: True if isinstance(v, list | tuple) and v else None)
    ids = lean["unique_id"].to_numpy(dtype=np.int64)
    lean["label"] = [taken["labels"].get(int(i), int(i)) for i in ids]
    lean["truth"] = [truth.get(int(i)) for i in ids]
    lean["full_name"] = np.isin(ids, full)
    lean.to_parquet(keep / "frame.parquet")


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
        right = truth[pos] in {truth[int(np.searchsorted(ids, m))] for m in mates}
        c = counts.setdefault(kind, [0, 0])
        c[0] += 1
        c[1] += right
    return "; ".join(f"{k}: {n} joined, {r} rightly" for k, (n, r) in sorted(counts.items()))


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
    lean = frame.drop(columns=["label", "truth", "full_name"])
    print(f"{len(frame)} mentions")
    print(f"  before placing lone mentions: {_figures(before, truth, named)}")
    main_attach = _main_attach()
    for name, attach in (("main 75ffaf7", main_attach), ("this checkout", attach_bare_names)):
        clustering = Clustering(labels=dict(before))
        started = time.perf_counter()
        joined = attach(lean, clustering)
        seconds = time.perf_counter() - started
        after = clustering.labels
        print(f"  {name}: {joined} joined in {seconds:.1f} s; {_figures(after, truth, named)}")
        print(f"    {_kinds(frame, before, after)}")
        for note in clustering.notes:
            print(f"    {note}")
    print(f"  full names still alone, their person mentioned again: {_why_left(frame, after)}")
    for _ in range(args.rounds):
        for name, attach in (("main 75ffaf7", main_attach), ("this checkout", attach_bare_names)):
            clustering = Clustering(labels=dict(before))
            started = time.perf_counter()
            attach(lean, clustering)
            print(f"  {name}: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
