"""The review commands end to end: `queue`, `assign`, `start`, `decide`, `sign-off`, `return`,
`reopen`, each run through `casereview.cli.main` on a store whose queue the real pipeline made
(the small indicator world, each test on its own copy, on each backend: `workflow_store` in
tests/review/conftest.py).

The workflow rules themselves are tested in tests/review/test_workflow.py; these tests check
what the command line adds: users named by `--as`, teams by name, one clear line and the
documented exit code on every refusal, nothing changed by a refusal, one audit entry per
change or queue listing (and per refused `--as`), and a chain that still verifies.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, func, select, update

from casereview.cli import main
from casereview.model.codes import DecisionOutcome, UserRole
from casereview.model.serial import from_json
from casereview.model.tables import audit_log, decisions, review_items, users
from casereview.review import workflow
from casereview.review.triage import queue
from casereview.settings import reset_settings
from casereview.store import audit
from casereview.store.access import Actor, load_actor
from casereview.store.cli_tokens import TOKEN_ENV, issue_token
from casereview.store.db import reading, writing
from review.conftest import (  # type: ignore[import-not-found]  # the fixtures, and their own
    Staff,
    small_indicator_pg,  # noqa: F401
    small_indicator_store,  # noqa: F401
    workflow_store,  # noqa: F401
)

WORKFLOW = ("assign", "start", "decide", "sign-off", "return", "reopen")
NFA = "no_further_action"
FNI = "further_investigation"


@dataclass(frozen=True)
class Run:
    """What one command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


@dataclass
class CliWorld:
    """The small indicator world with the queue the pipeline built (`items` long), two teams
    and a user of every role."""

    url: str
    engine: Engine
    capsys: pytest.CaptureFixture[str]
    north: int
    south: int
    user_ids: dict[str, int]
    tokens: dict[str, str]
    items: int

    def run(self, *args: str) -> Run:
        """Run a command; a workflow command named `--as USER` runs signed in as USER (each
        user signed in once, as `casereview login` does; tests/cli/test_cli_auth.py covers
        the sign-in itself and what `--as` may not do)."""
        self.capsys.readouterr()
        named = args[args.index("--as") + 1] if "--as" in args else None
        signed_in = args[0] in WORKFLOW and named in self.tokens
        if signed_in:
            os.environ[TOKEN_ENV] = self.tokens[named]  # type: ignore[index]
        try:
            code = main(["--database", self.url, *args])
        finally:
            os.environ.pop(TOKEN_ENV, None)
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def run_json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert (result.code, result.err) == (0, ""), result
        return json.loads(result.out)

    @property
    def top_item(self) -> int:
        return queue(self.engine)[0].item_id


@pytest.fixture
def cli_world(
    workflow_store: Engine,  # noqa: F811  (the fixture imported above)
    capsys: pytest.CaptureFixture[str],
) -> CliWorld:
    engine = workflow_store
    w = Staff(engine)
    north, south = w.team("north"), w.team("south")
    people = {
        "rev": (UserRole.REVIEWER, north),
        "rev2": (UserRole.REVIEWER, north),
        "sup": (UserRole.SUPERVISOR, north),
        "sup2": (UserRole.SUPERVISOR, north),
        "south_sup": (UserRole.SUPERVISOR, south),
        "south_rev": (UserRole.REVIEWER, south),
        "ana": (UserRole.ANALYST, None),
        "aud": (UserRole.AUDITOR, None),
    }
    user_ids = {}
    for name, (role, team) in people.items():
        actor = w.user(name, role, *([team] if team else []))
        assert actor.user_id is not None
        user_ids[name] = actor.user_id
    with writing(engine) as conn:
        tokens = {name: issue_token(conn, uid).token for name, uid in user_ids.items()}
        items = conn.execute(
            select(func.count()).select_from(review_items).where(review_items.c.active.is_(True))
        ).scalar_one()
    # Every active item fits one listing of the default limit (50): a listing is the queue.
    assert 2 <= items < 50, items
    url = engine.url.render_as_string(hide_password=False)
    return CliWorld(url, engine, capsys, north, south, user_ids, tokens, items)


