"""Out-of-distribution signal independent of the class scores.

A calibrated score says which known class a profile resembles most; it says
nothing about whether the profile resembles any of them. A tumour type the
model never saw, a failed array or a sample of the wrong tissue can still
get a confident score. :class:`ReferenceDistance` measures how far a profile
lies from the reference cohort: the mean Euclidean distance to its ``k``
nearest reference samples in a PCA space of the model's CpGs, compared with
the same distance of the reference samples themselves (leave-one-out).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

__all__ = ["ReferenceDistance"]


class ReferenceDistance(BaseEstimator):
    """Distance of profiles to the reference cohort in a reduced space.

    Parameters
    ----------
    n_components : int, default=30
        PCA components kept (fewer when the data have fewer).
    n_neighbors : int, default=5
        Neighbours averaged.
    quantile : float, default=0.99
        Reference quantile of the leave-one-out distance used as threshold.

    Attributes
    ----------
    pca_ : PCA
        Fitted projection.
    reference_ : ndarray
        Reference samples in PCA space.
    threshold_ : float
        Distance above which a profile is flagged.
    """

    def __init__(self, n_components: int = 30, n_neighbors: int = 5, quantile: float = 0.99):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.quantile = quantile

    def fit(self, X, y=None):
        """Fit on reference profiles (samples x selected CpGs, no NaN)."""
        X = np.asarray(X, dtype=np.float32)
        n_comp = max(1, min(self.n_components, X.shape[0] - 1, X.shape[1]))
        self.pca_ = PCA(n_components=n_comp, random_state=0).fit(X)
        self.reference_ = self.pca_.transform(X).astype(np.float32)
        k = min(self.n_neighbors, len(self.reference_) - 1)
        self.k_ = max(k, 1)
        loo = self._distance(self.reference_, exclude_self=True)
        self.threshold_ = float(np.quantile(loo, self.quantile))
        return self

    def transform(self, X) -> np.ndarray:
        """Return profiles projected into the reduced space of the reference cohort."""
        check_is_fitted(self, "reference_")
        X = np.asarray(X, dtype=np.float32)
        pca = self.pca_
        # PCA.transform's arithmetic without its input checks, which cost
        # seven times the projection of one profile (0.27 vs 0.04 ms).
        projected = (X - pca.mean_) @ pca.components_.T
        if pca.whiten:
            projected /= np.sqrt(pca.explained_variance_)
        return projected.astype(np.float32)

    def score_samples(self, X) -> np.ndarray:
        """Return the mean distance to the ``k`` nearest reference samples."""
        return self.score_projected(self.transform(X))

    def score_projected(self, Z) -> np.ndarray:
        """:meth:`score_samples` of profiles already projected by :meth:`transform`."""
        check_is_fitted(self, "reference_")
        return self._distance(np.asarray(Z, dtype=np.float32), exclude_self=False)

    def predict(self, X) -> np.ndarray:
        """Return True for profiles farther from the reference than the threshold."""
        return self.score_samples(X) > self.threshold_

    def _distance(self, Z: np.ndarray, exclude_self: bool) -> np.ndarray:
        ref = self.reference_
        d2 = (Z**2).sum(1)[:, None] + (ref**2).sum(1)[None, :] - 2.0 * Z @ ref.T
        d = np.sqrt(np.clip(d2, 0.0, None))
        if exclude_self:
            np.fill_diagonal(d, np.inf)
        k = self.k_
        nearest = np.partition(d, k - 1, axis=1)[:, :k] if d.shape[1] > k else d
        return nearest.mean(axis=1)
