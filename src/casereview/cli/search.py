"""`casereview search NAME` and `casereview person ID`: the web app's search and person page
on the command line, from the same read side (`link.search`, `link.views`), audited alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from casereview.cli.app import app
from casereview.cli.common import console, print_json, settings_for, store_engine
from casereview.model.codes import AuditAction

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from casereview.store.access import Actor

__all__ = ["person_command", "search_command"]

AS_OPTION = typer.Option(
    None, "--as", help="See what this user may see (default: the operator, who sees everything)."
)
JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON.")


def _actor(store: Engine, username: str | None) -> tuple[str | None, Actor]:
    """(the name to audit, the actor whose view is shown): `--as` names a user."""
    from casereview.store.access import load_actor, system_actor
    from casereview.store.db import reading

    if username is None:
        return None, system_actor("cli")
    with reading(store) as conn:
        return username, load_actor(conn, username)


@app.command("search")
def search_command(
    ctx: typer.Context,
    name: str = typer.Argument("", help="A name, in any order; nicknames and variants match."),
    dob: str = typer.Option(None, "--dob", help="Date of birth, YYYY-MM-DD."),
    age_from: int = typer.Option(
        None, "--age-from", min=0, max=120, help="Youngest age at an event."
    ),
    age_to: int = typer.Option(None, "--age-to", min=0, max=120, help="Oldest age at an event."),
    page: int = typer.Option(1, "--page", min=1, help="Page of 25 results."),
    username: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Find persons by name, date of birth or age at an event (audited as a search)."""
    from casereview.link.search import PersonQuery, search_persons
    from casereview.store import audit
    from casereview.store.db import reading

    born = dt.date.fromisoformat(dob) if dob else None
    query = PersonQuery(name, born, age_from, age_to)
    if query.empty:
        raise typer.BadParameter("give a name, --dob, --age-from or --age-to")
    with store_engine(ctx) as store:
        named, actor = _actor(store, username)
        with reading(store) as conn:
            found = search_persons(conn, actor, query, page)
        audit.append_alone(
            store,
            actor=named or settings_for(ctx).user,
            action=AuditAction.SEARCH,
            object_type="persons",
            details={"kind": "person", "page": page, "results": found.total,
                     "person_ids": [h.person_id for h in found.items]},
        )  # fmt: skip
    if as_json:
        print_json(
            {"total": found.total, "page": found.page, "items": [asdict(h) for h in found.items]}
        )
        return
    from rich.table import Table

    table = Table("person", "name", "recorded as", "born", "mentions", "records", "matched by")
    for h in found.items:
        born_on = "; ".join(d.isoformat() for d in h.dates_of_birth)
        table.add_row(str(h.person_id), h.display_name or "", "; ".join(h.names), born_on,
                      str(h.mentions), str(h.records), h.matched_by)  # fmt: skip
    console.print(table)
    console.print(f"page {found.page} of {found.pages}, {found.total} person(s)")


@app.command("person")
def person_command(
    ctx: typer.Context,
    person_id: int = typer.Argument(..., help="Person id."),
    username: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A person's mentions and why they were linked (the match waterfall), audited as a view."""
    from casereview.link.views import person_view
    from casereview.store import audit
    from casereview.store.db import reading

    with store_engine(ctx) as store:
        named, actor = _actor(store, username)
        with reading(store) as conn:
            person = person_view(conn, actor, person_id)
        audit.append_alone(
            store,
            actor=named or settings_for(ctx).user,
            action=AuditAction.CONSULT,
            object_type="person",
            object_id=person_id,
            details={"mentions": len(person.mentions)},
        )
    if as_json:
        print_json(asdict(person))
        return
    console.print(f"{person.display_name or 'unnamed'} (person {person.id}): "
                  f"{len(person.mentions)} mention(s) in {person.record_count} record(s)", highlight=False)  # fmt: skip
    for m in person.mentions:
        age = "" if m.age_at_event is None else f", aged {m.age_at_event}"
        console.print(f"  {m.occurred_at or 'undated'}  {m.source_ref}  {m.role}  {m.name or ''}{age}",
                      highlight=False)  # fmt: skip
    for p in person.pairs:
        console.print(
            f"\n{p.ref_a} / {p.ref_b}: match weight {p.match_weight:+.2f}", highlight=False
        )
        console.print(f"  prior {p.prior:+.2f}", highlight=False)
        for bar, _before, after in p.steps:
            console.print(f"  {bar.comparison}: {bar.level} ({bar.value_a or '-'} / {bar.value_b or '-'}) "
                          f"{bar.weight:+.2f} -> {after:+.2f}", highlight=False)  # fmt: skip
        if p.unexplained:
            console.print(
                f"  not explained by the comparisons {p.unexplained:+.2f}", highlight=False
            )