def _state(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a workflow command may change, apart from the audit log."""
    with reading(engine) as conn:
        items = conn.execute(
            select(
                review_items.c.id,
                review_items.c.status,
                review_items.c.team_id,
                review_items.c.assigned_to,
                review_items.c.needs_another_look,
            ).order_by(review_items.c.id)
        ).all()
        rows = conn.execute(
            select(
                decisions.c.review_item_id,
                decisions.c.kind,
                decisions.c.outcome,
                decisions.c.rationale,
                decisions.c.user_id,
            ).order_by(decisions.c.id)
        ).all()
    return {"items": [tuple(r) for r in items], "decisions": [tuple(r) for r in rows]}


def _item(engine: Engine, item_id: int) -> tuple[str, int | None, int | None]:
    with reading(engine) as conn:
        row = conn.execute(
            select(review_items.c.status, review_items.c.team_id, review_items.c.assigned_to).where(
                review_items.c.id == item_id
            )
        ).one()
    return (row.status, row.team_id, row.assigned_to)


def _audit_head(engine: Engine) -> int:
    with reading(engine) as conn:
        return audit.head(conn)[0]


def _audit_since(engine: Engine, seq: int) -> list[tuple[str, str, str, str | None, str]]:
    """(actor, action, object type, object id, transition) of every entry after `seq`."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(
                audit_log.c.actor,
                audit_log.c.action,
                audit_log.c.object_type,
                audit_log.c.object_id,
                audit_log.c.details,
            )
            .where(audit_log.c.seq > seq)
            .order_by(audit_log.c.seq)
        ).all()
    return [
        (r.actor, r.action, r.object_type, r.object_id, from_json(r.details, {})["transition"])
        for r in rows
    ]


def _entries_since(engine: Engine, seq: int) -> list[tuple[Any, ...]]:
    """(actor, action, object type, object id, details) of every entry after `seq`."""
    with reading(engine) as conn:
        return [
            (e.actor, e.action, e.object_type, e.object_id, e.details_dict)
            for e in audit.iter_entries(conn)
            if e.seq > seq
        ]


def _listing(who: str, items: int, **filters: Any) -> tuple[Any, ...]:
    """The CONSULT entry of one queue listing, as the web app's queue page writes it."""
    details = {"items": items, "team": None, "status": None, "indicator": None, "limit": 50}
    return (who, "consult", "queue", None, details | filters)


def _denial(who: str, reason: str) -> tuple[Any, ...]:
    """The DENIED entry of a refused `queue --as`, as the web app's `require` writes it."""
    return (who, "denied", "function", "queue", {"command": "queue", "reason": reason})


# ---------------------------------------------------------------------------------- the queue


