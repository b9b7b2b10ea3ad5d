"""Evaluation figures: drawn at the configured threshold, without pyplot state."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training.figures import (
    confusion_matrix_figure,
    reliability_figure,
    score_distribution_figure,
)


@pytest.fixture
def scores():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=40)
    return proba, rng.integers(0, 3, size=40)


def _threshold_lines(fig):
    return [line for line in fig.axes[0].get_lines() if "threshold" in str(line.get_label())]


@pytest.mark.parametrize("threshold", [0.7, 0.95])
def test_threshold_line_follows_the_configured_threshold(scores, threshold):
    proba, y = scores
    for fig in (
        reliability_figure({"raw": (proba, y)}, threshold=threshold),
        score_distribution_figure(proba, y, threshold=threshold),
    ):
        (line,) = _threshold_lines(fig)
        assert list(line.get_xdata()) == [threshold, threshold]
        assert line.get_label() == f"{threshold:g} match threshold"


def test_figures_save_as_png_without_pyplot(scores, tmp_path):
    proba, y = scores
    figures = [
        reliability_figure({"raw": (proba, y)}, threshold=0.9),
        confusion_matrix_figure(y, proba.argmax(axis=1), ["A", "B", "C"]),
        score_distribution_figure(proba, y, threshold=0.9),
    ]
    for i, fig in enumerate(figures):
        fig.savefig(tmp_path / f"{i}.png", dpi=50)
        assert (tmp_path / f"{i}.png").read_bytes().startswith(b"\x89PNG")


def test_importing_the_module_chooses_no_backend():
    # A fresh interpreter: this test process may already have pyplot loaded.
    code = (
        "import sys, matplotlib\n"
        "before = dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "import training.figures\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert dict.__getitem__(matplotlib.rcParams, 'backend') is before, 'backend set'\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
