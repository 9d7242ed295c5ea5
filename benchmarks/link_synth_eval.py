"""Helpers of the linkage benchmarks: a synthetic world loaded through the real mappings, its
truth against a linked store, and scores over parts of the mentions (a role, full names)."""

from __future__ import annotations

import csv
import os
import subprocess
import time
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from casereview.link.evaluate import Scores, blocking_recall
from casereview.link.frame import build_frame, guard_blocks, load_mention_rows, select_blocking_keys
from casereview.link.stage import LinkResult, run_link
from casereview.model.tables import mention_person, mentions, sources
from casereview.settings import get_settings
from casereview.store.db import reading

SOURCES = ("met_crime", "met_intel", "la_csc", "met_missing")
ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "casereview")


def synth_and_ingest(
    folder: Path, *, cases: int, seed: int, profile: str | None = None
) -> tuple[Path, Path]:
    """`casereview synth` a world into FOLDER/world and import its four sources with the
    mappings in mappings/ into a fresh SQLite store FOLDER/store.db, as a team would.
    Returns (world directory, store path)."""
    world, db = folder / "world", folder / "store.db"
    env = dict(os.environ, CASEREVIEW_DATABASE_URL=f"sqlite:///{db}")
    synth = [CLI, "synth", "--cases", str(cases), "--seed", str(seed), "--out", str(world)]
    if profile is not None:
        synth += ["--profile", profile]
    subprocess.run(synth, check=True, env=env, capture_output=True)
    subprocess.run([CLI, "init"], check=True, env=env, capture_output=True)
    for source in SOURCES:
        mapping = str(ROOT / "mappings" / f"{source}.yaml")
        subprocess.run(
            [CLI, "ingest", mapping, "--data-dir", str(world)],
            check=True,
            env=env,
            capture_output=True,
        )
    return world, db


def truth_by_mention_id(engine: Engine, world: Path) -> dict[int, str]:
    """mention id -> true person id, from DIR/truth/mentions.csv (source, mention_key, person_id)."""
    with (world / "truth" / "mentions.csv").open(newline="") as handle:
        truth = {(r["source"], r["mention_key"]): r["person_id"] for r in csv.DictReader(handle)}
    with reading(engine) as conn:
        rows = conn.execute(
            select(mentions.c.id, sources.c.name, mentions.c.mention_key).join(
                sources, sources.c.id == mentions.c.source_id
            )
        ).all()
    return {int(i): truth[(s, k)] for i, s, k in rows if (s, k) in truth}


def timed_link(engine: Engine) -> tuple[LinkResult, float, dict[int, int]]:
    """Run the whole link stage on the store: its result, its seconds, mention -> person."""
    started = time.perf_counter()
    result = run_link(engine)
    seconds = time.perf_counter() - started
    return result, seconds, predicted_by_mention_id(engine)


def predicted_by_mention_id(engine: Engine) -> dict[int, int]:
    with reading(engine) as conn:
        return dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )


def store_blocking_recall(
    engine: Engine, truth: Mapping[int, Hashable]
) -> tuple[float, int, pd.DataFrame]:
    """Blocking recall of the store's mentions as the link stage blocks them (its settings'
    keys, after the skewed-block guard), the number of true pairs, and the frame."""
    with reading(engine) as conn:
        frame = build_frame(load_mention_rows(conn))
    link = get_settings().link
    frame = select_blocking_keys(frame, addresses=link.compare_addresses)
    guard_blocks(frame, link.max_block_size)
    recall, n_true = blocking_recall(frame, truth)
    return recall, n_true, frame


@dataclass(frozen=True)
class MentionFacts:
    """What the store says of each mention, to score parts of the mentions."""

    role: dict[int, str]
    full_name: set[int]  # mentions with both a forename and a surname


def mention_facts(engine: Engine) -> MentionFacts:
    with reading(engine) as conn:
        rows = conn.execute(
            select(mentions.c.id, mentions.c.role, mentions.c.forenames, mentions.c.surname)
        ).all()
    role = {int(i): str(r) for i, r, _, _ in rows}
    full = {int(i) for i, _, f, s in rows if (f or "").strip() and (s or "").strip()}
    return MentionFacts(role, full)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def touching(
    pred: Mapping[int, Hashable], truth: Mapping[int, Hashable], focus: Collection[int]
) -> tuple[Scores, Scores, int]:
    """Scores of the mentions in `focus` within the whole clustering: pairwise over the
    pairs with at least one `focus` mention (an associate joined to the suspect they are
    counts for associates), B-cubed averaged over the `focus` mentions. Also how many
    `focus` mentions were scored. Over every mention these are `pairwise` and `bcubed`."""
    keys = [k for k in truth if k in pred]
    df = pd.DataFrame({"p": [pred[k] for k in keys], "t": [truth[k] for k in keys]})
    df["focus"] = pd.Series([k in focus for k in keys], dtype=bool)
    cell = df.groupby(["p", "t"])["p"].transform("size")
    p_size = df.groupby("p")["p"].transform("size")
    t_size = df.groupby("t")["t"].transform("size")

    def pairs_touching(by: list[str]) -> int:
        """Pairs inside groups of `by` with at least one focus mention: all pairs minus
        the pairs of two non-focus mentions."""
        sizes = df.groupby(by).agg(n=("focus", "size"), f=("focus", "sum"))
        rest = sizes["n"] - sizes["f"]
        return int((sizes["n"] * (sizes["n"] - 1) // 2 - rest * (rest - 1) // 2).sum())

    both, in_pred, in_truth = (pairs_touching(b) for b in (["p", "t"], ["p"], ["t"]))
    pp = both / in_pred if in_pred else 1.0
    pr = both / in_truth if in_truth else 1.0
    mine = df["focus"]
    n = int(mine.sum())
    bp = float((cell / p_size)[mine].mean()) if n else 1.0
    br = float((cell / t_size)[mine].mean()) if n else 1.0
    return Scores(pp, pr, _f1(pp, pr)), Scores(bp, br, _f1(bp, br)), n
