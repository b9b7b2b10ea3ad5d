"""What the case page says a score means."""

from __future__ import annotations

from api.ui.case_view import score_meaning
from classifier.metrics import REPORT_METRICS, ClassificationReport, ReliabilityCurve
from classifier.model_metrics import Evaluation, ModelMetrics

CURVE = ReliabilityCurve(
    bin_lower=(0.0, 0.5, 0.9),
    bin_upper=(0.5, 0.9, 1.0),
    confidence=(0.35, None, 0.97),
    accuracy=(0.3, None, 0.98),
    count=(20, 0, 150),
)
REPORT = ClassificationReport(
    n_samples=170,
    **dict.fromkeys(REPORT_METRICS[1:])
    | {"classified_fraction": 0.71, "classified_accuracy": 0.99},
    per_class={},
)
# A report of nothing measured: the threshold sentence has no figures to quote.
NO_REPORT = ClassificationReport(n_samples=0, **dict.fromkeys(REPORT_METRICS[1:]), per_class={})


def _evaluated(report=NO_REPORT, curve=None) -> ModelMetrics:
    return ModelMetrics(
        evaluation=Evaluation(report, report, report, curve, outer_folds=5, inner_folds=3)
    )


def test_the_accuracy_observed_in_the_score_range():
    meaning = score_meaning(_evaluated(REPORT, CURVE), 0.95, 0.9)
    assert meaning["sentence"] == (
        "In nested cross-validation, 150 reference tumours had a top score between 0.9 and "
        "1.0, like this case; 98% of them were classified correctly."
    )
    assert "71% of reference tumours reached the 0.9 threshold" in meaning["detail"]
    assert 'data-testid="reliability-chart"' in meaning["chart"]


def test_a_range_without_reference_tumours_says_so():
    meaning = score_meaning(_evaluated(curve=CURVE), 0.6, 0.9)
    assert "no reference tumour had a top score between 0.5 and 0.9" in meaning["sentence"]


def test_a_model_without_the_curve_quotes_the_threshold_figures():
    meaning = score_meaning(_evaluated(REPORT), 0.95, 0.9)
    assert meaning["sentence"].startswith("Overall, 71% of reference tumours")
    assert meaning["chart"] is None


def test_a_model_without_evaluation_or_not_loaded():
    assert "without nested cross-validation" in score_meaning(ModelMetrics(), 0.5, 0.9)["sentence"]
    assert "not the one loaded now" in score_meaning(None, 0.5, 0.9)["sentence"]


def test_the_map_colours_the_called_class_and_its_nearest_classes():
    import pandas as pd

    from api.ui.case_view import _nearest_classes

    rows = pd.DataFrame(
        {
            "label": ["DSRCT", "DSRCT", "EWS", "CIC", "LMS", "SS"],
            "x": [0.0, 0.1, 5.0, 1.0, 9.0, 2.0],
            "y": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    # The called class first, whatever its distance; then the others by distance.
    assert _nearest_classes(rows, (1.1, 0.0), "EWS") == ["EWS", "CIC", "SS", "DSRCT", "LMS"]


def test_a_score_of_exactly_the_threshold_is_counted_where_the_curve_counts_it():
    # The curve is computed from scores; the page must name the bin the score fell in.
    import numpy as np

    from classifier.metrics import reliability_curve

    proba = np.array([[0.9, 0.1], [0.95, 0.05], [0.85, 0.15], [0.85, 0.15]])
    curve = reliability_curve(proba, np.array([0, 0, 1, 0]))
    assert curve.count[9] == 2 and curve.count[8] == 2
    meaning = score_meaning(_evaluated(REPORT, curve), 0.9, 0.9)
    assert meaning["sentence"] == (
        "In nested cross-validation, 2 reference tumours had a top score between 0.9 and "
        "1.0, like this case; 100% of them were classified correctly."
    )
    below = score_meaning(_evaluated(REPORT, curve), float(np.nextafter(0.9, 0)), 0.9)
    assert "2 reference tumours had a top score between 0.8 and 0.9" in below["sentence"]
    assert "50% of them" in below["sentence"]
    # The chart highlights the same bin.
    assert meaning["chart"].count("rel-here") == 1
    assert 'class="rel-bin rel-here"><title>scores 0.9-1.0' in meaning["chart"]