def test_queue_lists_items_with_their_score_contributions(
    cli_world: CliWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = cli_world
    listed = w.run_json("queue")
    assert listed == [e.as_dict() for e in queue(w.engine)]
    assert len(listed) == w.items
    priorities = [e["priority"] for e in listed]
    assert priorities == sorted(priorities, reverse=True)
    for e in listed:
        assert e["contributions"], e
        assert e["priority"] == pytest.approx(sum(c["points"] for c in e["contributions"]))
        assert e["indicators"] == [
            c["code"] for c in e["contributions"] if c["kind"] == "indicator"
        ]
    repeats = [e for e in listed if any("also_on" in c for c in e["contributions"])]
    assert repeats, "the indicator world has repeated indicators"

    # The table shows the same items in the same order, each with every term of its score.
    # Wide enough for the group item's every term on one line (rich wraps a longer cell).
    monkeypatch.setattr("casereview.cli.review.console", Console(width=1000))
    shown = w.run("queue")
    assert shown.code == 0
    rows = [line for line in shown.out.splitlines() if line.startswith("│")]
    assert len(rows) == len(listed)
    for row, e in zip(rows, listed, strict=True):
        cells = [c.strip() for c in row.strip("│").split("│")]
        terms = []
        for c in e["contributions"]:
            term = f"{c['code']} +{c['points']:g}"
            if "also_on" in c:
                on = c["also_on"]
                term += f" (repeat; in full on {on['subject_type']} {on['subject_id']})"
            terms.append(term)
        assert cells == [
            str(e["item_id"]),
            f"{e['subject_type']} {e['subject_id']}",
            f"{e['priority']:g}",
            "new",
            "-",
            ", ".join(terms),
        ]


def test_queue_filters_by_user_team_status_and_indicator(cli_world: CliWorld) -> None:
    w = cli_world
    everything = [e["item_id"] for e in w.run_json("queue")]
    top, second = everything[0], everything[1]
    assert w.run("assign", str(top), "--to", "rev", "--team", "north", "--as", "sup").code == 0
    assert (
        w.run(
            "assign", str(second), "--to", "south_rev", "--team", "south", "--as", "south_sup"
        ).code
        == 0
    )
    unallocated = [i for i in everything if i not in (top, second)]

    def ids(*args: str) -> list[int]:
        return [e["item_id"] for e in w.run_json("queue", *args)]

    assert ids("--as", "rev") == [top]
    assert ids("--as", "sup") == [top, *unallocated]  # supervisors also see what to allocate
    assert ids("--as", "south_sup") == [second, *unallocated]
    assert ids("--team", "south") == [second]
    assert ids("--status", "assigned") == [top, second]
    assert ids("--status", "new", "--limit", "2") == unallocated[:2]
    with_code = [e.item_id for e in queue(w.engine) if "unlinked_intelligence" in e.indicators]
    assert with_code and ids("--indicator", "unlinked_intelligence") == with_code


def test_every_queue_listing_is_audited_once_with_its_filters(
    cli_world: CliWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = cli_world
    monkeypatch.setenv("CASEREVIEW_USER", "operator")
    reset_settings()
    seq = _audit_head(w.engine)

    def listed(*args: str, as_json: bool = True) -> list[tuple[Any, ...]]:
        """Run `queue` (it must succeed); the audit entries it wrote."""
        nonlocal seq
        if as_json:
            w.run_json("queue", *args)
        else:
            assert w.run("queue", *args).code == 0
        written = _entries_since(w.engine, seq)
        seq = _audit_head(w.engine)
        return written

    # Without `--as` the command-line actor (the `user` setting) is the one who looked.
    assert listed() == [_listing("operator", w.items)]
    assert listed(as_json=False) == [_listing("operator", w.items)]
    # An empty listing is still a look at the queue.
    assert listed("--team", "south") == [_listing("operator", 0, team="south")]

    top = w.top_item
    code = queue(w.engine)[0].indicators[0]
    assert w.run("assign", str(top), "--to", "rev", "--team", "north", "--as", "sup").code == 0
    seq = _audit_head(w.engine)
    # With `--as` the entry names that user, and every filter given, as given.
    assert listed("--as", "rev", "--status", "assigned", "--indicator", code, "--limit", "5") == [
        _listing("rev", 1, status="assigned", indicator=code, limit=5)
    ]
    assert listed("--as", "sup", "--team", "north", "--limit", "3") == [
        _listing("sup", 1, team="north", limit=3)
    ]
    assert listed("--as", "sup", "--limit", "3") == [_listing("sup", 3, limit=3)]

    verified = w.run_json("audit", "verify")
    assert (verified["ok"], verified["first_bad_seq"], verified["entries"]) == (True, None, seq)


@pytest.mark.parametrize(
    ("args", "code", "message", "denied"),
    [
        # Was a traceback (ValueError from the library) before `--indicator` took the code set.
        (("--indicator", "bogus"), 2, "Invalid value for '--indicator'", None),
        (("--status", "bogus"), 2, "Invalid value for '--status'", None),
        (("--as", "aud"), 1, "error: auditor may not do this (needs reviewer, supervisor)",
         _denial("aud", "auditor may not do this (needs reviewer, supervisor)")),
        (("--as", "ana", "--team", "north"), 1,
         "error: analyst may not do this (needs reviewer, supervisor)",
         _denial("ana", "analyst may not do this (needs reviewer, supervisor)")),
        # A name that is no user is bad input, not a refusal of access: nothing to record.
        (("--as", "ghost"), 2, "error: no such user: ghost", None),
    ],
)  # fmt: skip
def test_queue_refusals(
    cli_world: CliWorld,
    args: tuple[str, ...],
    code: int,
    message: str,
    denied: tuple[Any, ...] | None,
) -> None:
    w = cli_world
    seq = _audit_head(w.engine)
    result = w.run("queue", *args)
    assert (result.code, result.out) == (code, "")
    assert message in result.err
    assert "Traceback" not in result.err
    # One DENIED entry for a refused `--as`, and no listing entry: nothing was listed.
    assert _entries_since(w.engine, seq) == ([denied] if denied else [])
    assert w.run_json("audit", "verify")["ok"] is True


def test_queue_as_a_disabled_user_is_refused_and_audited(cli_world: CliWorld) -> None:
    w = cli_world
    with writing(w.engine) as conn:
        conn.execute(update(users).where(users.c.username == "rev2").values(disabled=True))
    seq = _audit_head(w.engine)
    result = w.run("queue", "--as", "rev2", "--json")
    assert (result.code, result.out, result.err) == (1, "", "error: user rev2 is disabled\n")
    assert _entries_since(w.engine, seq) == [_denial("rev2", "user rev2 is disabled")]
    assert w.run_json("audit", "verify")["ok"] is True


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("assign", ("--to", "rev", "--team", "north")),
        ("start", ()),
        ("decide", ("--outcome", "no_further_action", "--rationale", "Seen.")),
        ("sign-off", ()),
        ("return", ("--reason", "Check the dates.")),
        ("reopen", ("--reason", "New information.")),
    ],
)  # fmt: skip
def test_workflow_as_a_disabled_user_is_refused_and_audited(
    cli_world: CliWorld, command: str, args: tuple[str, ...]
) -> None:
    w = cli_world
    with writing(w.engine) as conn:
        conn.execute(update(users).where(users.c.username == "sup").values(disabled=True))
    seq = _audit_head(w.engine)
    result = w.run(command, str(w.top_item), *args, "--as", "sup")
    assert (result.code, result.out, result.err) == (1, "", "error: user sup is disabled\n")
    reason = {"command": command, "reason": "user sup is disabled"}
    assert _entries_since(w.engine, seq) == [("sup", "denied", "function", command, reason)]
    assert w.run_json("audit", "verify")["ok"] is True


