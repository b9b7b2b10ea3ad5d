"""How hard is the synthetic reference cohort? A plain linear baseline, broken down.

Usage::

    python benchmarks/cohort_sanity.py [--cohort work/cohort] [--folds 5]
        [--out benchmarks/results/cohort_sanity.json]

Builds the default cohort if it is missing, then cross-validates a plain
baseline: the default probe filters, the class-balanced selection of 10,000
CpGs (:func:`classifier.selection.select_cpgs`) redone inside every fold,
and an L2 logistic regression on standardised betas (no calibration, no
forest). It reports the accuracy overall and by what the world varies:
purity quartile, material, array, supplier size, class family, and the
classes most often confused, so that one can see where the errors come from
(the structure the generative model put in), not only how many there are.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.manifest import DEFAULT_FILTERS, load_manifest
from classifier.selection import fill_missing, select_cpgs
from training.cohort import read_cohort, write_cohort
from training.synthetic import build_cohort


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cohort", type=Path, default=Path("work/cohort"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/cohort_sanity.json"))
    args = parser.parse_args(argv)
    if not (args.cohort / "betas.parquet").is_file():
        start = time.perf_counter()
        write_cohort(build_cohort(), args.cohort)
        print(f"built the default cohort in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    cohort = read_cohort(args.cohort)
    X = cohort.betas.to_numpy(dtype=np.float32)
    labels = cohort.labels
    classes, y = np.unique(labels, return_inverse=True)
    columns = np.flatnonzero(~cohort.betas.columns.isin(load_manifest().excluded(DEFAULT_FILTERS)))
    predicted = np.zeros(len(y), dtype=int)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    with threadpool_limits(1, user_api="blas"):
        for train, test in folds.split(X, y):
            chosen = select_cpgs(X, y[train], 10_000, rows=train, columns=columns)
            a = fill_missing(X[np.ix_(train, chosen.support)], chosen.medians)
            b = fill_missing(X[np.ix_(test, chosen.support)], chosen.medians)
            scaler = StandardScaler().fit(a)
            model = LogisticRegression(C=0.01, max_iter=300, tol=1e-3)
            model.fit(scaler.transform(a), y[train])
            predicted[test] = model.predict(scaler.transform(b))
    seconds = time.perf_counter() - start
    table = cohort.samples.assign(truth=labels, call=classes[predicted])
    table["right"] = table["truth"] == table["call"]
    suppliers = table["supplier"].map(table["supplier"].value_counts())
    report = {
        "samples": len(table),
        "cpgs": int(X.shape[1]),
        "cpgs_after_filters": len(columns),
        "accuracy": round(float(table["right"].mean()), 3),
        "by_purity_quartile": _rates(table, pd.qcut(table["purity"], 4)),
        "by_material": _rates(table, table["material"]),
        "by_array": _rates(table, table["array_type"]),
        "by_supplier_size": _rates(table, pd.cut(suppliers, [0, 20, 60, 200])),
        "by_family": _rates(table, table["family"]),
        "weakest_classes": _rates(table, table["truth"], smallest=12),
        "top_confusions": _confusions(table),
        "seconds": round(seconds, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


def _rates(table: pd.DataFrame, groups, smallest: int | None = None) -> dict:
    rates = table.groupby(groups, observed=True)["right"].agg(["mean", "size"])
    if smallest:
        rates = rates.sort_values("mean").head(smallest)
    return {str(k): {"accuracy": round(float(r["mean"]), 3), "n": int(r["size"])}
            for k, r in rates.iterrows()}  # fmt: skip


def _confusions(table: pd.DataFrame) -> list[dict]:
    wrong = table[~table["right"]]
    pairs = wrong.groupby(["truth", "call"]).size().sort_values(ascending=False).head(15)
    return [{"truth": t, "called": c, "n": int(n)} for (t, c), n in pairs.items()]


if __name__ == "__main__":
    sys.exit(main())
