"""Write the committed examples in ``data_samples/`` (reduced profiles and a tiny cohort).

Reduced profiles carry the default cohort's CpGs that pass the default
probe filters (about 103,000, a superset of any model trained on it), as a
LIS that knows the model's CpG list would send them. Full-array profiles
are not committed; make them with
``python -m training.synthetic --profile CLASS --array epic --out FILE``.

Run from the repository root: ``python scripts/make_data_samples.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classifier.manifest import DEFAULT_FILTERS, load_manifest
from classifier.probes import ArrayType
from training.cohort import write_cohort
from training.synthetic.cohort_builder import (
    DEFAULT_N_CPGS,
    build_cohort,
    generate_profile,
    make_world,
    select_columns,
)

OUT = Path(__file__).resolve().parents[1] / "data_samples"

CASES = [
    {
        "file": "dsrct_ewsr1_wt1.json",
        "label": "DSRCT", "array": "epic", "purity": 0.7, "material": "frozen",
        "sample_id": "DEMO-0001", "diagnosis": "Desmoplastic small round cell tumour",
        "findings": [
            {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs",
             "result": "detected"},
            {"kind": "ihc", "marker": "WT1", "epitope": "C-terminal", "result": "positive"},
        ],
    },
    {
        "file": "dsrct_submitted_as_ewing.json",
        "label": "DSRCT", "array": "450k", "purity": 0.55, "material": "FFPE",
        "sample_id": "DEMO-0002", "diagnosis": "Ewing sarcoma",
        "findings": [
            {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
            {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"},
        ],
    },
    {
        "file": "ewing_with_ewsr1_wt1.json",
        "label": "EWS", "array": "epic", "purity": 0.55, "material": "frozen",
        "sample_id": "DEMO-0003", "diagnosis": "Ewing sarcoma",
        "findings": [
            {"kind": "fusion", "name": "EWSR1::WT1", "method": "rt_pcr", "result": "detected"}
        ],
    },
    {
        "file": "leiomyosarcoma_low_purity.json",
        "label": "LMS", "array": "epic", "purity": 0.3, "material": "FFPE",
        "sample_id": "DEMO-0004", "diagnosis": "Leiomyosarcoma", "findings": [],
    },
    {
        "file": "dsrct_mixed_evidence.json",
        "label": "DSRCT", "array": "epic", "purity": 0.7, "material": "frozen",
        "sample_id": "DEMO-0005", "diagnosis": "favour Ewing sarcoma",
        "findings": [
            {"kind": "rearrangement", "gene": "EWSR1", "method": "fish", "result": "rearranged"},
            {"kind": "ihc", "marker": "WT1", "epitope": "C-terminal", "result": "positive"},
            {"kind": "ihc", "marker": "desmin", "result": "negative"},
            {"kind": "fusion", "name": "EWSR1::FLI1", "method": "rt_pcr",
             "result": "not_detected"},
        ],
    },
    {
        "file": "liposarcoma_coded_as_lipoma.json",
        "label": "WDLPS", "array": "epic", "purity": 0.7, "material": "frozen",
        "sample_id": "DEMO-0006", "diagnosis_code": {"system": "ICD-O-3", "code": "8850/0"},
        "findings": [
            {"kind": "copy_number", "gene": "MDM2", "change": "amplification", "method": "fish",
             "result": "detected"},
            {"kind": "mutation", "gene": "TP53", "variant": "p.R273H", "method": "dna_ngs",
             "result": "detected"},
        ],
    },
]  # fmt: skip


def main() -> None:
    OUT.mkdir(exist_ok=True)
    world = make_world(0)
    columns = select_columns(world, DEFAULT_N_CPGS, 0)
    excluded = set(load_manifest().excluded(DEFAULT_FILTERS))
    keep = set(world.probe_ids[columns]) - excluded
    for i, case in enumerate(CASES):
        ids, values = generate_profile(
            case["label"], ArrayType(case["array"]), 0, sample_seed=100 + i,
            purity=case["purity"], material=case["material"],
        )  # fmt: skip
        mask = np.array([pid in keep for pid in ids])
        betas = {
            pid: (None if np.isnan(v) else round(float(v), 3))
            for pid, v in zip(ids[mask], values[mask], strict=True)
        }
        profile = {"sample_id": case["sample_id"]}
        profile |= {k: case[k] for k in ("diagnosis", "diagnosis_code") if k in case}
        profile |= {"findings": case["findings"], "betas": betas}
        (OUT / case["file"]).write_text(json.dumps({"profiles": [profile]}))
        print(f"{case['file']}: {case['label']} on {case['array']}, {len(betas)} CpGs")
    # Half of the tiny cohort's columns carry class signal (oracle_share): a
    # demonstration that trains in seconds, not an evaluation.
    tiny = build_cohort(
        seed=0,
        scale=0.25,
        n_cpgs=2000,
        classes=["DSRCT", "EWS", "CIC", "BCOR", "LMS", "SS"],
        oracle_share=0.5,
    )
    write_cohort(tiny, OUT / "tiny_cohort")
    print(f"tiny_cohort: {len(tiny)} samples x {tiny.betas.shape[1]} CpGs")


if __name__ == "__main__":
    main()