# ------------------------------------------------------------------------------ the workflow


def test_assign_decide_return_sign_off_reopen(cli_world: CliWorld) -> None:
    w = cli_world
    e, item, ids = w.engine, w.top_item, w.user_ids
    seq = _audit_head(e)

    def step(*args: str) -> list[tuple[str, str, str, str | None, str]]:
        """Run a command that must succeed; the audit entries it wrote."""
        nonlocal seq
        result = w.run(*args)
        assert (result.code, result.err) == (0, ""), result
        written = _audit_since(e, seq)
        seq = _audit_head(e)
        return written

    def entry(actor: str, transition: str) -> tuple[str, str, str, str, str]:
        return (actor, "alter", "review_item", str(item), transition)

    # A supervisor allocates the unallocated item to a reviewer of the team.
    assert step("assign", str(item), "--to", "rev", "--team", "north", "--as", "sup") == [
        entry("sup", "assign")
    ]
    assert _item(e, item) == ("assigned", w.north, ids["rev"])
    # The reviewer decides straight away: the command starts the review first, which is a
    # transition of its own, so two entries, one each.
    assert step("decide", str(item), "--outcome", FNI, "--rationale", "suspect named twice",
                "--as", "rev") == [entry("rev", "start_review"), entry("rev", "decide")]  # fmt: skip
    assert _item(e, item) == ("awaiting_sign_off", w.north, ids["rev"])
    # The supervisor returns it; the reviewer decides again (already in review: one entry).
    assert step("return", str(item), "--reason", "check the intelligence log", "--as", "sup") == [
        entry("sup", "return")
    ]
    assert _item(e, item) == ("in_review", w.north, ids["rev"])
    assert step("decide", str(item), "--outcome", NFA, "--rationale", "intel checked: nothing",
                "--as", "rev") == [entry("rev", "decide")]  # fmt: skip
    # Sign-off closes it.
    assert step("sign-off", str(item), "--as", "sup2") == [entry("sup2", "sign_off")]
    assert _item(e, item) == ("closed", w.north, ids["rev"])
    # A reopen puts it back for review; the assignee starts it again.
    assert step("reopen", str(item), "--reason", "new intelligence", "--as", "sup") == [
        entry("sup", "reopen")
    ]
    assert _item(e, item) == ("reopened", w.north, ids["rev"])
    assert step("start", str(item), "--as", "rev") == [entry("rev", "start_review")]
    assert _item(e, item) == ("in_review", w.north, ids["rev"])

    assert _state(e)["decisions"] == [
        (item, "decision", FNI, "suspect named twice", ids["rev"]),
        (item, "return", None, "check the intelligence log", ids["sup"]),
        (item, "decision", NFA, "intel checked: nothing", ids["rev"]),
        (item, "sign_off", None, "", ids["sup2"]),
        (item, "note", None, "reopened: new intelligence", ids["sup"]),
    ]
    verified = w.run_json("audit", "verify")
    assert (verified["ok"], verified["first_bad_seq"]) == (True, None)
    assert verified["entries"] == seq


