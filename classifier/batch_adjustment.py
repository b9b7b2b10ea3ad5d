"""The FFPE / frozen batch adjustment of the reference method, fitted on training data.

Formalin fixation shifts many probes systematically against frozen tissue.
The Heidelberg reference pipeline (``mnp_training``, Capper 2018) removes
that shift before training with a linear model per probe, and applies the
fitted shift to every new FFPE profile. Here, per CpG::

    beta = class mean + delta * [sample is FFPE] + noise

is fitted by least squares on the training samples, ``delta`` (the FFPE
offset) being estimated only from the contrast *within* classes, so that a
class profiled mostly from FFPE does not lend its signature to the offset.
Adjusting a profile subtracts ``delta`` from an FFPE profile's values.
The reference fits this on methylated and unmethylated intensities; with
beta values only, it is fitted on betas.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BATCH_ADJUSTMENTS", "fit_material_offsets", "is_ffpe"]

#: Adjustments: name -> what it does.
BATCH_ADJUSTMENTS: dict[str, str] = {
    "none": "no batch adjustment",
    "material": "FFPE vs frozen offsets per CpG, fitted within classes on the training "
    "samples and subtracted from FFPE profiles (mnp_training's adjustment)",
}

_BLOCK = 16_384


def is_ffpe(material) -> np.ndarray:
    """Boolean mask of the samples whose material reads FFPE (case-insensitive)."""
    return np.array([str(m).strip().upper() == "FFPE" for m in material], dtype=bool)


def fit_material_offsets(
    X: np.ndarray,
    codes: np.ndarray,
    ffpe: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
) -> np.ndarray:
    """Least-squares FFPE offset of each CpG, estimated within classes.

    Parameters
    ----------
    X : ndarray (n_samples, n_cpgs)
        Beta values, NaN where not measured (not modified).
    codes : ndarray of int (len(rows),)
        Class codes of the training rows.
    ffpe : ndarray of bool (len(rows),)
        Which training rows are FFPE.
    rows, columns : ndarray of int
        Training rows and the columns to fit.

    Returns
    -------
    ndarray of float32 (len(columns),)
        Offsets (0 where no class holds both FFPE and other samples, or a
        CpG is not measured in such a class).
    """
    n_classes = int(codes.max()) + 1 if len(codes) else 0
    one_hot = np.zeros((n_classes, len(codes)))
    one_hot[codes, np.arange(len(codes))] = 1.0
    indicator = ffpe.astype(np.float64)
    offsets = np.zeros(len(columns), dtype=np.float32)
    for start in range(0, len(columns), _BLOCK):
        part = slice(start, start + _BLOCK)
        block = X[np.ix_(rows, columns[part])].astype(np.float64)
        measured = ~np.isnan(block)
        values = np.where(measured, block, 0.0)
        counts = one_hot @ measured
        means = (one_hot @ values) / np.maximum(counts, 1)
        # The FFPE share among each class's measured samples of each CpG.
        share = (one_hot @ (measured * indicator[:, None])) / np.maximum(counts, 1)
        residual = np.where(measured, values - means[codes], 0.0)
        contrast = np.where(measured, indicator[:, None] - share[codes], 0.0)
        denominator = (contrast * contrast).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = (contrast * residual).sum(axis=0) / denominator
        offsets[part] = np.where(denominator > 1e-9, delta, 0.0)
    return offsets
