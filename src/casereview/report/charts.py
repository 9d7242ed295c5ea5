"""Charts of the report, drawn from published (protected) values only.

matplotlib with the Agg backend (no display, no warnings), the Okabe-Ito colour-blind-safe
palette, labelled axes, a title and a text alternative for every chart. A withheld value is
drawn as no bar with `[c]` at its base, never as zero. Charts are PNG bytes, embedded in the
HTML as base64 and also written beside it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from casereview.report.disclosure import SUPPRESSED_MARK
from casereview.report.published import PublishedTable
from casereview.report.quality import FIELDS, ROLES

__all__ = ["OKABE_ITO", "Chart", "bar_chart", "completeness_chart", "draw_charts"]

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Chart:
    """One chart: its name (file and anchor), title, text alternative and PNG bytes."""

    name: str
    title: str
    alt: str
    png: bytes


def _figure(width: float = 7.5, height: float = 3.6) -> Figure:
    fig = plt.figure(figsize=(width, height), dpi=110)
    fig.patch.set_facecolor("white")
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _describe(values: Sequence[tuple[str, int | None]], unit: str) -> str:
    parts = [f"{label}: {SUPPRESSED_MARK if v is None else v}" for label, v in values]
    return f"{unit} — " + "; ".join(parts) if parts else f"no {unit} to show"


def bar_chart(
    name: str,
    title: str,
    values: Sequence[tuple[str, int | None]],
    *,
    xlabel: str,
    ylabel: str,
    horizontal: bool = False,
    colour: str = OKABE_ITO[0],
) -> Chart:
    """A bar chart of published counts; withheld bars are marked `[c]`."""
    fig = _figure(height=max(3.0, 0.35 * len(values) + 1.2) if horizontal else 3.6)
    ax = fig.add_subplot()
    labels = [label.replace("_", " ") for label, _ in values]
    heights = [v or 0 for _, v in values]
    positions = list(range(len(values)))
    if horizontal:
        bars = ax.barh(positions, heights, color=colour)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
        ax.set_ylabel(xlabel)
    else:
        bars = ax.bar(positions, heights, color=colour)
        ax.set_xticks(
            positions,
            labels,
            rotation=45 if len(values) > 6 else 0,
            ha="right" if len(values) > 6 else "center",
        )
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    for bar, (_, v) in zip(bars, values, strict=True):
        text = SUPPRESSED_MARK if v is None else f"{v:,}"
        if horizontal:
            ax.annotate(
                text,
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        else:
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.08 if horizontal else 0.02, y=0.02 if horizontal else 0.12)
    alt = (
        f"{title}. Bar chart. "
        + _describe(values, ylabel)
        + (
            f". {SUPPRESSED_MARK} marks a value withheld by disclosure control."
            if any(v is None for _, v in values)
            else "."
        )
    )
    return Chart(name, title, alt, _png(fig))


def _percent(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def completeness_chart(table: PublishedTable) -> Chart:
    """Grouped bars: % of mentions with each key field, per source, victims and suspects apart."""
    title = "Completeness of key fields (% of mentions)"
    fig = _figure(width=8.0, height=3.8)
    axes = fig.subplots(1, len(ROLES), sharey=True)
    sources = sorted({row[0] for row in table.body})
    width = 0.8 / max(1, len(sources))
    described = []
    for ax, role in zip(axes, ROLES, strict=True):
        rows = {row[0]: row for row in table.body if row[1] == role}
        for k, source in enumerate(sources):
            row = rows.get(source)
            values = [_percent(row[3 + f]) if row else None for f in range(len(FIELDS))]
            xs = [f + (k - (len(sources) - 1) / 2) * width for f in range(len(FIELDS))]
            ax.bar(
                xs,
                [v or 0 for v in values],
                width=width,
                label=source,
                color=OKABE_ITO[k % len(OKABE_ITO)],
            )
            described.append(
                f"{role}s in {source}: "
                + ", ".join(f"{f} {row[3 + i] if row else 'none'}" for i, f in enumerate(FIELDS))
            )
        ax.set_title(f"{role.capitalize()}s")
        ax.set_xticks(range(len(FIELDS)), [f.replace("date of birth", "DOB") for f in FIELDS])
        ax.set_xlabel("field")
        ax.set_ylim(0, 105)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("% of mentions recorded")
    axes[-1].legend(title="source", fontsize=7, title_fontsize=8, loc="lower right")
    fig.suptitle(title)
    alt = (
        f"{title}. Grouped bar chart; missing bars are withheld or not collected. "
        + "; ".join(described)
        + "."
    )
    return Chart("completeness", title, alt, _png(fig))


def draw_charts(tables: dict[str, PublishedTable]) -> dict[str, Chart]:
    """Every chart of the report, by name (see `sections.CHARTS`)."""

    def values(name: str, *, drop_total: bool = True) -> list[tuple[str, int | None]]:
        return [
            (label, v) for label, v in tables[name].values if not (drop_total and label == "Total")
        ]

    charts = [
        bar_chart(
            "trend_by_year",
            "Records by year",
            values("records_by_year"),
            xlabel="year the event occurred",
            ylabel="records",
        ),
        bar_chart(
            "typology_mix",
            "Typology mix",
            values("records_by_typology"),
            xlabel="typology",
            ylabel="records",
            horizontal=True,
            colour=OKABE_ITO[2],
        ),
        bar_chart(
            "findings",
            "Flag findings by code",
            values("findings_by_code"),
            xlabel="finding",
            ylabel="records",
            horizontal=True,
            colour=OKABE_ITO[5],
        ),
        bar_chart(
            "group_sizes",
            "Offender groups by size",
            values("groups_by_size"),
            xlabel="members",
            ylabel="groups",
            colour=OKABE_ITO[3],
        ),
        bar_chart(
            "review_progress",
            "Review items by status",
            values("review_items_by_status"),
            xlabel="status",
            ylabel="items",
            horizontal=True,
            colour=OKABE_ITO[1],
        ),
        completeness_chart(tables["completeness"]),
    ]
    return {c.name: c for c in charts}
