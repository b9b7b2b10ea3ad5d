"""Charts of the case page as inline SVG, drawn on the server (no script, no CDN).

Every function returns :class:`markupsafe.Markup` ready for a template;
every label is escaped. Elements a test or a reader looks for carry a
``data-testid`` (the threshold marker: ``threshold-marker``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from classifier.metrics import ReliabilityCurve

__all__ = [
    "OTHER_COLOUR",
    "Bar",
    "MapPoint",
    "class_colours",
    "reliability_chart",
    "scatter_map",
    "score_bars",
]

#: Categorical palette (Okabe-Ito, Tol's muted, then Dark2), in the order of the groups.
_PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
    "#882255", "#AA4499", "#6F4E37", "#8C8C8C", "#1B9E77", "#7570B3", "#E7298A",
    "#66A61E", "#A6761D", "#4B0082",
)  # fmt: skip
#: Colour of the groups the palette leaves out.
OTHER_COLOUR = "#BBBBBB"


@dataclass(frozen=True)
class Bar:
    """One bar: a label, its value in [0, 1], and a tooltip."""

    label: str
    value: float
    title: str = ""


@dataclass(frozen=True)
class MapPoint:
    """A reference sample on the map."""

    x: float
    y: float
    group: str
    title: str
    emphasised: bool = False


def score_bars(
    bars: Sequence[Bar],
    threshold: float,
    *,
    testid: str,
    caption: str,
    label_width: int = 260,
    plot_width: int = 380,
) -> Markup:
    """Horizontal bars on a 0-1 axis with the match threshold drawn as a dashed line.

    Parameters
    ----------
    bars : sequence of Bar
        Best first.
    threshold : float
        Drawn at its position, labelled, with ``data-testid="threshold-marker"``.
    testid : str
        ``data-testid`` of the whole chart.
    caption : str
        Accessible title of the chart.
    label_width, plot_width : int
        Widths of the label column and of the 0-1 axis, in SVG units.
    """
    label_w, plot_w, row_h, top = label_width, plot_width, 26, 28
    height = top + row_h * len(bars) + 30
    width = label_w + plot_w + 70
    x0 = label_w

    def xpos(v: float) -> float:
        return x0 + plot_w * min(max(v, 0.0), 1.0)

    parts = [_svg_open(width, height, testid, caption)]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = xpos(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 26}" class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 10}" class="tick" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        w = max(xpos(bar.value) - x0, 1.0)
        kind = "bar bar-match" if bar.value >= threshold else "bar"
        parts.append(
            f'<g data-testid="score-bar"><title>{escape(bar.title or bar.label)}: '
            f"{bar.value:.3f}</title>"
            f'<text x="{x0 - 8}" y="{y + 16}" class="label" text-anchor="end">'
            f"{escape(_short(bar.label, label_w // 7))}</text>"
            f'<rect x="{x0}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" class="{kind}"/>'
            f'<text x="{xpos(bar.value) + 6:.1f}" y="{y + 16}" class="value">'
            f"{bar.value:.3f}</text></g>"
        )
    tx = xpos(threshold)
    parts.append(
        f'<g data-testid="threshold-marker" data-threshold="{threshold:g}">'
        f"<title>match threshold {threshold:g}</title>"
        f'<line x1="{tx:.1f}" y1="{top - 14}" x2="{tx:.1f}" y2="{height - 26}" class="threshold"/>'
        f'<text x="{tx:.1f}" y="{top - 17}" class="threshold-label" text-anchor="middle">'
        f"match threshold {threshold:g}</text></g>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def reliability_chart(curve: ReliabilityCurve, score: float, *, caption: str) -> Markup:
    """Observed accuracy per score range in nested CV, the range of ``score`` highlighted.

    Parameters
    ----------
    curve : ReliabilityCurve
        The model's, from its nested cross-validation (``None`` accuracy for
        an empty bin).
    score : float
        This case's top score.
    caption : str
    """
    size, pad = 300, 52
    width, height = size + pad + 20, size + pad + 20

    def px(v: float) -> float:
        return pad + size * v

    def py(v: float) -> float:
        return 10 + size * (1.0 - v)

    parts = [_svg_open(width, height, "reliability-chart", caption)]
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{px(tick):.1f}" y="{height - 22}" class="tick" text-anchor="middle">'
            f"{tick:g}</text>"
            f'<text x="{pad - 6}" y="{py(tick) + 4:.1f}" class="tick" text-anchor="end">'
            f"{tick:.0%}</text>"
        )
    bins = zip(curve.bin_lower, curve.bin_upper, curve.accuracy, curve.count, strict=True)
    for lower, upper, accuracy, count in bins:
        here = lower <= score <= upper if upper >= 1.0 else lower <= score < upper
        if not count or accuracy is None or (isinstance(accuracy, float) and math.isnan(accuracy)):
            continue
        kind = "rel-bin rel-here" if here else "rel-bin"
        x, w = px(lower) + 1, px(upper) - px(lower) - 2
        parts.append(
            f'<rect x="{x:.1f}" y="{py(accuracy):.1f}" width="{w:.1f}" '
            f'height="{py(0) - py(accuracy):.1f}" class="{kind}">'
            f"<title>scores {lower:.1f}-{upper:.1f}: {accuracy:.0%} correct of {count}</title>"
            "</rect>"
        )
    # Drawn over the bars: where a bar's top meets it, scores read as probabilities.
    parts.append(
        f'<line x1="{px(0):.1f}" y1="{py(0):.1f}" x2="{px(1):.1f}" y2="{py(1):.1f}" '
        'class="diagonal"><title>perfect calibration</title></line>'
    )
    parts.append(
        f'<text x="{px(0.5):.1f}" y="{height - 4}" class="axis" text-anchor="middle">'
        "calibrated score of the top class</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def class_colours(groups: Sequence[str]) -> dict[str, str]:
    """A colour per group, in the order given; groups beyond the palette are grey."""
    return {g: _PALETTE[i] if i < len(_PALETTE) else OTHER_COLOUR for i, g in enumerate(groups)}


def scatter_map(
    points: Sequence[MapPoint],
    case: tuple[float, float],
    colours: Mapping[str, str],
    *,
    case_label: str,
    caption: str,
) -> Markup:
    """The reference cohort as dots coloured by group, the case as a large ringed star.

    Parameters
    ----------
    points : sequence of MapPoint
        Reference samples; ``emphasised`` ones (the called class) get an outline.
    case : (float, float)
        The case's coordinates.
    colours : mapping
        Colour of each group.
    case_label : str
    caption : str
    """
    width, height, pad = 640, 440, 16
    xs = [p.x for p in points] + [case[0]]
    ys = [p.y for p in points] + [case[1]]
    xmin, xmax = min(xs), max(xs)
    ymin, ymax = min(ys), max(ys)
    xspan, yspan = (xmax - xmin) or 1.0, (ymax - ymin) or 1.0

    def px(x: float) -> float:
        return pad + (width - 2 * pad) * (x - xmin) / xspan

    def py(y: float) -> float:
        return height - pad - (height - 2 * pad) * (y - ymin) / yspan

    parts = [_svg_open(width, height, "embedding-map", caption)]
    parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" class="map-bg"/>')
    # Emphasised points last, so that they are drawn on top.
    for p in sorted(points, key=lambda q: q.emphasised):
        colour = colours.get(p.group, OTHER_COLOUR)
        cls = "dot dot-called" if p.emphasised else "dot"
        parts.append(
            f'<circle cx="{px(p.x):.1f}" cy="{py(p.y):.1f}" r="3.2" fill="{colour}" '
            f'class="{cls}"><title>{escape(p.title)}</title></circle>'
        )
    cx, cy = px(case[0]), py(case[1])
    parts.append(
        f'<g data-testid="embedding-case"><title>{escape(case_label)}</title>'
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="13" class="case-ring"/>'
        f'<path d="{_star(cx, cy, 9.0, 4.0)}" class="case-star"/>'
        f'<text x="{cx + 16:.1f}" y="{cy - 12:.1f}" class="case-label">'
        f"{escape(_short(case_label, 30))}</text></g>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_open(width: int, height: int, testid: str, caption: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(caption)}" data-testid="{testid}">'
        f"<title>{escape(caption)}</title>"
    )


def _star(cx: float, cy: float, outer: float, inner: float) -> str:
    points = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = math.pi / 2 + k * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.1f},{cy - radius * math.sin(angle):.1f}")
    return "M" + " L".join(points) + " Z"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
