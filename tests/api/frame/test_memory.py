"""Returning freed memory to the OS after a model is loaded."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from api.frame.memory import release_if_above, release_unused_memory, resident_mb


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_memory_freed_by_many_small_arrow_arrays_goes_back_to_the_os():
    # Many small string arrays, as the manifest's decoding leaves behind: the
    # pool keeps their pages after they are freed, until asked to release them.
    arrays = [pa.array(np.arange(i * 1000, i * 1000 + 100_000).astype(str)) for i in range(40)]
    assert pa.total_allocated_bytes() > 20 * 2**20
    del arrays
    gc.collect()
    kept = _resident_mb()
    release_unused_memory()
    assert _resident_mb() < kept - 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_resident_size_and_the_release_above_a_limit(monkeypatch):
    assert resident_mb() == pytest.approx(_resident_mb(), rel=0.05)
    calls = []
    monkeypatch.setattr(
        "api.frame.memory.release_unused_memory", lambda collect: calls.append(collect)
    )
    release_if_above(limit_mb=1e9)  # far below the limit: nothing to do
    assert calls == []
    release_if_above(limit_mb=1.0)
    assert calls == [False]  # no garbage collection on the request path
