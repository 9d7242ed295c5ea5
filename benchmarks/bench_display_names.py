"""`stage._display_names` at a million mentions, against the way it was (a dict keyed by each
mention's name triple), in one process: CPU seconds of each, and the two results compared.

The mentions of a linked store (any size) are tiled to about `--mentions` rows; each tile's
surnames get a suffix of their own (the 1M store has about 500,000 distinct written names).

    .venv/bin/python benchmarks/bench_display_names.py STORE.db [--mentions 980000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from casereview.link.stage import _display_names, most_written
from casereview.model.tables import mention_person, mentions
from casereview.store.db import make_engine, reading
from casereview.values.display_name import written_name


def before(rows: pd.DataFrame, person: np.ndarray) -> dict[int, str]:
    """`_display_names` at the start of the seventh session (main 3fe34c1)."""
    written: dict[tuple[Any, Any, Any], str | None] = {}
    names = []
    for triple in zip(
        rows["forenames"].tolist(), rows["surname"].tolist(), rows["name_raw"].tolist(), strict=True
    ):
        if triple not in written:
            written[triple] = written_name(*triple)
        names.append(written[triple])
    code, distinct = pd.factorize(pd.Series(names, dtype="object"), sort=True)
    return most_written(np.asarray(person, dtype=np.int64), code, distinct.tolist())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--mentions", type=int, default=980_000)
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.store}")
    with reading(engine) as conn:
        rows = pd.DataFrame(
            conn.execute(
                select(
                    mentions.c.id, mentions.c.forenames, mentions.c.surname, mentions.c.name_raw
                ).order_by(mentions.c.id)
            ).all(),
            columns=["mention_id", "forenames", "surname", "name_raw"],
        )
        person = dict(
            conn.execute(select(mention_person.c.mention_id, mention_person.c.person_id)).all()
        )
    tiles = max(1, args.mentions // len(rows))
    pid = rows["mention_id"].map(person).to_numpy(dtype=np.int64)
    offset = int(pid.max()) + 1
    parts, pids = [], []
    for t in range(tiles):
        part = rows.copy()
        part["surname"] = [None if s is None else f"{s}{t}" for s in part["surname"].tolist()]
        parts.append(part)
        pids.append(pid + t * offset)
    big = pd.concat(parts, ignore_index=True)
    people = np.concatenate(pids)
    print(f"{len(big)} mentions ({tiles} tiles of {len(rows)}), {len(np.unique(people))} persons")
    for name, fn in (
        ("before", before),
        ("after", _display_names),
        ("before", before),
        ("after", _display_names),
    ):
        t0 = time.process_time()
        got = fn(big, people)
        print(f"{name}: {time.process_time() - t0:.2f} s CPU")
        if name == "before":
            old = got
        else:
            print("  identical" if got == old else "  DIFFERENT")


if __name__ == "__main__":
    main()
