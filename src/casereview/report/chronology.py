"""The multi-agency chronology of one resolved person: what a review panel asks for first.

Every record the person is mentioned in, across sources, in date order: agency, record type,
the person's role, the source reference and a short excerpt, with the classify stage's flag
findings and the review stage's missed-opportunity indicators marked at the record's date,
and the turning points named (first concern, first referral, first police record, first
missing episode, and gaps with no record). Only records the viewer may see are listed
(`store.access`); a chronology shown is audited as a consultation, one written to a file
(HTML, PDF for the panel, CSV) as a disclosure with its purpose and recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from casereview import __version__
from casereview.errors import ValidationError
from casereview.link.matches import excerpt
from casereview.model.codes import (
    AuditAction,
    ConcernFactor,
    FindingCode,
    IndicatorCode,
    RecordType,
    SourceKind,
    Typology,
    UserRole,
)
from casereview.model.serial import from_json
from casereview.model.tables import (
    classifications,
    flag_findings,
    indicators,
    mention_person,
    mentions,
    persons,
    records,
    sources,
)
from casereview.report.render import pdf_available, template_env
from casereview.store import audit
from casereview.store.access import Actor, check_person, visible_records
from casereview.store.db import id_batches, reading, writing
from casereview.store.exports import write_audited_csv, write_audited_file

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "Chronology",
    "ChronologyEntry",
    "Marker",
    "TurningPoint",
    "build_chronology",
    "chronology_csv_rows",
    "consult_chronology",
    "export_chronology",
    "render_chronology_html",
    "render_chronology_pdf",
]

FORMATS = ("html", "pdf", "csv")
CSV_COLUMNS = (
    "date",
    "agency",
    "agency_kind",
    "record_type",
    "role",
    "reference",
    "excerpt",
    "findings",
    "indicators",
    "turning_points",
    "withdrawn",
)
DEFAULT_GAP_DAYS = 180


@dataclass(frozen=True)
class Marker:
    """A flag finding or missed-opportunity indicator raised on a record."""

    kind: str  # finding | indicator
    code: str
    definition: str


@dataclass(frozen=True)
class TurningPoint:
    """A named moment in the chronology."""

    name: str  # first_concern | first_referral | first_police_record | first_missing | gap
    label: str
    date: dt.date | None
    record_id: int | None
    days: int | None = None  # for a gap: days with no record before this one


@dataclass
class ChronologyEntry:
    """One record of the person, as the chronology lists it."""

    date: dt.date | None
    record_id: int
    agency: str
    agency_kind: str
    record_type: str
    roles: list[str]
    reference: str
    excerpt: str | None
    concern: bool
    withdrawn: bool
    markers: list[Marker] = field(default_factory=list)
    turning_points: list[TurningPoint] = field(default_factory=list)


@dataclass
class Chronology:
    """The person's chronology as one viewer may see it."""

    person_id: int
    name: str | None
    viewer: str
    team_limited: bool  # True when records outside the viewer's teams' work are left out
    gap_days: int
    entries: list[ChronologyEntry]
    turning_points: list[TurningPoint]
    generated: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["generated"] = self.generated.isoformat()
        return out


def _definition(kind: str, code: str) -> str:
    codes = FindingCode if kind == "finding" else IndicatorCode
    member = codes.parse(code)
    return member.definition if member is not None else code


