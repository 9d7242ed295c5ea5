"""A full disk: commands fail with one clear line, nothing half-written is left, and
`audit verify` says it could not record its check (exit 3) instead of "chain broken" (exit 1).

The store lives on a small tmpfs that the test mounts, which needs root (CI runs as root);
elsewhere the tests are skipped with that reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casereview.cli import main
from casereview.model.tables import imports, records
from casereview.store import audit
from casereview.store.db import make_engine, reading
from casereview.synth import SynthConfig, generate_world

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MiB tmpfs mounted for the test (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system of `folder` to the last byte; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f:
        for block in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * block)
    return filler


def test_audit_verify_on_a_full_disk_exits_3_not_1(
    small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{small_disk / 'cr.db'}"
    assert main(["--database", url, "init"]) == 0
    engine = make_engine(url)
    for i in range(50):
        audit.append_alone(
            engine, actor="seed", action="consult", object_type="record", object_id=i
        )
    engine.dispose()
    capsys.readouterr()
    # A process that has the store open when the disk fills verifies the chain and cannot
    # record its check: exit 3, the chain shown sound.
    engine = make_engine(url)
    with reading(engine) as conn:
        audit.head(conn)  # the connection (and SQLite's shared-memory file) is open
    filler = _fill(small_disk)
    assert main(["--database", url, "audit", "verify", "--json"]) == 3
    shown = json.loads(capsys.readouterr().out)
    assert (shown["ok"], shown["recorded"], shown["first_bad_seq"]) == (True, False, None)
    assert "full" in shown["record_error"]
    engine.dispose()
    # Opened afresh on the full disk, SQLite may not even open the store (its WAL index needs
    # a file when none is left over): could not run or could not record, exit 3, never 1.
    assert main(["--database", url, "audit", "verify"]) == 3
    said = capsys.readouterr().out
    assert "could not be verified" in said or "could not be recorded" in said
    assert "BROKEN" not in said
    filler.unlink()
    assert main(["--database", url, "audit", "verify"]) == 0
    assert "audit chain verified" in capsys.readouterr().out


def test_ingest_on_a_full_disk_leaves_nothing_half_written(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = tmp_path / "world"
    generate_world(SynthConfig(cases=400, seed=5), world)
    url = f"sqlite:///{small_disk / 'cr.db'}"
    db = ["--database", url]
    assert main([*db, "init"]) == 0
    filler = small_disk / "filler"
    # Leave a little room: enough to start, not enough for the crimes file.
    _fill(small_disk)
    os.truncate(filler, filler.stat().st_size - 300_000)
    capsys.readouterr()
    code = main([*db, "ingest", str(MAPPINGS / "met_crime.yaml"), "--data-dir", str(world)])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    filler.unlink()
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            assert conn.execute(select(func.count()).select_from(records)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(imports)).scalar_one() == 0
        assert audit.verify(engine).ok
    finally:
        engine.dispose()
    # With room again, the same files load whole.
    assert main([*db, "ingest", str(MAPPINGS / "met_crime.yaml"), "--data-dir", str(world)]) == 0
    engine = make_engine(url)
    try:
        with reading(engine) as conn:
            assert conn.execute(select(func.count()).select_from(records)).scalar_one() > 0
    finally:
        engine.dispose()
