"""Nested cross-validation: fold choice, and no leakage of the outer test fold."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

import classifier.estimator as estimator_module
from classifier.calibration import TemperatureScaling
from classifier.errors import ClassifierError
from classifier.estimator import MethylationClassifier
from classifier.metrics import brier_score, log_loss, reliability_curve
from training.nested_cv import (
    choose_folds,
    evaluate,
    nested_cross_validate,
)


def test_outer_folds_are_lowered_for_small_classes():
    y = np.array(["A"] * 10 + ["B"] * 3)
    folds, _, notes = choose_folds(y, 5, 2)
    assert folds == 3
    assert "lowered from 5 to 3" in notes[0] and "'B'" in notes[0]


def test_fold_choice_reports_both_counts_that_will_be_used():
    y = np.array(["A"] * 10 + ["B"] * 3)
    # B keeps 2 of its 3 samples in each of 3 outer training splits: 2 inner folds.
    outer, inner, notes = choose_folds(y, 5, 3)
    assert (outer, inner) == (3, 2)
    assert notes == [
        "outer folds lowered from 5 to 3: class 'B' has only 3 samples",
        "inner folds lowered from 3 to 2 inside small classes: "
        "class 'B' keeps 2 samples per outer training split",
    ]
    assert choose_folds(np.array(["A"] * 10 + ["B"] * 10), 5, 3) == (5, 3, [])


@pytest.mark.parametrize("n", [1, 2])
def test_a_class_of_fewer_than_three_cannot_be_cross_validated(n):
    # With 2, every outer training split keeps 1: too few to calibrate.
    with pytest.raises(ClassifierError, match=rf"at least 3 samples per class.*'B' has {n}"):
        choose_folds(np.array(["A"] * 5 + ["B"] * n), 5, 3)


def test_too_few_outer_folds_for_a_class_of_three_say_how_many():
    # 2 stratified folds test 2 of B's 3 samples once, leaving 1 to train on.
    y = np.array(["A"] * 10 + ["B"] * 3)
    with pytest.raises(ClassifierError, match=r"only 1 .* ask for at least 3 outer folds") as err:
        choose_folds(y, 2, 2)
    assert err.value.field == "outer_folds"
    assert choose_folds(y, 3, 2) == (3, 2, [])
    assert choose_folds(np.array(["A"] * 10 + ["B"] * 4), 2, 3) == (
        2,
        2,
        [
            "inner folds lowered from 3 to 2 inside small classes: "
            "class 'B' keeps 2 samples per outer training split"
        ],
    )


@pytest.mark.slow
def test_selection_and_calibration_never_see_the_outer_test_fold(tiny_cohort, monkeypatch):
    """Tag every sample with a unique marker CpG and record what each fit sees."""
    X = tiny_cohort.betas.copy()
    n = len(X)
    X["cg99999990"] = np.arange(n) / n  # the marker: sample i has value i / n
    y = tiny_cohort.labels
    seen_by_selection: list[set[int]] = []
    seen_by_calibration: list[int] = []
    marker_col = X.columns.get_loc("cg99999990")

    original_select = estimator_module.select_cpgs

    def spy_select(values, labels, *args, rows, **kwargs):
        seen_by_selection.append(set(np.rint(values[rows, marker_col] * n).astype(int)))
        return original_select(values, labels, *args, rows=rows, **kwargs)

    original_make = estimator_module.make_calibrator

    def spy_make(name):
        calibrator = original_make(name)
        original = calibrator.fit

        def fit(scores, codes):
            seen_by_calibration.append(len(scores))
            return original(scores, codes)

        calibrator.fit = fit
        return calibrator

    monkeypatch.setattr(estimator_module, "select_cpgs", spy_select)
    monkeypatch.setattr(estimator_module, "make_calibrator", spy_make)

    model = MethylationClassifier(n_features=100, inner_folds=3, filters=())
    fold_calls: list[int] = []
    nested_cross_validate(
        model, X, y, outer_folds=3, seed=7,
        progress=lambda done, total, secs: fold_calls.append(len(seen_by_selection)),
    )  # fmt: skip

    splits = list(StratifiedKFold(3, shuffle=True, random_state=7).split(np.zeros(n), y))
    start = 0
    for (train, test), end in zip(splits, fold_calls, strict=True):
        calls = seen_by_selection[start:end]
        inner = min(3, np.unique(y[train], return_counts=True)[1].min())
        assert len(calls) == inner + 1  # the inner folds and the refit on the outer training split
        for rows in calls:
            assert rows <= set(train.tolist())
            assert not rows & set(test.tolist())
        start = end
    # the calibrator is fitted on the outer training split's out-of-fold scores only
    assert seen_by_calibration == [len(train) for train, _ in splits]


@pytest.mark.slow
def test_evaluation_reports_raw_and_calibrated_with_dsrct_first(tiny_cohort):
    model = MethylationClassifier(n_features=150, inner_folds=2)
    X, y = tiny_cohort.betas, tiny_cohort.labels
    seen = []

    def probe(fold_model, X_test, y_test, y_train):
        # Recomputed here from the fold's own model, independently of how the loop stores it.
        raw = fold_model.predict_detail(X_test).raw
        codes = np.searchsorted(fold_model.classes_, y_train)
        temperature = TemperatureScaling().fit(fold_model.oof_raw_, codes)
        seen.append((X_test.index, fold_model.calibrator_.predict_proba(raw), temperature,
                     raw, list(y_train)))  # fmt: skip
        return len(seen)

    result = nested_cross_validate(
        model, X, y, outer_folds=3, probe=probe, samples=tiny_cohort.samples
    )
    assert result.probes == [1, 2, 3]
    assert result.samples is tiny_cohort.samples
    for index, calibrated, temperature, raw, y_train in seen:
        rows = X.index.get_indexer(index)
        np.testing.assert_allclose(result.calibrated[rows], calibrated, atol=1e-9)
        np.testing.assert_allclose(result.temperature[rows], temperature.predict_proba(raw))
        assert sorted(set(range(len(y))) - set(rows)) == sorted(
            X.index.get_indexer(X.index[~X.index.isin(index)])
        )
        assert len(y_train) == len(y) - len(rows)
    assert not np.allclose(result.calibrated, result.raw)
    # Calibration improves on held-out samples: log loss and ECE of the outer predictions.
    y_idx = np.searchsorted(result.classes, result.y)
    assert log_loss(result.calibrated, y_idx) < log_loss(result.raw, y_idx)
    assert result.outer_folds == 3
    assert (result.fold >= 0).all()
    np.testing.assert_allclose(result.calibrated.sum(axis=1), 1.0, atol=1e-6)
    fams = {c: ("ROUND" if c in {"DSRCT", "EWS", "CIC", "BCOR"} else c) for c in result.classes}
    metrics = evaluate(result, fams)
    for kind in ("raw", "calibrated", "temperature"):
        report = getattr(metrics, kind)
        assert next(iter(report.per_class)) == "DSRCT"
        proba = getattr(result, kind)
        assert report.brier == pytest.approx(brier_score(proba, y_idx))
        assert report.accuracy == pytest.approx(np.mean(proba.argmax(1) == y_idx))
        assert report.classified_fraction == pytest.approx(np.mean(proba.max(1) >= 0.9))
        assert report.family_accuracy >= report.accuracy
    assert metrics.reliability == reliability_curve(result.calibrated, y_idx)
    # even on this tiny cohort the calibrated model is right most of the time
    assert metrics.calibrated.accuracy > 0.7