def build_chronology(
    conn: Connection, actor: Actor, person_id: int, *, gap_days: int = DEFAULT_GAP_DAYS
) -> Chronology:
    """The chronology of `person_id` from the records `actor` may see (NotFound, AccessDenied)."""
    check_person(conn, actor, person_id)
    if gap_days < 1:
        raise ValidationError("a gap is at least 1 day")
    name = conn.execute(select(persons.c.display_name).where(persons.c.id == person_id)).scalar()
    rows = conn.execute(
        select(
            records.c.id,
            records.c.occurred_at,
            records.c.recorded_at,
            records.c.record_type,
            records.c.source_ref,
            records.c.narrative,
            records.c.cse_flag,
            records.c.factors,
            records.c.withdrawn_at,
            sources.c.name.label("agency"),
            sources.c.kind.label("agency_kind"),
            mentions.c.role,
        )
        .join(mentions, mentions.c.record_id == records.c.id)
        .join(mention_person, mention_person.c.mention_id == mentions.c.id)
        .join(sources, sources.c.id == records.c.source_id)
        .where(mention_person.c.person_id == person_id, visible_records(actor))
        .order_by(records.c.id, mentions.c.role)
    ).all()
    by_record: dict[int, ChronologyEntry] = {}
    for r in rows:
        entry = by_record.get(int(r.id))
        if entry is None:
            factors = from_json(r.factors, [])
            by_record[int(r.id)] = ChronologyEntry(
                date=r.occurred_at or r.recorded_at,
                record_id=int(r.id),
                agency=r.agency,
                agency_kind=r.agency_kind,
                record_type=r.record_type,
                roles=[r.role],
                reference=r.source_ref,
                excerpt=excerpt(r.narrative),
                concern=bool(r.cse_flag) or ConcernFactor.CSE.value in factors,
                withdrawn=r.withdrawn_at is not None,
            )
        elif r.role not in entry.roles:
            entry.roles.append(r.role)
    ids = sorted(by_record)
    _mark(conn, person_id, ids, by_record)
    entries = sorted(
        by_record.values(), key=lambda e: (e.date is None, e.date or dt.date.min, e.record_id)
    )
    points = _turning_points(entries, gap_days)
    return Chronology(
        person_id=person_id,
        name=name,
        viewer=actor.username,
        team_limited=actor.role in (UserRole.REVIEWER, UserRole.SUPERVISOR),
        gap_days=gap_days,
        entries=entries,
        turning_points=points,
        generated=dt.datetime.now(dt.UTC),
    )


def _mark(
    conn: Connection, person_id: int, ids: list[int], by_record: dict[int, ChronologyEntry]
) -> None:
    """Attach findings and indicators to their records; CSE-likely records are concerns."""
    for part in id_batches(ids):
        for rid, code in conn.execute(
            select(flag_findings.c.record_id, flag_findings.c.code)
            .where(
                flag_findings.c.record_id.in_(part),
                or_(flag_findings.c.person_id.is_(None), flag_findings.c.person_id == person_id),
            )
            .order_by(flag_findings.c.record_id, flag_findings.c.code)
        ).all():
            by_record[int(rid)].markers.append(
                Marker("finding", code, _definition("finding", code))
            )
        for rid, code in conn.execute(
            select(indicators.c.record_id, indicators.c.code)
            .where(indicators.c.record_id.in_(part))
            .order_by(indicators.c.record_id, indicators.c.code)
        ).all():
            marker = Marker("indicator", code, _definition("indicator", code))
            if marker not in by_record[int(rid)].markers:
                by_record[int(rid)].markers.append(marker)
        for (rid,) in conn.execute(
            select(classifications.c.record_id).where(
                classifications.c.record_id.in_(part),
                classifications.c.label == Typology.CSE_LIKELY.value,
            )
        ).all():
            by_record[int(rid)].concern = True


_FIRSTS: tuple[tuple[str, str], ...] = (
    ("first_concern", "First CSE concern recorded"),
    ("first_referral", "First referral to children's social care"),
    ("first_police_record", "First police record"),
    ("first_missing", "First missing episode"),
)


def _is_first_kind(name: str, entry: ChronologyEntry) -> bool:
    if name == "first_concern":
        return entry.concern
    if name == "first_referral":
        return entry.record_type == RecordType.REFERRAL.value
    if name == "first_police_record":
        return entry.agency_kind == SourceKind.POLICE.value
    return entry.record_type == RecordType.MISSING_EPISODE.value


def _turning_points(entries: Sequence[ChronologyEntry], gap_days: int) -> list[TurningPoint]:
    """The firsts (in date order; undated records count only when nothing dated does) and
    every gap of more than `gap_days` between consecutive dated records."""
    points: list[TurningPoint] = []
    for name, label in _FIRSTS:
        first = next((e for e in entries if _is_first_kind(name, e)), None)
        if first is not None:
            point = TurningPoint(name, label, first.date, first.record_id)
            first.turning_points.append(point)
            points.append(point)
    dated = [e for e in entries if e.date is not None]
    for before, after in pairwise(dated):
        assert before.date is not None and after.date is not None
        days = (after.date - before.date).days
        if days > gap_days:
            point = TurningPoint(
                "gap",
                f"No record for {days} days (after {before.date.isoformat()})",
                after.date,
                after.record_id,
                days,
            )
            after.turning_points.append(point)
            points.append(point)
    points.sort(key=lambda p: (p.date is None, p.date or dt.date.min, p.name))
    return points


