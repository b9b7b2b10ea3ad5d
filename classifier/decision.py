"""Family scores and the match / family_match / no_match decision.

The reference method reports a profile as classified when its calibrated
class score reaches 0.9; below that, the summed score of a family of related
classes can still reach it, a confident family call. The threshold is a
parameter of the model bundle, not a constant of the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = ["DEFAULT_THRESHOLD", "Decision", "FamilyAggregator", "decide"]

#: Calibrated score at which a call counts as a match (Capper 2018).
DEFAULT_THRESHOLD = 0.9


class Decision(StrEnum):
    """Outcome of a classification at the model's threshold."""

    MATCH = "match"
    FAMILY_MATCH = "family_match"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class FamilyAggregator:
    """Sums class scores into family scores.

    Parameters
    ----------
    classes : sequence of str
        Class labels in the model's column order.
    class_families : sequence of str
        Family of each class, same order.
    """

    classes: tuple[str, ...]
    class_families: tuple[str, ...]

    @property
    def families(self) -> tuple[str, ...]:
        """Families in first-appearance order."""
        return tuple(dict.fromkeys(self.class_families))

    def family_scores(self, proba: np.ndarray) -> np.ndarray:
        """Return ``(n_samples, n_families)`` sums of class scores."""
        fams = self.families
        member = np.zeros((len(self.classes), len(fams)))
        for i, fam in enumerate(self.class_families):
            member[i, fams.index(fam)] = 1.0
        return np.asarray(proba) @ member


def decide(score: float, family_score: float, threshold: float = DEFAULT_THRESHOLD) -> Decision:
    """Return the decision for a top class score and the best family score.

    Parameters
    ----------
    score : float
        Calibrated score of the top class.
    family_score : float
        Summed score of the best-scoring family.
    threshold : float, default=0.9
        Score needed for a match.
    """
    if score >= threshold:
        return Decision.MATCH
    if family_score >= threshold:
        return Decision.FAMILY_MATCH
    return Decision.NO_MATCH
