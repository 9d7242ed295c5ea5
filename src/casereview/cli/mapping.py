"""`casereview mapping check`: what a mapping makes of a team's export files, before any
ingest (reads the files, writes nothing, needs no store)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, settings_for

if TYPE_CHECKING:
    from casereview.ingest.check import FileCheck

__all__ = ["mapping_check"]

mapping_app = typer.Typer(
    help="Write and check mappings of a team's own exports (see docs/tutorial-mapping.md).",
    no_args_is_help=True,
)
app.add_typer(mapping_app, name="mapping")

_NOTE_TITLES = {
    "unknown_code": "codes not in the mapping's code tables",
    "unreadable_borough": "boroughs that are not a London borough (stored as NULL)",
    "value_dropped": "unreadable values stored as NULL (on_invalid: null)",
    "future_dob": "dates of birth in the future",
    "age_over_110": "ages over 110",
    "control_characters": "values with control characters (removed)",
    "lookup_unmatched": "lookup keys with no row",
}


def _render(check: FileCheck) -> list[str]:
    data = check.as_dict()
    head = f"{check.path} ({check.role}, {check.format})"
    if check.refused:
        return [f"{head}: would be REFUSED: {check.refused}"]
    sampled = " (first rows only: --sample)" if check.sampled else ""
    lines = [
        f"{head}: rows read {check.rows_read} = would load {check.would_load} + would "
        f"quarantine {check.would_quarantine}{sampled}"
        + (
            f"; nested items quarantined {check.items_quarantined}"
            if check.items_quarantined
            else ""
        )
    ]
    for q in data["quarantine"]:
        rows = ", ".join(str(e[0]) for e in q["examples"])
        first = q["examples"][0][2] if q["examples"] else ""
        lines.append(f"  quarantined {q['reason']} at {q['field'] or '(row)'}: {q['count']} "
                     f"(rows {rows}): {first}")  # fmt: skip
    lines.append("  field                              read  parsed   empty  failed")
    for f in data["fields"]:
        lines.append(f"  {f['name']:<32} {f['read']:>6} {f['parsed']:>7} {f['empty']:>7} "
                     f"{f['failed']:>7}")  # fmt: skip
        for row, text, message in f["examples"]:
            lines.append(f"      row {row}: {text!r}: {message}")
    for note, by_field in data["notes"].items():
        for name, n in by_field.items():
            values = ", ".join(f"{v!r} {c}" for v, c in n["values"].items() if v)
            lines.append(f"  {_NOTE_TITLES[note]}: {name}: {n['count']}"
                         + (f" ({values})" if values else ""))  # fmt: skip
            for e in n["examples"][:2]:
                lines.append(
                    f"      row {e[0]}: {e[1]!r}: {e[2]}" if e[1] else f"      row {e[0]}: {e[2]}"
                )
    return lines


@mapping_app.command("check")
def mapping_check(
    ctx: typer.Context,
    mapping: Path = typer.Argument(..., help="Mapping YAML file of one source."),
    data_dir: Path = typer.Option(
        Path("."), "--data-dir", help="Folder the mapping's file paths are relative to."
    ),
    sample: int | None = typer.Option(
        None, "--sample", min=1, help="Read only the first N rows of each file."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Read a source's export files through its mapping and say what ingest would do with
    them, without writing anything: per file, rows that would load or be quarantined (and
    why, with row numbers); per field, values read, parsed, empty and failed (with
    examples); codes the code tables do not know, unreadable boroughs, dates of birth in
    the future and implausible ages. Exit 1 when a file would be refused."""
    from casereview.ingest.check import check_mapping

    settings = settings_for(ctx)
    found, checks = check_mapping(mapping, data_dir, sample=sample, settings=settings.ingest)
    if as_json:
        out: dict[str, Any] = {
            "mapping": str(mapping),
            "source": found.source.name,
            "files": [c.as_dict() for c in checks],
        }
        print_json(out)
    else:
        console.print(f"mapping {mapping}: source {found.source.name} ({found.source.kind.value})",
                      highlight=False, markup=False, soft_wrap=True)  # fmt: skip
        for check in checks:
            for line in _render(check):
                console.print(line, highlight=False, markup=False, soft_wrap=True)
    if any(c.refused for c in checks):
        raise typer.Exit(1)
