"""Shares written as percentages for people who act on them."""

from __future__ import annotations

import math

__all__ = ["as_percent"]


def as_percent(share: float) -> str:
    """A share in [0, 1] as a percentage that never rounds up to a whole.

    Rounded down to a tenth: 9,985 of 10,000 CpGs measured is "99.8%", not
    "100%", and a share just under a threshold is not written as the
    threshold, so that a reviewer never reads an incomplete profile as
    complete (nor a tiny share as none: "<0.1%").

    Parameters
    ----------
    share : float
        In [0, 1].

    Returns
    -------
    str
        E.g. ``"65%"``, ``"99.8%"``, ``"<0.1%"``.
    """
    tenths = math.floor(share * 1000 + 1e-9) / 10
    if share > 0 and tenths == 0:
        return "<0.1%"
    return f"{tenths:.0f}%" if tenths == int(tenths) else f"{tenths:.1f}%"
