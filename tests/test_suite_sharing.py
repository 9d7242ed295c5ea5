"""How tests/conftest.py shares the suite out over xdist workers (docs/development.md): the
tests of a module with a module-scoped fixture run on one worker (the fixture is made once),
and a slow test is handed out before the quick ones (the order checked is the order the
units are handed out, not when they run, which depends on the machine). Run on a small suite of its own in a
pytest process with two workers, with this conftest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SHARED = """
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def world():
    with open(os.environ["SHARING_LOG"], "a") as log:
        log.write(f"build {os.environ.get('PYTEST_XDIST_WORKER')}\\n")
    return 1


@pytest.mark.parametrize("n", range(6))
def test_reads_the_world(world, n):
    with open(os.environ["SHARING_LOG"], "a") as log:
        log.write(f"shared {os.environ.get('PYTEST_XDIST_WORKER')}\\n")
"""
QUICK = """
import os


def test_quick():
    with open(os.environ["SHARING_LOG"], "a") as log:
        log.write("quick\\n")
"""
SLOW = """
import os

import pytest


@pytest.mark.slow
def test_slow():
    with open(os.environ["SHARING_LOG"], "a") as log:
        log.write("slow\\n")
"""
INI = """[pytest]
addopts = --import-mode=importlib -p no:cacheprovider
markers =
    postgres: PostgreSQL
    slow: slow
    browser: browser
"""


def _pytest(suite: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on the small suite in a child process; it must pass."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args, str(suite)],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_a_module_fixture_is_made_once_and_slow_tests_go_first(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copyfile(HERE / "conftest.py", suite / "conftest.py")
    (suite / "pytest.ini").write_text(INI)
    (suite / "test_shared.py").write_text(SHARED)
    for n in range(8):
        (suite / f"test_quick_{n}.py").write_text(QUICK)
    (suite / "test_zz_slow.py").write_text(SLOW)  # collected last
    log = tmp_path / "log.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TESTS_"))}
    env["SHARING_LOG"] = str(log)
    _pytest(suite, env, "-n", "2", "--dist", "loadgroup")
    lines = log.read_text().splitlines()
    builds = [line for line in lines if line.startswith("build")]
    assert len(builds) == 1, lines  # one worker ran the module: its fixture made once
    assert {line.split()[1] for line in lines if line.startswith("shared")} == {
        builds[0].split()[1]
    }
    assert sorted(lines).count("quick") == 8 and "slow" in lines
    # The order the units are handed out: the slow test (collected last) first, then the
    # group, then the quick tests as collected.
    listed = _pytest(suite, env, "--collect-only")
    order = [line.split("::")[0] for line in listed.stdout.splitlines() if "::" in line]
    assert order == ["test_zz_slow.py", *["test_shared.py"] * 6] + [
        f"test_quick_{n}.py" for n in range(8)
    ], order
