"""Inline SVG charts: positions, the threshold marker, escaping."""

from __future__ import annotations

import re

from api.ui.charts import Bar, MapPoint, class_colours, reliability_chart, scatter_map, score_bars
from classifier.metrics import ReliabilityCurve


def _x(svg: str, pattern: str) -> float:
    match = re.search(pattern, svg)
    assert match, pattern
    return float(match.group(1))


def test_the_threshold_marker_sits_at_its_score():
    svg = score_bars([Bar("A", 0.95), Bar("B", 0.03)], 0.9, testid="t", caption="c")
    assert svg.count('data-testid="threshold-marker"') == 1
    marker = _x(svg, r'class="threshold"[^>]*?|<line x1="([\d.]+)"[^>]*class="threshold"')
    zero = _x(svg, r'<line x1="([\d.]+)"[^>]*class="grid"')
    one = float(re.findall(r'<line x1="([\d.]+)"[^>]*class="grid"', svg)[-1])
    assert (marker - zero) / (one - zero) == 0.9
    assert svg.count('class="bar bar-match"') == 1  # only the bar over the threshold


def test_labels_are_escaped_and_shortened():
    svg = score_bars([Bar("<b>x</b>" + "y" * 80, 0.5)], 0.9, testid="t", caption="<c>")
    assert "<b>" not in svg
    assert "&lt;b&gt;" in svg
    assert "…" in svg


def test_the_reliability_chart_marks_the_case_range():
    curve = ReliabilityCurve(
        bin_lower=(0.0, 0.5),
        bin_upper=(0.5, 1.0),
        confidence=(0.3, None),
        accuracy=(0.4, None),
        count=(10, 0),
    )
    svg = reliability_chart(curve, 0.3, caption="r")
    assert svg.count("rel-here") == 1
    assert "40% correct of 10" in svg
    assert reliability_chart(curve, 0.9, caption="r").count("rel-here") == 0  # empty bin


def test_the_map_highlights_the_case_and_the_called_class():
    points = [
        MapPoint(0.0, 0.0, "ROUND_CELL", "Ewing sarcoma", emphasised=False),
        MapPoint(1.0, 2.0, "ROUND_CELL", "DSRCT <ref>", emphasised=True),
        MapPoint(3.0, 1.0, "ADIPOCYTIC", "lipoma"),
    ]
    colours = class_colours(["ROUND_CELL", "ADIPOCYTIC"])
    svg = scatter_map(points, (1.5, 1.5), colours, case_label="this case", caption="m")
    assert svg.count("<circle") == 4  # three dots and the case's ring
    assert svg.count("dot-called") == 1
    assert 'data-testid="embedding-case"' in svg
    assert "DSRCT &lt;ref&gt;" in svg
    assert colours["ROUND_CELL"] != colours["ADIPOCYTIC"]


def test_many_groups_share_a_neutral_colour():
    colours = class_colours([f"F{i}" for i in range(30)])
    assert len(set(colours.values())) == 25  # 24 colours, then grey
