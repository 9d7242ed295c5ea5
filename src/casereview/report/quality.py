"""Data quality and reconciliation per source, as true counts plus the rates built on them.

Measures (docs/reports.md explains each): rows read, loaded and quarantined by reason;
completeness of key fields for victims and suspects separately; recorded ethnicity (reported
as completeness and distribution only, never an input to anything); mentions per resolved
person within a source (duplicates found by linkage); flag consistency; police and
local-authority records of CSE concern by borough, per 1,000 children where a population table
is supplied. Rates are computed from unrounded counts and published through `safe_rate` only
where their denominator is itself published.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, select

from casereview.errors import ValidationError
from casereview.model.codes import (
    DobPrecision,
    EthnicityGroup,
    FindingCode,
    MentionRole,
    QuarantineScope,
    SourceKind,
    Typology,
)
from casereview.model.tables import (
    classifications,
    flag_findings,
    imports,
    mention_person,
    mentions,
    quarantine,
)
from casereview.report.disclosure import CountTable
from casereview.report.statistics import UNKNOWN, RecordRow, cross_table

__all__ = [
    "AGENCIES",
    "FIELDS",
    "ROLES",
    "FieldCounts",
    "QualityInput",
    "collect_quality",
    "read_population",
]

ROLES = (MentionRole.VICTIM.value, MentionRole.SUSPECT.value)
FIELDS = ("date of birth", "address", "ethnicity", "nationality")
AGENCIES = {SourceKind.POLICE.value: "police", SourceKind.LOCAL_AUTHORITY.value: "local authority"}
_DOB_GIVEN = {DobPrecision.DAY.value, DobPrecision.MONTH.value, DobPrecision.YEAR.value}


@dataclass(frozen=True)
class FieldCounts:
    """Mentions of one role in one source, and how many have each key field."""

    mentions: int
    present: dict[str, int]
    collected: dict[str, bool]  # False when the source never records the field at all


@dataclass(frozen=True)
class QualityInput:
    """True counts behind the data-quality section."""

    tables: dict[str, CountTable]
    fields: dict[tuple[str, str], FieldCounts]  # (source, role) -> counts
    persons: dict[tuple[str, str], int]  # (source, role) -> distinct resolved persons
    flagged: dict[str, int]  # source -> records flagged CSE by the source
    with_finding: dict[str, dict[str, int]]  # source -> finding code -> records
    inconsistent: dict[str, int]  # source -> records with a missing or wrong CSE flag finding
    records: dict[str, int]  # source -> records
    concern: dict[tuple[str, str], int]  # (borough, agency) -> records of CSE concern
    population: dict[str, int] | None


def read_population(path: Path) -> dict[str, int]:
    """A `borough,children` CSV: the number of children (0-17) living in each borough."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"borough", "children"} <= set(reader.fieldnames):
                raise ValidationError(
                    "the population file needs the columns borough,children", file=str(path)
                )
            out: dict[str, int] = {}
            for line, row in enumerate(reader, start=2):
                borough = (row.get("borough") or "").strip()
                text = (row.get("children") or "").strip().replace(",", "")
                if not borough:
                    raise ValidationError(
                        "empty borough", file=str(path), row=line, column="borough"
                    )
                if not text.isdigit() or int(text) <= 0:
                    raise ValidationError(
                        f"children must be a positive whole number, got {text!r}",
                        file=str(path),
                        row=line,
                        column="children",
                    )
                out[borough] = int(text)
    except OSError as e:
        raise ValidationError(f"cannot read the population file: {e}", file=str(path)) from e
    return out


def _imports_table(conn: Connection, names: dict[int, tuple[str, str]]) -> CountTable:
    """Rows read by source: loaded, quarantined by reason, and any not accounted for."""
    read: Counter[str] = Counter()
    loaded: Counter[str] = Counter()
    for r in conn.execute(
        select(
            imports.c.source_id, func.sum(imports.c.rows_read), func.sum(imports.c.rows_loaded)
        ).group_by(imports.c.source_id)
    ):
        read[names[int(r[0])][0]] += int(r[1] or 0)
        loaded[names[int(r[0])][0]] += int(r[2] or 0)
    reasons: dict[tuple[str, str], int] = {}
    # Whole rows only: an item quarantined inside a loaded row (a bad associate of a
    # referral) is not a row that went unloaded.
    for r in conn.execute(
        select(quarantine.c.source_id, quarantine.c.reason, func.count())
        .where(quarantine.c.scope == QuarantineScope.ROW.value)
        .group_by(quarantine.c.source_id, quarantine.c.reason)
    ):
        reasons[(names[int(r[0])][0], f"quarantined: {r[1]}")] = int(r[2])
    pairs: Counter[tuple[str, str]] = Counter(reasons)
    for source, n in loaded.items():
        pairs[(source, "loaded")] = n
    for source, n in read.items():
        rest = n - loaded[source] - sum(v for (s, _), v in reasons.items() if s == source)
        if rest > 0:
            pairs[(source, "not accounted for")] = rest
    sources = sorted(read)
    reason_cols = sorted({c for _, c in reasons})
    extra = ["not accounted for"] if any(c == "not accounted for" for _, c in pairs) else []
    return cross_table(
        "imports_by_source",
        "Rows read by source: loaded and quarantined by reason",
        "source",
        pairs.elements(),
        rows=sources,
        cols=["loaded", *reason_cols, *extra],
        description="Rows of the source exports; the row total is the rows read. "
        "Quarantined rows are kept with their reason; nothing is dropped silently.",
    )


