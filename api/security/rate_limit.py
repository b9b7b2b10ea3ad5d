"""A per-key token bucket, held in memory by each service process.

Each key may send ``burst`` requests at once and ``rate`` requests per
second on average. Buckets live in one process: with several replicas (or
uvicorn workers) each enforces its own limit, so a key's total allowance is
the per-process one times the number of processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TokenBucketLimiter"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Admit or refuse requests per key.

    Parameters
    ----------
    rate : float
        Tokens added per second (the sustained requests per second); must be > 0.
    burst : int
        Bucket size: requests a key may send at once after a quiet period; must be >= 1.
    clock : callable, optional
        Monotonic time in seconds; replaceable in tests.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0 requests per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1 request, got {burst!r}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take one token for ``key``.

        Returns
        -------
        float
            0.0 when the request is admitted, otherwise the seconds to wait
            until a token is available (the request is refused and takes nothing).
        """
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """The ``Retry-After`` header value (whole seconds, at least 1) for a wait."""
        return str(max(1, math.ceil(wait)))
