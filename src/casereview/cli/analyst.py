"""The analyst's commands: `chronology`, `chart`, `matches list|show|judge` and
`export-network`.

Each acts as the user signed in with `casereview login` (`common.signed_in_actor`), with that
user's role and teams: a reviewer's chronology holds only the records of their teams' work.
Showing is audited as a consultation; writing a file as a disclosure with its purpose and
recipient; a judgement as a combination (through the one judgement function).
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, signed_in_actor, store_engine
from casereview.cli.outputs import FORCE_OPTION, checked_out
from casereview.model.codes import MatchJudgement

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from casereview.store.access import Actor

__all__ = ["matches_app"]

matches_app = typer.Typer(
    help="Possible matches: near misses and split pairs of the last link run, to judge.",
    no_args_is_help=True,
)
app.add_typer(matches_app, name="matches")

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")
AS_OPTION = typer.Option(
    None, "--as", help="The signed-in user (`casereview login`); any other name is refused."
)


class ChronologyFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    csv = "csv"


class ChartFormat(StrEnum):
    json = "json"
    html = "html"


class ChartKind(StrEnum):
    group = "group"
    person = "person"


class NetworkFormat(StrEnum):
    i2 = "i2"
    graphml = "graphml"
    gexf = "gexf"
    ftm = "ftm"


def _actor(store: Engine, named: str | None, command: str) -> Actor:
    return signed_in_actor(store, named, command)


def _denials_audited(store: Engine, actor: Actor, command: str) -> AbstractContextManager[None]:
    """A refusal inside the command (role, team, object) is audited as DENIED on it."""
    from casereview.store import audit

    return audit.denials_audited(
        store, actor=actor.username, object_type="function", object_id=command,
        client=actor.client, details={"command": command},
    )  # fmt: skip


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise typer.BadParameter(f"{option} takes a date as YYYY-MM-DD, not {text!r}") from e


@app.command("chronology")
def chronology_command(
    ctx: typer.Context,
    person: int = typer.Argument(..., help="Resolved person id."),
    fmt: ChronologyFormat = typer.Option(
        ChronologyFormat.html, "--format", help="File format with --out: html, pdf or csv."
    ),
    out: Path = typer.Option(
        None, "--out", help="Write the chronology to this file (a disclosure: needs --purpose)."
    ),
    purpose: str = typer.Option(None, "--purpose", help="Why the chronology leaves the system."),
    recipient: str = typer.Option(None, "--recipient", help="Who receives it (e.g. the panel)."),
    gap_days: int = typer.Option(180, "--gap-days", min=1, help="Name gaps longer than this."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Every record of a person across sources in date order, with findings, indicators and
    turning points; shown here (audited as a consultation) or written with --out."""
    from rich.table import Table

    from casereview.report.chronology import consult_chronology, export_chronology

    if out is not None:
        out = checked_out(out, force)
    with store_engine(ctx) as store:
        actor = _actor(store, username, "chronology")
        if out is not None:
            chron = export_chronology(
                store, actor, person, out, fmt.value,
                purpose=purpose, recipient=recipient, gap_days=gap_days,
            )  # fmt: skip
            if as_json:
                print_json({"file": str(out), "records": len(chron.entries)})
            else:
                console.print(
                    f"wrote the chronology of person {person} ({len(chron.entries)} records) to {out}"
                )
            return
        chron = consult_chronology(store, actor, person, gap_days=gap_days)
    if as_json:
        print_json(chron.as_dict())
        return
    table = Table(title=f"chronology of person {person}: {chron.name or ''}")
    for column in ("date", "agency", "record", "role", "reference", "marked"):
        table.add_column(column)
    for e in chron.entries:
        marks = [p.label for p in e.turning_points] + [f"{m.kind}: {m.code}" for m in e.markers]
        table.add_row(
            e.date.isoformat() if e.date else "undated",
            e.agency,
            e.record_type + (" (withdrawn)" if e.withdrawn else ""),
            ", ".join(e.roles),
            e.reference,
            "\n".join(marks),
        )
    console.print(table)


