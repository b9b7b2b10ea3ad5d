"""The reference map of the case page: a neighbour-preserving 2-D picture of the cohort.

The first two principal components of a methylation cohort mostly show
tumour purity and array batches, not classes. The Heidelberg reports draw a
t-SNE of the reference cohort instead (Capper 2018), mepylome a UMAP.
:class:`ReferenceMap` fits a t-SNE (openTSNE, Poličar et al. 2024) of the
reference samples in the model's reference space (the PCA space of the
out-of-distribution detector, :class:`~classifier.ood.ReferenceDistance`),
once, when the served model is trained.

A new profile is placed at the distance-weighted mean map position of its
``n_neighbors`` nearest reference samples in that same space: the first
step of openTSNE's own ``transform``, without its gradient-descent
refinement, which costs tens of milliseconds per profile and moves a point
little. Placement is then one small distance computation (about 0.05 ms
for 1,000 references), and the case lies among the references it is
nearest to, which is what a reader of the map assumes. openTSNE is needed
to fit the map, not to place a profile: the fitted map is two arrays.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["MAP_METHODS", "ReferenceMap", "knn_class_agreement"]

#: Ways to draw the map.
MAP_METHODS = {
    "tsne": "t-SNE of the reference space (openTSNE); profiles placed among their neighbours",
    "pca": "the first two principal components of the reference space",
}


class ReferenceMap(BaseEstimator):
    """A 2-D map of reference samples, and the placement of new profiles on it.

    Parameters
    ----------
    method : {"tsne", "pca"}, default="tsne"
        See :data:`MAP_METHODS`.
    n_neighbors : int, default=5
        Reference samples a new profile's position is averaged from (t-SNE).
    perplexity : float, default=30.0
        t-SNE perplexity (lowered for cohorts too small for it).
    random_state : int, default=0

    Attributes
    ----------
    reference_ : ndarray of float32 (n_reference, n_dims)
        Reference samples in the space the map was fitted in.
    coords_ : ndarray of float32 (n_reference, 2)
        Their map positions.
    """

    def __init__(
        self,
        method: str = "tsne",
        n_neighbors: int = 5,
        perplexity: float = 30.0,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.n_neighbors = n_neighbors
        self.perplexity = perplexity
        self.random_state = random_state

    def fit(self, Z, y=None):
        """Fit the map of reference samples ``Z`` (samples x dims of the reference space)."""
        if self.method not in MAP_METHODS:
            raise ValueError(
                f"unknown map method {self.method!r}; expected one of {list(MAP_METHODS)}"
            )
        Z = np.asarray(Z, dtype=np.float32)
        self.reference_ = Z
        if self.method == "pca" or len(Z) < 4:
            self.coords_ = _first_two(Z)
            return self
        from openTSNE import TSNE

        perplexity = min(self.perplexity, (len(Z) - 1) / 3.0)
        embedding = TSNE(
            perplexity=perplexity,
            n_jobs=1,
            random_state=self.random_state,
            verbose=False,
        ).fit(Z.astype(np.float64))
        self.coords_ = np.asarray(embedding, dtype=np.float32)
        return self

    def transform(self, Z) -> np.ndarray:
        """Map positions of profiles given in the reference space."""
        check_is_fitted(self, "coords_")
        Z = np.asarray(Z, dtype=np.float32)
        if self.method == "pca" or len(self.reference_) < 4:
            return _first_two(Z)
        ref = self.reference_
        d2 = (Z**2).sum(1)[:, None] + (ref**2).sum(1)[None, :] - 2.0 * Z @ ref.T
        d = np.sqrt(np.clip(d2, 0.0, None))
        k = min(self.n_neighbors, len(ref))
        nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
        dist = np.take_along_axis(d, nearest, axis=1)
        weights = 1.0 / np.maximum(dist, 1e-6)
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("nk,nkc->nc", weights, self.coords_[nearest]).astype(np.float32)


def knn_class_agreement(coords: np.ndarray, labels: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Leave-one-out agreement of each sample with its ``k`` nearest others.

    Returns
    -------
    (share, nearest) : tuple of float
        Mean share of the ``k`` nearest other samples with the sample's
        label, and the share of samples whose single nearest other sample
        has it.
    """
    coords = np.asarray(coords, dtype=np.float64)
    labels = np.asarray(labels)
    d2 = (coords**2).sum(1)[:, None] + (coords**2).sum(1)[None, :] - 2.0 * coords @ coords.T
    np.fill_diagonal(d2, np.inf)
    k = min(k, len(coords) - 1)
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
    same = labels[nearest] == labels[:, None]
    return float(same.mean()), float(same[:, 0].mean())


def _first_two(Z: np.ndarray) -> np.ndarray:
    coords = Z[:, :2]
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    return coords.astype(np.float32)
