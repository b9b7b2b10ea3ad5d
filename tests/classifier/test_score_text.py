"""Scores in words are rounded down: never certainty, never the threshold when below it."""

from __future__ import annotations

import pytest

from classifier.score_text import score_text


@pytest.mark.parametrize(
    ("score", "decimals", "text"),
    [
        (0.9996, 2, "0.99"),  # not "1.00"
        (0.9996, 3, "0.999"),  # the case page's three decimals agree with the sentences
        (0.897, 2, "0.89"),  # under a 0.90 threshold, not written as 0.90
        (0.97, 2, "0.97"),  # a float just under 0.97 still reads 0.97
        (0.29 * 3, 2, "0.87"),
        (1.0, 2, "1.00"),
        (0.0, 3, "0.000"),
    ],
)
def test_scores_are_rounded_down(score, decimals, text):
    assert score_text(score, decimals) == text
