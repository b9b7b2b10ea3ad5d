"""The assessment computed from outer predictions: every figure recomputed by hand."""

import copy

import numpy as np
import pytest

from classifier.conformal import conformal_quantile
from training.evaluation.assess import assess, group_figures, per_class_figures
from training.evaluation.fold_probe import MEASURED_SHARES, FoldProbe, PatternScores, probe_fold
from training.evaluation.report import write_report
from training.nested_cv import NestedCVResult


def test_group_figures_by_hand():
    proba = np.array([[0.95, 0.05], [0.92, 0.08], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 1, 0, 1])
    f = group_figures(proba, y, 0.9, ood_flagged=np.array([1, 0, 0, 0]), coverage=np.ones(4))
    assert (f.n, f.accuracy, f.classified_fraction, f.matched_error) == (4, 0.75, 0.5, 0.5)
    assert f.ood_flagged == 0.25 and f.share_measured == 1.0
    assert f.matched_error_ci[0] < 0.5 < f.matched_error_ci[1]
    empty = group_figures(proba[:0], y[:0], 0.9)
    assert empty.n == 0 and empty.accuracy is None


def test_per_class_figures_by_hand():
    proba = np.array([[0.95, 0.05, 0.0], [0.91, 0.09, 0.0], [0.2, 0.8, 0.0], [0.5, 0.5, 0.0]])
    y = np.array([0, 1, 1, 0])  # sample 1 (B) is called A at 0.91: a wrong match
    a, b, c = per_class_figures(proba, y, ["A", "B", "C"], 0.9)
    assert (a.support, a.sensitivity, a.n_called, a.precision) == (2, 1.0, 3, pytest.approx(2 / 3))
    assert a.mean_called_score == pytest.approx((0.95 + 0.91 + 0.5) / 3)
    assert (a.classified_fraction, a.matched_calls, a.matched_error) == (0.5, 2, 0.5)
    assert (b.sensitivity, b.precision, b.classified_fraction, b.matched_calls) == (
        0.5,
        1.0,
        0.5,
        0,
    )
    assert b.matched_error is None and b.matched_error_ci == (None, None)
    assert (c.support, c.sensitivity, c.precision, c.n_called) == (0, None, None, 0)


def _result(tiny_model, tiny_cohort):
    """Outer predictions of 2 'folds' probed by the tiny model (fitted on everything:
    the arithmetic of assess is what is checked here, not the model)."""
    X, y = tiny_cohort.betas, tiny_cohort.labels
    classes = np.unique(y)
    fold = np.arange(len(y)) % 2
    probes = [
        probe_fold(tiny_model, X.iloc[fold == f], y[fold == f], y, classes, seed=f) for f in (0, 1)
    ]
    proba = tiny_model.predict_proba(X)
    result = NestedCVResult(classes=classes, y=y, raw=proba, calibrated=proba, temperature=proba,
                            fold=fold, outer_folds=2, inner_folds=2, samples=tiny_cohort.samples,
                            probes=probes)  # fmt: skip
    return result, probes


@pytest.mark.slow
def test_a_probe_scores_every_pattern(tiny_model, tiny_cohort):
    X, y = tiny_cohort.betas.iloc[:10], tiny_cohort.labels[:10]
    probe = probe_fold(tiny_model, X, y, tiny_cohort.labels, np.unique(tiny_cohort.labels))
    assert set(probe.patterns) >= {f"random:{s:g}" for s in MEASURED_SHARES}
    assert {"array:450k", "array:epic", "array:epicv2"} <= set(probe.patterns)
    n = len(tiny_model.cpgs_)
    full = probe.patterns["random:1"]
    np.testing.assert_allclose(full.calibrated, tiny_model.predict_proba(X))
    # Half the model's CpGs blanked: at most half measured, less where some were missing.
    half = probe.patterns["random:0.5"].coverage
    assert (half <= round(0.5 * n) / n + 1e-9).all()
    assert (half >= full.coverage - round(0.5 * n) / n - 1e-9).all()
    np.testing.assert_allclose(probe.ood_ratio, full.ood_ratio)
    detail = tiny_model.predict_detail(X)
    np.testing.assert_allclose(probe.ood_ratio, detail.ood_distance / tiny_model.ood_.threshold_)
    assert probe.inner_quantile == tiny_model.conformal_quantile_
    # The reference itself holds these samples: each one's nearest training sample is itself.
    assert probe.nearest_same.all()
    assert probe.knn_share.min() >= 0.0 and probe.knn_share.max() <= 1.0


