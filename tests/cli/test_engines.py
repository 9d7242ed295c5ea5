"""Every command closes the engine it opened, whether it succeeds or fails.

On PostgreSQL each pooled connection left behind counts against the server's limit until the
process ends (for `serve` and the web app's neighbours, never), so commands dispose of their
engines on the way out. The ingest and link commands are not in this list yet.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

import casereview.store.db
from casereview.cli import main


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Engine, list[bool]]]:
    """Every engine a command makes through `open_store`, with whether it was disposed."""
    made: list[tuple[Engine, list[bool]]] = []
    real = casereview.store.db.make_engine

    def spy(*args: Any, **kwargs: Any) -> Engine:
        engine = real(*args, **kwargs)
        disposed: list[bool] = []
        dispose = engine.dispose

        def recording_dispose(*a: Any, **kw: Any) -> None:
            disposed.append(True)
            dispose(*a, **kw)

        engine.dispose = recording_dispose  # type: ignore[method-assign]
        made.append((engine, disposed))
        return engine

    monkeypatch.setattr(casereview.store.db, "make_engine", spy)
    return made


def test_every_command_disposes_its_engine(
    tmp_path: Path,
    engines: list[tuple[Engine, list[bool]]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = ["--database", f"sqlite:///{tmp_path / 'cr.db'}"]
    # Administration needs a signed-in admin: the first is bootstrapped, then signs in.
    monkeypatch.setenv("CASEREVIEW_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setattr("sys.stdin", io.StringIO("violet-harbour-lantern-42\n" * 2))
    runs = [
        (["init"], 0),
        (["audit", "verify"], 0),
        (["audit", "head"], 0),
        (["review", "build"], 0),
        (["queue"], 0),
        (["queue", "--as", "ghost"], 2),
        (["assign", "1", "--to", "ghost", "--as", "ghost"], 2),
        (["start", "1", "--as", "ghost"], 2),
        (["decide", "1", "--outcome", "no_further_action", "--rationale", "r", "--as", "x"], 2),
        (["sign-off", "1", "--as", "ghost"], 2),
        (["return", "1", "--reason", "r", "--as", "ghost"], 2),
        (["reopen", "1", "--reason", "r", "--as", "ghost"], 2),
        (["users", "add", "boss", "--role", "admin", "--password-stdin"], 0),
        (["login", "boss", "--password-stdin"], 0),
        (["teams", "add", "north"], 0),
        (["teams", "list"], 0),
        (["users", "add", "rev", "--role", "reviewer"], 0),
        (["users", "list"], 0),
        (["users", "reset-password", "rev"], 0),
        (["users", "reset-password", "ghost"], 2),
        (["teams", "add-member", "north", "rev"], 0),
        (["teams", "remove-member", "north", "rev"], 0),
        (["users", "disable", "rev"], 0),
        (["users", "disable", "ghost"], 2),
        (["purge", "--before", "2000-01-01", "--reason", "schedule", "--dry-run"], 0),
        (["backup", "--out", str(tmp_path / "copy.db")], 0),
        (["export", "findings", "--out", str(tmp_path / "f.csv"), "--purpose", "audit"], 0),
    ]
    for args, code in runs:
        before = len(engines)
        assert main([*db, *args]) == code, (args, capsys.readouterr())
        assert len(engines) == before + 1, args
        assert engines[-1][1] == [True], args
    # A store without a schema is refused before the command runs; the engine is still closed.
    empty = ["--database", f"sqlite:///{tmp_path / 'empty.db'}"]
    assert main([*empty, "queue"]) == 2
    assert "casereview init" in capsys.readouterr().err
    assert engines[-1][1] == [True]
