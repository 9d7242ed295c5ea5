"""Jinja filters and helpers: code labels, dates, and server-drawn SVG (no inline style needed)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from jinja2 import Environment

from casereview.model.codes import all_code_sets

__all__ = ["install", "timeline_points", "waterfall"]

_LABELS: dict[str, str] = {}
for _cls in all_code_sets():
    for _member in _cls:
        _LABELS.setdefault(str(_member.value), str(getattr(_member, "definition", _member.value)))


def label(code: object) -> str:
    """The one-line definition of a code value, or the value itself."""
    return _LABELS.get(str(code), str(code)) if code is not None else ""


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)


def waterfall(comparisons: list[dict[str, Any]], prior: float = 0.0) -> dict[str, Any]:
    """Bars of a match-weight waterfall as SVG coordinates: each bar starts where the last ended."""
    running, bars = prior, []
    for item in comparisons:
        weight = float(item.get("match_weight") or 0.0)
        bars.append({**item, "start": running, "end": running + weight, "weight": weight})
        running += weight
    values = [0.0, prior] + [b["end"] for b in bars]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    width = 360.0

    def x(v: float) -> float:
        return round((v - low) / span * width + 150, 1)

    for bar in bars:
        left, right = sorted((x(bar["start"]), x(bar["end"])))
        bar.update(x=left, w=max(right - left, 1.0), positive=bar["weight"] >= 0)
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


def install(env: Environment) -> None:
    env.filters["todate"] = to_date
    env.filters["label"] = label
    env.filters["pretty_json"] = pretty_json
    env.globals["waterfall"] = waterfall
    env.globals["timeline_points"] = timeline_points
