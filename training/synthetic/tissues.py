"""Normal tissue in the synthetic world: admixture of tumour samples and the control classes.

A tumour sample is a mixture of tumour cells and the normal tissue around
them; the control classes of the reference (blood, muscle, reactive tissue)
*are* normal tissue. Both are built here from the same tissue profiles, so
that a sample with little tumour drifts towards a control class, the main
failure of methylation classifiers on real low-purity samples.

Tissue profiles (M values over the probe universe) use real methylation
where the project ships it (``training/data/normal_tissue.parquet``: binary
states of omentum, subcutaneous fat and skin from the sesameData cell
references, on about 280,000 450K probes; mean betas of whole blood from
the Reinius 2012 leukocyte references, on 600 probes) and fall back to the
world's mesenchymal baseline elsewhere. Muscle has no shipped reference; it
and blood (beyond its 600 probes) differ from the baseline at their own
simulated tissue-specific CpGs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CONTROL_RECIPES", "TISSUES", "normal_mixture", "tissue_for_site"]

#: Tissues with a profile in the world.
TISSUES = ("fat", "skin", "omentum", "muscle", "blood")

#: Control classes as mixtures of tissues (shares of cells). Blood is
#: blood; muscle tissue is skeletal muscle with its vessels' blood; reactive
#: tissue (granulation, inflammation) is fibrous / fatty stroma with many
#: leukocytes. The shares are assumptions, fixed here.
CONTROL_RECIPES: dict[str, dict[str, float]] = {
    "CTRL_BLOOD": {"blood": 1.0},
    "CTRL_MUSC": {"muscle": 0.85, "blood": 0.1, "fat": 0.05},
    "CTRL_REACT": {"blood": 0.4, "fat": 0.3, "skin": 0.3},
}

# The normal component around a tumour, by the sheet's site: the tissue the
# sample was taken from, before its leukocytes (mixed in separately).
_SITE_TISSUES: tuple[tuple[tuple[str, ...], dict[str, float]], ...] = (
    (("visceral", "abdomen", "pelvi", "retroperiton", "uterus"), {"omentum": 1.0}),
    (("skin", "dermal", "cutaneous"), {"skin": 1.0}),
    (("subcutis", "subcutaneous"), {"fat": 0.6, "skin": 0.4}),
    (("bone",), {"fat": 0.7, "blood": 0.3}),  # marrow: fat and haematopoiesis
    (("blood", "lymph"), {"blood": 1.0}),
    (("soft tissue",), {"fat": 0.5, "muscle": 0.5}),
)
_DEFAULT_TISSUES = {"fat": 1.0}


def tissue_for_site(site: str) -> dict[str, float]:
    """Return the tissue shares of the normal component for a sheet's site text."""
    text = (site or "").lower()
    for words, shares in _SITE_TISSUES:
        if any(word in text for word in words):
            return shares
    return _DEFAULT_TISSUES


def normal_mixture(profiles: dict[str, np.ndarray], shares: dict[str, float]) -> np.ndarray:
    """Beta values of a mixture of tissue profiles (given as M values) by cell shares."""
    total = sum(shares.values())
    beta = np.zeros_like(next(iter(profiles.values())), dtype=np.float32)
    for tissue, share in shares.items():
        beta += (share / total) * _sigmoid(profiles[tissue])
    return beta


def _sigmoid(m: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-m))).astype(np.float32)
