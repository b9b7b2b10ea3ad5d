"""The shift fits: suppliers held out by the rule fixed in advance, and what is scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from classifier.estimator import MethylationClassifier
from training.evaluation.shift import MIN_TRAIN_PER_CLASS, held_out_suppliers, leave_sites_out


def test_every_kth_supplier_in_sorted_order_from_the_first():
    suppliers = ["Kiel", "Basel", "Jena", "Basel", "", "Essen", "Aachen", "Jena", " "]
    # sorted, unique, blanks dropped: Aachen, Basel, Essen, Jena, Kiel
    assert held_out_suppliers(suppliers, 2) == ["Aachen", "Essen", "Kiel"]
    assert held_out_suppliers(suppliers, 5) == ["Aachen"]
    assert held_out_suppliers(suppliers, 0) == []


def test_suppliers_sort_by_code_point():
    # Heidelberg, INFORM, Kiel, Münster: 'H' < 'I' < 'K' < 'M', whatever the case after it.
    assert held_out_suppliers(["Münster", "INFORM", "Heidelberg", "Kiel"], 2) == [
        "Heidelberg",
        "Kiel",
    ]


@pytest.mark.slow
def test_the_held_out_suppliers_profiles_are_scored_by_a_model_that_never_saw_them(
    tiny_cohort,
):
    X, y = tiny_cohort.betas, tiny_cohort.labels
    supplier = tiny_cohort.samples["supplier"].astype(str).to_numpy()
    classes = np.unique(y)
    seen: list[pd.Index] = []

    class Spy(MethylationClassifier):
        def fit(self, X, y, material=None, calibration_scores=None):
            seen.append(X.index)
            return super().fit(X, y, material, calibration_scores)

    shift = leave_sites_out(Spy(n_features=150, inner_folds=2), X, y, supplier, classes, every=5)
    held = held_out_suppliers(supplier, 5)
    on_test = np.isin(supplier, held)
    train_counts = pd.Series(y[~on_test]).value_counts()
    kept = train_counts.index[train_counts >= MIN_TRAIN_PER_CLASS]
    expected_test = on_test & np.isin(y, kept)
    assert shift is not None and shift.kind == "leave_site_out"
    # One fit, on profiles of the other suppliers only.
    (fitted,) = seen
    assert not np.isin(supplier[X.index.get_indexer(fitted)], held).any()
    assert len(fitted) == int((~on_test & np.isin(y, kept)).sum())
    # Every held-out profile of a kept class is scored, in the cohort's class order.
    assert shift.calibrated.shape == (int(expected_test.sum()), len(classes))
    np.testing.assert_array_equal(shift.y_idx, np.searchsorted(classes, y[expected_test]))
    np.testing.assert_allclose(shift.calibrated.sum(axis=1), 1.0, atol=1e-6)
    assert shift.test_array == f"{len(held)} held-out suppliers"
    assert shift.train_array == f"{len(set(supplier)) - len(held)} other suppliers"


def test_nothing_left_to_train_on_is_none(tiny_cohort):
    X, y = tiny_cohort.betas, tiny_cohort.labels
    one_supplier = np.full(len(y), "Heidelberg")  # held out, so no profile is left to train on
    assert leave_sites_out(MethylationClassifier(), X, y, one_supplier, np.unique(y)) is None


@pytest.mark.slow
def test_leave_array_out_scores_the_other_arrays_profiles_of_kept_classes(tiny_cohort):
    from training.evaluation.shift import leave_array_out

    X, y = tiny_cohort.betas, tiny_cohort.labels
    arrays = tiny_cohort.samples["array_type"].astype(str).str.lower().to_numpy()
    classes = np.unique(y)
    shifts = leave_array_out(MethylationClassifier(n_features=150, inner_folds=2), X, y, arrays,
                             classes)  # fmt: skip
    assert [(s.train_array, s.test_array, s.kind) for s in shifts] == [
        ("450k", "epic", "leave_array_out"),
        ("epic", "450k", "leave_array_out"),
    ]
    for shift in shifts:
        counts = pd.Series(y[arrays == shift.train_array]).value_counts()
        kept = counts.index[counts >= MIN_TRAIN_PER_CLASS]
        scored = (arrays == shift.test_array) & np.isin(y, kept)
        np.testing.assert_array_equal(shift.y_idx, np.searchsorted(classes, y[scored]))
        assert shift.dropped_classes == tuple(sorted(set(classes) - set(kept)))
