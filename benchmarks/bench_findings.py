"""Findings, indicators, groups and typology against the synthetic world's truth, per profile
and seed, with the real linkage and with oracle linkage (persons from the world's truth).

    .venv/bin/python benchmarks/bench_findings.py [--profiles clean,typical,sparse]
        [--seeds 1,2,3] [--cases 3000] [--write-results]

For each profile and seed: synth, ingest, link; then a copy of the store whose persons are
the world's true persons (oracle linkage); classify, network and review on both. Reported:

- every flag finding and indicator: precision, recall, F1 at (source, record_ref, code);
- offender groups: mean best Jaccard over true groups (offenders only, each true person
  mapped to every store person its mentions resolved to) and the share at Jaccard >= 0.5;
- typology: F1 per label;
- the share of planted missed opportunities (code, true person) surfaced by an item in the
  top 10% of the queue (as benchmarks/bench_review.py counts them).

Truth. The codes the world plants and lists in truth/failures.csv are read from there. The
codes whose meaning issue 16 changed or added are derived here from the stored source values
(flags, factors, dates, links, roles: what the exports say) and the world's true persons and
true CSE status, written from their definitions in docs/rules.md and docs/indicators.md,
independently of the rules' code: missing_cse_flag and wrong_cse_flag on referrals and
assessments as on crimes, police_la_mismatch, la_concern_no_police_record,
police_concern_no_la_record, unlinked_repeat_suspect, named_associate_not_investigated.
Without `--profile` support in `casereview synth` the one current world is measured
("current").
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_classify_network import LABELS, _online_traceable
from bench_review import _truth_persons_by_store_person, queue_items, ranking, write_section

from casereview.classify import run_classify
from casereview.classify.rules import FAMILY_WORDS
from casereview.ingest import ingest_directory
from casereview.link.stage import run_link
from casereview.model.codes import IndicatorCode
from casereview.model.tables import (
    classifications,
    flag_findings,
    group_members,
    groups,
    indicators,
    mention_person,
    mentions,
    person_lineage,
    persons,
    record_links,
    records,
    runs,
    sources,
)
from casereview.network import run_network
from casereview.review.build import build_review
from casereview.store.db import make_engine, reading, writing
from casereview.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
PLANTED = (
    "repeat_missing",
    "repeat_missing_no_referral",
    "closed_despite_group_link",
    "age_gap_partner",
    "victim_treated_as_suspect",
    "shared_object_across_victims",
    "unlinked_intelligence",
)
DERIVED = (
    "missing_cse_flag",
    "wrong_cse_flag",
    "police_la_mismatch",
    "la_concern_no_police_record",
    "police_concern_no_la_record",
    "unlinked_repeat_suspect",
    "named_associate_not_investigated",
)
CODES = DERIVED + PLANTED
FLAG_TYPES = ("crime", "incident", "referral", "assessment")
WINDOW = 365
Key = tuple[str, str]  # (source, record_ref)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def synth(cases: int, seed: int, profile: str, out: Path) -> None:
    cmd = [str(ROOT / ".venv/bin/casereview"), "synth", "--cases", str(cases), "--seed",
           str(seed), "--out", str(out)]  # fmt: skip
    if profile != "current":
        cmd += ["--profile", profile]
    subprocess.run(cmd, check=True, capture_output=True)


def profiles_supported() -> bool:
    helptext = subprocess.run(
        [str(ROOT / ".venv/bin/casereview"), "synth", "--help"], capture_output=True, text=True
    ).stdout
    return "--profile" in helptext


def oracle_persons(engine: Engine, world: Path) -> None:
    """Replace link's persons with the world's true persons (one person per true id)."""
    truth = {
        (r["source"], r["mention_key"]): r["person_id"] for r in _csv(world / "truth/mentions.csv")
    }
    with writing(engine) as conn:
        run_id = conn.execute(
            select(runs.c.id).where(runs.c.stage == "link").order_by(runs.c.id.desc())
        ).scalar_one()
        rows = conn.execute(
            select(mentions.c.id, sources.c.name, mentions.c.mention_key).join(
                sources, sources.c.id == mentions.c.source_id
            )
        ).all()
        ids: dict[str, int] = {}
        links = []
        for mid, name, key in rows:
            true = truth.get((str(name), str(key)), f"unknown:{mid}")
            pid = ids.setdefault(true, len(ids) + 1)
            links.append({"mention_id": mid, "person_id": pid, "match_probability": 1.0,
                          "match_weight": None, "run_id": run_id})  # fmt: skip
        conn.execute(delete(mention_person))
        conn.execute(delete(person_lineage))
        conn.execute(delete(persons))
        counts: dict[int, int] = defaultdict(int)
        for link in links:
            counts[link["person_id"]] += 1
        conn.execute(insert(persons), [
            {"id": pid, "display_name": None, "mention_count": counts[pid], "active": True,
             "first_run_id": run_id, "last_run_id": run_id}
            for pid in sorted(counts)
        ])  # fmt: skip
        conn.execute(insert(mention_person), links)


class World:
    """What the truth needs from a store and the world's truth files (linkage-independent)."""

    def __init__(self, engine: Engine, world: Path) -> None:
        self.path = world
        true_of = {
            (r["source"], r["mention_key"]): r["person_id"]
            for r in _csv(world / "truth/mentions.csv")
        }
        self.birth = {
            r["person_id"]: dt.date.fromisoformat(r["birth_date"])
            for r in _csv(world / "truth/persons.csv")
            if r["birth_date"]
        }
        truth_records = _csv(world / "truth/records.csv")
        self.is_cse = {
            (r["source"], r["record_ref"]): r["is_cse"] in ("1", "True", "true")
            for r in truth_records
        }
        self.typology = {(r["source"], r["record_ref"]): r for r in truth_records}
        self.failures = _csv(world / "truth/failures.csv")
        self.groups: dict[str, set[str]] = defaultdict(set)
        for r in _csv(world / "truth/groups.csv"):
            if r["role"] == "offender":
                self.groups[r["group_id"]].add(r["person_id"])
        with reading(engine) as conn:
            self.rec: dict[int, dict[str, Any]] = {}
            for r in conn.execute(
                select(records.c.id, sources.c.name, sources.c.kind, records.c.source_ref,
                       records.c.record_type, records.c.occurred_at, records.c.cse_flag,
                       records.c.factors).join(sources, sources.c.id == records.c.source_id)
            ):  # fmt: skip
                factors = {str(f).lower() for f in json.loads(r.factors or "[]")}
                self.rec[r.id] = {
                    "key": (str(r.name), str(r.source_ref)), "kind": r.kind, "type": r.record_type,
                    "day": r.occurred_at, "flag": r.cse_flag, "factors": factors,
                    "flagged": bool(r.cse_flag) or "cse" in factors,
                }  # fmt: skip
            self.people: dict[int, list[tuple[str, str]]] = defaultdict(list)  # rid -> (true, role)
            self.associates: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
            for rid, role, name, key, relationship in conn.execute(
                select(mentions.c.record_id, mentions.c.role, sources.c.name, mentions.c.mention_key,
                       mentions.c.relationship)
                .join(sources, sources.c.id == mentions.c.source_id)
            ):  # fmt: skip
                true = true_of.get((str(name), str(key)))
                if true is not None:
                    self.people[int(rid)].append((true, str(role)))
                    rel = (relationship or "").strip().lower()
                    self.associates[int(rid)].append((true, str(role), rel))

            self.links: dict[int, set[int]] = defaultdict(set)
            for a, b in conn.execute(
                select(record_links.c.record_id, record_links.c.to_record_id).where(
                    record_links.c.to_record_id.is_not(None)
                )
            ):
                self.links[int(a)].add(int(b))
                self.links[int(b)].add(int(a))

    def children(self, rid: int) -> set[str]:
        """True children a record is about (victims; subjects of non-intelligence records),
        under 18 at the event."""
        rec = self.rec[rid]
        out = set()
        for true, role in self.people[rid]:
            if role == "victim" or (role == "subject" and rec["type"] != "intelligence"):
                born = self.birth.get(true)
                if born is None or rec["day"] is None or _age(born, rec["day"]) < 18:
                    out.add(true)
        return out

    def suspects(self, rid: int) -> set[str]:
        rec = self.rec[rid]
        return {t for t, role in self.people[rid]
                if role == "suspect" or (role == "subject" and rec["type"] == "intelligence")}  # fmt: skip

    def truth(self) -> set[tuple[str, str, str]]:
        """Every (source, record_ref, code) that holds; `self.about` names each one's persons."""
        out: set[tuple[str, str, str]] = set()
        self.about: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for row in self.failures:
            if row["code"] in PLANTED:
                out.add((row["source"], row["record_ref"], row["code"]))
        rec = self.rec

        def add(rid: int, code: str, *about: str) -> None:
            out.add((*rec[rid]["key"], code))
            self.about[(*rec[rid]["key"], code)].update(about)

        carries = {
            (r["key"][0], r["type"]) for r in rec.values() if r["flag"] is not None or r["factors"]
        }
        for rid, r in rec.items():
            if r["type"] not in FLAG_TYPES or (r["key"][0], r["type"]) not in carries:
                continue
            cse = self.is_cse.get(r["key"], False)
            if cse and not r["flagged"]:
                add(rid, "missing_cse_flag")
            # A council's CSE factor records a concern: it is wrong only where the council
            # itself recorded criminal exploitation and the world says the record is not CSE.
            council = r["kind"] == "local_authority"
            if not cse and r["flagged"] and (not council or "cce" in r["factors"]):
                add(rid, "wrong_cse_flag")
        police: dict[str, list[int]] = defaultdict(list)
        council: dict[str, list[int]] = defaultdict(list)
        known_police: set[str] = set()
        known_council: set[str] = set()
        for rid, r in rec.items():
            everyone = {t for t, _ in self.people[rid]}
            if r["kind"] == "police":
                if r["type"] in ("crime", "incident"):
                    known_police |= everyone
                if (r["key"][0], r["type"]) in carries and r["day"]:
                    for kid in self.children(rid):
                        police[kid].append(rid)
            elif r["kind"] == "local_authority":
                known_council |= everyone
                if r["day"]:
                    for kid in self.children(rid):
                        council[kid].append(rid)
        for kid in set(police) & set(council):
            for mine, theirs in ((council[kid], police[kid]), (police[kid], council[kid])):
                for rid in mine:
                    if not rec[rid]["flagged"]:
                        continue
                    near = [o for o in theirs
                            if abs((rec[o]["day"] - rec[rid]["day"]).days) <= WINDOW]  # fmt: skip
                    if near and not any(rec[o]["flagged"] for o in near):
                        add(rid, "police_la_mismatch")
                        for o in near:
                            add(o, "police_la_mismatch")
        for rid, r in rec.items():
            if r["kind"] == "local_authority" and r["flagged"]:
                kids = {t for t, role in self.people[rid] if role in ("subject", "victim")}
                if kids - known_police:
                    add(rid, "la_concern_no_police_record", *(kids - known_police))
            if r["kind"] == "police" and r["flagged"] and self.children(rid) - known_council:
                add(rid, "police_concern_no_la_record", *(self.children(rid) - known_council))
        crimes_of: dict[str, set[int]] = defaultdict(set)
        for rid, r in rec.items():
            if r["kind"] == "police" and r["type"] in ("crime", "incident"):
                for t, role in self.people[rid]:
                    if role == "suspect":
                        crimes_of[t].add(rid)
        for man, named in crimes_of.items():
            if len(named) < 2:
                continue
            for rid in named:
                if _reach(rid, named, self.links) != named:
                    add(rid, "unlinked_repeat_suspect", man)
        child_police: dict[str, set[int]] = defaultdict(set)
        for rid, r in rec.items():
            if r["kind"] == "police":
                for kid in {t for t, role in self.people[rid]
                            if role == "victim" or (role == "subject" and r["type"] != "intelligence")}:  # fmt: skip
                    child_police[kid].add(rid)
        for rid, r in rec.items():
            if r["kind"] != "local_authority":
                continue
            if not (self.is_cse.get(r["key"], False) or r["flagged"] or "cce" in r["factors"]):
                continue
            kids = {t for t, role in self.people[rid] if role in ("subject", "victim")}
            for true, role, relationship in self.associates[rid]:
                if role != "associate" or true in kids or relationship in FAMILY_WORDS:
                    continue
                born = self.birth.get(true)
                if born is not None and r["day"] is not None and _age(born, r["day"]) < 18:
                    continue
                if any(not any(true in self.suspects(p) for p in child_police[k]) for k in kids):
                    add(rid, "named_associate_not_investigated", true)
        return out

    def opportunities(
        self, truth: set[tuple[str, str, str]], derived: bool
    ) -> dict[tuple[str, str], set[Key]]:
        """(code, true person) -> records: the missed opportunities the world planted (every
        indicator code of truth/failures.csv, as benchmarks/bench_review.py counts them) and,
        with `derived`, those of the indicators derived here (one per code and person)."""
        codes = {c.value for c in IndicatorCode}
        opps: dict[tuple[str, str], set[Key]] = defaultdict(set)
        for row in self.failures:
            if row["code"] in codes:
                opps[(row["code"], row["person_id"])].add((row["source"], row["record_ref"]))
        if derived:
            for source, ref, code in truth:
                if code in codes and code in DERIVED:
                    for person in self.about[(source, ref, code)]:
                        opps[(code, person)].add((source, ref))
        return opps


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _reach(start: int, within: set[int], links: dict[int, set[int]]) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in links.get(todo.pop(), ()):
            if nxt in within and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def measure(engine: Engine, world: World) -> dict[str, Any]:
    truth = world.truth()
    with reading(engine) as conn:
        key_of = {rid: r["key"] for rid, r in world.rec.items()}
        found = {
            (*key_of[r], c)
            for r, c in conn.execute(select(flag_findings.c.record_id, flag_findings.c.code))
        }
        found |= {
            (*key_of[r], c)
            for r, c in conn.execute(
                select(indicators.c.record_id, indicators.c.code).where(
                    indicators.c.subject_type == "record"
                )
            )
        }
        labels = {
            (key_of[r], lab)
            for r, lab in conn.execute(select(classifications.c.record_id, classifications.c.label))
        }
        detected: dict[int, set[int]] = defaultdict(set)
        for gid, pid in conn.execute(
            select(group_members.c.group_id, group_members.c.person_id)
            .join(groups, groups.c.id == group_members.c.group_id)
            .where(groups.c.active.is_(True), group_members.c.role == "offender")
        ):
            detected[int(gid)].add(int(pid))
    store_of: dict[str, set[int]] = defaultdict(set)
    for pid, trues in _truth_persons_by_store_person(engine, world.path).items():
        for true in trues:
            store_of[true].add(pid)
    out: dict[str, Any] = {"codes": {}, "labels": {}}
    for code in CODES:
        t = {x for x in truth if x[2] == code}
        g = {x for x in found if x[2] == code}
        out["codes"][code] = (*_prf(len(t & g), len(g - t), len(t - g)), len(t), len(g))
    truth_labels = set()
    for key, row in world.typology.items():
        if row["is_cse"] in ("1", "True", "true"):
            truth_labels.add((key, "cse_likely"))
        for lab in filter(None, row["typology"].split(";")):
            truth_labels.add((key, lab))
    for lab in LABELS:
        t = {k for k, x in truth_labels if x == lab}
        g = {k for k, x in labels if x == lab}
        out["labels"][lab] = (*_prf(len(t & g), len(g - t), len(t - g)), len(t), len(g))
    best = []
    for members in world.groups.values():
        mapped = set().union(*(store_of.get(p, set()) for p in members))
        scores = [len(mapped & d) / len(mapped | d) for d in detected.values() if mapped & d]
        best.append(max(scores, default=0.0))
    out["groups"] = (
        statistics.mean(best) if best else 0.0,
        sum(b >= 0.5 for b in best) / len(best) if best else 0.0,
        len(world.groups),
        len(detected),
    )
    for label, derived in (("top10", False), ("top10_all", True)):
        opps = world.opportunities(truth, derived)
        ranks = ranking(queue_items(engine, world.path, opps), opps)
        out[label] = ranks["queue"]["opportunities_in_top10"]
        out[f"{label}_best"] = ranks["best_possible"]["opportunities_in_top10"]
        out[f"{label}_n"] = len(opps)
    # online_facilitated on the records that carry an online trace (themselves or a record of
    # the same true child), the others left out of both sides (bench_classify_network.py)
    traceable = _online_traceable(engine, world.path / "truth")
    t = {k for k, x in truth_labels if x == "online_facilitated"} & traceable
    g = {k for k, x in labels if x == "online_facilitated"} & traceable
    out["online_traceable"] = _prf(len(t & g), len(g - t), len(t - g))[2]
    return out


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def downstream(engine: Engine) -> None:
    run_classify(engine, actor="bench")
    run_network(engine, actor="bench")
    build_review(engine, actor="bench")


