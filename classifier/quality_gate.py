"""Whether a profile's quality lets its call reach a verdict.

A call rests on the profile being like the reference cohort and on enough
of the model's CpGs being measured (the rest are filled with training
medians). When either fails, the call is not used: the decision reported is
``no_match`` and the reclassification verdict ``not_classifiable``, with the
reason. The minimum coverage is a value the model bundle or the caller
supplies; :data:`DEFAULT_MIN_COVERAGE` is used otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from classifier.decision import Decision

__all__ = ["DEFAULT_MIN_COVERAGE", "OOD_CAUSES", "ProfileQuality"]

#: Share of the model's CpGs that must be measured for a call to reach a
#: verdict, unless the bundle or the caller says otherwise. 0.9 is the level
#: below which the service already warns ``low_coverage`` (the scores then
#: rest on training medians for more than a tenth of the model's CpGs); it is
#: a documented default, not a fitted value, to be replaced by one chosen
#: from robustness curves.
DEFAULT_MIN_COVERAGE = 0.9

#: What may make a profile unlike the reference cohort, in the words of the
#: verdict's reason and of the result's QC warning.
OOD_CAUSES = (
    "a tumour type the model was not trained on, low tumour content, a laboratory batch "
    "unlike the reference's, or a technical problem"
)


@dataclass(frozen=True)
class ProfileQuality:
    """The quality facts that gate a verdict.

    Parameters
    ----------
    out_of_distribution : bool, default=False
        The profile is unlike the reference cohort.
    cpg_coverage : float, default=1.0
        Share of the model's CpGs measured, in [0, 1].
    min_coverage : float, default=DEFAULT_MIN_COVERAGE
        Share needed for a verdict, in [0, 1].

    Raises
    ------
    ValueError
        If a share is not a number in [0, 1].
    """

    out_of_distribution: bool = False
    cpg_coverage: float = 1.0
    min_coverage: float = DEFAULT_MIN_COVERAGE

    def __post_init__(self) -> None:
        for name in ("cpg_coverage", "min_coverage"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or math.isnan(value) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a share in [0, 1]; got {value!r}")

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the call cannot reach a verdict; empty when it can."""
        out = []
        if self.out_of_distribution:
            out.append(
                f"the profile is out of distribution (unlike the reference cohort: {OOD_CAUSES})"
            )
        if self.cpg_coverage < self.min_coverage:
            out.append(
                f"only {_percent(self.cpg_coverage)} of the model's CpGs were measured; "
                f"a verdict needs {_percent(self.min_coverage)}"
            )
        return tuple(out)

    @property
    def trusted(self) -> bool:
        """Whether the call may reach a verdict."""
        return not self.reasons

    def gate(self, decision: str | Decision) -> Decision:
        """The decision to report: ``no_match`` when the profile is not trusted."""
        return Decision(decision) if self.trusted else Decision.NO_MATCH


def _percent(share: float) -> str:
    # Rounded down, like scores: 89.96 % must not read as the 90 % minimum.
    return f"{math.floor(share * 1000 + 1e-9) / 10:.1f}%"
