"""The `synth` command, registered on a small Typer app of the test's own."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from typer.testing import CliRunner

from casereview.cli.synth import register
from casereview.synth import PROFILES


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def version() -> None:  # a second command, so that `synth` is a subcommand as in casereview
        """Print nothing."""

    return app


def test_synth_writes_the_world_and_prints_a_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = CliRunner().invoke(
        _app(), ["synth", "--cases", "300", "--seed", "4", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["cases"], summary["seed"], summary["chunks"]) == (300, 4, 1)
    counts = summary["counts"]
    assert counts["records.met_crime"] == 300
    written = len((out / "truth" / "mentions.csv").read_text().splitlines()) - 1
    assert written == sum(
        counts[f"mentions.{s}"] for s in ("met_crime", "met_intel", "la_csc", "met_missing")
    )
    manifest = json.loads((out / "truth" / "manifest.json").read_text())
    assert manifest["counts"] == counts
    assert (manifest["seed"], manifest["cases"]) == (4, 300)
    assert set(manifest["noise"]) >= {"typo", "translit", "nickname"}


def test_synth_prints_a_table_of_counts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(),
        [
            "synth",
            "-n",
            "200",
            "-o",
            str(tmp_path),
            "--noise",
            "typo=0.1",
            "--failures",
            "boyfriend=0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    for word in (
        "met_crime",
        "met_intel",
        "la_csc",
        "met_missing",
        "persons",
        "offender groups",
        "planted failures",
    ):
        assert word in result.stdout
    manifest = json.loads((tmp_path / "truth" / "manifest.json").read_text())
    assert manifest["noise"]["typo"] == 0.1 and manifest["failures"]["boyfriend"] == 0.5


def test_bad_noise_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["synth", "-n", "10", "-o", str(tmp_path), "--noise", "typo=2"]
    )
    assert result.exit_code == 2
    assert "error: --noise: typo must be between 0 and 1, got 2.0" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "truth").exists()


def test_help_describes_every_option() -> None:
    result = CliRunner().invoke(_app(), ["synth", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in (
        "--cases",
        "--seed",
        "--out",
        "--profile",
        "--noise",
        "--failures",
        "--workers",
        "--json",
        "byte-identical",
        "clean, typical, sparse",
    ):
        assert option in result.stdout


def test_profile_option_sets_the_rates_and_noise_overrides_on_top(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(),
        [
            "synth",
            "-n",
            "50",
            "-o",
            str(tmp_path),
            "--json",
            "--profile",
            "sparse",
            "--noise",
            "typo=0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "truth" / "manifest.json").read_text())
    assert manifest["profile"] == "sparse"
    assert manifest["noise"] == {**asdict(PROFILES["sparse"]), "typo": 0.5}


def test_unknown_profile_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["synth", "-n", "10", "-o", str(tmp_path), "--profile", "messy"]
    )
    assert result.exit_code == 2
    assert "error: --profile: unknown profile 'messy'; known: clean, typical, sparse" in (
        result.output
    )
    assert not (tmp_path / "truth").exists()