def _mention_rows(conn: Connection, names: dict[int, tuple[str, str]]) -> list[tuple]:
    query = select(
        mentions.c.id,
        mentions.c.source_id,
        mentions.c.role,
        mentions.c.dob_precision,
        mentions.c.dob,
        mentions.c.address,
        mentions.c.postcode,
        mentions.c.ethnicity,
        mentions.c.nationality,
        mention_person.c.person_id,
    ).select_from(mentions.outerjoin(mention_person, mention_person.c.mention_id == mentions.c.id))
    return [
        (names[int(r.source_id)][0], *r[2:])
        for r in conn.execute(query.where(mentions.c.role.in_(ROLES)))
    ]


def collect_quality(
    conn: Connection,
    names: dict[int, tuple[str, str]],
    recs: list[RecordRow],
    population: dict[str, int] | None = None,
) -> QualityInput:
    """Every data-quality count of the report."""
    rows = _mention_rows(conn, names)
    source_order = sorted(name for name, _ in names.values())
    present: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    totals: Counter[tuple[str, str]] = Counter()
    person_sets: dict[tuple[str, str], set[int]] = defaultdict(set)
    ethnicity_pairs: dict[str, list[tuple[str, str]]] = {role: [] for role in ROLES}
    for source, role, precision, dob, address, postcode, ethnicity, nationality, pid in rows:
        key = (source, role)
        totals[key] += 1
        checks = {
            "date of birth": precision in _DOB_GIVEN or dob is not None,
            "address": bool(address) or bool(postcode),
            "ethnicity": bool(ethnicity) and ethnicity != EthnicityGroup.NOT_STATED.value,
            "nationality": bool(nationality),
        }
        present[key].update(f for f, ok in checks.items() if ok)
        if pid is not None:
            person_sets[key].add(int(pid))
        group = ethnicity if ethnicity in {e.value for e in EthnicityGroup} else "not_stated"
        ethnicity_pairs[role].append((group, source))
    any_nationality = {s for (s, _), c in present.items() if c["nationality"]}
    fields = {
        key: FieldCounts(
            mentions=n,
            present={f: present[key][f] for f in FIELDS},
            collected={f: f != "nationality" or key[0] in any_nationality for f in FIELDS},
        )
        for key, n in totals.items()
    }
    tables = [_imports_table(conn, names)]
    for role in ROLES:
        tables.append(
            cross_table(
                f"{role}_ethnicity_by_source",
                f"{role.capitalize()} mentions by recorded ethnicity and source",
                "ethnicity",
                ethnicity_pairs[role],
                rows=[e.value for e in EthnicityGroup],
                cols=[s for s in source_order if totals[(s, role)]],
                description=f"Each {role} mention by the broad ethnic group recorded "
                "(ONS 2021 top level). Reported for completeness of recording only.",
            )
        )
    flagged = Counter(r.source for r in recs if r.cse_flag)
    by_id = {r.id: r for r in recs}
    with_finding: dict[str, dict[str, int]] = defaultdict(dict)
    flag_codes = {FindingCode.MISSING_CSE_FLAG.value, FindingCode.WRONG_CSE_FLAG.value}
    inconsistent_ids: set[int] = set()
    for f in conn.execute(select(flag_findings.c.record_id, flag_findings.c.code)):
        rec = by_id.get(int(f.record_id))
        if rec is not None:
            codes = with_finding[rec.source]
            codes[str(f.code)] = codes.get(str(f.code), 0) + 1
            if str(f.code) in flag_codes:
                inconsistent_ids.add(rec.id)
    cse_likely = set(
        conn.execute(
            select(classifications.c.record_id).where(
                classifications.c.label == Typology.CSE_LIKELY.value
            )
        ).scalars()
    )
    kinds = {name: kind for name, kind in names.values()}
    concern: Counter[tuple[str, str]] = Counter(
        (r.borough, AGENCIES[kinds[r.source]])
        for r in recs
        if kinds[r.source] in AGENCIES and (r.cse_flag or r.id in cse_likely)
    )
    boroughs = sorted({b for b, _ in concern} - {UNKNOWN}) + (
        [UNKNOWN] if any(b == UNKNOWN for b, _ in concern) else []
    )
    tables.append(
        cross_table(
            "cse_concern_by_borough",
            "Records of CSE concern by borough: police and local authority",
            "borough",
            concern.elements(),
            rows=boroughs,
            cols=list(AGENCIES.values()),
            description="Records flagged CSE by their source or classified as CSE likely, "
            "by borough and the kind of agency that holds them.",
        )
    )
    persons = {key: len(ids) for key, ids in person_sets.items()}
    tables.append(
        CountTable(
            name="persons_by_source_role",
            title="Resolved persons by source and role",
            row_label="source",
            rows=tuple(source_order),
            cols=ROLES,
            counts=tuple(tuple(persons.get((s, r), 0) for r in ROLES) for s in source_order),
            row_totals=False,
            col_totals=False,
            description="Distinct resolved persons among a source's victim and suspect "
            "mentions. A person can appear in several sources and roles: no totals.",
        )
    )
    return QualityInput(
        tables={t.name: t for t in tables},
        fields=fields,
        persons=persons,
        flagged=dict(flagged),
        with_finding=dict(with_finding),
        inconsistent=dict(Counter(by_id[i].source for i in inconsistent_ids)),
        records=dict(Counter(r.source for r in recs)),
        concern=dict(concern),
        population=population,
    )
