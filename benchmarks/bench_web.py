"""Web app latency: 20 concurrent signed-in reviewers browsing a store of ~9,000 cases.

    .venv/bin/python benchmarks/bench_web.py [--cases 9000] [--seed 1] [--users 20]
        [--rounds 25] [--work benchmarks/_work/web9k] [--write-results]

Builds the store with the real chain unless `WORK/store.db` exists (`casereview synth`,
`init`, `pipeline --data --mappings`), then (once) creates four teams, each with one supervisor
and five reviewers, and has each supervisor allocate a share of the highest-priority review
items to the reviewers of the team through `casereview.review.workflow.assign` (audited, as
in use). It serves the app with `casereview serve` in a subprocess (uvicorn, one process).

Each of the 20 reviewers signs in through the form and, untimed, learns the records, persons
and groups their work lets them see from the JSON API. The timed part: every reviewer, in its
own thread with its own httpx client, repeats `--rounds` times the browse cycle queue page ->
search page (a person's full name, surname first) -> record page -> person page -> group page
(all HTML, each view and search audited as in use). The baseline,
measured in the same run and the same way (20 threads, the same number of requests), is a
static file (`/static/app.css`) that passes through the same middleware but touches no store.

Goal: p95 of the page views <= 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).with_name("casereview"))]
PASSWORD = "bench-lantern-harbour-violet-42"
TEAMS = 4
REVIEWERS_PER_TEAM = 5
ITEMS_PER_REVIEWER = 150
GOAL_P95_MS = 100.0


def run_cli(database: str | None, *args: str, stdin: str | None = None) -> None:
    command = [*CLI, *(["--database", database] if database else []), *args]
    subprocess.run(command, check=True, cwd=ROOT, input=stdin, text=True, capture_output=True)


def build_store(work: Path, cases: int, seed: int) -> str:
    """The store of the real chain (synth -> init -> pipeline), built once per work folder."""
    database = f"sqlite:///{work / 'store.db'}"
    if (work / "store.db").exists():
        return database
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"building the store: {cases} cases, seed {seed} (a few minutes)", flush=True)
    run_cli(None, "synth", "--cases", str(cases), "--seed", str(seed), "--out", str(work / "synth"))
    run_cli(database, "init")
    run_cli(
        database,
        "pipeline",
        "--data",
        str(work / "synth"),
        "--mappings",
        str(ROOT / "mappings"),
    )
    print(f"store built in {time.perf_counter() - started:.0f} s", flush=True)
    return database


def reviewer_names() -> list[str]:
    return [f"bench_rev_{t}_{r}" for t in range(TEAMS) for r in range(REVIEWERS_PER_TEAM)]


def prepare_teams(database: str) -> dict[str, int]:
    """Teams, users and allocations (once); returns counts of what the store holds."""
    from sqlalchemy import func, select

    from casereview.model.tables import review_items, teams, users
    from casereview.review import workflow
    from casereview.store.access import load_actor
    from casereview.store.db import make_engine, reading, writing
    from casereview.store.users import add_member, create_team, create_user

    engine = make_engine(database)
    try:
        with reading(engine) as conn:
            done = conn.execute(select(users.c.id).where(users.c.username == "bench_sup_0")).first()
        if done is None:
            started = time.perf_counter()
            with writing(engine) as conn:
                for t in range(TEAMS):
                    create_team(conn, f"Bench team {t}")
                    create_user(conn, f"bench_sup_{t}", f"Supervisor {t}", "supervisor", PASSWORD)
                    add_member(conn, f"Bench team {t}", f"bench_sup_{t}")
                    for r in range(REVIEWERS_PER_TEAM):
                        name = f"bench_rev_{t}_{r}"
                        create_user(conn, name, f"Reviewer {t}.{r}", "reviewer", PASSWORD)
                        add_member(conn, f"Bench team {t}", name)
            with reading(engine) as conn:
                wanted = TEAMS * REVIEWERS_PER_TEAM * ITEMS_PER_REVIEWER
                item_ids = list(
                    conn.execute(
                        select(review_items.c.id)
                        .where(review_items.c.active.is_(True), review_items.c.team_id.is_(None))
                        .order_by(review_items.c.priority.desc(), review_items.c.id)
                        .limit(wanted)
                    ).scalars()
                )
                team_ids = {
                    str(n): int(i) for i, n in conn.execute(select(teams.c.id, teams.c.name))
                }
                user_ids = {
                    str(n): int(i) for i, n in conn.execute(select(users.c.id, users.c.username))
                }
                supervisors = [load_actor(conn, f"bench_sup_{t}") for t in range(TEAMS)]
            names = reviewer_names()
            for n, item_id in enumerate(item_ids):
                reviewer = names[n % len(names)]
                t = int(reviewer.split("_")[2])
                workflow.assign(
                    engine,
                    item_id,
                    assignee_id=user_ids[reviewer],
                    team_id=team_ids[f"Bench team {t}"],
                    actor=supervisors[t],
                )
            print(
                f"teams, users and {len(item_ids)} allocations in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
        with reading(engine) as conn:
            counts = {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in _tables().items()
            }
            counts["allocated_items"] = int(
                conn.execute(
                    select(func.count())
                    .select_from(review_items)
                    .where(review_items.c.team_id.is_not(None))
                ).scalar_one()
            )
        return counts
    finally:
        engine.dispose()


def _tables() -> dict[str, Any]:
    from casereview.model.tables import (
        audit_log,
        groups,
        mentions,
        persons,
        records,
        review_items,
    )

    return {
        "records": records,
        "mentions": mentions,
        "persons": persons,
        "groups": groups,
        "review_items": review_items,
        "audit_log": audit_log,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CASEREVIEW_DATABASE_URL": database}
    handle = log.open("wb")
    proc = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped: see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start in 60 s")


def sign_in(client: httpx.Client, username: str) -> httpx.Response:
    """The sign-in form as a browser fills it in, with its CSRF token."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {
        "username": username,
        "password": PASSWORD,
        "csrf_token": token.group(1) if token else "",
    }
    return client.post("/login", data=data, follow_redirects=False)


