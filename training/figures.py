"""Evaluation figures: reliability diagram, confusion matrix, score distributions.

Each function returns a :class:`matplotlib.figure.Figure` built directly,
without pyplot: no backend is chosen and no global figure state is kept, so
importing this module has no side effect, training runs on machines without
a screen, and a figure is freed like any object once saved. The caller
saves and logs it (``Figure.savefig`` renders PNG with Agg).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from classifier.metrics import reliability_curve

__all__ = ["confusion_matrix_figure", "reliability_figure", "score_distribution_figure"]


def reliability_figure(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], *, threshold: float
) -> Figure:
    """Reliability diagram of several probability sets on the same samples.

    Parameters
    ----------
    curves : dict
        Name -> (probabilities, true class indices), e.g. raw and calibrated.
    threshold : float
        The run's match threshold, marked on the score axis.
    """
    fig = Figure(figsize=(5.5, 5), layout="tight")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    for name, (proba, y_idx) in curves.items():
        curve = reliability_curve(proba, y_idx)
        # An empty bin's None becomes NaN, and is left out.
        conf = np.array(curve.confidence, dtype=float)
        acc = np.array(curve.accuracy, dtype=float)
        ok = ~np.isnan(conf)
        ax.plot(conf[ok], acc[ok], marker="o", label=name)
    ax.axvline(threshold, color="firebrick", lw=0.8, ls=":", label=f"{threshold:g} match threshold")
    ax.set_xlabel("top class score (mean within bin)")
    ax.set_ylabel("observed accuracy")
    ax.set_title("Reliability, nested cross-validation")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def confusion_matrix_figure(y_idx: np.ndarray, pred_idx: np.ndarray, classes) -> Figure:
    """Row-normalised confusion matrix (rows: true class, columns: call)."""
    k = len(classes)
    counts = np.zeros((k, k))
    np.add.at(counts, (y_idx, pred_idx), 1)
    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(6.0, 0.16 * k + 2)
    fig = Figure(figsize=(size, size), layout="tight")
    ax = fig.subplots()
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), classes, rotation=90, fontsize=max(4, 9 - k // 12))
    ax.set_yticks(range(k), classes, fontsize=max(4, 9 - k // 12))
    ax.set_xlabel("methylation call")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix (row-normalised), nested CV")
    fig.colorbar(im, ax=ax, fraction=0.04)
    return fig


def score_distribution_figure(proba: np.ndarray, y_idx: np.ndarray, *, threshold: float) -> Figure:
    """Histogram of the top calibrated score for correct and wrong calls.

    Parameters
    ----------
    proba : numpy.ndarray
        Calibrated probabilities, samples x classes.
    y_idx : numpy.ndarray
        True class index of each sample.
    threshold : float
        The run's match threshold, marked on the score axis.
    """
    top = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_idx
    fig = Figure(figsize=(6, 4), layout="tight")
    ax = fig.subplots()
    bins = np.linspace(0, 1, 21).tolist()
    ax.hist(top[correct], bins=bins, alpha=0.7, label=f"correct ({correct.sum()})")
    ax.hist(top[~correct], bins=bins, alpha=0.7, label=f"wrong ({(~correct).sum()})")
    ax.axvline(threshold, color="firebrick", ls=":", label=f"{threshold:g} match threshold")
    ax.set_xlabel("top calibrated score")
    ax.set_ylabel("samples")
    ax.set_title("Score distribution of correct and wrong calls")
    ax.legend()
    return fig
