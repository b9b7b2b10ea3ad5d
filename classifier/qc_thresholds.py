"""The quality-control thresholds a model ships with, and the rules that chose them.

A profile the model cannot be trusted with is ``not_classifiable``: too few
of the model's CpGs measured, or unlike the whole reference cohort. Where
those lines lie is a property of the model, measured in its nested
cross-validation (:mod:`training.evaluation.qc_rules`), so they travel in
the bundle (``bundle.json`` key ``qc_thresholds``) rather than in the
service's settings. The rules were written down before the figures were
looked at; they are stated here, and each chosen value carries the figures
it was chosen from.

Rules (fixed in advance; ``docs/evaluation.md`` explains them):

**Minimum coverage.** On the outer folds, each profile's measured CpGs are
thinned at random to shares ``1.0, 0.95, 0.9, 0.8, ..., 0.1``. The minimum
coverage is the smallest share ``g`` such that at ``g`` and every larger
share the matched-call error rate is at most the full-profile one plus
:data:`MAX_MATCHED_ERROR_RISE` (one percentage point) and the accuracy at
most :data:`MAX_ACCURACY_DROP` (two points) below the full-profile one.

**OOD distance.** The out-of-distribution score is the distance to the
reference (:class:`~classifier.ood.ReferenceDistance`) divided by the
model's own reference threshold, so that folds of different sizes are
comparable. The cut is the :data:`OOD_FALSE_POSITIVE_RATE` upper quantile
(1 %) of that ratio over in-distribution outer-fold profiles: one profile
in a hundred of a known class is flagged. The served distance threshold is
the cut times the final model's reference threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "MAX_ACCURACY_DROP",
    "MAX_MATCHED_ERROR_RISE",
    "OOD_FALSE_POSITIVE_RATE",
    "QcThresholds",
]

#: Largest rise of the matched-call error rate, against full profiles, a
#: coverage may cost.
MAX_MATCHED_ERROR_RISE = 0.01
#: Largest fall of accuracy, against full profiles, a coverage may cost.
MAX_ACCURACY_DROP = 0.02
#: Share of in-distribution profiles the OOD flag may reject.
OOD_FALSE_POSITIVE_RATE = 0.01


@dataclass(frozen=True)
class QcThresholds:
    """Below ``min_coverage`` or above ``ood_distance``, a profile is not classifiable.

    Attributes
    ----------
    min_coverage : float
        Smallest share of the model's CpGs a profile must measure.
    ood_distance : float
        Largest distance to the reference cohort (in the units of
        :attr:`classifier.bundle.Call.ood_distance`).
    ood_ratio : float
        The same cut as a multiple of the model's in-sample reference threshold.
    min_coverage_rule, ood_rule : str
        The rules, in words.
    min_coverage_evidence, ood_evidence : str
        The figures each value was chosen from.
    """

    min_coverage: float
    ood_distance: float
    ood_ratio: float
    min_coverage_rule: str
    ood_rule: str
    min_coverage_evidence: str = ""
    ood_evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``qc_thresholds`` object of ``bundle.json``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QcThresholds:
        """Read what :meth:`to_json` wrote."""
        return cls(
            min_coverage=float(data["min_coverage"]),
            ood_distance=float(data["ood_distance"]),
            ood_ratio=float(data["ood_ratio"]),
            min_coverage_rule=str(data["min_coverage_rule"]),
            ood_rule=str(data["ood_rule"]),
            min_coverage_evidence=str(data.get("min_coverage_evidence", "")),
            ood_evidence=str(data.get("ood_evidence", "")),
        )