class Reviewer:
    """One signed-in reviewer with the ids their work lets them see."""

    def __init__(self, base: str, username: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        response = sign_in(self.client, username)
        if response.status_code != 303:
            raise RuntimeError(f"sign-in failed for {username}: {response.status_code}")
        self.username = username
        self.records: list[int] = []
        self.persons: list[int] = []
        self.groups: list[int] = []
        self.names: list[str] = []

    def discover(self, wanted: int = 10) -> None:
        """Untimed: the records, persons and groups this reviewer may open."""
        queue = self.client.get("/api/queue", params={"scope": "mine"}).json()
        for item in queue["items"]:
            target = self.records if item["subject_type"] == "record" else self.groups
            target.append(int(item["subject_id"]))
        for record_id in self.records[:wanted]:
            record = self.client.get(f"/api/records/{record_id}").json()
            persons = record["record"]["persons"]
            self.persons.extend(int(p["person_id"]) for p in persons if p["person_id"])
            self.groups.extend(int(g["group_id"]) for g in record["groups"])
        for person_id in self.persons[: wanted * 2]:
            person = self.client.get(f"/api/persons/{person_id}").json()
            self.groups.extend(int(g["group_id"]) for g in person["groups"])
            name = (person.get("display_name") or "").split()
            if len(name) > 1:
                self.names.append(" ".join([*name[1:], name[0]]))
        self.records = self.records[: wanted * 3]
        self.persons = sorted(set(self.persons))[: wanted * 3]
        self.groups = sorted(set(self.groups))[: wanted * 3]
        if not (self.records and self.persons and self.groups and self.names):
            raise RuntimeError(
                f"{self.username} sees too little: {len(self.records)} records, "
                f"{len(self.persons)} persons, {len(self.groups)} groups"
            )

    def cycle(self, n: int) -> list[tuple[str, str]]:
        name = self.names[n % len(self.names)]
        return [
            ("queue", "/queue?scope=mine"),
            ("search", f"/search?kind=person&q={quote(name)}"),
            ("record", f"/records/{self.records[n % len(self.records)]}"),
            ("person", f"/persons/{self.persons[n % len(self.persons)]}"),
            ("group", f"/groups/{self.groups[n % len(self.groups)]}"),
        ]


Timing = tuple[str, float, int]  # (page kind, milliseconds, status)


def drive(
    users: list[Reviewer],
    plan: Callable[[Reviewer, int], list[tuple[str, str]]],
    rounds: int,
    think: float = 0.0,
) -> tuple[list[Timing], float]:
    """Every user in its own thread runs `rounds` of its plan, all starting together, pausing
    a random think time (exponential, mean `think` seconds, seeded) after each page."""
    results: list[list[Timing]] = [[] for _ in users]
    barrier = threading.Barrier(len(users) + 1)

    def work(i: int, user: Reviewer) -> None:
        rng = random.Random(i)
        barrier.wait()
        if think:
            time.sleep(rng.uniform(0, think))  # users do not click in lockstep
        for n in range(rounds):
            for kind, url in plan(user, n + i):
                started = time.perf_counter()
                response = user.client.get(url)
                results[i].append(
                    (kind, (time.perf_counter() - started) * 1000, response.status_code)
                )
                if think:
                    time.sleep(rng.expovariate(1 / think))

    threads = [threading.Thread(target=work, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return [t for r in results for t in r], time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(timings: list[Timing]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    kinds = sorted({k for k, _, _ in timings})
    for kind in [*kinds, "all"]:
        ms = [t for k, t, _ in timings if kind in ("all", k)]
        out[kind] = {
            "n": len(ms),
            "p50": pct(ms, 50),
            "p95": pct(ms, 95),
            "p99": pct(ms, 99),
            "max": max(ms),
        }
    return out


Row = tuple[str, dict[str, float], float | None]


def scenario(users: list[Reviewer], rounds: int, think: float) -> tuple[list[Row], float, int]:
    """Baseline then pages, under the same load; returns table rows, p95 of pages, non-200s."""
    static, static_s = drive(users, lambda u, n: [("static", "/static/app.css")] * 5, rounds, think)
    pages, pages_s = drive(users, Reviewer.cycle, rounds, think)
    bad = sum(1 for t in pages + static if t[2] != 200)
    base_stats, page_stats = summary(static), summary(pages)
    rows: list[Row] = [("static file (baseline)", base_stats["static"], static_s)]
    kinds = ("queue", "search", "record", "person", "group")
    rows += [(f"{k} page", page_stats[k], None) for k in kinds]
    rows.append(("all pages", page_stats["all"], pages_s))
    return rows, page_stats["all"]["p95"], bad


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}; milliseconds")
    print(f"{'':24} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'req/s':>7}")
    for label, s, seconds in rows:
        rate = f"{s['n'] / seconds:7.0f}" if seconds else " " * 7
        print(
            f"{label:24} {s['n']:6.0f} {s['p50']:7.1f} {s['p95']:7.1f} {s['p99']:7.1f} "
            f"{s['max']:7.1f} {rate}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean pause after each page, seconds"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "_work" / "web9k")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()

    database = build_store(args.work, args.cases, args.seed)
    counts = prepare_teams(database)
    print("store:", ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
    port = free_port()
    server = start_server(database, port, args.work / "serve.log")
    try:
        base = f"http://127.0.0.1:{port}"
        names = reviewer_names()[: args.users]
        users = [Reviewer(base, name) for name in names]
        for user in users:
            user.discover()
        # Warm-up (untimed): one cycle each, so first-use costs are not counted.
        drive(users, Reviewer.cycle, 1)
        load_before = os.getloadavg()
        paced = scenario(users, args.rounds, args.think)
        saturated = scenario(users, max(args.rounds // 2, 1), 0.0)
        args.load = (load_before, os.getloadavg())
        for user in users:
            user.client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    print_rows(
        f"{args.users} reviewers browsing, mean think time {args.think} s, {args.rounds} rounds",
        paced[0],
    )
    print_rows(f"{args.users} reviewers with no think time (saturation)", saturated[0])
    p95, bad = paced[1], paced[2] + saturated[2]
    met = p95 <= GOAL_P95_MS and not bad
    print(
        f"\np95 of page views while browsing {p95:.1f} ms (goal <= {GOAL_P95_MS:.0f} ms): "
        f"{'met' if met else 'MISSED'}; at saturation {saturated[1]:.1f} ms; "
        f"non-200 answers: {bad}; load average before/after "
        f"{args.load[0][0]:.2f}/{args.load[1][0]:.2f}"
    )
    if args.write_results:
        write_results(args, counts, paced[0], saturated[0], p95, met, bad)
    return 0 if met else 1


def write_results(
    args: argparse.Namespace,
    counts: dict[str, int],
    rows: list[Row],
    saturated: list[Row],
    p95: float,
    met: bool,
    bad: int,
) -> None:
    """Append (or replace) this run's block under "## Web" in RESULTS.md; other sections untouched."""
    results = ROOT / "benchmarks" / "RESULTS.md"
    text = results.read_text(encoding="utf-8")
    cpu = os.cpu_count()
    lines = [
        "## Web",
        "",
        f"`.venv/bin/python benchmarks/bench_web.py --cases {args.cases} --seed {args.seed} "
        f"--users {args.users} --rounds {args.rounds} --write-results` "
        f"({dt.date.today().isoformat()}, Python {platform.python_version()}, {cpu} CPUs, "
        "SQLite, one uvicorn process).",
        "",
        "Store from the real chain (synth, init, pipeline): "
        + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
        + f". {TEAMS} teams of one supervisor and {REVIEWERS_PER_TEAM} reviewers; "
        f"the supervisors allocated the top items, {ITEMS_PER_REVIEWER} per reviewer.",
        "",
        f"{args.users} signed-in reviewers at once, each in its own thread repeating queue -> "
        "search (a full name, surname first) -> record -> person -> group (HTML pages, every view "
        "and search audited), pausing a random think "
        f"time (exponential, mean {args.think} s) after each page. Baseline in the same run: "
        "the same load on a static file through the same middleware. Then the same with no "
        "think time (20 requests always in flight: capacity, not the goal). Server and load "
        "generator share the machine. Load average (1, 5, 15 min) before the timed part "
        + ", ".join(f"{x:.2f}" for x in args.load[0])
        + ", after "
        + ", ".join(f"{x:.2f}" for x in args.load[1])
        + ".",
        "",
    ]
    for title, table in (
        (f"Browsing (mean think time {args.think} s, {args.rounds} rounds)", rows),
        ("Saturation (no think time)", saturated),
    ):
        lines += [
            f"{title}:",
            "",
            "| what | requests | p50 ms | p95 ms | p99 ms | max ms | req/s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for label, s, seconds in table:
            rate = f"{s['n'] / seconds:.0f}" if seconds else ""
            lines.append(
                f"| {label} | {s['n']:.0f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} "
                f"| {s['max']:.1f} | {rate} |"
            )
        lines.append("")
    lines += [
        "",
        f"Goal p95 <= {GOAL_P95_MS:.0f} ms for page views while browsing: "
        f"{'met' if met else 'missed'} (p95 {p95:.1f} ms; non-200 answers: {bad}).",
        "",
    ]
    block = "\n".join(lines)
    pattern = re.compile(r"^## Web\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    results.write_text(text, encoding="utf-8")
    print(f"appended to {results.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
