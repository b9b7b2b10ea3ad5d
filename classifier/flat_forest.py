"""A fitted random forest as flat arrays, so that one profile is scored fast.

scikit-learn scores a forest one tree at a time, with a Python call per
tree: about 40 µs a tree, 20 ms for 500 trees and one profile, which is
what the service does all day. :class:`FlatForest` stores every tree's
nodes in shared arrays and walks all trees of all profiles at once, one
numpy step per tree level: the same probabilities, well under a
millisecond for one profile.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FlatForest"]

#: Profiles walked together; bounds the (profiles x trees x classes) scratch array.
_CHUNK = 64


class FlatForest:
    """Prediction-only copy of a fitted scikit-learn forest classifier.

    Parameters
    ----------
    forest : fitted forest classifier
        A ``RandomForestClassifier``, ``ExtraTreesClassifier`` or
        imbalanced-learn ``BalancedRandomForestClassifier`` with a single
        output, every tree trained on all of its classes.

    Attributes
    ----------
    classes_ : ndarray
        The forest's classes, in the order of the probability columns.
    n_features_in_ : int
        Number of input columns.
    """

    def __init__(self, forest) -> None:
        trees = [estimator.tree_ for estimator in forest.estimators_]
        n_classes = len(forest.classes_)
        if any(t.n_outputs != 1 or t.value.shape[2] != n_classes for t in trees):
            raise ValueError("FlatForest needs single-output trees that all saw every class")
        sizes = np.array([t.node_count for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        shift = np.repeat(offsets, sizes)
        left = np.concatenate([t.children_left for t in trees]).astype(np.int64)
        right = np.concatenate([t.children_right for t in trees]).astype(np.int64)
        leaf = left < 0
        nodes = np.arange(len(left))
        # A leaf points at itself and its test always holds, so walking every
        # tree for the deepest tree's number of levels leaves shallow trees
        # resting on their leaves.
        self._left = np.where(leaf, nodes, left + shift)
        self._right = np.where(leaf, nodes, right + shift)
        self._feature = np.where(leaf, 0, np.concatenate([t.feature for t in trees]))
        self._threshold = np.where(leaf, np.inf, np.concatenate([t.threshold for t in trees]))
        # Class distributions of the leaves only (internal nodes' are never
        # read), normalised as the trees' predict_proba does.
        values = np.concatenate([t.value[:, 0, :] for t in trees])[leaf]
        totals = values.sum(axis=1, keepdims=True)
        self._leaf_value = values / np.where(totals == 0, 1.0, totals)
        self._leaf_of = np.full(len(left), -1, dtype=np.int64)
        self._leaf_of[leaf] = np.arange(int(leaf.sum()))
        self._roots = offsets
        self._depth = max(t.max_depth for t in trees)
        self.classes_ = forest.classes_
        self.n_features_in_ = forest.n_features_in_

    def predict_proba(self, X) -> np.ndarray:
        """Return the mean of the trees' leaf class distributions, as the forest does.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
            Complete values (no NaN); compared in float32, as scikit-learn's trees do.

        Returns
        -------
        ndarray (n_samples, n_classes)
        """
        # Trees compare float32 inputs with float64 thresholds: cast the same way.
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}; the forest was fitted with {self.n_features_in_} features"
            )
        out = np.empty((len(X), self._leaf_value.shape[1]))
        for start in range(0, len(X), _CHUNK):
            block = X[start : start + _CHUNK]
            rows = np.arange(len(block))[:, None]
            node = np.broadcast_to(self._roots, (len(block), len(self._roots)))
            for level in range(self._depth):
                goes_left = block[rows, self._feature[node]] <= self._threshold[node]
                node = np.where(goes_left, self._left[node], self._right[node])
                # Most trees are much shallower than the deepest: stop once
                # every walk rests on a leaf (checked every few levels).
                if level % 4 == 3 and (self._leaf_of[node] >= 0).all():
                    break
            out[start : start + len(block)] = self._leaf_value[self._leaf_of[node]].mean(axis=1)
        return out
