"""Generate the world chunk by chunk and stream the exports and the truth to disk.

Memory is bounded by one chunk per worker (plus a small window of finished
chunks waiting to be written), whatever --cases is. Chunks are written in
index order, so the output is byte-identical for a seed whatever the number
of workers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from casereview.errors import ConfigError
from casereview.synth.config import CHUNK_CASES, GENERATOR_VERSION, SynthConfig
from casereview.synth.entities import LA_CSC, MET_CRIME, MET_INTEL, MET_MISSING, SOURCES
from casereview.synth.failures import find_failures
from casereview.synth.noise import MentionNoise
from casereview.synth.render import HEADERS, render_chunk
from casereview.synth.stories import build_chunk
from casereview.synth.world import ChunkWorld

__all__ = ["TRUTH_HEADERS", "SynthSummary", "generate_world"]

TRUTH_HEADERS: dict[str, list[str]] = {
    "truth/mentions.csv": ["source", "mention_key", "person_id"],
    "truth/mention_noise.csv": ["source", "mention_key", "noise"],
    "truth/persons.csv": [
        "person_id",
        "kind",
        "sex",
        "birth_date",
        "given_name",
        "family_name",
        "middle_names",
        "household_id",
        "pnc_id",
    ],
    "truth/groups.csv": ["group_id", "person_id", "role"],
    "truth/records.csv": ["source", "record_ref", "is_cse", "typology", "group_id"],
    "truth/failures.csv": ["source", "record_ref", "code", "person_id"],
}
JSONL_FILE = "la_csc/referrals.jsonl"
_SEX_WORDS = {"F": "female", "M": "male"}

ProgressFn = Callable[[int, int], None]


@dataclass(slots=True)
class ChunkOutput:
    """A finished chunk: text to append to each file, and its counts."""

    texts: dict[str, str]
    counts: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class SynthSummary:
    """What a run wrote: where, with which settings, and how much of everything."""

    out_dir: Path
    config: SynthConfig
    chunks: int
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (also the `counts` part of the manifest)."""
        return {
            "out_dir": str(self.out_dir),
            "seed": self.config.seed,
            "cases": self.config.cases,
            "chunks": self.chunks,
            "counts": self.counts,
        }


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def build_chunk_output(config: SynthConfig, chunk: int) -> ChunkOutput:
    """Generate, render and judge one chunk (runs in a worker process)."""
    cases = min(CHUNK_CASES, config.cases - chunk * CHUNK_CASES)
    world = build_chunk(ChunkWorld(config.seed, chunk, cases, config.failures, config.noise))
    # Not for security: a reproducible stream for synthetic data.
    noise_rng = random.Random(f"casereview-synth-noise:{config.seed}:{chunk}")  # noqa: S311
    noise = MentionNoise(noise_rng, config.noise)
    rows = render_chunk(world, noise)
    failures = find_failures(world)

    records = []
    for recs in (world.crimes, world.intel, world.referrals, world.missing):
        for rec in recs:
            records.append(
                [
                    rec.source,
                    rec.ref,
                    "1" if rec.is_cse else "0",
                    ";".join(rec.typology),
                    rec.group_id,
                ]
            )
    mentioned = {row[2] for row in rows.mentions}
    persons = [
        [
            p.pid,
            p.kind,
            _SEX_WORDS[p.sex],
            p.birth.isoformat(),
            p.given,
            p.family,
            p.middle,
            p.household,
            p.pnc,
        ]
        for p in world.persons
        if p.pid in mentioned
    ]
    groups = []
    for gid, offenders, victims in world.groups:
        groups += [[gid, p.pid, "offender"] for p in offenders]
        groups += [[gid, p.pid, "victim"] for p in victims]

    texts = {name: _csv_text(rows.csv[name]) for name in HEADERS}
    texts[JSONL_FILE] = "".join(line + "\n" for line in rows.jsonl)
    texts["truth/mentions.csv"] = _csv_text(rows.mentions)
    texts["truth/mention_noise.csv"] = _csv_text(rows.noise)
    texts["truth/persons.csv"] = _csv_text(persons)
    texts["truth/groups.csv"] = _csv_text(groups)
    texts["truth/records.csv"] = _csv_text(records)
    texts["truth/failures.csv"] = _csv_text([list(f) for f in failures])

    counts: Counter[str] = Counter()
    for source, recs in (
        (MET_CRIME, world.crimes),
        (MET_INTEL, world.intel),
        (LA_CSC, world.referrals),
        (MET_MISSING, world.missing),
    ):
        counts[f"records.{source}"] += len(recs)
        counts[f"cse_records.{source}"] += sum(r.is_cse for r in recs)
    for source, _, _ in rows.mentions:
        counts[f"mentions.{source}"] += 1
    counts["persons"] += len(persons)
    counts["groups"] += len(world.groups)
    for _, _, code, _ in failures:
        counts[f"failures.{code}"] += 1
    return ChunkOutput(texts, counts)


def _chunk_outputs(config: SynthConfig, chunks: int, workers: int) -> Iterator[ChunkOutput]:
    if workers <= 1 or chunks <= 1:
        for chunk in range(chunks):
            yield build_chunk_output(config, chunk)
        return
    window = workers * 2  # finished chunks held in memory at most
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for start in range(0, chunks, window):
            batch = range(start, min(chunks, start + window))
            yield from pool.map(build_chunk_output, [config] * len(batch), batch)


def default_workers(cases: int) -> int:
    """One process for small worlds; all cores (at most 8) for big ones."""
    if cases <= 20 * CHUNK_CASES:
        return 1
    return max(1, min(8, os.cpu_count() or 1))


def generate_world(
    config: SynthConfig,
    out_dir: Path,
    *,
    workers: int | None = None,
    progress: ProgressFn | None = None,
) -> SynthSummary:
    """Write the four source exports and the truth files for `config` under `out_dir`."""
    chunks = -(-config.cases // CHUNK_CASES)
    workers = default_workers(config.cases) if workers is None else workers
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    files = [*HEADERS, JSONL_FILE, *TRUTH_HEADERS]
    handles: dict[str, IO[str]] = {}
    try:
        for name in files:
            path = out_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            handles[name] = path.open("w", encoding="utf-8", newline="")
            header = HEADERS.get(name) or TRUTH_HEADERS.get(name)
            if header:
                handles[name].write(_csv_text([header]))
        totals: Counter[str] = Counter()
        for done, output in enumerate(_chunk_outputs(config, chunks, workers), start=1):
            for name, text in output.texts.items():
                handles[name].write(text)
            totals.update(output.counts)
            if progress is not None:
                progress(done, chunks)
    except OSError as e:
        raise ConfigError(f"cannot write the synthetic world to {out_dir}: {e}") from e
    finally:
        for handle in handles.values():
            handle.close()
    counts = {key: totals[key] for key in sorted(totals)}
    for source in SOURCES:
        counts.setdefault(f"records.{source}", 0)
        counts.setdefault(f"mentions.{source}", 0)
    counts = dict(sorted(counts.items()))
    summary = SynthSummary(out_dir, config, chunks, counts)
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "chunk_cases": CHUNK_CASES,
        **config.as_dict(),
        "chunks": chunks,
        "counts": counts,
        "files": sorted(files),
    }
    (out_dir / "truth" / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return summary
