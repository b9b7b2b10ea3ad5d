"""Answers to recent credential checks, trusted for a few seconds (``AUTH_CACHE_SECONDS``).

Both credentials (API keys and page sessions) are checked against the
database; a busy client would otherwise cost a query per request. An answer
is kept for ``seconds`` (a refusal too, so that a flood of bad tokens costs
no more queries), keyed by the SHA-256 of the token, and forgotten at once
when the credential is revoked in this process. The cache is bounded: past
``max_entries`` it starts again empty.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["CheckCache"]

T = TypeVar("T")


class CheckCache(Generic[T]):
    """Recent answers by token digest.

    Parameters
    ----------
    seconds : float
        How long an answer is trusted (0: never).
    clock : callable, optional
        Monotonic seconds; replaceable in tests.
    max_entries : int, default=10_000
    """

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._max = max_entries
        self._answers: dict[str, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> tuple[bool, T | None]:
        """``(True, answer)`` for an answer younger than ``seconds``, else ``(False, None)``."""
        with self._lock:
            kept = self._answers.get(digest)
        if kept is not None and self._clock() - kept[0] < self.seconds:
            return True, kept[1]
        return False, None

    def put(self, digest: str, answer: T) -> None:
        """Keep ``answer`` for ``digest`` from now on."""
        with self._lock:
            if len(self._answers) > self._max:
                self._answers.clear()
            self._answers[digest] = (self._clock(), answer)

    def forget(self, keep: Callable[[str, T], bool]) -> None:
        """Forget every answer for which ``keep(digest, answer)`` is false."""
        with self._lock:
            self._answers = {d: v for d, v in self._answers.items() if keep(d, v[1])}