@app.command("chart")
def chart_command(
    ctx: typer.Context,
    kind: ChartKind = typer.Argument(..., help="group or person."),
    subject: int = typer.Argument(..., help="The group or person id."),
    fmt: ChartFormat = typer.Option(ChartFormat.json, "--format", help="json or html."),
    out: Path = typer.Option(None, "--out", help="Write to this file instead of printing."),
    date_from: str = typer.Option(None, "--from", help="Only records on or after YYYY-MM-DD."),
    date_to: str = typer.Option(None, "--to", help="Only records on or before YYYY-MM-DD."),
    expand: str = typer.Option(None, "--expand", help="Expand at this node (e.g. person:12)."),
    username: str | None = AS_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """A link chart of a group or a person's network: nodes, labelled edges, positions
    (the same on every load), legend. Audited as a consultation."""
    import json

    from casereview.network.chart import ChartRequest, consult_chart
    from casereview.report.linkchart import render_chart_html
    from casereview.store.files import open_private

    if out is not None:
        out = checked_out(out, force)
    with store_engine(ctx) as store:
        actor = _actor(store, username, "chart")
        request = ChartRequest(
            kind.value, subject, _date(date_from, "--from"), _date(date_to, "--to"), expand
        )
        chart = consult_chart(store, actor, request)
    text = (
        render_chart_html(chart, viewer=actor.username)
        if fmt == ChartFormat.html
        else json.dumps(chart.as_dict(), indent=2, ensure_ascii=False) + "\n"
    )
    if out is None:
        typer.echo(text, nl=False)
        return
    with open_private(out) as handle:  # personal data: owner-only (0600)
        handle.write(text)
    console.print(f"wrote chart {chart.key} ({len(chart.nodes)} nodes) to {out}")


@app.command("export-network")
def export_network_command(
    ctx: typer.Context,
    kind: ChartKind = typer.Argument(..., help="group or person."),
    subject: int = typer.Argument(..., help="The group or person id."),
    fmt: NetworkFormat = typer.Option(..., "--format", help="i2, graphml, gexf or ftm."),
    out: Path = typer.Option(..., "--out", help="File to write."),
    purpose: str = typer.Option(..., "--purpose", help="Why the data leaves the system."),
    recipient: str = typer.Option(..., "--recipient", help="Who receives it."),
    date_from: str = typer.Option(None, "--from", help="Only records on or after YYYY-MM-DD."),
    date_to: str = typer.Option(None, "--to", help="Only records on or before YYYY-MM-DD."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
    force: bool = FORCE_OPTION,
) -> None:
    """Export a group or a person's network for i2 Analyst's Notebook, Gephi (GraphML, GEXF)
    or Aleph (followthemoney JSON lines): analysts only, audited as a disclosure."""
    from casereview.network.analyst_exports import export_network
    from casereview.network.chart import ChartRequest

    out = checked_out(out, force)
    with store_engine(ctx) as store:
        actor = _actor(store, username, "export-network")
        with _denials_audited(store, actor, "export-network"):
            request = ChartRequest(
                kind.value, subject, _date(date_from, "--from"), _date(date_to, "--to")
            )
            result = export_network(
                store, actor, request, fmt.value, out, purpose=purpose, recipient=recipient
            )
    if as_json:
        print_json(
            {
                "format": result.format,
                "files": result.files,
                "nodes": result.nodes,
                "edges": result.edges,
            }
        )
        return
    console.print(
        f"wrote {result.nodes} nodes and {result.edges} edges as {result.format}: "
        + ", ".join(result.files)
    )


@matches_app.command("list")
def matches_list_command(
    ctx: typer.Context,
    kind: str = typer.Option(None, "--kind", help="near_miss, split or judged."),
    status: str = typer.Option(None, "--status", help="open or judged."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many pairs."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """The possible-matches queue, strongest first (audited as a consultation)."""
    from rich.table import Table

    from casereview.link.matches import match_counts, possible_matches
    from casereview.model.codes import AuditAction
    from casereview.store import audit
    from casereview.store.db import reading

    with store_engine(ctx) as store:
        actor = _actor(store, username, "matches list")
        with _denials_audited(store, actor, "matches list"), reading(store) as conn:
            queue = possible_matches(conn, actor, kind=kind, status=status, limit=limit)
            counts = match_counts(conn, actor)
        audit.append_alone(
            store,
            actor=actor.username,
            action=AuditAction.CONSULT,
            object_type="possible_matches",
            client=actor.client,
            details={"pairs": len(queue), "kind": kind, "status": status},
        )
    if as_json:
        print_json({"counts": counts.as_dict(), "pairs": [m.as_dict() for m in queue]})
        return
    table = Table(title="possible matches")
    for column in ("mentions", "kind", "weight", "persons", "judgement"):
        table.add_column(column)
    for m in queue:
        judged = "" if m.judgement is None else f"{m.judgement} by {m.judged_by}"
        if m.in_effect is False:
            judged += " (next link run)"
        table.add_row(
            f"{m.mention_a} {m.mention_b}",
            m.kind,
            "" if m.match_weight is None else f"{m.match_weight:.2f}",
            f"{m.person_a} / {m.person_b}",
            judged,
        )
    console.print(table)
    c = counts
    console.print(
        f"open near misses: {c.near_miss_open}, open splits: {c.split_open}, "
        f"judged: {c.judged}, awaiting the next link run: {c.awaiting_link_run}"
    )


@matches_app.command("show")
def matches_show_command(
    ctx: typer.Context,
    mention_a: int = typer.Argument(..., help="A mention id."),
    mention_b: int = typer.Argument(..., help="The other mention id."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A pair side by side with its waterfall and what holds each side in its person."""
    from rich.table import Table

    from casereview.link.matches import show_match
    from casereview.model.codes import AuditAction
    from casereview.store import audit

    with store_engine(ctx) as store:
        actor = _actor(store, username, "matches show")
        with _denials_audited(store, actor, "matches show"):
            detail = show_match(store, actor, mention_a, mention_b)
        audit.append_alone(
            store,
            actor=actor.username,
            action=AuditAction.CONSULT,
            object_type="mention_pair",
            object_id=f"{detail.match.mention_a}-{detail.match.mention_b}",
            client=actor.client,
            details={"view": "possible match"},
        )
    if as_json:
        print_json(detail.as_dict())
        return
    sides = Table("", f"mention {detail.side_a.mention_id}", f"mention {detail.side_b.mention_id}")
    for name in ("person_id", "name", "role", "dob", "postcode", "source", "source_ref",
                 "record_type", "occurred_at", "excerpt"):  # fmt: skip
        sides.add_row(
            name, str(getattr(detail.side_a, name) or ""), str(getattr(detail.side_b, name) or "")
        )
    console.print(sides)
    for title, expl in (
        ("this pair", detail.pair),
        (f"holds {detail.side_a.mention_id} in its person", detail.holds_a),
        (f"holds {detail.side_b.mention_id} in its person", detail.holds_b),
    ):
        if expl is None:
            continue
        bars = Table("comparison", "level", "value a", "value b", "weight", title=title)
        bars.add_row("prior", "", "", "", f"{expl.prior:+.2f}")
        for bar in expl.bars:
            bars.add_row(
                bar.comparison,
                bar.level,
                bar.value_a or "",
                bar.value_b or "",
                f"{bar.weight:+.2f}",
            )
        bars.add_row("total", "", "", "", f"{expl.match_weight:+.2f}")
        console.print(bars)


@matches_app.command("judge")
def matches_judge_command(
    ctx: typer.Context,
    mention_a: int = typer.Argument(..., help="A mention id."),
    mention_b: int = typer.Argument(..., help="The other mention id."),
    judgement: MatchJudgement = typer.Option(..., "--judgement", help="same, not_same or unsure."),
    reason: str = typer.Option(..., "--reason", help="Why (required)."),
    username: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Judge a pair (same, not same, unsure) with a reason; it supersedes any earlier
    judgement on the pair and takes effect at the next `casereview link`."""
    from casereview.link.matches import judge_match

    with store_engine(ctx) as store:
        actor = _actor(store, username, "matches judge")
        with _denials_audited(store, actor, "matches judge"):
            record = judge_match(store, actor, mention_a, mention_b, judgement, reason)
    if as_json:
        print_json(
            {"judgement_id": record.id, "mention_a": record.mention_a, "mention_b": record.mention_b,
             "judgement": record.judgement, "effective": "next link run"}
        )  # fmt: skip
        return
    console.print(
        f"judgement {record.id}: mentions {record.mention_a} and {record.mention_b} "
        f"{record.judgement}; takes effect at the next `casereview link`"
    )
