"""Jinja filters and helpers: code labels, dates, and server-drawn SVG (no inline style needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment

from casereview.link.views import PairView
from casereview.store.views import code_definition, code_label

__all__ = ["install", "timeline_points", "waterfall"]


def waterfall(pair: PairView) -> dict[str, Any]:
    """Bars of a match-weight waterfall as SVG coordinates: the prior, then each comparison
    starting where the last ended (the same numbers the table beside it gives as text)."""
    running = pair.prior
    bars: list[dict[str, Any]] = [
        {
            "comparison": "prior",
            "level": "before any comparison",
            "start": 0.0,
            "end": running,
            "weight": running,
        }
    ]
    for bar in pair.bars:
        bars.append(
            {
                "comparison": bar.comparison,
                "level": bar.level,
                "start": running,
                "end": running + bar.weight,
                "weight": bar.weight,
            }
        )
        running += bar.weight
    values = [0.0] + [b["end"] for b in bars]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    width = 360.0

    def x(v: float) -> float:
        return round((v - low) / span * width + 150, 1)

    for drawn in bars:
        left, right = sorted((x(drawn["start"]), x(drawn["end"])))
        drawn.update(x=left, w=max(right - left, 1.0), positive=drawn["weight"] >= 0)
    return {"bars": bars, "total": running, "zero_x": x(0.0), "height": 22 * len(bars) + 30}


def timeline_points(
    dates: list[dt.date | None], width: float = 700.0
) -> tuple[list[float | None], str, str]:
    """X positions on a time axis for `dates` (None stays None), with the axis's first and last year."""
    known = [d for d in dates if d is not None]
    if not known:
        return [None for _ in dates], "", ""
    first, last = min(known), max(known)
    span = max((last - first).days, 1)
    xs = [
        None if d is None else round(20 + (d - first).days / span * (width - 40), 1) for d in dates
    ]
    return xs, str(first.year), str(last.year)


def to_date(value: str | None) -> dt.date | None:
    """An ISO date string (or None) as a date, for the timeline."""
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def day(value: dt.date | dt.datetime | None) -> str:
    """A date as people write it: 3 March 2014 ("" for none)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def install(env: Environment) -> None:
    env.filters["todate"] = to_date
    env.filters["label"] = code_label
    env.filters["definition"] = code_definition
    env.filters["day"] = day
    env.globals["waterfall"] = waterfall
    env.globals["timeline_points"] = timeline_points
