"""Time placing one profile on the reference map, and fitting the map.

Usage::

    python benchmarks/bench_reference_map.py [--n-reference 1077] [--dims 30] [--repeat 2000]

Builds a reference space like the served model's (``--n-reference``
samples in ``--dims`` PCA components, 65 clusters), fits the t-SNE map
(:class:`classifier.embedding.ReferenceMap`) and times, for one profile at
a time: the map placement, the first-two-components placement it replaces,
and the OOD distance computed on the same projection (the work that was
already there), with one BLAS thread as the service runs. Prints medians
in milliseconds and the ratio of placement to the OOD distance.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.embedding import ReferenceMap
from classifier.ood import ReferenceDistance


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n-reference", type=int, default=1077)
    p.add_argument("--dims", type=int, default=30)
    p.add_argument("--repeat", type=int, default=2000)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (65, a.dims))
    labels = rng.integers(0, 65, a.n_reference)
    Z = (centres[labels] + rng.normal(0, 1, (a.n_reference, a.dims))).astype(np.float32)
    start = time.perf_counter()
    tsne = ReferenceMap("tsne").fit(Z)
    fit_s = time.perf_counter() - start
    pca = ReferenceMap("pca").fit(Z)
    ood = ReferenceDistance(n_components=a.dims).fit(Z)
    one = Z[:1] + rng.normal(0, 0.5, (1, a.dims)).astype(np.float32)
    with threadpool_limits(1):
        place = _median_ms(lambda: tsne.transform(one), a.repeat)
        first_two = _median_ms(lambda: pca.transform(one), a.repeat)
        distance = _median_ms(lambda: ood.score_projected(one), a.repeat)
    print(f"t-SNE fit of {a.n_reference} x {a.dims}: {fit_s:.1f} s")
    print(
        f"one profile: map placement {place:.3f} ms, first two components {first_two:.4f} ms, "
        f"OOD distance {distance:.3f} ms; placement / distance = {place / distance:.2f}"
    )


if __name__ == "__main__":
    main()
