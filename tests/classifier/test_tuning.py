import numpy as np
from sklearn.model_selection import StratifiedKFold

from classifier.balanced_forest import BalancedForest
from classifier.calibration import RidgeCalibrator
from classifier.tuning import choose, staged_proba


def test_staged_probabilities_are_the_first_trees_forests():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    forest = BalancedForest(n_estimators=10, random_state=0).fit(X, y)
    staged = staged_proba(forest, X, (3, 10), 2)
    np.testing.assert_allclose(staged[10], forest.predict_proba(X))
    first3 = sum(t.predict_proba(X) for t in forest.estimators_[:3]) / 3
    np.testing.assert_allclose(staged[3], first3)


def test_the_smallest_forest_within_one_standard_error_wins():
    rng = np.random.default_rng(1)
    codes = np.repeat([0, 1, 2], 30)
    truth = np.eye(3)[codes]
    base = rng.dirichlet(np.ones(3), 90)
    noisy = 0.30 * truth + 0.70 * base
    cleaner = 0.32 * truth + 0.68 * base
    useless = rng.dirichlet(np.ones(3), 90)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    # 300 trees a little better than 100, within one SE: the smaller is chosen.
    tuned = choose({100: noisy, 300: cleaner}, codes, RidgeCalibrator(), (1.0, 100.0), cv)
    best = min(tuned.table, key=lambda r: r["log_loss"])
    assert best["size"] == 300
    small = min((r for r in tuned.table if r["size"] == 100), key=lambda r: r["log_loss"])
    assert small["log_loss"] <= best["log_loss"] + best["se"]
    assert tuned.size == 100
    assert len(tuned.table) == 4 and tuned.cross_fitted.shape == (90, 3)
    # A forest size that scores nothing is never chosen.
    worse = choose({100: useless, 300: cleaner}, codes, RidgeCalibrator(), (100.0,), cv)
    assert worse.size == 300 and worse.c == 100.0
