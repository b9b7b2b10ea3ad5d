"""Time the whole-array probe-id work: collapsing EPICv2 replicates, detecting the array.

Usage::

    python benchmarks/bench_probe_ids.py [--repeat 5]

Prints the median and the fastest of ``--repeat`` runs of
:func:`classifier.probes.collapse_replicates` on a whole EPICv2 profile
(~937,000 ids) and :func:`classifier.array_detection.detect_array` on a
whole EPIC profile (~866,000 ids), each also as a ratio to turning the
ids into an Arrow string array (the floor of any vectorised work on them). The suite checks what
these functions return; how fast they are is measured here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.array_detection import detect_array
from classifier.manifest import load_manifest
from classifier.probes import ArrayType, collapse_replicates


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    manifest = load_manifest()
    epicv2 = manifest.array_probe_ids(ArrayType.EPICV2)
    epic = list(manifest.array_probe_ids(ArrayType.EPIC))
    values = np.random.default_rng(0).random(len(epicv2)).astype(np.float32)
    detect_array(epic[:10])  # builds the manifest's lookup once, as a served model has
    as_list = list(epicv2)
    floor = _times(lambda: pa.array(as_list, type=pa.string()), args.repeat)
    runs = {
        "collapse_replicates, whole EPICv2": _times(
            lambda: collapse_replicates(epicv2, values), args.repeat
        ),
        "detect_array, whole EPIC": _times(lambda: detect_array(epic), args.repeat),
    }
    base = statistics.median(floor)
    print(f"EPICv2 ids to an Arrow array: median {base * 1000:.1f} ms")
    for name, seconds in runs.items():
        median = statistics.median(seconds)
        print(
            f"{name}: median {median * 1000:.1f} ms, fastest {min(seconds) * 1000:.1f} ms, "
            f"{median / base:.1f}x making the Arrow array"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
