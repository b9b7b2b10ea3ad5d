"""Compare base learners and calibrators on the same nested-CV folds.

Usage::

    python benchmarks/bench_learners.py --cohort work/cohort [--outer-folds 5]
        [--inner-folds 3] [--configs rf:ridge,rf300:ridge,xgb:ridge,linear:ridge]
        [--scaling] [--out benchmarks/results/learners.json]

For each configuration (learner:calibration) it runs the nested
cross-validation of :mod:`training.nested_cv` with the same seed, hence the
same outer folds, and prints accuracy, Brier score, log loss, ECE, the
fraction of samples classified at 0.9 and their accuracy, the time of one
outer fit and the prediction time per sample (one sample at a time, as the
service predicts). ``rf:ridge``, the project's default, is the reference
recipe (Capper 2018 / Koelsche 2021: a class-balanced forest of 500 trees,
the randomForest default, with ridge calibration); ``rf300`` is the same
forest with 300 trees. ``--scaling`` adds how the fit time of the default
learner grows with the number of samples and of selected CpGs.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.estimator import MethylationClassifier
from classifier.taxonomy import load_taxonomy
from training.cohort import read_cohort
from training.nested_cv import evaluate, nested_cross_validate

COLUMNS = ("accuracy", "brier", "log_loss", "ece", "classified_fraction", "classified_accuracy")


#: Learner names of the configurations that are not the learners' defaults.
VARIANTS = {"rf300": ("rf", {"n_estimators": 300})}


def run_config(cohort, name: str, calibration: str, args) -> dict:
    """Nested CV of one configuration; returns its metrics and timings."""
    learner, params = VARIANTS.get(name, (name, None))
    n_features = args.xgb_features if learner == "xgb" else args.n_features
    model = MethylationClassifier(
        learner=learner,
        learner_params=params,
        calibration=calibration,
        n_features=n_features,
        inner_folds=args.inner_folds,
        n_jobs=2,
    )
    start = time.perf_counter()
    result = nested_cross_validate(model, cohort.betas, cohort.labels, args.outer_folds, seed=0)
    total = time.perf_counter() - start
    families = {c: load_taxonomy().family_of(c) for c in result.classes}
    metrics = evaluate(result, families)
    dsrct = metrics.calibrated.per_class.get("DSRCT")
    # Prediction time per sample, one at a time, single thread as served.
    fitted = MethylationClassifier(
        learner=learner, learner_params=params, calibration=calibration,
        n_features=n_features, inner_folds=args.inner_folds, n_jobs=2,
    ).fit(cohort.betas.iloc[::2], cohort.labels[::2])  # fmt: skip
    if hasattr(fitted.base_, "n_jobs"):  # as served: one thread
        fitted.base_.n_jobs = 1
    size_mb = len(pickle.dumps(fitted)) / 1e6
    aligned = fitted.align(cohort.betas.iloc[1::2].iloc[:50])
    t0 = time.perf_counter()
    for row in aligned:
        fitted.predict_aligned(row[None, :])
    per_sample_ms = (time.perf_counter() - t0) / len(aligned) * 1000
    return {
        "config": f"{name}:{calibration}",
        "model_mb": round(size_mb, 1),
        "n_features": n_features,
        "nested_cv_seconds": round(total, 1),
        "outer_fit_seconds": round(float(np.mean(result.fit_seconds)), 1),
        "predict_ms_per_sample": round(per_sample_ms, 2),
        "raw": {k: metrics.raw.figures()[k] for k in COLUMNS},
        "calibrated": {k: metrics.calibrated.figures()[k] for k in COLUMNS},
        "dsrct_sensitivity": dsrct.sensitivity if dsrct else None,
    }


def scaling(cohort, args) -> list[dict]:
    """Fit time of the default learner for growing samples and CpGs."""
    rows = []
    rng = np.random.default_rng(0)
    for share in (0.25, 0.5, 1.0):
        for n_features in (2_500, 5_000, 10_000):
            keep = _stratified_share(cohort.labels, share, rng)
            labels = cohort.labels[keep]
            counts = np.unique(labels, return_counts=True)[1]
            model = MethylationClassifier(
                n_features=n_features, inner_folds=int(min(3, counts.min())), n_jobs=2
            )
            start = time.perf_counter()
            model.fit(cohort.betas.iloc[keep], labels)
            rows.append(
                {
                    "samples": len(keep),
                    "cpgs": n_features,
                    "fit_seconds": round(time.perf_counter() - start, 1),
                }
            )
            print(f"  scaling: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def _stratified_share(labels: np.ndarray, share: float, rng) -> np.ndarray:
    """Indices of about ``share`` of each class, at least 3 of each."""
    keep = []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        keep.extend(rng.choice(idx, min(len(idx), max(3, round(share * len(idx)))), replace=False))
    return np.sort(np.asarray(keep))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cohort", type=Path, default=Path("work/cohort"))
    parser.add_argument("--outer-folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=3)
    parser.add_argument("--n-features", type=int, default=10_000)
    parser.add_argument("--xgb-features", type=int, default=2_000)
    parser.add_argument("--configs", default="rf:ridge,rf300:ridge,xgb:ridge,linear:ridge")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/learners.json"))
    args = parser.parse_args(argv)
    if not (args.cohort / "betas.parquet").is_file():
        print(f"error: no cohort at {args.cohort}; build it with `make cohort`", file=sys.stderr)
        return 2
    cohort = read_cohort(args.cohort)
    rows = []
    for config in args.configs.split(","):
        learner, calibration = config.split(":")
        print(f"running {config} ...", file=sys.stderr, flush=True)
        rows.append(run_config(cohort, learner, calibration, args))
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)

    header = (
        f"{'config':<24}{'acc':>7}{'brier':>7}{'logloss':>8}{'ECE':>7}"
        f"{'>=0.9':>7}{'acc@0.9':>8}{'DSRCT':>7}{'fit s':>7}{'ms/pred':>8}{'MB':>6}"
    )
    print(f"\nNested CV {args.outer_folds}x{args.inner_folds}, {len(cohort)} samples, same folds")
    print(header)
    reference = next((r for r in rows if r["config"] == "rf:ridge"), None)
    for r in rows:
        for kind in ("raw", "calibrated"):
            # An undefined figure (None: e.g. no call reached 0.9) prints as nan.
            m = {k: float("nan") if v is None else v for k, v in r[kind].items()}
            print(
                f"{r['config'] + ' ' + kind:<24}{m['accuracy']:7.3f}{m['brier']:7.3f}"
                f"{m['log_loss']:8.3f}{m['ece']:7.3f}{m['classified_fraction']:7.3f}"
                f"{m['classified_accuracy']:8.3f}"
                + (f"{r['dsrct_sensitivity']:7.2f}" if kind == "calibrated" else " " * 7)
                + f"{r['outer_fit_seconds']:7.0f}{r['predict_ms_per_sample']:8.2f}"
                + f"{r['model_mb']:6.0f}"
            )
    if reference:
        print("\nratios to the reference recipe (rf:ridge, the default), calibrated:")
        for r in rows:
            a = r["calibrated"]["accuracy"] / reference["calibrated"]["accuracy"]
            b = r["calibrated"]["brier"] / reference["calibrated"]["brier"]
            print(f"  {r['config']:<20} accuracy x{a:.3f}   Brier x{b:.3f} (lower is better)")
    result = {"rows": rows}
    if args.scaling:
        result["scaling"] = scaling(cohort, args)
        print("\nfit time of the default learner (one fit incl. inner calibration CV):")
        for s in result["scaling"]:
            print(f"  {s['samples']:>5} samples x {s['cpgs']:>6} CpGs: {s['fit_seconds']:>6.1f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
