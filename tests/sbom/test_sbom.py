"""scripts/sbom.py: the vulnerability audit's verdict from pip-audit's own outputs (no network).

Two outputs were recorded from pip-audit 2.10.1 on this project's environment, where neither
vulnerability service can be reached: with the PyPI service pip-audit exits 0 and prints
"No known vulnerabilities found" although every dependency carries a `skip_reason` (the false
pass); with OSV it fails with a ConnectionError. The audited and vulnerable cases are that same
JSON with the skip reasons replaced by results, in pip-audit's documented shape.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _sbom() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sbom_script", ROOT / "scripts" / "sbom.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sbom = _sbom()
RECORDED = json.loads((HERE / "pip_audit_pypi_skipped_all.json").read_text())
NAMES = [d["name"] for d in RECORDED["dependencies"]]


def _audited(vulns: dict[str, list[str]] | None = None) -> str:
    deps = [
        {"name": name, "version": "1.0", "vulns": [{"id": v} for v in (vulns or {}).get(name, [])]}
        for name in NAMES
    ]
    return json.dumps({"dependencies": deps, "fixes": []})


def test_every_dependency_skipped_is_a_skip_not_a_pass() -> None:
    raw = (HERE / "pip_audit_pypi_skipped_all.json").read_text()
    verdict = sbom.audit_verdict(NAMES, 0, raw, "No known vulnerabilities found\n")
    assert (verdict.status, verdict.total, verdict.not_audited) == ("skipped", 115, 115)
    assert verdict.text.startswith("skipped: 115 of 115 dependencies not audited (")
    assert "Dependency not found on PyPI and could not be audited: alembic (1.20.1)" in verdict.text


def test_an_unreachable_service_is_a_skip() -> None:
    stderr = (HERE / "pip_audit_osv_unreachable.stderr").read_text()
    verdict = sbom.audit_verdict(NAMES, 1, "", stderr)
    assert (verdict.status, verdict.not_audited) == ("skipped", 115)
    assert verdict.text.startswith(
        "skipped: 115 of 115 dependencies not audited (the vulnerability service cannot be reached:"
    )


def test_a_pass_needs_every_component_audited() -> None:
    verdict = sbom.audit_verdict(NAMES, 0, _audited(), "")
    assert verdict.text == "passed: 115 of 115 dependencies audited, no known vulnerabilities"
    # One component of the SBOM that pip-audit never mentions turns the pass into a skip.
    verdict = sbom.audit_verdict([*NAMES, "not-in-listing"], 0, _audited(), "")
    assert verdict.text == (
        "skipped: 1 of 116 dependencies not audited (not in pip-audit's listing)"
    )
    # So does one dependency pip-audit skipped (names compared as PyPI does).
    partial = json.loads(_audited())
    partial["dependencies"][0] = {"name": "Alembic", "skip_reason": "could not be audited"}
    verdict = sbom.audit_verdict(NAMES, 0, json.dumps(partial), "")
    assert verdict.text == "skipped: 1 of 115 dependencies not audited (could not be audited)"


def test_known_vulnerabilities_fail() -> None:
    verdict = sbom.audit_verdict(NAMES, 1, _audited({"jinja2": ["GHSA-xxxx-0001"]}), "")
    assert verdict.status == "failed"
    assert (
        verdict.text
        == "failed: known vulnerabilities in 1 dependencies (jinja2 1.0: GHSA-xxxx-0001)"
    )


def test_no_pip_audit_is_a_skip(monkeypatch: object) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda _name: None)  # type: ignore[attr-defined]
    verdict = sbom.vulnerability_audit(["a", "b"])
    assert verdict.text == "skipped: 2 of 2 dependencies not audited (pip-audit is not installed)"
