"""Calibrated scores written for the people who act on them.

A score is rounded *down* to the decimals shown: 0.9996 is "0.99", not
"1.00" (certainty), and 0.897 under a 0.90 threshold is "0.89", not the
threshold itself, so that the words never claim more than the model did.
The case page, the evidence sentences and the FHIR report all write scores
this way, and so agree with each other (``api.contract.percentages`` does the same
for shares).
"""

from __future__ import annotations

import math

__all__ = ["score_text"]


def score_text(score: float, decimals: int = 2) -> str:
    """``score`` (in [0, 1]) with ``decimals`` decimals, rounded down.

    Parameters
    ----------
    score : float
    decimals : int, default=2

    Returns
    -------
    str
        E.g. ``"0.97"``; ``"0.99"`` for 0.9996.
    """
    scale = 10**decimals
    # The small allowance keeps 0.97 (stored as 0.96999...) from reading 0.96.
    floored = math.floor(score * scale + 1e-9) / scale
    return f"{floored:.{decimals}f}"
