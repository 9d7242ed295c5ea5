"""Storing the explanations of about a million pairs, old form against new, in one process.

The 3,000-case typical world's explained pairs (`predict_persons` on /tmp/s6/w3k/store.db,
built by `casereview synth --cases 3000 --seed 1` and the four mappings) are tiled N times
(default 60: 1,024,380 pairs), each copy with its own mention ids; then, twice each, the
old form (wt-base's `explanations_from_pairs`: the whole JSON per pair) and the new
(`explanation_legend`, `compared_values`, `pair_levels`) are built and written with
executemany into a scratch SQLite file shaped like match_pairs and mention_person (WAL,
synchronous NORMAL, 256 MiB cache, as the stage writes; no foreign keys), committed and
checkpointed. Prints CPU and wall seconds, the CPU of building the texts, and the file size.

    .venv/bin/python benchmarks/bench_explain_store.py 60
"""

import importlib.util
import itertools
import os
import sqlite3
import sys
import time

import numpy as np
import pandas as pd

from casereview.link.context import load_record_links
from casereview.link.explain import compared_values, explanation_legend, pair_levels
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import predict_persons
from casereview.model.serial import canonical_json
from casereview.store.db import make_engine, reading

spec = importlib.util.spec_from_file_location(
    "base_explain", "/work/wt-base/src/casereview/link/explain.py"
)
base = importlib.util.module_from_spec(spec)
sys.modules["base_explain"] = base
spec.loader.exec_module(base)

engine = make_engine("sqlite:////tmp/s6/w3k/store.db")
with reading(engine) as conn:
    rows = load_mention_rows(conn)
    links = load_record_links(conn)
pred = predict_persons(build_frame(rows), record_links=links)
one = pred.pairs.reset_index(drop=True)
copies = int(sys.argv[1]) if len(sys.argv) > 1 else 60
parts = []
for k in range(copies):
    p = one.copy(deep=False)
    p["unique_id_l"] = p["unique_id_l"].astype("int64") + k * 1_000_000
    p["unique_id_r"] = p["unique_id_r"].astype("int64") + k * 1_000_000
    parts.append(p)
pairs = pd.concat(parts, ignore_index=True)
model = pred.model_json
print(f"{len(pairs)} pairs, {copies} copies", flush=True)
SLICE = 50_000


def db(path):
    for x in (path, path + "-wal", path + "-shm"):
        if os.path.exists(x):
            os.remove(x)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=NORMAL")
    c.execute("PRAGMA cache_size=-262144")
    c.execute(
        "create table match_pairs(mention_a_id integer not null, mention_b_id integer not null, match_weight real not null, match_probability real not null, levels text, comparison text, run_id integer not null, unique(mention_a_id, mention_b_id))"
    )
    c.execute("create index ix_b on match_pairs(mention_b_id)")
    c.execute(
        "create table mention_person(mention_id integer not null, person_id integer not null, match_probability real, match_weight real, run_id integer not null, compared text, unique(mention_id))"
    )
    c.execute("create index ix_p on mention_person(person_id)")
    return c


ids_all = np.unique(
    np.concatenate(
        [pairs["unique_id_l"].to_numpy(np.int64), pairs["unique_id_r"].to_numpy(np.int64)]
    )
)


def old():
    c = db("/tmp/s6/old.db")
    t0 = time.process_time()
    w0 = time.perf_counter()
    build = 0.0
    c.execute("begin")
    c.executemany(
        "insert into mention_person values (?,?,?,?,?,?)",
        ((int(m), int(m), 0.9, 7.0, 1, None) for m in ids_all),
    )
    for s in range(0, len(pairs), SLICE):
        part = pairs.iloc[s : s + SLICE]
        b = time.process_time()
        texts = base.explanations_from_pairs(part, model)
        build += time.process_time() - b
        c.executemany(
            "insert into match_pairs values (?,?,?,?,?,?,?)",
            zip(
                part["unique_id_l"].astype("int64").tolist(),
                part["unique_id_r"].astype("int64").tolist(),
                part["match_weight"].astype(float).tolist(),
                part["match_probability"].astype(float).tolist(),
                itertools.repeat(None),
                texts,
                itertools.repeat(1),
            ),
        )
    c.execute("commit")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return (
        time.process_time() - t0,
        time.perf_counter() - w0,
        build,
        os.path.getsize("/tmp/s6/old.db"),
    )


def new():
    c = db("/tmp/s6/new1m.db")
    t0 = time.process_time()
    w0 = time.perf_counter()
    b = time.process_time()
    canonical_json(explanation_legend(pairs, model))
    shown_ids, shown = compared_values(pairs, model)
    build = time.process_time() - b
    c.execute("begin")
    c.executemany(
        "insert into mention_person values (?,?,?,?,?,?)",
        zip(
            shown_ids.tolist(),
            shown_ids.tolist(),
            itertools.repeat(0.9),
            itertools.repeat(7.0),
            itertools.repeat(1),
            shown,
        ),
    )
    del shown
    for s in range(0, len(pairs), SLICE):
        part = pairs.iloc[s : s + SLICE]
        b = time.process_time()
        levels = pair_levels(part, model)
        build += time.process_time() - b
        c.executemany(
            "insert into match_pairs values (?,?,?,?,?,?,?)",
            zip(
                part["unique_id_l"].astype("int64").tolist(),
                part["unique_id_r"].astype("int64").tolist(),
                part["match_weight"].astype(float).tolist(),
                part["match_probability"].astype(float).tolist(),
                levels,
                itertools.repeat(None),
                itertools.repeat(1),
            ),
        )
    c.execute("commit")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return (
        time.process_time() - t0,
        time.perf_counter() - w0,
        build,
        os.path.getsize("/tmp/s6/new1m.db"),
    )


for name, fn in (("old", old), ("new", new), ("old", old), ("new", new)):
    cpu, wall, build, size = fn()
    print(
        f"{name}: cpu {cpu:.1f} s, wall {wall:.1f} s, of which texts (cpu) {build:.1f} s; store {size / 2**20:.0f} MiB; {os.getloadavg()}",
        flush=True,
    )
for f in ("/tmp/s6/old.db", "/tmp/s6/new1m.db"):
    os.remove(f)
