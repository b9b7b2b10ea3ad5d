"""Shares written as percentages."""

from __future__ import annotations

import pytest

from api.contract.percentages import as_percent


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.9985, "99.8%"),  # 9,985 of 10,000 CpGs: not "100%"
        (0.999999, "99.9%"),
        (1.0, "100%"),
        (0.65, "65%"),
        (0.123, "12.3%"),
        (0.00004, "<0.1%"),
        (0.0, "0%"),
    ],
)
def test_a_share_never_rounds_up_to_complete(value, shown):
    assert as_percent(value) == shown
