"""CpG selection fitted on training data only.

The reference method (Capper 2018) ranks CpGs by random-forest permutation
importance. On 2 cores that costs hours per fold of a nested
cross-validation, so we rank by the one-way ANOVA F statistic of each CpG
across classes instead: it is class-aware like the forest importance (it
keeps the CpGs that separate classes, not merely the most variable ones),
costs seconds, and is refitted inside every training split. CpGs measured in
too few training samples are dropped first, and the remaining gaps are
filled with the training median, the "not measured" value of the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import f_classif
from sklearn.utils.validation import check_is_fitted

from classifier.errors import SparseTrainingDataError

__all__ = ["CpGSelector", "measured_cpgs"]


class CpGSelector(TransformerMixin, BaseEstimator):
    """Keep the ``n_features`` CpGs that best separate the classes.

    Parameters
    ----------
    n_features : int, default=10000
        Number of CpGs to keep (all of them when fewer are available).
    max_missing : float, default=0.1
        CpGs missing (NaN) in a larger share of training samples are never
        selected: a model must not rest on probes that one array type lacks.

    Attributes
    ----------
    support_ : ndarray of int
        Column indices of the selected CpGs, in input order.
    medians_ : ndarray of float32
        Training median of each selected CpG, used where a value is missing.
    scores_ : ndarray of float
        F statistic of each selected CpG.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    """

    def __init__(self, n_features: int = 10_000, max_missing: float = 0.1) -> None:
        self.n_features = n_features
        self.max_missing = max_missing

    def fit(self, X, y):
        """Rank CpGs on training data ``X`` (samples x CpGs, NaN allowed).

        Raises
        ------
        SparseTrainingDataError
            If no CpG is measured in enough samples (see :func:`measured_cpgs`).
        """
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        eligible = measured_cpgs(X, self.max_missing)
        medians = _nanmedian(X[:, eligible])
        filled = np.where(np.isnan(X[:, eligible]), medians, X[:, eligible])
        with np.errstate(divide="ignore", invalid="ignore"):
            f_stat, _ = f_classif(filled, y)
        f_stat = np.nan_to_num(np.asarray(f_stat), nan=0.0, posinf=float(np.finfo(np.float32).max))
        k = min(self.n_features, len(eligible))
        top = np.sort(np.argsort(-f_stat, kind="stable")[:k])
        self.support_ = eligible[top]
        self.medians_ = medians[top].astype(np.float32)
        self.scores_ = f_stat[top]
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Return the selected CpGs with missing values set to the training median."""
        check_is_fitted(self, "support_")
        X = np.asarray(X, dtype=np.float32)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} CpG columns, but CpGSelector was fitted with "
                f"{self.n_features_in_}"
            )
        return fill_missing(X[:, self.support_], self.medians_)


def measured_cpgs(
    X: np.ndarray, max_missing: float, sample_ids: Sequence[str] | None = None
) -> np.ndarray:
    """Column indices of the CpGs missing (NaN) in at most ``max_missing`` of the samples.

    The rule :class:`CpGSelector` selects by, shared so that training can
    check a whole cohort before the first fold.

    Parameters
    ----------
    X : numpy.ndarray
        Samples x CpGs beta values, NaN where not measured.
    max_missing : float
        Largest share of samples in which an eligible CpG may be missing.
    sample_ids : sequence of str, optional
        Names of the rows, so that the error can point at unmeasured samples.

    Returns
    -------
    numpy.ndarray of int
        Eligible column indices, in input order.

    Raises
    ------
    SparseTrainingDataError
        If no CpG is eligible; the message says how many samples and CpGs
        there are, how well the best CpG and a median sample are measured,
        and which samples hold no measured value at all.
    """
    missing = np.isnan(X)
    eligible = np.flatnonzero(missing.mean(axis=0) <= max_missing)
    if len(eligible):
        return eligible
    n_samples, n_cpgs = X.shape
    per_sample = n_cpgs - missing.sum(axis=1)
    best = n_samples - int(missing.sum(axis=0).min()) if n_cpgs else 0
    details = [f"of {n_cpgs} CpGs, the best-measured is measured in {best} samples"]
    if n_samples and n_cpgs:
        details.append(
            f"a median sample has {np.median(per_sample) / n_cpgs:.0%} of its CpGs measured"
        )
    empty = np.flatnonzero(per_sample == 0)
    if len(empty):
        named = "" if sample_ids is None else f", e.g. {[sample_ids[i] for i in empty[:3]]}"
        details.append(f"{len(empty)} samples have no measured CpG at all{named}")
    raise SparseTrainingDataError(
        f"no CpG is measured in at least {1 - max_missing:.0%} of the {n_samples} training "
        f"samples, the share CpG selection requires: {'; '.join(details)}. Remove the "
        "samples that failed, or check that the beta values were imported correctly",
        field="betas",
    )


def fill_missing(X: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Return a copy of ``X`` with NaN replaced by the column's training median."""
    return np.where(np.isnan(X), medians, X).astype(np.float32)


def _nanmedian(X: np.ndarray) -> np.ndarray:
    out = np.nanmedian(X, axis=0) if X.shape[0] else np.zeros(X.shape[1])
    return np.nan_to_num(out, nan=0.5).astype(np.float32)
