"""Time the CPU work of one classify request in this process, stage by stage.

``bench_service.py`` times requests over HTTP, where this machine's drift
and the client hide differences under a millisecond. This script calls
what the worker thread runs (:func:`api.classification.flow.prepare_results`)
directly on the bodies of ``bench_service.py``'s EPIC Arrow and
10,000-CpG JSON forms, and each of its stages alone, interleaved::

    python benchmarks/bench_request_work.py --model-path models/sarcoma-classifier

For each form it prints the medians of reading the body, hashing the
values as sent (``values_sha256``), asking whether their NaNs are canonical
then checking and classifying, and the whole of
``prepare_results``, which runs the hash beside the classification on the
second core. ``overlap`` is the whole divided by reading plus the longer
of the two branches: 1.0 would be a perfect overlap, and the sum of the
stages (run one after the other) is printed for comparison. Nothing is
stored and no server is started.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_service import _arrow  # noqa: E402

from api.classification.flow import (  # noqa: E402
    ClassifyJob,
    classify_read,
    prepare_results,
    read_profiles,
)
from api.classification.input_fingerprint import nans_canonical_of, values_sha256  # noqa: E402
from api.classification.result_builder import ResultOptions  # noqa: E402
from api.frame.request_body import BodyFormat  # noqa: E402
from api.served_model.alignment import AlignmentCache  # noqa: E402
from api.served_model.loader import load_served_model  # noqa: E402
from api.settings import Settings  # noqa: E402
from classifier.manifest import load_manifest  # noqa: E402
from classifier.probes import ArrayType  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the timings and print them; returns 0 (there is no goal here)."""
    args = _parse(argv)
    settings = Settings(model_path=args.model_path, model_uri=None)
    model = load_served_model(settings)
    sha = model.info.cpgs_sha256
    rng = np.random.default_rng(0)
    for name, body, fmt in _bodies(model, rng):
        job = ClassifyJob(
            body=body,
            format=fmt,
            request_id="bench",
            max_batch=settings.max_batch,
            min_cpg_fraction=settings.min_cpg_fraction,
            min_cpgs=settings.min_cpgs(model.n_cpgs),
            options=ResultOptions(),
        )
        read = read_profiles(model, job)
        # A profile sent with ids is hashed in its canonical form, which alignment
        # gives (in prepare_results, on the classifying thread); found once here.
        cache = AlignmentCache()
        canonical = [model.aligner.align(p, cache)[1].canonical for p in read.profiles]
        stages: dict[str, Callable[[], object]] = {
            "read": lambda job=job: read_profiles(model, job),
            # The two branches as prepare_results runs them: the hash of the values as
            # sent on one thread; the NaN-bits question, checks and classification on the other.
            "hash": lambda read=read, canonical=canonical: [
                values_sha256(p, sha, form, nans_canonical=True)
                for p, form in zip(read.profiles, canonical, strict=True)
            ],
            "check + classify": lambda job=job, read=read: (
                [nans_canonical_of(p) for p in read.profiles],
                classify_read(model, job, read),
            ),
            "prepare_results": lambda job=job: prepare_results(model, job),
        }
        medians = _interleaved(stages, args.repeats)
        longer = max(medians["hash"], medians["check + classify"])
        floor = medians["read"] + longer
        stage_sum = medians["read"] + medians["hash"] + medians["check + classify"]
        print(f"\n{name} ({len(body) / 1e6:.1f} MB), medians of {args.repeats}:")
        for stage, median in medians.items():
            print(f"  {stage:<18} {median * 1e3:6.2f} ms")
        print(
            f"  overlap {medians['prepare_results'] / floor:.2f} "
            f"(read + longer branch {floor * 1e3:.2f} ms; one after the other "
            f"{stage_sum * 1e3:.2f} ms)"
        )
    return 0


def _bodies(model, rng: np.random.Generator) -> list[tuple[str, bytes, BodyFormat]]:
    epic_ids = load_manifest().array_probe_ids(ArrayType.EPIC)
    values = rng.uniform(0, 1, len(epic_ids)).astype(np.float32)
    values[rng.random(len(values)) < 0.01] = np.nan  # 1 % failed probes, as bench_service
    epic_arrow = _arrow({"sample_id": ["BENCH-4"], "values": [values]}, {"array": "epic"})
    cpgs = [str(c) for c in model.bundle.cpgs]
    betas = dict(zip(cpgs, rng.uniform(0, 1, len(cpgs)).round(4).tolist(), strict=True))
    small = orjson.dumps({"profiles": [{"sample_id": "BENCH-5", "betas": betas}]})
    return [
        ("EPIC, Arrow values (array=epic)", epic_arrow, BodyFormat.ARROW),
        (f"{len(cpgs):,}-CpG JSON object", small, BodyFormat.JSON),
    ]


def _interleaved(stages: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each stage, run in turn (the order reversed every other round)."""
    for run in stages.values():  # warm-up
        run()
    times: dict[str, list[float]] = {name: [] for name in stages}
    order = list(stages)
    for round_ in range(repeats):
        for name in order if round_ % 2 else order[::-1]:
            start = time.perf_counter()
            stages[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--model-path", type=Path, default=ROOT / "models" / "sarcoma-classifier")
    parser.add_argument("--repeats", type=int, default=100, help="timed runs of each stage")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