def one(
    profile: str, seed: int, cases: int, folder: Path, reuse: bool = False
) -> dict[str, dict[str, Any]]:
    """Measure one world; `reuse` takes the world and linked stores a kept run left in
    `folder` and runs only classify, network and review again (for a change to those)."""
    data = folder / f"{profile}-{seed}"
    real_db = folder / f"{profile}-{seed}.db"
    oracle_db = folder / f"{profile}-{seed}-oracle.db"
    if not (reuse and real_db.exists() and oracle_db.exists()):
        synth(cases, seed, profile, data)
        engine = make_engine(f"sqlite:///{real_db}")
        upgrade(engine)
        ingest_directory(engine, ROOT / "mappings", data, "bench")
        run_link(engine, actor="bench")
        engine.dispose()
        shutil.copyfile(real_db, oracle_db)
        reuse = False
    out = {}
    for mode, path in (("real", real_db), ("oracle", oracle_db)):
        engine = make_engine(f"sqlite:///{path}")
        if mode == "oracle" and not reuse:
            oracle_persons(engine, data)
        downstream(engine)
        out[mode] = measure(engine, World(engine, data))
        engine.dispose()
    return out


def render(results: dict[tuple[str, int, str], dict[str, Any]], command: str, note: str) -> str:
    keys = sorted(results)
    head = "| measure | " + " | ".join(f"{p} s{s} {m}" for p, s, m in keys) + " |"
    rule = "| --- |" + " ---: |" * len(keys)

    def row(name: str, cell: Any) -> str:
        return f"| {name} | " + " | ".join(cell(results[k]) for k in keys) + " |"

    lines = [f"`{command}`", "", note, "", "F1 per finding and indicator:", "", head, rule]
    lines += [row(c, lambda r, c=c: f"{r['codes'][c][2]:.3f}") for c in CODES]
    lines += ["", "Typology F1 per label:", "", head, rule]
    lines += [row(lab, lambda r, lab=lab: f"{r['labels'][lab][2]:.3f}") for lab in LABELS]
    lines.append(
        row("online_facilitated, traceable records", lambda r: f"{r['online_traceable']:.3f}")
    )
    lines += ["", "Groups and queue:", "", head, rule]
    lines += [
        row("group mean best Jaccard", lambda r: f"{r['groups'][0]:.3f}"),
        row("groups at Jaccard >= 0.5", lambda r: f"{r['groups'][1]:.3f}"),
        row("true / detected groups", lambda r: f"{r['groups'][2]}/{r['groups'][3]}"),
        row("planted opportunities in top 10%", lambda r: f"{r['top10']:.3f}"),
        row("best possible (greedy)", lambda r: f"{r['top10_best']:.3f}"),
        row("planted + derived in top 10%", lambda r: f"{r['top10_all']:.3f}"),
        row("best possible (greedy)", lambda r: f"{r['top10_all_best']:.3f}"),
        row(
            "opportunities: planted / with derived", lambda r: f"{r['top10_n']}/{r['top10_all_n']}"
        ),
    ]
    lines += ["", "Counts truth/found (precision, recall) per code:", ""]
    for k in keys:
        parts = [
            f"{c} {v[3]}/{v[4]} ({v[0]:.2f}, {v[1]:.2f})" for c, v in results[k]["codes"].items()
        ]
        lines.append(f"- {k[0]} s{k[1]} {k[2]}: " + "; ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="clean,typical,sparse")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--no-oracle", action="store_true", help="Only the real linkage")
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument("--keep", type=Path, help="Keep worlds and stores in this folder")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="With --keep: reuse the worlds and linked stores kept there (classify, network and "
        "review run again)",
    )
    args = parser.parse_args(argv)
    profiles = args.profiles.split(",") if profiles_supported() else ["current"]
    seeds = [int(s) for s in args.seeds.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_findings_"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, int, str], dict[str, Any]] = {}
    start = time.perf_counter()
    load = os.getloadavg()[0]
    for profile in profiles:
        for seed in seeds:
            t0 = time.perf_counter()
            for mode, measured in one(profile, seed, args.cases, folder, args.reuse).items():
                if mode == "oracle" and args.no_oracle:
                    continue
                results[(profile, seed, mode)] = measured
            print(f"{profile} seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    command = "python benchmarks/bench_findings.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    note = (f"{args.cases} cases per world; {time.perf_counter() - start:.0f} s in all; load "
            f"average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end (shared machine).")  # fmt: skip
    body = render(results, command.strip(), note)
    print(body)
    if args.write_results:
        write_section("Findings, groups and indicators across worlds (issue 16)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
