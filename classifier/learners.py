"""The base learners behind one interface.

Each learner maps selected CpG beta values to class scores through
``predict_proba``; the calibrator then turns those scores into calibrated
probabilities. Threads are for training: serving predicts one profile at a
time, where a second thread only adds overhead on 2 cores.
"""

from __future__ import annotations

from typing import Literal

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

__all__ = ["LEARNERS", "LearnerName", "make_base_learner"]

LearnerName = Literal["rf", "xgb", "linear"]

#: Learner names and what they are, for help texts and model cards.
LEARNERS: dict[str, str] = {
    "linear": "ridge (L2) multinomial logistic regression on beta values",
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
        # C was chosen on the default cohort by inner cross-validation over
        # 0.01..10; beta values are on one scale, so no standardisation.
        return LogisticRegression(C=1.0, max_iter=300, tol=1e-3)
    if name == "rf":
        from imblearn.ensemble import BalancedRandomForestClassifier

        # Like mnp_training's randomForest(sampsize = rep(min class size)):
        # every tree sees the same number of samples of every class.
        return BalancedRandomForestClassifier(
            n_estimators=500,
            max_features="sqrt",
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=random_state,
            n_jobs=n_jobs,
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
