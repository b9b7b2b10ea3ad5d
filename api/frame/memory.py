"""Returning freed memory to the operating system.

Loading a model decodes the probe manifest from Parquet and builds the
alignment indices: a few hundred megabytes of scratch space, freed when the
loading ends but kept by the allocators for reuse (pyarrow's mimalloc pool
and glibc's heap). The service's memory goal (<= 1 GB resident) is about
what stays, so the service hands that space back once a model is loaded
(measured on the default model: 757 -> 628 MB resident), and after a
large request (a whole-EPIC JSON body leaves ~100-250 MB behind) once its
answer is sent, if the process then holds more than :data:`TRIM_ABOVE_MB`.
Not after every large request: memory given back must be faulted in again
by the next one, which costs it tens of milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os

import pyarrow as pa

__all__ = ["TRIM_ABOVE_MB", "release_if_above", "release_unused_memory", "resident_mb"]

#: Resident size above which a large request is followed by a release. With
#: the default model ~630 MB stay after start-up and a whole-EPIC JSON object
#: leaves the process at ~720 MB, so back-to-back EPIC bodies are not slowed
#: (a release before each cost it 15-35 ms of page faults), while growth past
#: 800 MB (a shuffled EPIC body, a large batch) is handed back.
TRIM_ABOVE_MB = 800.0


def release_unused_memory(collect: bool = True) -> None:
    """Return the allocators' free memory to the OS (~2 ms), after a garbage collection.

    Parameters
    ----------
    collect : bool, default=True
        Run a full garbage collection first (~0.1 s with a model loaded:
        for start-up, not after a request, whose objects reference counting
        has freed already).

    Safe to call at any time; the ``malloc_trim`` part is skipped where the
    C library has none (it is glibc's).
    """
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def resident_mb() -> float | None:
    """The process's resident memory in MB, or ``None`` where ``/proc`` is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def release_if_above(limit_mb: float = TRIM_ABOVE_MB) -> None:
    """:func:`release_unused_memory` without garbage collection, if resident > ``limit_mb``."""
    resident = resident_mb()
    if resident is not None and resident > limit_mb:
        release_unused_memory(collect=False)


@functools.cache
def _malloc_trim():
    # Looked up once: find_library may run ldconfig in a subprocess.
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
