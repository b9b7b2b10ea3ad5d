import numpy as np
import pytest

from classifier.balanced_forest import BalancedForest
from classifier.flat_forest import FlatForest


def _data(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["big", "mid", "small"]), [40, 15, 5])
    X = rng.normal(0.5, 0.1, (60, 20)).astype(np.float32)
    X[y == "small", 3] += 0.5
    X[y == "mid", 7] -= 0.4
    return X, y


def test_every_tree_sees_the_smallest_class_size_of_every_class():
    X, y = _data()
    forest = BalancedForest(n_estimators=20, random_state=1).fit(X, y)
    assert forest.classes_.tolist() == ["big", "mid", "small"]
    for tree in forest.estimators_:
        root = tree.tree_
        counts = root.value[0, 0] * root.weighted_n_node_samples[0]
        np.testing.assert_allclose(counts, [5, 5, 5])


def test_same_seed_same_forest_and_probabilities_sum_to_one():
    X, y = _data()
    a = BalancedForest(n_estimators=15, random_state=3, n_jobs=2).fit(X, y).predict_proba(X)
    b = BalancedForest(n_estimators=15, random_state=3).fit(X, y).predict_proba(X)
    c = BalancedForest(n_estimators=15, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    # The small class's marker CpG is learnt although it has 5 of 60 samples.
    small = a[:, 2]
    assert small[y == "small"].min() > small[y == "big"].max()


def test_flat_copy_scores_the_same_and_width_is_checked():
    X, y = _data()
    forest = BalancedForest(n_estimators=10, random_state=0).fit(X, y)
    np.testing.assert_allclose(FlatForest(forest).predict_proba(X), forest.predict_proba(X))
    assert (forest.predict(X) == forest.classes_[forest.predict_proba(X).argmax(1)]).all()
    with pytest.raises(ValueError, match="X has shape \\(60, 19\\); the forest was fitted with 20"):
        forest.predict_proba(X[:, :19])
