"""A link chart drawn as SVG (no script), and the chart as one self-contained HTML file with
its legend and a table of every node and edge, so that it reads without JavaScript."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from casereview import __version__
from casereview.network.chart import HEIGHT, LEGEND, RELATIONS, WIDTH, Chart, ChartNode
from casereview.report.render import template_env

__all__ = ["chart_svg", "legend_swatch", "render_chart_html"]

_R = 9.0


def _shape(node: ChartNode, *, labelled: bool = True) -> str:
    _label, colour, shape = LEGEND[node.legend_key]
    x, y = node.x, node.y
    if shape == "circle":
        body = f'<circle cx="{x}" cy="{y}" r="{_R}" fill="{colour}" stroke="#1b1b1b"/>'
    elif shape == "square":
        body = (
            f'<rect x="{x - _R * 0.8:.1f}" y="{y - _R * 0.8:.1f}" width="{_R * 1.6:.1f}" '
            f'height="{_R * 1.6:.1f}" fill="{colour}" stroke="#1b1b1b"/>'
        )
    elif shape == "diamond":
        points = f"{x},{y - _R} {x + _R},{y} {x},{y + _R} {x - _R},{y}"
        body = f'<polygon points="{points}" fill="{colour}" stroke="#1b1b1b"/>'
    else:
        points = f"{x},{y - _R} {x + _R},{y + _R * 0.8:.1f} {x - _R},{y + _R * 0.8:.1f}"
        body = f'<polygon points="{points}" fill="{colour}" stroke="#1b1b1b"/>'
    if not labelled:
        return body
    label = escape(node.label if len(node.label) <= 40 else node.label[:39] + "…")
    return (
        f'<g class="node {escape(node.kind)}" id="n-{escape(node.id)}"><title>'
        f"{escape(node.id)}: {escape(node.label)}</title>{body}"
        f'<text x="{x}" y="{y + _R + 11:.1f}" text-anchor="middle" font-size="10" '
        f'font-family="sans-serif">{label}</text></g>'
    )


def legend_swatch(key: str) -> Markup:
    """A small SVG of a legend entry's shape and colour (no inline CSS: the web app's CSP)."""
    node = ChartNode(
        "swatch", "person" if key.startswith("person") else key, key.partition(":")[2] or None, ""
    )
    node.x = node.y = 10.0
    drawn = _shape(node, labelled=False)
    # Every value in the markup went through html.escape.
    return Markup(f'<svg width="20" height="20" aria-hidden="true">{drawn}</svg>')  # noqa: S704  # nosec B704


def chart_svg(chart: Chart, *, link: str | None = None) -> Markup:
    """The chart as an inline SVG. With `link` (a URL ending in `expand=`), each node links to
    the chart expanded at that node."""
    where = chart.positions()
    lines = []
    for e in chart.edges:
        (x1, y1), (x2, y2) = where[e.source], where[e.target]
        title = f"{e.relation}: {len(e.records)} record(s)"
        strong = e.relation in ("co_suspect", "victim_of")
        stroke = (
            'stroke="#1b1b1b" stroke-width="2"' if strong else 'stroke="#8a8a8a" stroke-width="1"'
        )
        lines.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" {stroke}>'
            f"<title>{escape(title)}</title></line>"
        )
    shapes = []
    for n in chart.nodes:
        drawn = _shape(n)
        if link is not None:
            drawn = f'<a href="{escape(link + n.id)}">{drawn}</a>'
        shapes.append(drawn)
    # Every value in the markup above went through html.escape.
    return Markup(  # noqa: S704  # nosec B704
        f'<svg class="linkchart" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" role="img" '
        f'aria-label="link chart {escape(chart.key)}: {len(chart.nodes)} nodes, '
        f'{len(chart.edges)} edges; the tables below list them">'
        + "".join(lines)
        + "".join(shapes)
        + "</svg>"
    )


def render_chart_html(chart: Chart, *, viewer: str) -> str:
    """The chart as one self-contained HTML file: SVG, legend, node and edge tables."""
    env = template_env()
    labels = {n.id: n.label for n in chart.nodes}
    return env.get_template("chart.html").render(
        chart=chart,
        svg=chart_svg(chart),
        swatch=legend_swatch,
        labels=labels,
        relations=RELATIONS,
        viewer=viewer,
        version=__version__,
    )
