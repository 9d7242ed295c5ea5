"""The command line: help everywhere, init, config show, audit verify, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from casereview.cli import app, main
from casereview.store.db import make_engine


def _walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    if hasattr(command, "commands"):
        for name, sub in sorted(command.commands.items()):
            found.extend(_walk(sub, (*path, name)))
    return found


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(app)
    missing = []
    for path, command in _walk(root):
        if not (command.help or "").strip():
            missing.append(" ".join(path) or "casereview")
        for param in command.params:
            if param.param_type_name == "option" and not (param.help or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_help_runs_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    root = typer.main.get_command(app)
    for path, _command in _walk(root):
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Usage:" in out


def test_help_is_the_help_typer_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """`main` answers `COMMAND --help` without parsing the root options (start-up, issue 15):
    the text is exactly what Typer's own path prints, for every command."""
    root = typer.main.get_command(app)
    for path, _command in _walk(root):
        if not path:
            continue
        assert main([*path, "--help"]) == 0
        fast = capsys.readouterr().out
        assert app(args=[*path, "--help"], prog_name="casereview", standalone_mode=False) == 0
        assert capsys.readouterr().out == fast, path


def test_help_after_a_root_option_or_an_argument_takes_the_parsing_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--database", "sqlite://", "link", "--help"]) == 0
    assert "Usage: casereview link" in capsys.readouterr().out
    assert main(["no-such-command", "--help"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_init_twice_then_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'cr.db'}"
    assert main(["--database", db, "init", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["changed"], first["previous_revision"]) == (True, None)
    assert main(["--database", db, "init", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["changed"] is False
    assert second["tables"] == first["tables"]
    assert main(["--database", db, "audit", "verify", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["ok"], result["entries"]) == (True, 1)


def test_verify_exits_1_and_names_the_sequence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'cr.db'}"
    assert main(["--database", db, "init"]) == 0
    engine = make_engine(db)
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
        conn.commit()
    engine.dispose()
    capsys.readouterr()
    assert main(["--database", db, "audit", "verify"]) == 1
    assert "BROKEN at sequence 1" in capsys.readouterr().out


def test_database_url_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASEREVIEW_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert main(["init"]) == 0
    assert (tmp_path / "env.db").exists()


def test_uninitialised_store_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database", f"sqlite:///{tmp_path / 'none.db'}", "audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert "run `casereview init` first" in err
    assert "Traceback" not in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert (
        main(["audit", "verify", "--expect-head", "nonsense", "--database", "sqlite:///x.db"]) == 2
    )


def test_config_show_lists_every_setting_with_description(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEREVIEW_LINK__MATCH_WEIGHT_THRESHOLD", "9.5")
    assert main(["config", "show", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["link.match_weight_threshold"]["value"] == 9.5
    assert rows["database_url"]["value"] == "sqlite:///casereview.db"
    assert all(r["description"] for r in rows.values())


def test_config_file_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "casereview.toml").write_text("[report]\nsuppress_below = 7\nround_to = 3\n")
    monkeypatch.setenv("CASEREVIEW_REPORT__ROUND_TO", "10")
    assert main(["config", "show", "--json"]) == 0
    rows = {r["name"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    assert (rows["report.suppress_below"], rows["report.round_to"]) == (7, 10)


def test_bad_config_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "casereview.toml").write_text("[report]\nsupress_below = 7\n")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert "report.supress_below" in err and "Traceback" not in err
