import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from classifier.errors import SparseTrainingDataError
from classifier.selection import CpGSelector, measured_cpgs, select_cpgs


def _data(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], 20)
    X = rng.uniform(0.2, 0.8, (60, 50)).astype(np.float32)
    X[:, 7] = np.where(y == 1, 0.9, 0.1) + rng.normal(0, 0.02, 60)  # informative
    X[:, 31] = np.where(y == 2, 0.85, 0.15) + rng.normal(0, 0.02, 60)  # informative
    return X, y


def test_selects_informative_cpgs_in_input_order():
    X, y = _data()
    sel = CpGSelector(n_features=2).fit(X, y)
    assert sel.support_.tolist() == [7, 31]
    assert sel.transform(X).shape == (60, 2)


def test_cpgs_missing_too_often_are_never_selected():
    X, y = _data()
    X[:10, 7] = np.nan  # 1/6 of samples missing > max_missing 0.1
    sel = CpGSelector(n_features=2, max_missing=0.1).fit(X, y)
    assert 7 not in sel.support_


def test_missing_values_get_training_median():
    X, y = _data()
    X[0, 31] = np.nan
    sel = CpGSelector(n_features=2, max_missing=0.5).fit(X, y)
    filled = sel.transform(X)
    col = sel.support_.tolist().index(31)
    assert filled[0, col] == pytest.approx(np.nanmedian(X[:, 31]))
    assert np.isnan(X[0, 31])  # the caller's array is left unchanged


def test_transform_checks_fitted_and_width():
    X, y = _data()
    with pytest.raises(NotFittedError):
        CpGSelector().transform(X)
    sel = CpGSelector(n_features=5).fit(X, y)
    with pytest.raises(
        ValueError, match="X has 49 CpG columns, but CpGSelector was fitted with 50"
    ):
        sel.transform(X[:, :49])


def test_no_cpg_measured_often_enough_is_a_domain_error():
    X, y = _data()
    X[:10] = np.nan  # 10 of 60 samples failed: every CpG is missing in 1/6 > 0.1
    with pytest.raises(SparseTrainingDataError) as exc:
        CpGSelector(n_features=2, max_missing=0.1).fit(X, y)
    assert isinstance(exc.value, ValueError)  # still what sklearn-style callers catch
    assert exc.value.field == "betas"
    assert str(exc.value) == (
        "no CpG is measured in at least 90% of the 60 training samples, the share CpG "
        "selection requires: of 50 CpGs, the best-measured is measured in 50 samples; a "
        "median sample has 100% of its CpGs measured; 10 samples have no measured CpG at "
        "all. Remove the samples that failed, or check that the beta values were imported "
        "correctly"
    )


def test_measured_cpgs_follows_the_selectors_rule_and_names_empty_samples():
    X, y = _data()
    X[:6, :40] = np.nan  # 6 of 60 missing: exactly the 10 % allowed
    X[6, :45] = np.nan  # a 7th sample more: CpGs 0-39 now miss 7 of 60
    assert measured_cpgs(X, 0.1).tolist() == list(range(40, 50))
    assert CpGSelector(n_features=50, max_missing=0.1).fit(X, y).support_.tolist() == list(
        range(40, 50)
    )
    X[:, 40:] = np.nan
    X[7:, 40:] = 0.5
    with pytest.raises(SparseTrainingDataError, match=r"e\.g\. \['s0', 's1', 's2'\]"):
        measured_cpgs(X, 0.1, sample_ids=[f"s{i}" for i in range(60)])


def test_balanced_ranking_gives_a_small_class_its_cpgs_where_anova_does_not():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], [60, 60, 4])
    X = rng.uniform(0.3, 0.7, (124, 40)).astype(np.float32)
    for j in range(5):  # five CpGs separate the two big classes strongly
        X[:, j] = np.where(y == 1, 0.9, 0.1) + rng.normal(0, 0.02, 124)
    X[:, 30] = np.where(y == 2, 0.8, 0.2) + rng.normal(0, 0.05, 124)  # the small class's CpG
    balanced = CpGSelector(n_features=3, method="balanced").fit(X, y)
    anova = CpGSelector(n_features=3, method="anova").fit(X, y)
    assert 30 in balanced.support_
    assert 30 not in anova.support_ and set(anova.support_) <= set(range(5))


def test_selection_reads_only_the_rows_and_columns_it_is_given():
    X, y = _data()
    rows = np.arange(0, 60, 2)
    columns = np.array([7, 12, 31, 40])
    chosen = select_cpgs(X, y[rows], 2, rows=rows, columns=columns)
    assert chosen.support.tolist() == [7, 31]
    assert chosen.positions.tolist() == [0, 2]
    np.testing.assert_allclose(chosen.medians, np.median(X[np.ix_(rows, [7, 31])], axis=0))
    with pytest.raises(ValueError, match="unknown selection 'forest'"):
        select_cpgs(X, y, 2, method="forest")
