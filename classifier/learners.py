"""The base learners behind one interface.

Each learner maps selected CpG beta values to class scores through
``predict_proba``; the calibrator then turns those scores into calibrated
probabilities. Threads are for training: serving predicts one profile at a
time, where a second thread only adds overhead on 2 cores.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classifier.balanced_forest import BalancedForest
from classifier.flat_forest import FlatForest

__all__ = ["DEFAULT_LEARNER", "LEARNERS", "make_base_learner", "serving_predictor"]

#: The default base learner: the reference method's forest, which was also the
#: most accurate and best calibrated on the default cohort (docs/benchmarks.md).
DEFAULT_LEARNER = "rf"

#: Learner names and what they are, for help texts and model cards.
LEARNERS: dict[str, str] = {
    "linear": "ridge (L2) multinomial logistic regression on standardised beta values",
    "rf": "random forest with class-balanced down-sampling in every tree (reference method)",
    "xgb": "gradient-boosted trees (XGBoost, histogram method)",
}


def make_base_learner(name: str, random_state: int | None = 0, n_jobs: int = 1) -> BaseEstimator:
    """Return an unfitted base learner.

    Parameters
    ----------
    name : {"linear", "rf", "xgb"}
        Which learner.
    random_state : int or None, default=0
        Seed of the learner's randomness.
    n_jobs : int, default=1
        Training threads.

    Returns
    -------
    estimator
        A scikit-learn compatible classifier with ``predict_proba``.
    """
    if name == "linear":
        # Standardised, because the informative CpGs differ in spread (a DMC
        # near an island's floor varies far less than one mid-range); C by
        # 3-fold CV on the default cohort over 0.003..10 on 10,000 CpGs:
        # 0.01 was best (accuracy 0.87 against 0.82 unstandardised at C=1).
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=300, tol=1e-3))
    if name == "rf":
        # Like mnp_training's randomForest(sampsize = rep(min class size)):
        # every tree sees the same number of samples of every class. The
        # estimator chooses the number of trees by its inner folds
        # (MethylationClassifier.tree_grid); 500 is randomForest's default.
        return BalancedForest(
            n_estimators=500, max_features="sqrt", random_state=random_state or 0, n_jobs=n_jobs
        )
    if name == "xgb":
        from xgboost import XGBClassifier

        return XGBClassifier(
            n_estimators=150,
            max_depth=3,
            learning_rate=0.15,
            subsample=0.8,
            colsample_bynode=0.3,
            tree_method="hist",
            max_bin=64,
            random_state=random_state,
            n_jobs=n_jobs,
        )
    raise ValueError(f"unknown learner {name!r}; expected one of {sorted(LEARNERS)}")


def serving_predictor(base: BaseEstimator):
    """Return what scores profiles for a fitted base learner.

    A forest becomes a :class:`~classifier.flat_forest.FlatForest` (the same
    probabilities, about 30 times faster for one profile); other learners
    score with themselves.
    """
    trees = getattr(base, "estimators_", None)
    if trees is not None and all(hasattr(t, "tree_") for t in trees):
        return FlatForest(base)
    return base
