"""Names written in a non-Latin script on synthetic worlds: how many mentions, how many of
their true pairs the linkage misses (the ceiling of any script rule).

For each DIR (holding store.db and world/, e.g. from `link_synth_eval.synth_and_ingest`):
the full-name mentions whose forenames or surname hold letters of another script, by script;
the true pairs with at least one of them, and those `predict_persons` leaves apart; and the
full-name pairwise scores.

    .venv/bin/python benchmarks/analyse_link_scripts.py DIR...
    .venv/bin/python benchmarks/analyse_link_scripts.py --build --cases 3000 --root ROOT
        (first synthesises and imports ROOT/<profile>-<seed> for the 3 x 3 worlds)
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from link_synth_eval import mention_facts, synth_and_ingest, truth_by_mention_id
from sqlalchemy import select

from casereview.link.context import load_record_links
from casereview.link.evaluate import pairwise
from casereview.link.frame import build_frame, load_mention_rows
from casereview.link.stage import predict_persons
from casereview.model.tables import mentions
from casereview.store.db import make_engine, reading


def script_of(text: str | None) -> str | None:
    """The first non-Latin script among the letters of `text` (by Unicode name), or None."""
    for char in text or "":
        if char.isalpha() and not char.isascii():
            name = unicodedata.name(char, "")
            word = name.split()[0] if name else "?"
            if word != "LATIN":
                return {"CJK": "han"}.get(word, word.lower())
    return None


def analyse(folder: Path) -> None:
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    truth = truth_by_mention_id(engine, folder / "world")
    facts = mention_facts(engine)
    with reading(engine) as conn:
        written = conn.execute(select(mentions.c.id, mentions.c.forenames, mentions.c.surname))
        script = {
            int(i): s
            for i, f, n in written
            if (s := script_of(f) or script_of(n)) is not None and int(i) in facts.full_name
        }
        rows = load_mention_rows(conn)
        links = load_record_links(conn)
    labels = predict_persons(build_frame(rows), detail=False, record_links=links).clustering.labels
    named = {k: v for k, v in truth.items() if k in facts.full_name}
    by_person: dict[str, list[int]] = {}
    for k, t in named.items():
        by_person.setdefault(t, []).append(k)
    pairs: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for members in by_person.values():
        if not any(m in script for m in members):
            continue
        for a, b in combinations(members, 2):
            if a not in script and b not in script:
                continue
            kind = script.get(a) or script.get(b) or "?"
            if a in script and b in script:
                kind += " (both)"
            pairs[kind] += 1
            if labels[a] != labels[b]:
                missed[kind] += 1
    f = pairwise(labels, named)
    n_pairs = sum(len(m) * (len(m) - 1) // 2 for m in by_person.values())
    print(
        f"{folder.name}: full-name mentions {len(named)}, in another script "
        f"{len(script)} ({dict(Counter(script.values()))}); true pairs {n_pairs}, "
        f"with a script mention {sum(pairs.values())}, missed {sum(missed.values())} "
        f"{dict(missed)}; full names P {f.precision:.4f} R {f.recall:.4f} F1 {f.f1:.4f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--root", type=Path)
    parser.add_argument("--cases", type=int, default=3000)
    args = parser.parse_args()
    folders = list(args.dirs)
    if args.build:
        for profile in ("sparse", "typical", "clean"):
            for seed in (1, 2, 3):
                folder = args.root / f"{profile}-{seed}"
                if not (folder / "store.db").exists():
                    folder.mkdir(parents=True, exist_ok=True)
                    synth_and_ingest(folder, cases=args.cases, seed=seed, profile=profile)
                folders.append(folder)
    for folder in folders:
        analyse(folder)


if __name__ == "__main__":
    main()
