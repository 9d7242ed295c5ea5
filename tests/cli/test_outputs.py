"""Issue 22 item 15: every command's `--out` refuses a symbolic link and an existing file
unless `--force`, and with `--force` replaces the link, never what it points at."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from casereview.cli import main
from pipeline_world import copy_store

# Each command with the arguments it needs besides --out (store-free refusals come first).
FILE_COMMANDS = {
    "export persons": ["export", "persons", "--purpose", "test"],
    "export groups": ["export", "groups", "--purpose", "test"],
    "export findings": ["export", "findings", "--purpose", "test"],
    "extract": ["extract", "--purpose", "test"],
    "backup": ["backup"],
    "chronology": ["chronology", "1", "--format", "csv", "--purpose", "test"],
    "chart": ["chart", "group", "1"],
    "export-network": [
        "export-network", "group", "1", "--format", "i2", "--purpose", "t", "--recipient", "r",
    ],
}  # fmt: skip
# The commands run to the end here (the others need a signed-in analyst).
FORCED = ["export persons", "export groups", "export findings", "extract", "backup"]


@pytest.fixture
def store(review_store: Path, tmp_path: Path) -> str:
    copy_store(review_store, tmp_path / "store.db").dispose()
    return f"sqlite:///{tmp_path / 'store.db'}"


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    return victim


@pytest.mark.parametrize("command", list(FILE_COMMANDS))
def test_out_refuses_a_link_and_an_existing_file(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before the store is opened (here: a store with no schema)."""
    victim = _victim(tmp_path)
    link = tmp_path / "out.link"
    link.symlink_to(victim)
    args = ["--database", f"sqlite:///{tmp_path / 'empty.db'}", *FILE_COMMANDS[command]]
    assert main([*args, "--out", str(link)]) != 0
    assert "symbolic link" in capsys.readouterr().err
    assert link.is_symlink() and victim.read_text() == "keep me\n"
    dangling = tmp_path / "dangling.link"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    assert main([*args, "--out", str(dangling)]) != 0
    assert not (tmp_path / "nowhere.txt").exists()
    assert main([*args, "--out", str(victim)]) != 0
    assert "exists" in capsys.readouterr().err
    assert victim.read_text() == "keep me\n"


@pytest.mark.parametrize("command", FORCED)
def test_force_replaces_the_link_not_its_target(
    command: str, store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = _victim(tmp_path)
    link = tmp_path / "out.link"
    link.symlink_to(victim)
    args = ["--database", store, *FILE_COMMANDS[command], "--out", str(link)]
    # On a real store, without --force: refused, the target untouched (before: written through).
    assert main(args) != 0
    assert link.is_symlink() and victim.read_text() == "keep me\n"
    args.append("--force")
    assert main(args) == 0, capsys.readouterr()
    assert victim.read_text() == "keep me\n"
    assert not link.is_symlink() and link.stat().st_size > 0
    assert stat.S_IMODE(os.stat(link).st_mode) == 0o600
    # An existing file is replaced with --force.
    capsys.readouterr()
    assert main(args) == 0, capsys.readouterr()
    if command == "extract":  # the message names the mark of a withheld count as it is written
        assert "withheld as [c])" in " ".join(capsys.readouterr().out.split())


def test_report_folder_is_never_a_link_nor_written_over_without_force(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "report.link"
    link.symlink_to(elsewhere, target_is_directory=True)
    base = ["--database", store, "report"]
    assert main([*base, "--out", str(link)]) != 0
    assert list(elsewhere.iterdir()) == []
    out = tmp_path / "report"
    assert main([*base, "--out", str(out)]) == 0
    assert (out / "report.html").exists()
    assert main([*base, "--out", str(out)]) != 0
    assert "not empty" in capsys.readouterr().err
    assert main([*base, "--out", str(out), "--force"]) == 0
    assert (out / "report.html").exists()
