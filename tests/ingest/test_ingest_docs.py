"""Every example in docs/mapping.md loads: each ```yaml block is ingested with the data blocks
that follow it into a fresh store (each backend), and each ```sql block's rows must be what
the store holds. Every key of the mapping format is documented."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine, text

from casereview.ingest import ingest_mapping, parse_mapping
from casereview.ingest.mapping import Mapping

DOC = Path(__file__).resolve().parents[2] / "docs" / "mapping.md"
TUTORIAL = DOC.with_name("tutorial-mapping.md")
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


@dataclass
class Example:
    mapping: str
    files: dict[str, str] = field(default_factory=dict)
    queries: list[tuple[str, list[str]]] = field(default_factory=list)
    check: str | None = None  # the `casereview mapping check` output shown for it


def _examples(doc: Path = DOC) -> list[Example]:
    examples: list[Example] = []
    for lang, info, body in _FENCE.findall(doc.read_text(encoding="utf-8")):
        if lang == "yaml":
            examples.append(Example(body))
        elif lang in ("csv", "jsonl", "json"):
            assert examples and info.strip(), f"data block without a mapping or name: {body[:40]}"
            examples[-1].files[info.strip()] = body
        elif lang == "sql":
            query, _, expected = body.partition("\n--\n")
            assert examples and expected, f"sql block without expected rows: {body[:60]}"
            examples[-1].queries.append((query, _rows_of(expected)))
        elif lang == "text" and info.strip() == "check":
            examples[-1].check = body
    # An example without data blocks reads the files of the one before it (a fixed mapping).
    for before, example in itertools.pairwise(examples):
        if not example.files:
            example.files = before.files
    return examples


def _rows_of(expected: str) -> list[str]:
    """Expected rows, one a line; a line without " | " continues the row before (a value
    that holds a line break)."""
    rows: list[str] = []
    for line in expected.strip("\n").splitlines():
        if rows and " | " not in line:
            rows[-1] += "\n" + line
        else:
            rows.append(line)
    return rows


EXAMPLES = _examples()
TUTORIAL_EXAMPLES = _examples(TUTORIAL)


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def test_the_docs_have_an_example_of_every_shape() -> None:
    names = [parse_mapping(e.mapping, "docs/mapping.md").source.name for e in EXAMPLES]
    assert names == [
        "example_codes",
        "example_police",
        "example_csc",
        "example_json",
        "example_names",
        "example_dates",
        "example_keys",
        "example_values",
        "example_identifiers",
        "example_lookup",
    ]
    assert all(e.files and e.queries for e in EXAMPLES)


def _check_output(example: Example, mapping: Path, data: Path) -> None:
    """The `mapping check` output the page shows is what the command prints (but its first
    line, which names the mapping file)."""
    import contextlib
    import io

    from casereview.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        from casereview.cli.common import console

        console.file = printed
        try:
            main(["mapping", "check", str(mapping), "--data-dir", str(data)])
        finally:
            console.file = None  # type: ignore[assignment]
    assert example.check is not None
    got = printed.getvalue().splitlines()[1:]
    assert got == example.check.splitlines()[1:]


def _keys(model: type[BaseModel]) -> set[str]:
    found: set[str] = set()
    for name, info in model.model_fields.items():
        found.add(info.alias or name)
        for arg in [info.annotation, *getattr(info.annotation, "__args__", ())]:
            for inner in [arg, *getattr(arg, "__args__", ())]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found |= _keys(inner)
    return found


def test_every_key_of_the_format_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = sorted(k for k in _keys(Mapping) if f"`{k}`" not in doc)
    assert missing == []


def test_the_borough_vocabulary_is_documented() -> None:
    from casereview.values.borough import _BOROUGHS

    doc = DOC.read_text(encoding="utf-8")
    for name, variants in _BOROUGHS.items():
        assert f"| {name} | {', '.join(variants)} |" in doc


ALL = EXAMPLES + TUTORIAL_EXAMPLES


@pytest.mark.parametrize(
    "example",
    ALL,
    ids=[re.search(r"name: (\w+)", e.mapping).group(1) for e in ALL],  # type: ignore[union-attr]
)
def test_docs_example_loads(example: Example, fresh_store: Engine, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name, body in example.files.items():
        (data / name).write_text(body, encoding="utf-8")
    mapping = tmp_path / "example.yaml"
    mapping.write_text(example.mapping, encoding="utf-8")
    if example.check is not None:
        _check_output(example, mapping, data)
    results = ingest_mapping(fresh_store, mapping, data, "docs")
    assert [r.status for r in results] == ["imported"] * len(results)
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined
    with fresh_store.connect() as conn:
        for query, expected in example.queries:
            rows = conn.execute(text(query)).all()
            got = [" | ".join(_cell(v) for v in row) for row in rows]
            assert got == expected, query
