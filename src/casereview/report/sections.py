"""The report's sections, assembled from protected tables only.

Every number placed in a section comes from a `ProtectedTable` (rounded, suppressed) or from
`safe_rate` over counts whose denominator is published. Views of margins (records by year,
records by borough, findings by code) are taken from the protected two-way tables they belong
to, so the same quantity is never protected twice in two different ways.
"""

from __future__ import annotations

from collections.abc import Mapping

from casereview.report.disclosure import SUPPRESSED_MARK, DisclosureRule, ProtectedTable, safe_rate
from casereview.report.published import (
    PublishedTable,
    Section,
    from_margin,
    from_protected,
    percent_text,
    table_of_text,
)
from casereview.report.quality import FIELDS, ROLES, QualityInput

__all__ = ["CHARTS", "build_sections"]

# Chart name -> (section id, title): every chart the report draws.
CHARTS = {
    "trend_by_year": ("records", "Records by year"),
    "typology_mix": ("typology", "Typology mix"),
    "findings": ("typology", "Flag findings by code"),
    "group_sizes": ("groups", "Offender groups by size"),
    "review_progress": ("review", "Review items by status"),
    "completeness": ("quality", "Completeness of key fields"),
}


def _text(value: int | None) -> str:
    return SUPPRESSED_MARK if value is None else str(value)


def _records_section(p: Mapping[str, ProtectedTable]) -> Section:
    grid = p["records_by_borough_year"]
    flags = p["records_by_source_flag"]
    section = Section(
        "records",
        "Records",
        "Every record of every source, by when and where the event happened, what kind of "
        "record it is, the source's own CSE flag and (for crimes) the outcome.",
        charts=["trend_by_year"],
    )
    section.tables = [
        from_margin(
            grid,
            axis="cols",
            name="records_by_year",
            title="Records by year",
            label="year",
            column="records",
            description="Column totals of records by borough and year.",
        ),
        from_margin(
            grid,
            axis="rows",
            name="records_by_borough",
            title="Records by borough",
            label="borough",
            column="records",
            description="Row totals of records by borough and year.",
        ),
        from_protected(grid),
        from_protected(p["records_by_type"]),
        from_protected(flags),
        from_margin(
            flags,
            axis="cols",
            name="records_by_flag_status",
            title="Records by CSE flag status",
            label="flag status",
            column="records",
            description="Column totals of records by source and CSE flag status.",
        ),
        from_protected(p["records_by_outcome"]),
    ]
    section.facts = [("Records", _text(grid.grand))]
    return section


def _typology_section(p: Mapping[str, ProtectedTable]) -> Section:
    findings = p["findings_by_source"]
    return Section(
        "typology",
        "Typology and flag findings",
        "How records were classified by the typology rules, and where the source's CSE flag "
        "and the evidence disagree. Definitions are in the method section.",
        tables=[
            from_protected(p["records_by_typology"]),
            from_protected(findings),
            from_margin(
                findings,
                axis="cols",
                name="findings_by_code",
                title="Records with flag findings by code",
                label="finding",
                column="records",
                description="Column totals of records with flag findings by source.",
            ),
        ],
        charts=["typology_mix", "findings"],
    )


def _groups_section(p: Mapping[str, ProtectedTable]) -> Section:
    sizes = p["groups_by_size"]
    return Section(
        "groups",
        "Offender groups",
        "Groups of offenders detected by the network stage: how large they are, how long "
        "their records span and how many boroughs they reach.",
        tables=[
            from_protected(p[n]) for n in ("groups_by_size", "groups_by_span", "groups_by_boroughs")
        ],
        charts=["group_sizes"],
        facts=[("Offender groups", _text(sizes.col_total(0)))],
    )


def _review_section(
    p: Mapping[str, ProtectedTable], pairs: list[tuple[str, str]], rule: DisclosureRule
) -> Section:
    from casereview.review.second_review import cohens_kappa

    section = Section(
        "review",
        "Review progress",
        "The review queue and the decisions recorded on it, with the agreement of blind "
        "second reviews (Cohen's kappa: 1 is perfect agreement, 0 is chance).",
        tables=[
            from_protected(p["review_items_by_status"]),
            from_protected(p["decisions_by_outcome"]),
            from_protected(p["indicators_by_code"]),
        ],
        charts=["review_progress"],
    )
    n = len(pairs)
    if n >= rule.suppress_below:
        agree = sum(1 for a, b in pairs if a == b)
        kappa = cohens_kappa(pairs)
        section.facts = [
            ("Second-review pairs", str(rule.round(n))),
            ("Agreement (%)", percent_text(safe_rate(agree, n, rule))),
            ("Cohen's kappa", "[c]" if kappa is None else f"{kappa:.2f}"),
        ]
    else:
        section.facts = [
            (
                "Second-review agreement",
                f"not published: fewer than {rule.suppress_below} second reviews",
            )
        ]
    return section