@pytest.mark.slow
def test_assess_recomputes_each_part(tiny_model, tiny_cohort, tmp_path):
    model = copy.deepcopy(tiny_model)
    model.fit_reference_map("pca")
    result, probes = _result(model, tiny_cohort)
    a = assess(result, 0.9, model, alpha=0.1)
    y_idx = np.searchsorted(result.classes, result.y)
    assert a.per_class[0].label == "DSRCT"
    # Served prediction sets: the quantile of the outer out-of-fold scores.
    assert model.conformal_quantile_ == conformal_quantile(result.calibrated, y_idx, 0.1)
    assert a.conformal.served_quantile == model.conformal_quantile_
    # The previous construction: each fold's own quantile applied to its test split.
    q = [p.inner_quantile for p in probes]
    covered = [1 - result.calibrated[i, y_idx[i]] <= q[result.fold[i]] for i in range(len(y_idx))]
    assert a.conformal.previous_coverage == pytest.approx(np.mean(covered))
    # OOD: the cut is the 99th percentile of the pooled ratios; 1 % or so above it.
    ratios = np.zeros(len(y_idx))
    for f, probe in enumerate(probes):
        ratios[result.fold == f] = probe.ood_ratio
    assert a.qc.ood_ratio == pytest.approx(np.quantile(ratios, 0.99))
    assert a.qc.ood_distance == pytest.approx(a.qc.ood_ratio * model.ood_.threshold_)
    assert a.ood.in_distribution_fpr == pytest.approx(np.mean(ratios > a.qc.ood_ratio))
    assert a.ood.previous_rule_fpr == pytest.approx(np.mean(ratios > 1.0))
    assert a.ood.design is None
    # Robustness: the random curve's first point is the unaltered profiles.
    full = a.curve("missing_random")[0]
    assert full.level == "1"
    assert full.figures.accuracy == pytest.approx(np.mean(result.calibrated.argmax(1) == y_idx))
    assert {p.level for p in a.curve("material")} == {"FFPE", "frozen"}
    assert sum(p.figures.n for p in a.curve("purity")) == len(y_idx)
    assert sum(p.figures.n for p in a.curve("array_type")) == len(y_idx)
    assert a.neighbours.map_method == "pca" and a.neighbours.outer_nearest_same == 1.0


@pytest.mark.slow
def test_the_report_names_its_commands_and_draws_its_figures(tiny_model, tiny_cohort, tmp_path):
    from classifier.model_metrics import ModelMetrics
    from training.nested_cv import evaluate

    model = copy.deepcopy(tiny_model)
    model.fit_reference_map("pca")
    result, _ = _result(model, tiny_cohort)
    metrics = ModelMetrics(evaluation=evaluate(result, {}), assessment=assess(result, 0.9, model))
    page = write_report(metrics, tmp_path, {"train": "TRAIN-CMD", "report": "REPORT-CMD"})
    text = page.read_text()
    for stem in ("per_class_sensitivity", "robustness_missing", "robustness_purity",
                 "conformal_per_class"):  # fmt: skip
        assert (tmp_path / f"{stem}.png").stat().st_size > 1000
        assert f"]({stem}.png)" in text
    assert text.count("Made by `REPORT-CMD` from the bundle trained by `TRAIN-CMD`") >= 4
    assert "| DSRCT | 13 |" in text
    with pytest.raises(ValueError, match="no nested cross-validation assessment"):
        write_report(ModelMetrics(), tmp_path, {"train": "t", "report": "r"})


@pytest.mark.slow
def test_a_probe_result_without_every_fold_is_refused(tiny_model, tiny_cohort):
    result, probes = _result(copy.deepcopy(tiny_model), tiny_cohort)
    result.probes = probes[:1]
    with pytest.raises(ValueError, match="a probe of every outer fold"):
        assess(result, 0.9, tiny_model)


def test_pattern_scores_shape():
    scores = PatternScores(np.zeros((2, 3)), np.ones(2), np.ones(2))
    probe = FoldProbe(np.ones(2), 0.5, np.ones(2), np.ones(2, bool), {"random:1": scores})
    assert probe.patterns["random:1"].calibrated.shape == (2, 3)
