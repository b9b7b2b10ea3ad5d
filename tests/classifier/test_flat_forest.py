import numpy as np
import pytest
from imblearn.ensemble import BalancedRandomForestClassifier
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from classifier.flat_forest import FlatForest
from classifier.learners import serving_predictor


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(400, 60, n_informative=12, n_classes=5, random_state=0)
    return X.astype(np.float32), y


@pytest.mark.parametrize(
    "forest",
    [
        BalancedRandomForestClassifier(
            n_estimators=40, sampling_strategy="all", replacement=True, bootstrap=False,
            random_state=0,
        ),
        RandomForestClassifier(n_estimators=25, max_depth=6, random_state=0),
    ],
)  # fmt: skip
def test_same_probabilities_as_the_forest(data, forest):
    X, y = data
    forest.fit(X[:300], y[:300])
    flat = FlatForest(forest)
    np.testing.assert_allclose(flat.predict_proba(X[300:]), forest.predict_proba(X[300:]))
    one = flat.predict_proba(X[300:301])
    np.testing.assert_allclose(one, forest.predict_proba(X[300:301]))
    assert list(flat.classes_) == list(forest.classes_)


def test_more_profiles_than_one_chunk(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=10, random_state=1).fit(X, y)
    np.testing.assert_allclose(FlatForest(forest).predict_proba(X), forest.predict_proba(X))


def test_wrong_width_is_refused(data):
    X, y = data
    flat = FlatForest(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y))
    with pytest.raises(ValueError, match="fitted with 60 features"):
        flat.predict_proba(X[:, :10])


def test_serving_predictor_flattens_forests_only(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    linear = LogisticRegression(max_iter=200).fit(X, y)
    assert isinstance(serving_predictor(forest), FlatForest)
    assert serving_predictor(linear) is linear