def _completeness(
    p: Mapping[str, ProtectedTable], q: QualityInput, rule: DisclosureRule
) -> PublishedTable:
    body = []
    for role in ROLES:
        family = p[f"{role}_ethnicity_by_source"]
        for j, source in enumerate(family.table.cols):
            published = None if family.withheld else family.col_total(j)
            counts = q.fields[(source, role)]
            line = [source, role, _text(published)]
            for field in FIELDS:
                if not counts.collected[field]:
                    line.append("not collected")
                elif published is None:
                    line.append(SUPPRESSED_MARK)
                else:
                    line.append(
                        percent_text(safe_rate(counts.present[field], counts.mentions, rule))
                    )
            body.append(line)
    return table_of_text(
        "completeness",
        "Completeness of key fields by source (% of mentions)",
        "Share of victim and suspect mentions with each field recorded. Mentions are the "
        "column totals of the ethnicity tables.",
        ["source", "role", "mentions", *(f"{f} (%)" for f in FIELDS)],
        body,
    )


def _duplicates(p: Mapping[str, ProtectedTable], q: QualityInput) -> PublishedTable:
    persons = p["persons_by_source_role"]
    body = []
    for role in ROLES:
        family = p[f"{role}_ethnicity_by_source"]
        for j, source in enumerate(family.table.cols):
            mentions = None if family.withheld else family.col_total(j)
            i = persons.table.rows.index(source)
            people = persons.cell(i, ROLES.index(role))
            linked = q.persons.get((source, role), 0)
            ratio = SUPPRESSED_MARK
            if linked == 0:
                ratio = "not linked"
            elif mentions is not None and people is not None:
                ratio = f"{q.fields[(source, role)].mentions / linked:.2f}"
            body.append([source, role, _text(mentions), _text(people), ratio])
    return table_of_text(
        "linkage_duplicates",
        "Duplicates found by linkage: mentions per resolved person within a source",
        "A ratio above 1 means the source holds the same person under several mentions.",
        ["source", "role", "mentions", "persons", "mentions per person"],
        body,
    )


def _flag_consistency(
    p: Mapping[str, ProtectedTable], q: QualityInput, rule: DisclosureRule
) -> PublishedTable:
    flags = p["records_by_source_flag"]
    body = []
    for i, source in enumerate(flags.table.rows):
        published = None if flags.withheld else flags.row_total(i)
        total = q.records.get(source, 0)
        found = q.with_finding.get(source, {})

        def rate(n: int, published: int | None = published, total: int = total) -> str:
            return SUPPRESSED_MARK if published is None else percent_text(safe_rate(n, total, rule))

        body.append(
            [
                source,
                _text(published),
                rate(q.flagged.get(source, 0)),
                rate(found.get("missing_cse_flag", 0)),
                rate(found.get("wrong_cse_flag", 0)),
                rate(total - q.inconsistent.get(source, 0)),
            ]
        )
    return table_of_text(
        "flag_consistency",
        "Flag consistency by source (% of records)",
        "Consistent: records with neither a missing nor a wrong CSE flag finding.",
        [
            "source",
            "records",
            "flagged CSE (%)",
            "missing CSE flag (%)",
            "wrong CSE flag (%)",
            "consistent (%)",
        ],
        body,
    )


def _concern_rates(p: Mapping[str, ProtectedTable], q: QualityInput) -> PublishedTable | None:
    if q.population is None:
        return None
    table = p["cse_concern_by_borough"]
    body = []
    for i, borough in enumerate(table.table.rows):
        children = q.population.get(borough)
        line = [borough, "not supplied" if children is None else str(children)]
        for j, agency in enumerate(table.table.cols):
            published = None if table.withheld else table.cell(i, j)
            if children is None:
                line.append("")
            elif published is None:
                line.append(SUPPRESSED_MARK)
            else:
                line.append(f"{q.concern.get((borough, agency), 0) / children * 1000:.1f}")
        body.append(line)
    return table_of_text(
        "cse_concern_rates",
        "Records of CSE concern per 1,000 children by borough",
        "Rates from the population table supplied; shown only where the count is published.",
        ["borough", "children", *(f"{a} per 1,000" for a in table.table.cols)],
        body,
    )


def _quality_section(
    p: Mapping[str, ProtectedTable], q: QualityInput, rule: DisclosureRule
) -> Section:
    tables = [
        from_protected(p["imports_by_source"]),
        _completeness(p, q, rule),
        from_protected(p["victim_ethnicity_by_source"]),
        from_protected(p["suspect_ethnicity_by_source"]),
        _duplicates(p, q),
        _flag_consistency(p, q, rule),
        from_protected(p["cse_concern_by_borough"]),
    ]
    rates = _concern_rates(p, q)
    if rates is not None:
        tables.append(rates)
    return Section(
        "quality",
        "Data quality and reconciliation",
        "Per source: rows quarantined and why, completeness of key fields for victims and "
        "suspects, recorded ethnicity, duplicates found by linkage, flag consistency, and "
        "police and local-authority records of CSE concern by borough"
        + (
            " per 1,000 children."
            if q.population
            else " (counts only: no population table was supplied)."
        ),
        tables=tables,
        charts=["completeness"],
    )


def build_sections(
    protected: Mapping[str, ProtectedTable],
    quality: QualityInput,
    pairs: list[tuple[str, str]],
    rule: DisclosureRule,
) -> list[Section]:
    """Every section of the report in order (the method section is rendered from code sets)."""
    return [
        _records_section(protected),
        _typology_section(protected),
        _groups_section(protected),
        _review_section(protected, pairs, rule),
        _quality_section(protected, quality, rule),
    ]