def test_commands_print_the_transition(cli_world: CliWorld) -> None:
    w = cli_world
    item = w.top_item
    assigned = w.run_json("assign", str(item), "--to", "rev", "--team", "north", "--as", "sup")
    assert assigned == {"item": item, "transition": "assign", "from": "new", "to": "assigned"}
    decided = w.run("decide", str(item), "--outcome", NFA, "--rationale", "seen", "--as", "rev")
    assert decided.code == 0
    assert decided.out.splitlines() == [
        f"item {item}: start_review (assigned -> in_review)",
        f"item {item}: decide (in_review -> awaiting_sign_off)",
    ]


def _load(w: CliWorld, name: str) -> Actor:
    with reading(w.engine) as conn:
        return load_actor(conn, name)


STATES = ["new", "assigned", "in_review", "awaiting_sign_off", "closed"]


def _bring(w: CliWorld, item: int, state: str) -> None:
    """Bring the item to `state` through the library: rev of team north decides, sup2 signs."""
    rev, sup, sup2 = _load(w, "rev"), _load(w, "sup"), _load(w, "sup2")
    steps = [
        lambda: workflow.assign(w.engine, item, assignee_id=rev.user_id or 0, team_id=w.north, actor=sup),
        lambda: workflow.start_review(w.engine, item, actor=rev),
        lambda: workflow.decide(w.engine, item, outcome=DecisionOutcome.FURTHER_INVESTIGATION, rationale="r", actor=rev),
        lambda: workflow.sign_off(w.engine, item, actor=sup2),
    ]  # fmt: skip
    for run_step in steps[: STATES.index(state)]:
        run_step()
    assert _item(w.engine, item)[0] == state


# Each refusal: the state the item is in, the command (ITEM is the item's id, NORTH the team's),
# the exit code, the one line on stderr, and whether it is a refusal of access (which the
# workflow records as one DENIED entry) rather than of the state or the input (no entry).
REFUSALS = [
    ("new", "assign ITEM --to rev --team north --as rev", 1,
     "reviewer may not do this (needs supervisor)", "assign"),
    ("new", "assign ITEM --to rev --team north --as south_sup", 1,
     "south_sup is not a supervisor of team NORTH", "assign"),
    ("new", "assign ITEM --to rev --as sup", 2,
     "review item ITEM has no team: name the team to assign it to", None),
    ("new", "assign ITEM --to south_rev --team north --as sup", 2,
     "no reviewer of that name in your teams", None),
    ("new", "assign ITEM --to ana --team north --as sup", 2,
     "no reviewer of that name in your teams", None),
    ("new", "assign ITEM --to ghost --team north --as sup", 2,
     "no reviewer of that name in your teams", None),
    ("new", "assign ITEM --to rev --team nowhere --as sup", 2, "no such team: nowhere", None),
    ("new", "start ITEM --as rev", 1, "review item ITEM belongs to another team", "start_review"),
    ("assigned", "sign-off ITEM --as sup", 2,
     "review item ITEM is assigned: 'sign_off' needs it to be awaiting_sign_off", None),
    # The command starts the review before deciding, so the refusal is of the start.
    ("assigned", "decide ITEM --outcome no_further_action --rationale seen --as rev2", 1,
     "review item ITEM is not assigned to rev2", "start_review"),
    # Was: the review started (item in_review, one audit entry), then the decision refused.
    ("assigned", "decide ITEM --outcome no_further_action --rationale BLANK --as rev", 2,
     "a rationale is required and must not be empty", None),
    ("in_review", "decide ITEM --outcome no_further_action --rationale BLANK --as rev", 2,
     "a rationale is required and must not be empty", None),
    ("in_review", "reopen ITEM --reason again --as sup", 2,
     "review item ITEM is in_review: 'reopen' needs it to be closed", None),
    ("awaiting_sign_off", "sign-off ITEM --as rev", 1,
     "reviewer may not do this (needs supervisor)", "sign_off"),
    ("awaiting_sign_off", "sign-off ITEM --as ana", 1,
     "analyst may not do this (needs supervisor)", "sign_off"),
    ("awaiting_sign_off", "sign-off ITEM --as south_sup", 1,
     "review item ITEM belongs to another team", "sign_off"),
    ("awaiting_sign_off", "return ITEM --reason BLANK --as sup", 2,
     "a reason is required and must not be empty", None),
    ("awaiting_sign_off", "decide ITEM --outcome no_further_action --rationale again --as rev", 2,
     "review item ITEM is awaiting_sign_off: 'decide' needs it to be in_review", None),
    ("closed", "reopen ITEM --reason again --as rev", 1,
     "reviewer may not do this (needs supervisor)", "reopen"),
    ("closed", "return ITEM --reason again --as sup", 2,
     "review item ITEM is closed: 'return' needs it to be awaiting_sign_off", None),
    ("closed", "start 999 --as rev", 2, "no review item 999", None),
    # No one can sign in as a user who does not exist: without a sign-in, nothing to act as.
    ("closed", "sign-off ITEM --as ghost", 2, "`sign-off` changes review state: sign in first "
     "with `casereview login USERNAME` (or give a token in CASEREVIEW_TOKEN)", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "command", "code", "message", "denied"),
    REFUSALS,
    ids=[f"{r[0]}: {r[1].split()[0]} as {r[1].split()[-1]}" for r in REFUSALS],
)
def test_refusals_say_why_exit_non_zero_and_change_nothing(
    cli_world: CliWorld, state: str, command: str, code: int, message: str, denied: str | None
) -> None:
    w = cli_world
    item = w.top_item
    _bring(w, item, state)
    names = {"ITEM": str(item), "NORTH": str(w.north)}
    names |= {f"{n.upper()}": str(uid) for n, uid in w.user_ids.items() if n != "rev"}
    args = [names.get(a, a) for a in command.split()]
    args = [" " if a == "BLANK" else a for a in args]
    for key, value in names.items():
        message = message.replace(key, value)
    before, seq = _state(w.engine), _audit_head(w.engine)

    result = w.run(*args)

    assert (result.code, result.out, result.err) == (code, "", f"error: {message}\n")
    assert _state(w.engine) == before
    who = args[args.index("--as") + 1]
    assert _audit_since(w.engine, seq) == (
        [(who, "denied", "review_item", str(item), denied)] if denied else []
    )
    assert w.run_json("audit", "verify")["ok"] is True


