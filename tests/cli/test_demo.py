"""The README's main job: `casereview demo` from nothing to a built, verified store, with work
waiting for the demo reviewer, and `--serve-only` serving it again on the chosen port."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

import casereview.cli.demo
from casereview.cli import main
from casereview.review.triage import queue
from casereview.settings import reset_settings
from casereview.store import audit
from casereview.store.access import load_actor
from casereview.store.db import make_engine, reading

REPO_MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def _served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Engine, int]]:
    """Calls of the demo's `_serve` (the uvicorn step), instead of serving."""
    calls: list[tuple[Engine, int]] = []

    def record(engine: Engine, port: int, reports: Path | None = None) -> None:
        with reading(engine) as conn:  # the engine is open on the demo's store
            load_actor(conn, "reviewer")
        # The Reports page serves the demo's published report.
        assert reports is not None and (reports / "report.html").is_file()
        calls.append((engine, port))

    monkeypatch.setattr(casereview.cli.demo, "_serve", record)
    return calls


def test_demo_builds_every_stage_and_leaves_work_for_the_reviewer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--cases", "300", "--mappings", str(REPO_MAPPINGS)]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert list(summary["stages"]) == [
        "synth",
        "ingest",
        "link",
        "classify",
        "network",
        "review",
        "report",
    ]
    tables = summary["tables"]
    for name in (
        "records",
        "mentions",
        "persons",
        "mention_person",
        "classifications",
        "review_items",
    ):
        assert tables[name] > 0, name
    assert tables["mention_person"] == tables["mentions"]
    assert sorted(u["role"] for u in summary["users"]) == [
        "admin",
        "analyst",
        "auditor",
        "reviewer",
        "supervisor",
    ]
    assert (out / "report").is_dir() and any((out / "report").iterdir())

    # The supervisor allocated the top of the queue to the reviewer, through the workflow.
    engine = make_engine(f"sqlite:///{out / 'casereview.db'}")
    with reading(engine) as conn:
        reviewer = load_actor(conn, "reviewer")
    mine = queue(engine, actor=reviewer, limit=None)
    assigned = [e for e in mine if e.status == "assigned"]
    assert summary["allocated_to_reviewer"] == len(assigned) == casereview.cli.demo.DEMO_ALLOCATION
    top = [e.item_id for e in queue(engine, limit=casereview.cli.demo.DEMO_ALLOCATION)]
    assert sorted(e.item_id for e in assigned) == sorted(top)
    assert audit.verify(engine).ok
    engine.dispose()

    # Users and passwords beside the store, for the owner only.
    users_file = out / casereview.cli.demo.USERS_FILE
    assert summary["users_file"] == str(users_file)
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    lines = [ln.split("\t") for ln in users_file.read_text().splitlines() if not ln.startswith("#")]
    assert sorted(r for _, r, _ in lines) == sorted(u["role"] for u in summary["users"])

    # Served again without a rebuild, on the port of the settings (CASEREVIEW_WEB__PORT).
    served = _served(monkeypatch)
    monkeypatch.setenv("CASEREVIEW_WEB__PORT", "18990")
    reset_settings()  # settings are read once per process; this test changes them mid-way
    assert main(["demo", "--out", str(out), "--serve-only"]) == 0
    text = capsys.readouterr().out
    assert [port for _, port in served] == [18990]
    assert all(password in text for _, _, password in lines)
    # --port wins over the setting.
    assert main(["demo", "--out", str(out), "--serve-only", "--port", "18991"]) == 0
    assert [port for _, port in served] == [18990, 18991]


def test_serve_only_without_a_demo_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = _served(monkeypatch)
    assert main(["demo", "--out", str(tmp_path / "nothing"), "--serve-only"]) == 2
    err = capsys.readouterr().err
    assert "no demo store at" in err and "make demo" in err and "Traceback" not in err
    assert served == []


def test_reset_password_ends_sessions_and_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from casereview.store.users import verify_login

    db = ["--database", f"sqlite:///{tmp_path / 'cr.db'}"]
    assert main([*db, "init"]) == 0
    # Administration acts as a signed-in admin (the first one is bootstrapped).
    monkeypatch.setenv("CASEREVIEW_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("violet-harbour-lantern-42\n" * 2))
    assert main([*db, "users", "add", "boss", "--role", "admin", "--password-stdin"]) == 0
    assert main([*db, "login", "boss", "--password-stdin"]) == 0
    assert main([*db, "users", "add", "rev", "--role", "reviewer"]) == 0
    capsys.readouterr()
    assert main([*db, "users", "reset-password", "rev"]) == 0
    printed = capsys.readouterr().out
    password = printed.rsplit("new password (shown once): ", 1)[1].split()[0]
    engine = make_engine(f"sqlite:///{tmp_path / 'cr.db'}")
    result: Any
    result, _ = verify_login(engine, "rev", password, client="test")
    assert (result.ok, result.reason) == (True, "ok")
    with reading(engine) as conn:
        entries = [
            (e.action, e.object_type, e.object_id, e.client, e.details_dict.get("operation"))
            for e in audit.iter_entries(conn)
            if e.details_dict.get("operation") == "set_password"
        ]
    from casereview.store.cli_tokens import os_user

    assert entries == [("admin", "user", "2", f"cli os-user={os_user()}", "set_password")]
    # A password from stdin must meet the policy: a short one is refused, one clear line.
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert main([*db, "users", "reset-password", "rev", "--password-stdin"]) == 2
    engine.dispose()