def chronology_csv_rows(chron: Chronology) -> list[list[Any]]:
    """One row per record, in the chronology's order (columns: `CSV_COLUMNS`)."""
    return [
        [
            e.date.isoformat() if e.date else "",
            e.agency,
            e.agency_kind,
            e.record_type,
            ";".join(e.roles),
            e.reference,
            e.excerpt or "",
            ";".join(m.code for m in e.markers if m.kind == "finding"),
            ";".join(m.code for m in e.markers if m.kind == "indicator"),
            ";".join(p.label for p in e.turning_points),
            "yes" if e.withdrawn else "",
        ]
        for e in chron.entries
    ]


def render_chronology_html(chron: Chronology) -> str:
    """The chronology as one self-contained HTML document (the PDF is printed from it)."""
    env = template_env()
    used = sorted({(m.kind, m.code, m.definition) for e in chron.entries for m in e.markers})
    return env.get_template("chronology.html").render(
        c=chron,
        version=__version__,
        generated=chron.generated.strftime("%d %B %Y %H:%M UTC"),
        markers_used=used,
    )


def render_chronology_pdf(chron: Chronology) -> bytes:
    """The chronology as an A4 PDF (page numbers and a running header), by WeasyPrint."""
    if not pdf_available():
        raise ValidationError("PDF output needs WeasyPrint: pip install 'casereview[pdf]'")
    import weasyprint  # type: ignore[import-not-found, unused-ignore]

    data = weasyprint.HTML(string=render_chronology_html(chron)).write_pdf()
    assert isinstance(data, bytes)
    return data


def consult_chronology(
    engine: Engine, actor: Actor, person_id: int, *, gap_days: int = DEFAULT_GAP_DAYS
) -> Chronology:
    """The chronology, with its CONSULT audit entry (a refusal is audited as DENIED)."""
    chron = _load(engine, actor, person_id, gap_days, "chronology")
    audit.append_alone(
        engine,
        actor=actor.username,
        action=AuditAction.CONSULT,
        object_type="person",
        object_id=person_id,
        client=actor.client,
        details={"view": "chronology", "records": len(chron.entries)},
    )
    return chron


def _load(engine: Engine, actor: Actor, person_id: int, gap_days: int, view: str) -> Chronology:
    denied = {"view": view}
    with audit.denials_audited(
        engine, actor=actor.username, object_type="person", object_id=person_id,
        client=actor.client, details=denied,
    ), reading(engine) as conn:  # fmt: skip
        return build_chronology(conn, actor, person_id, gap_days=gap_days)


def export_chronology(
    engine: Engine,
    actor: Actor,
    person_id: int,
    out: Path,
    fmt: str,
    *,
    purpose: str,
    recipient: str | None,
    gap_days: int = DEFAULT_GAP_DAYS,
) -> Chronology:
    """Write the chronology to `out` as html, pdf or csv: a disclosure, audited with its
    purpose and recipient (nothing is written without a purpose)."""
    if fmt not in FORMATS:
        raise ValidationError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    what = f"chronology:person:{person_id}"
    chron = _load(engine, actor, person_id, gap_days, "chronology export")
    content: str | bytes | None = None
    if fmt == "pdf":
        content = render_chronology_pdf(chron)
    elif fmt == "html":
        content = render_chronology_html(chron)
    with writing(engine) as conn:
        if content is None:
            write_audited_csv(
                conn,
                out,
                CSV_COLUMNS,
                chronology_csv_rows(chron),
                what=what,
                purpose=purpose,
                recipient=recipient,
                actor=actor.username,
            )
            return chron
        write_audited_file(
            conn,
            out,
            content,
            what=what,
            purpose=purpose,
            recipient=recipient,
            actor=actor.username,
            client=actor.client,
            details={"format": fmt, "records": len(chron.entries)},
        )
    return chron
