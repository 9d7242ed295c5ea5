"""Write a CycloneDX 1.5 software bill of materials of the installed environment.

Also states the vulnerability audit's status honestly. pip-audit (when installed) audits the
same site-packages the SBOM lists and prints JSON; the verdict is read from that JSON, never
from pip-audit's exit code alone. pip-audit exits 0 and says "No known vulnerabilities found"
even when it could audit nothing (e.g. its service is unreachable and every dependency carries
a `skip_reason`), so:

- "passed: N of N dependencies audited, no known vulnerabilities" only when every component
  of the SBOM was audited;
- "failed: ..." when any audited dependency has a known vulnerability (exit code 1);
- otherwise "skipped: K of N dependencies not audited (reason)", K counting dependencies
  pip-audit skipped and components it never mentioned. A skip is never a pass.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess  # pip-audit only, with a fixed argument list  # nosec B404
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any


def _key(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return name.lower().replace("_", "-").replace(".", "-")


def components() -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        key = _key(name)
        seen[key] = {
            "type": "library",
            "name": name,
            "version": dist.version,
            "purl": f"pkg:pypi/{key}@{dist.version}",
        }
    return [seen[k] for k in sorted(seen)]


@dataclass(frozen=True)
class AuditVerdict:
    """What the vulnerability audit established about the SBOM's components."""

    status: str  # passed | failed | skipped
    total: int
    not_audited: int
    vulnerable: dict[str, list[str]]  # dependency -> vulnerability ids
    reason: str = ""

    @property
    def text(self) -> str:
        if self.status == "passed":
            return f"passed: {self.total} of {self.total} dependencies audited, no known vulnerabilities"
        found = "; ".join(f"{name}: {', '.join(ids)}" for name, ids in sorted(self.vulnerable.items()))
        if self.status == "failed":
            text = f"failed: known vulnerabilities in {len(self.vulnerable)} dependencies ({found})"
            if self.not_audited:
                text += f"; {self.not_audited} of {self.total} dependencies not audited"
            return text
        return f"skipped: {self.not_audited} of {self.total} dependencies not audited ({self.reason})"


def _skipped(total: int, reason: str) -> AuditVerdict:
    return AuditVerdict("skipped", total, total, {}, reason)


def audit_verdict(
    expected: list[str], returncode: int, stdout: str, stderr: str
) -> AuditVerdict:
    """The verdict from one pip-audit run (`--format json`) over the `expected` components."""
    total = len(expected)
    try:
        report: Any = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
        last = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "")
        why = "the vulnerability service cannot be reached" if "ConnectionError" in stderr else (
            f"pip-audit gave no result (exit {returncode})"
        )
        return _skipped(total, f"{why}: {last[:200]}" if last else why)
    audited: set[str] = set()
    skip_reasons: list[str] = []
    vulnerable: dict[str, list[str]] = {}
    for dep in report["dependencies"]:
        name = _key(str(dep.get("name", "")))
        if dep.get("skip_reason"):
            skip_reasons.append(str(dep["skip_reason"]))
            continue
        audited.add(name)
        ids = [str(v.get("id")) for v in dep.get("vulns") or []]
        if ids:
            vulnerable[f"{name} {dep.get('version', '')}".strip()] = ids
    missing = [k for k in map(_key, expected) if k not in audited]
    if vulnerable:
        return AuditVerdict("failed", total, len(missing), vulnerable)
    if not missing:
        return AuditVerdict("passed", total, 0, {})
    reason = skip_reasons[0] if skip_reasons else "not in pip-audit's listing"
    if len(skip_reasons) > 1:
        reason += f", and {len(skip_reasons) - 1} more skipped"
    return AuditVerdict("skipped", total, len(missing), {}, reason)


def vulnerability_audit(expected: list[str]) -> AuditVerdict:
    pip_audit = shutil.which("pip-audit")
    if pip_audit is None:
        return _skipped(len(expected), "pip-audit is not installed")
    command = [
        pip_audit,
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--path",
        sysconfig.get_paths()["purelib"],
    ]
    try:
        result = subprocess.run(  # noqa: S603  # fixed arguments, no shell  # nosec B603
            command, capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired:
        return _skipped(len(expected), "the vulnerability service did not answer")
    return audit_verdict(expected, result.returncode, result.stdout, result.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where to write the SBOM JSON")
    args = parser.parse_args()
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "casereview"}},
        "components": components(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bom, indent=2))
    print(f"SBOM: {len(bom['components'])} components written to {args.out}")
    verdict = vulnerability_audit([c["name"] for c in bom["components"]])
    print(f"vulnerability audit: {verdict.text}")
    return 1 if verdict.status == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
