import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from classifier.selection import CpGSelector


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
