"""Forest size and calibrator strength chosen by the inner cross-validation.

The inner folds of :class:`~classifier.estimator.MethylationClassifier`
already give out-of-fold scores of the base learner, which the calibrator
needs anyway. They also answer two questions honestly, on training data
only, at little extra cost:

- **How many trees?** Each inner forest is grown to the largest size of the
  grid; the out-of-fold scores of its first ``t`` trees are the scores a
  forest of ``t`` trees would have given (trees are independent), so every
  size is scored without another fit.
- **How strong a ridge penalty?** For each size and each ``C`` of the grid,
  the calibrator is cross-fitted over the same inner folds and scored by
  log loss.

The pair with the lowest calibrated log loss wins, except that the
smallest forest within one standard error of it is preferred (the
one-standard-error rule of Breiman et al. 1984): fewer trees for no
measurable loss. Nothing here looks at the outer test fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict

__all__ = ["Tuning", "choose", "staged_proba"]

#: Floor of a probability in the log loss.
_FLOOR = 1e-6


@dataclass(frozen=True)
class Tuning:
    """What the inner folds chose, and the scores behind the choice.

    Attributes
    ----------
    size : int or None
        Trees of the forest (None: the learner is not a tuned forest).
    c : float or None
        Ridge calibrator's C (None: the calibrator has no C).
    cross_fitted : ndarray
        Cross-fitted calibrated probabilities at the chosen pair, for the
        conformal quantile.
    table : list of dict
        ``{"size", "c", "log_loss", "se"}`` for every pair tried.
    """

    size: int | None
    c: float | None
    cross_fitted: np.ndarray
    table: list[dict] = field(default_factory=list)


def staged_proba(forest, X: np.ndarray, sizes: tuple[int, ...], n_classes: int) -> dict:
    """Class probabilities of the first ``t`` trees of a fitted forest, for each ``t`` in sizes.

    Columns follow the forest's class indices (0..n_classes-1); a tree that
    saw fewer classes contributes zeros for the others.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    total = np.zeros((len(X), n_classes))
    out = {}
    wanted = sorted(sizes)
    for i, tree in enumerate(forest.estimators_, start=1):
        proba = tree.predict_proba(X, check_input=False)
        cols = np.asarray(tree.classes_, dtype=int)
        total[:, cols] += proba
        if i in wanted:
            out[i] = total / i
    return out


def choose(
    oof: dict,
    codes: np.ndarray,
    calibrator,
    c_grid: tuple[float, ...] | None,
    cv,
) -> Tuning:
    """Choose the forest size and calibrator C from inner out-of-fold scores.

    Parameters
    ----------
    oof : dict
        Out-of-fold base scores by forest size (key None for another learner).
    codes : ndarray of int
        True class index of each row.
    calibrator : estimator
        Unfitted calibrator; its ``C`` is set from ``c_grid`` when given.
    c_grid : tuple of float or None
        Values of C to try (None: the calibrator as it is).
    cv : cross-validation splitter
        The inner folds (the same that produced ``oof``).

    Returns
    -------
    Tuning
    """
    rows = []
    for size, scores in oof.items():
        for c in c_grid or (None,):
            model = clone(calibrator) if c is None else clone(calibrator).set_params(C=c)
            proba = cross_val_predict(model, scores, codes, cv=cv, method="predict_proba")
            losses = -np.log(np.clip(proba[np.arange(len(codes)), codes], _FLOOR, 1.0))
            rows.append(
                {
                    "size": size,
                    "c": c,
                    "log_loss": float(losses.mean()),
                    "se": float(losses.std(ddof=1) / np.sqrt(len(losses))),
                    "_proba": proba,
                }
            )
    best = min(rows, key=lambda r: r["log_loss"])
    # One-standard-error rule over forest sizes: the smallest forest whose
    # best C is within one SE of the overall best.
    within = [r for r in rows if r["log_loss"] <= best["log_loss"] + best["se"]]
    if best["size"] is not None:
        smallest = min(r["size"] for r in within)
        best = min((r for r in within if r["size"] == smallest), key=lambda r: r["log_loss"])
    table = [{k: v for k, v in r.items() if k != "_proba"} for r in rows]
    return Tuning(size=best["size"], c=best["c"], cross_fitted=best["_proba"], table=table)
