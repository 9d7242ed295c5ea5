"""Every YAML example in docs/mapping.md is a valid mapping."""

from __future__ import annotations

import re
from pathlib import Path

from casereview.ingest import parse_mapping

DOC = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"


def test_every_full_example_in_the_docs_validates() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    full = [b for b in blocks if b.startswith("source:")]
    assert len(full) == 2
    sources = [parse_mapping(b, "docs/mapping.md").source.name for b in full]
    assert sources == ["example_police", "example_csc"]
