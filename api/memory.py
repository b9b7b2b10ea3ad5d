"""Returning memory freed at start-up to the operating system.

Loading a model decodes the probe manifest from Parquet and builds the
alignment indices: a few hundred megabytes of scratch space, freed when the
loading ends but kept by the allocators for reuse (pyarrow's mimalloc pool
and glibc's heap). The service's memory goal (<= 1 GB resident) is about
what stays, so the service hands that space back once a model is loaded
(measured on the default model: 757 -> 628 MB resident), and after each
large request (a whole-EPIC JSON body leaves ~100-250 MB behind), once its
answer is sent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

import pyarrow as pa

__all__ = ["release_unused_memory"]


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


def _malloc_trim():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
