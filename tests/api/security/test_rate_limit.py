"""The per-key token bucket."""

from __future__ import annotations

import pytest

from api.security.rate_limit import TokenBucketLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refuse_then_refill():
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.5)  # one token at 2 per second
    clock.now += 0.5
    assert limiter.acquire("k") == 0.0
    assert limiter.acquire("k") > 0


def test_keys_have_their_own_buckets():
    limiter = TokenBucketLimiter(rate=1.0, burst=1, clock=FakeClock())
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0.0


def test_a_bucket_never_holds_more_than_the_burst():
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=10.0, burst=2, clock=clock)
    limiter.acquire("k")
    clock.now += 3600
    assert [limiter.acquire("k") == 0.0 for _ in range(3)] == [True, True, False]


def test_retry_after_is_whole_seconds_at_least_one():
    assert TokenBucketLimiter.retry_after(0.01) == "1"
    assert TokenBucketLimiter.retry_after(2.2) == "3"


@pytest.mark.parametrize(
    ("rate", "burst", "match"), [(0, 1, "rate must be > 0"), (1, 0, "burst must be at least 1")]
)
def test_bad_parameters(rate, burst, match):
    with pytest.raises(ValueError, match=match):
        TokenBucketLimiter(rate=rate, burst=burst)
