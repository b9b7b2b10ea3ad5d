"""Sanity figures of the synthetic reference cohort: hard, but not noise.

Usage::

    python benchmarks/cohort_sanity.py [--cohort work/cohort] [--folds 5]

Builds the default cohort (timed) if it is missing, then reports the
cross-validated accuracy of a plain L2 logistic regression (no selection,
no calibration; CpGs missing in more than 10 % of samples dropped, gaps
filled with the median) overall, within the round cell family (Ewing, CIC,
BCOR, DSRCT), on the lowest purity quartile, on FFPE vs frozen, and on 450K
vs EPIC, with the cohort's size on disk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.cohort import read_cohort, write_cohort
from training.synthetic import build_cohort


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cohort", type=Path, default=Path("work/cohort"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    if not (args.cohort / "betas.parquet").is_file():
        start = time.perf_counter()
        write_cohort(build_cohort(), args.cohort)
        print(f"built the default cohort in {time.perf_counter() - start:.1f} s")
    size = sum(f.stat().st_size for f in args.cohort.iterdir()) / 1e6
    cohort = read_cohort(args.cohort)
    X = cohort.betas.loc[:, cohort.betas.isna().mean() <= 0.1]
    X = X.fillna(X.median())
    y = cohort.labels
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    start = time.perf_counter()
    proba = cross_val_predict(
        LogisticRegression(max_iter=300, tol=1e-3), X.to_numpy(), y, cv=cv, method="predict_proba"
    )
    seconds = time.perf_counter() - start
    pred = np.unique(y)[proba.argmax(axis=1)]
    right = pred == y
    s = cohort.samples
    low = (s["purity"] <= s["purity"].quantile(0.25)).to_numpy()
    groups = {
        "overall": np.ones(len(y), bool),
        "round cell family (EWS, CIC, BCOR, DSRCT)": (s["family"] == "ROUND_CELL").to_numpy(),
        "DSRCT": (s["label"] == "DSRCT").to_numpy(),
        f"lowest purity quartile (<= {s['purity'].quantile(0.25):.2f})": low,
        "FFPE": (s["material"] == "FFPE").to_numpy(),
        "frozen": (s["material"] == "frozen").to_numpy(),
        "450K": (s["array_type"] == "450k").to_numpy(),
        "EPIC": (s["array_type"] == "epic").to_numpy(),
    }
    print(
        f"cohort {args.cohort}: {len(y)} samples x {cohort.betas.shape[1]} CpGs "
        f"({X.shape[1]} measured on both arrays), {len(np.unique(y))} classes, "
        f"{size:.0f} MB on disk"
    )
    print(f"plain logistic regression, {args.folds}-fold CV ({seconds:.0f} s):")
    for name, mask in groups.items():
        print(f"  {name:<45} accuracy {right[mask].mean():.3f}  (n={mask.sum()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
