"""How often the served model flags profiles of a new site as out of distribution.

The QC rules (classifier/qc_thresholds.py) set the OOD cut at the 1 % upper
quantile of outer-fold profiles, which share their suppliers' batches with
the training folds. A lab's own profiles come from a batch the model never
saw. This draws profiles from the synthetic world twice over the same
sheet rows (class, array, material, purity, site, sex, degradation): once
with the row's own supplier (a batch the model was trained on) and once as
a new site (its own batch, as ``training.synthetic --profile`` and the data
samples are made), scores both with a trained bundle, and prints the share
flagged out of distribution, the share of calls withheld and the accuracy.

Run::

    python benchmarks/bench_new_site_ood.py --cohort work/cohort \
        --model-path models/sarcoma-classifier [--n 300] [--seed 0]

The world's seed must be the cohort's (``training.synthetic --seed``,
default 0). Not a test: it takes a few minutes and its figures are the
model's, on synthetic data only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.bundle import load_bundle
from classifier.decision import Decision
from training.synthetic.cohort_builder import make_world
from training.synthetic.world import SampleSpec


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cohort", type=Path, required=True)
    p.add_argument("--model-path", type=Path, required=True)
    p.add_argument("--n", type=int, default=300, help="sheet rows drawn (default 300)")
    p.add_argument("--seed", type=int, default=0, help="the world's seed (the cohort's)")
    a = p.parse_args()

    bundle = load_bundle(a.model_path)
    model = bundle.estimator
    # Empty cells stay text ("" site), except the two numeric columns.
    sheet = pd.read_csv(
        a.cohort / "samples.csv",
        keep_default_na=False,
        na_values={"purity": [""], "degradation": [""]},
    )
    rows = sheet.sample(n=min(a.n, len(sheet)), random_state=12345)
    world = make_world(a.seed)
    columns = world.index_of(np.asarray(model.cpgs_, dtype=str))
    if (columns < 0).any():
        raise SystemExit("the model's CpGs are not all in the world: is this the default cohort?")

    start = time.perf_counter()
    out = {}
    for kind in ("known supplier", "new site"):
        aligned = []
        for i, row in enumerate(rows.itertuples(index=False)):
            spec = SampleSpec(
                label=row.label, array_type=row.array_type, material=row.material,
                purity=float(row.purity), site=row.site, sex=row.sex,
                supplier=str(row.supplier) if kind == "known supplier" else "",
                degradation=None if pd.isna(row.degradation) else float(row.degradation),
            )  # fmt: skip
            # Seeds apart from the cohort's own samples: new draws of the same rows.
            aligned.append(world.sample(spec, columns, seed=50_000_000 + i))
        calls = bundle.classify_aligned(np.vstack(aligned))
        labels = rows["label"].to_numpy()
        ood = np.array([c.ood for c in calls])
        match = np.array([c.decision is Decision.MATCH for c in calls])
        right = np.array([c.top_class == y for c, y in zip(calls, labels, strict=True)])
        out[kind] = {
            "profiles": len(calls),
            "ood_share": round(float(ood.mean()), 4),
            "match_share_before_qc": round(float(match.mean()), 4),
            "match_share_after_qc": round(float((match & ~ood).mean()), 4),
            "accuracy_top_class": round(float(right.mean()), 4),
            "error_among_matches_before_qc": (
                round(float((~right[match]).mean()), 4) if match.any() else None
            ),
            "wrong_top_class_flagged_ood": (
                round(float(ood[~right].mean()), 4) if (~right).any() else None
            ),
            "error_among_matches_after_qc": (
                round(float((~right[match & ~ood]).mean()), 4) if (match & ~ood).any() else None
            ),
        }
    out["ood_threshold"] = float(calls[0].ood_threshold)
    out["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(out, indent=2))
    known, new = out["known supplier"]["ood_share"], out["new site"]["ood_share"]
    print(f"new site / known supplier OOD share: {new:.3f} / {known:.3f}")


if __name__ == "__main__":
    main()
