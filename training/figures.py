"""Evaluation figures: reliability diagram, confusion matrix, score distributions.

Drawn with matplotlib's non-interactive Agg backend so that training runs on
machines without a screen. Each function returns the figure; the caller
saves and logs it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from classifier.metrics import reliability_curve

__all__ = ["confusion_matrix_figure", "reliability_figure", "score_distribution_figure"]


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """Reliability diagram of several probability sets on the same samples.

    Parameters
    ----------
    curves : dict
        Name -> (probabilities, true class indices), e.g. raw and calibrated.
    """
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    for name, (proba, y_idx) in curves.items():
        curve = reliability_curve(proba, y_idx)
        conf = np.array(curve["confidence"])
        acc = np.array(curve["accuracy"])
        ok = ~np.isnan(conf)
        ax.plot(conf[ok], acc[ok], marker="o", label=name)
    ax.axvline(0.9, color="firebrick", lw=0.8, ls=":", label="0.9 match threshold")
    ax.set_xlabel("top class score (mean within bin)")
    ax.set_ylabel("observed accuracy")
    ax.set_title("Reliability, nested cross-validation")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def confusion_matrix_figure(y_idx: np.ndarray, pred_idx: np.ndarray, classes) -> Figure:
    """Row-normalised confusion matrix (rows: true class, columns: call)."""
    k = len(classes)
    counts = np.zeros((k, k))
    np.add.at(counts, (y_idx, pred_idx), 1)
    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(6.0, 0.16 * k + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), classes, rotation=90, fontsize=max(4, 9 - k // 12))
    ax.set_yticks(range(k), classes, fontsize=max(4, 9 - k // 12))
    ax.set_xlabel("methylation call")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix (row-normalised), nested CV")
    fig.colorbar(im, ax=ax, fraction=0.04)
    fig.tight_layout()
    return fig


def score_distribution_figure(proba: np.ndarray, y_idx: np.ndarray) -> Figure:
    """Histogram of the top calibrated score for correct and wrong calls."""
    top = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y_idx
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 21).tolist()
    ax.hist(top[correct], bins=bins, alpha=0.7, label=f"correct ({correct.sum()})")
    ax.hist(top[~correct], bins=bins, alpha=0.7, label=f"wrong ({(~correct).sum()})")
    ax.axvline(0.9, color="firebrick", ls=":", label="0.9 match threshold")
    ax.set_xlabel("top calibrated score")
    ax.set_ylabel("samples")
    ax.set_title("Score distribution of correct and wrong calls")
    ax.legend()
    fig.tight_layout()
    return fig
