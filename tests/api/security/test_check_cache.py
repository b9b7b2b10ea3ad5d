"""The cache of credential checks: trusted for its seconds, forgotten on revocation, bounded."""

from __future__ import annotations

from api.security.check_cache import CheckCache


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_trusted_for_its_seconds_only():
    clock = _Clock()
    cache: CheckCache[str | None] = CheckCache(5.0, clock)
    assert cache.get("d") == (False, None)
    cache.put("d", None)  # a refusal is kept too
    assert cache.get("d") == (True, None)
    cache.put("e", "client")
    clock.now += 4.9
    assert cache.get("e") == (True, "client")
    clock.now += 0.2
    assert cache.get("e") == (False, None)


def test_forget_drops_what_the_predicate_refuses():
    cache: CheckCache[str] = CheckCache(60.0)
    cache.put("a", "key-1")
    cache.put("b", "key-2")
    cache.forget(lambda _, answer: answer != "key-1")
    assert cache.get("a") == (False, None) and cache.get("b") == (True, "key-2")


def test_zero_seconds_trusts_nothing_and_the_size_is_bounded():
    assert CheckCache[str](0.0).get("a") == (False, None)
    cache: CheckCache[int] = CheckCache(60.0, max_entries=3)
    for i in range(5):
        cache.put(str(i), i)
    assert cache.get("4") == (True, 4) and cache.get("0") == (False, None)
