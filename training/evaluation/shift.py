"""Fits that measure the model on what it was not trained for: unseen classes, another array.

Both cost extra fits of the whole estimator, so both are chosen to be cheap
and are stated plainly in the report:

- **Leave classes out.** Leaving out one class per fit would cost 65 fits.
  Instead one fit leaves out a group of classes chosen by a rule fixed
  before any figure was seen (every ``every``-th class in sorted order,
  starting with the first: :func:`held_out_classes`). It is trained on the
  first outer training split of the other classes and scores the profiles
  of the held-out classes (all of them: the model never saw any) and the
  first outer test split of the others (in-distribution, for the AUROC).
- **Leave array out.** Train on the 450K profiles, test on the EPIC ones,
  and back: two fits, each on about half the cohort. Classes with fewer
  than 3 training profiles on the training array are left out of that fit,
  and their test profiles out of its figures.
- **Leave sites out.** In nested cross-validation every test profile's
  laboratory batch (its ``supplier``) is also in the training folds; a
  lab's own profiles come from a batch the model never saw. One fit leaves
  out every ``every``-th supplier in sorted order, from the first (a rule
  fixed before any figure was seen: :func:`held_out_suppliers`), trains on
  the others and scores the held-out suppliers' profiles, with the same
  class rule as leave-array-out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from classifier.estimator import MethylationClassifier

__all__ = [
    "ArrayShift",
    "ClassesOut",
    "held_out_classes",
    "held_out_suppliers",
    "leave_array_out",
    "leave_classes_out",
    "leave_sites_out",
]

#: Fewest training profiles of a class a leave-array-out fit keeps it with.
MIN_TRAIN_PER_CLASS = 3


def held_out_classes(classes, every: int) -> list[str]:
    """Every ``every``-th class in sorted order, from the first: the rule fixed in advance."""
    ordered = sorted(str(c) for c in classes)
    return ordered[::every] if every > 0 else []


@dataclass(frozen=True)
class ClassesOut:
    """Scores of the leave-classes-out fit.

    Attributes
    ----------
    held_out : tuple of str
    novel_ratio, inlier_ratio : ndarray
        OOD distance over the fit's reference threshold, of the unseen-class
        profiles and of the in-distribution test profiles.
    novel_top, inlier_top : ndarray
        Their top calibrated scores.
    novel_label : ndarray of str
        True class of each unseen-class profile.
    seconds : float
    """

    held_out: tuple[str, ...]
    novel_ratio: np.ndarray
    inlier_ratio: np.ndarray
    novel_top: np.ndarray
    inlier_top: np.ndarray
    novel_label: np.ndarray
    seconds: float

    @property
    def auroc(self) -> float:
        """AUROC of the OOD distance, unseen (positive) against in-distribution profiles."""
        truth = np.r_[np.ones(len(self.novel_ratio)), np.zeros(len(self.inlier_ratio))]
        return float(roc_auc_score(truth, np.r_[self.novel_ratio, self.inlier_ratio]))


def leave_classes_out(
    template: MethylationClassifier,
    X: pd.DataFrame,
    y: np.ndarray,
    held_out: list[str],
    outer_folds: int,
    seed: int,
) -> ClassesOut:
    """Fit without the ``held_out`` classes and score them; see the module docstring."""
    start = time.perf_counter()
    y = np.asarray(y).astype(str)
    novel = np.isin(y, held_out)
    seen_rows = np.flatnonzero(~novel)
    splitter = StratifiedKFold(outer_folds, shuffle=True, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(seen_rows)), y[seen_rows]))
    train, test = seen_rows[train], seen_rows[test]
    model = clone(template).fit(X.iloc[train], y[train])
    threshold = float(model.ood_.threshold_)
    novel_detail = model.predict_detail(X.iloc[np.flatnonzero(novel)])
    inlier_detail = model.predict_detail(X.iloc[test])
    return ClassesOut(
        held_out=tuple(held_out),
        novel_ratio=novel_detail.ood_distance / threshold,
        inlier_ratio=inlier_detail.ood_distance / threshold,
        novel_top=novel_detail.calibrated.max(axis=1),
        inlier_top=inlier_detail.calibrated.max(axis=1),
        novel_label=y[novel],
        seconds=time.perf_counter() - start,
    )


@dataclass(frozen=True)
class ArrayShift:
    """One shift fit (leave array out, leave sites out): calls on profiles of another kind.

    Attributes
    ----------
    train_array, test_array : str
        What the fit was trained and tested on (an array, or sites).
    calibrated : ndarray (n_test, n_classes)
        Columns in the cohort's class order.
    y_idx : ndarray of int
        True class index of each scored profile.
    ood_ratio : ndarray
    coverage : ndarray
    dropped_classes : tuple of str
        Classes left out for too few training profiles on ``train_array``.
    seconds : float
    kind : str, default="leave_array_out"
        ``leave_array_out`` or ``leave_site_out``.
    """

    train_array: str
    test_array: str
    calibrated: np.ndarray
    y_idx: np.ndarray
    ood_ratio: np.ndarray
    coverage: np.ndarray
    dropped_classes: tuple[str, ...]
    seconds: float
    kind: str = "leave_array_out"


def leave_array_out(
    template: MethylationClassifier,
    X: pd.DataFrame,
    y: np.ndarray,
    array_type: np.ndarray,
    classes: np.ndarray,
    pairs: tuple[tuple[str, str], ...] = (("450k", "epic"), ("epic", "450k")),
) -> list[ArrayShift]:
    """Train on one array's profiles, score the other's; see the module docstring."""
    y = np.asarray(y).astype(str)
    arrays = pd.Series(array_type).astype(str).str.lower().to_numpy()
    out = []
    for train_array, test_array in pairs:
        start = time.perf_counter()
        on_train = arrays == train_array
        shift = _shift_fit(
            template, X, y, on_train, arrays == test_array, classes, y,
            train_name=train_array, test_name=test_array, kind="leave_array_out", start=start,
        )  # fmt: skip
        if shift is not None:
            out.append(shift)
    return out


def held_out_suppliers(suppliers, every: int) -> list[str]:
    """Every ``every``-th supplier in sorted order, from the first: the rule fixed in advance."""
    ordered = sorted({str(s) for s in suppliers if str(s).strip()})
    return ordered[::every] if every > 0 else []


def leave_sites_out(
    template: MethylationClassifier,
    X: pd.DataFrame,
    y: np.ndarray,
    supplier: np.ndarray,
    classes: np.ndarray,
    every: int = 5,
) -> ArrayShift | None:
    """Train without the suppliers of :func:`held_out_suppliers`, score theirs.

    Returns None when no class keeps both :data:`MIN_TRAIN_PER_CLASS`
    training profiles and a held-out profile.
    """
    start = time.perf_counter()
    y = np.asarray(y).astype(str)
    sites = pd.Series(supplier).astype(str).to_numpy()
    held = held_out_suppliers(sites, every)
    on_test = np.isin(sites, held)
    return _shift_fit(
        template, X, y, ~on_test, on_test, classes, y[on_test],
        train_name=f"{len(set(sites)) - len(held)} other suppliers",
        test_name=f"{len(held)} held-out suppliers", kind="leave_site_out", start=start,
    )  # fmt: skip


def _shift_fit(
    template: MethylationClassifier,
    X: pd.DataFrame,
    y: np.ndarray,
    on_train: np.ndarray,
    on_test: np.ndarray,
    classes: np.ndarray,
    dropped_among: np.ndarray,
    *,
    train_name: str,
    test_name: str,
    kind: str,
    start: float,
) -> ArrayShift | None:
    """Fit on ``on_train``, score ``on_test``, both restricted to the classes kept.

    A class is kept with :data:`MIN_TRAIN_PER_CLASS` training profiles;
    ``dropped_among`` are the labels whose classes not kept are reported.
    None when fewer than two classes are kept or nothing is left to score.
    """
    counts = pd.Series(y[on_train]).value_counts()
    kept = counts.index[counts >= MIN_TRAIN_PER_CLASS]
    if len(kept) < 2:
        return None
    train = np.flatnonzero(on_train & np.isin(y, kept))
    test = np.flatnonzero(on_test & np.isin(y, kept))
    if not len(test):
        return None
    model = clone(template).fit(X.iloc[train], y[train])
    detail = model.predict_detail(X.iloc[test])
    proba = np.zeros((len(test), len(classes)))
    proba[:, np.searchsorted(classes, model.classes_)] = detail.calibrated
    return ArrayShift(
        train_array=train_name,
        test_array=test_name,
        calibrated=proba,
        y_idx=np.searchsorted(classes, y[test]),
        ood_ratio=detail.ood_distance / float(model.ood_.threshold_),
        coverage=detail.coverage,
        dropped_classes=tuple(sorted(set(np.unique(dropped_among)) - set(kept))),
        seconds=time.perf_counter() - start,
        kind=kind,
    )
