"""Listing parameters: pages and the attention window (the order itself: test_repository)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from api.store import DEFAULT_ATTENTION_WINDOW, Listing, ResultPage


def test_the_default_listing_is_the_first_page_of_current_results():
    listing = Listing()
    assert (listing.offset, listing.include_superseded, listing.now) == (0, False, None)
    assert listing.attention_window == DEFAULT_ATTENTION_WINDOW == timedelta(days=30)


@pytest.mark.parametrize(
    ("listing", "message"),
    [
        ({"offset": -1}, "offset must be 0 or more"),
        ({"attention_window": timedelta(0)}, "attention_window must be positive"),
        ({"now": datetime(2026, 1, 1)}, "now must be timezone-aware"),
    ],
)
def test_listing_is_checked(listing, message):
    with pytest.raises(ValueError, match=message):
        Listing(**listing)


@pytest.mark.parametrize(("offset", "previous"), [(0, None), (20, 0), (50, 30), (10, 0)])
def test_the_previous_page(offset, previous):
    assert ResultPage([], offset=offset, limit=20, next_offset=None).previous_offset == previous