def test_bad_outcome_is_a_usage_error(cli_world: CliWorld) -> None:
    w = cli_world
    item = w.top_item
    _bring(w, item, "in_review")
    before, seq = _state(w.engine), _audit_head(w.engine)
    result = w.run(
        "decide", str(item), "--outcome", "lock_them_up", "--rationale", "x", "--as", "rev"
    )
    assert (result.code, result.out) == (2, "")
    assert "Invalid value for '--outcome'" in result.err
    assert (_state(w.engine), _audit_head(w.engine)) == (before, seq)


def test_the_decider_cannot_sign_off_their_own_decision(cli_world: CliWorld) -> None:
    w = cli_world
    item = w.top_item
    assert w.run("assign", str(item), "--to", "sup2", "--team", "north", "--as", "sup").code == 0
    assert (
        w.run("decide", str(item), "--outcome", NFA, "--rationale", "mine", "--as", "sup2").code
        == 0
    )
    before, seq = _state(w.engine), _audit_head(w.engine)
    refused = w.run("sign-off", str(item), "--as", "sup2")
    assert (refused.code, refused.err) == (
        1,
        "error: sup2 made the decision and cannot also sign it off\n",
    )
    assert _state(w.engine) == before
    assert _audit_since(w.engine, seq) == [("sup2", "denied", "review_item", str(item), "sign_off")]
    signed = w.run_json("sign-off", str(item), "--as", "sup")
    assert signed == {
        "item": item,
        "transition": "sign_off",
        "from": "awaiting_sign_off",
        "to": "closed",
    }


def test_assign_refuses_unknown_and_other_team_names_alike(cli_world: CliWorld) -> None:
    """As on the web (issue 22, item 15): `assign --to` cannot tell a supervisor which
    usernames exist: an unknown name, a reviewer of another team and an analyst get one
    refusal, with the same exit code and message, and nothing is assigned."""
    w = cli_world
    item = w.top_item
    refusals = {
        name: w.run("assign", str(item), "--to", name, "--team", "north", "--as", "sup")
        for name in ("no_such_user", "south_rev", "ana")
    }
    answers = {(r.code, r.err.replace(name, "NAME")) for name, r in refusals.items()}
    assert len(answers) == 1, refusals
    assert next(iter(answers))[0] != 0
    assert [e["item_id"] for e in w.run_json("queue", "--status", "assigned")] == []
    assert w.run("assign", str(item), "--to", "rev", "--team", "north", "--as", "sup").code == 0
