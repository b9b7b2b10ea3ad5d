import numpy as np
import pytest

from classifier.assessment import GroupFigures, RobustnessPoint
from training.evaluation.qc_rules import (
    choose_min_coverage,
    choose_ood_ratio,
    choose_qc_thresholds,
)


def _curve(rows):
    return [
        RobustnessPoint(
            "missing_random", str(share), GroupFigures(100, acc, 0.0, 0.0, 0.5, err, (None, None))
        )
        for share, acc, err in rows
    ]


def test_the_smallest_share_within_both_margins_is_chosen():
    curve = _curve([(1.0, 0.95, 0.01), (0.9, 0.94, 0.015), (0.8, 0.931, 0.02),
                    (0.7, 0.92, 0.02), (0.5, 0.96, 0.0)])  # fmt: skip
    # 0.7: accuracy 0.92 < 0.95 - 0.02: stops there, although 0.5 looks fine again.
    assert choose_min_coverage(curve)[0] == 0.8


def test_the_margins_are_inclusive_and_the_error_counts_too():
    # error exactly +0.01 and accuracy exactly -0.02 are allowed (binary floats aside).
    ok = _curve([(1.0, 0.5, 0.25), (0.9, 0.48, 0.26), (0.8, 0.5, 0.2600001)])
    assert choose_min_coverage(ok)[0] == 0.9
    worse_error = _curve([(1.0, 0.9, 0.0), (0.9, 0.9, 0.011)])
    assert choose_min_coverage(worse_error)[0] == 1.0
    # A share without any match counts as error 0.
    no_match = _curve([(1.0, 0.9, 0.0), (0.9, 0.9, None)])
    assert choose_min_coverage(no_match)[0] == 0.9


def test_the_curve_must_start_at_full_profiles():
    with pytest.raises(ValueError, match="measured share of 1"):
        choose_min_coverage(_curve([(0.9, 0.9, 0.0)]))


def test_ood_cut_is_the_99th_percentile_and_scales_with_the_final_model():
    ratios = np.arange(1, 101) / 100.0
    assert choose_ood_ratio(ratios) == pytest.approx(np.quantile(ratios, 0.99))
    qc = choose_qc_thresholds(_curve([(1.0, 0.9, 0.0)]), ratios, reference_threshold=2.0)
    assert qc.ood_ratio == pytest.approx(0.9901)
    assert qc.ood_distance == pytest.approx(2 * 0.9901)
    assert qc.min_coverage == 1.0
    assert "0.99" in qc.ood_rule or "99%" in qc.ood_rule
    assert "1: accuracy 0.900" in qc.min_coverage_evidence
