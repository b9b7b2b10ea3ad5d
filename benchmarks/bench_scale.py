"""Time and peak memory of import and training at three cohort widths.

For each width (default: 30,000, 100,000 CpGs and full width, the 450,161
CpGs of the 450K / EPIC intersection; 1,077 profiles):

1. ``python -m training.synthetic`` writes the cohort;
2. the cohort is written as a GEO-orientation matrix (CpGs as rows, one
   column per sample) in CSV and in Parquet, with a sample sheet;
3. ``python -m training.import_cohort`` imports each;
4. ``python -m training.train`` (5 x 3 nested cross-validation + final fit,
   untracked) trains on the imported cohort.

Every step runs as its own process under ``/usr/bin/time -v``, so its wall
time and peak resident memory are the whole command's, as a user sees them.
The float32 matrix (samples x CpGs x 4 bytes) is the unit of the memory
ratios. The machine's load average is recorded beside every step: on a
shared 2-core machine, compare figures of one run.

Usage::

    python benchmarks/bench_scale.py [--widths 30000,100000,all] [--work work/scale]
        [--steps generate,csv,parquet,import,train] [--outer-folds 5]

Writes ``benchmarks/results/scale-<date>.json`` and prints one line per step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.cohort import read_cohort  # noqa: E402

PYTHON = sys.executable
STEPS = ("generate", "csv", "parquet", "import", "train")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="30000,100000,all")
    parser.add_argument("--work", type=Path, default=ROOT / "work" / "scale")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--outer-folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: dated)")
    args = parser.parse_args()
    steps = set(args.steps.split(","))
    out = args.out or ROOT / "benchmarks" / "results" / f"scale-{dt.date.today()}.json"
    results = json.loads(out.read_text()) if out.is_file() else {"runs": {}}
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    for width in args.widths.split(","):
        run = results["runs"].setdefault(width, {})
        base = args.work / width
        base.mkdir(parents=True, exist_ok=True)
        cohort_dir = base / "cohort"
        if "generate" in steps:
            run["generate"] = _timed(
                [PYTHON, "-m", "training.synthetic", "--out", str(cohort_dir),
                 "--n-cpgs", width],
            )  # fmt: skip
        shape = _shape(cohort_dir)
        run["samples"], run["cpgs"] = shape
        run["float32_matrix_mb"] = round(shape[0] * shape[1] * 4 / 1e6, 1)
        if "csv" in steps or "parquet" in steps:
            run["inputs"] = _write_inputs(cohort_dir, base, steps)
        if "import" in steps:
            for kind, name in (("csv", "betas_geo.csv"), ("parquet", "betas_geo.parquet")):
                if (base / name).is_file():
                    run[f"import_{kind}"] = _timed(
                        [PYTHON, "-m", "training.import_cohort", "--betas", str(base / name),
                         "--samples", str(base / "sheet.csv"), "--label-column", "label",
                         "--out", str(base / f"imported_{kind}")],
                    )  # fmt: skip
        if "train" in steps:
            cohort = base / "imported_parquet"
            if not cohort.is_dir():
                cohort = cohort_dir
            bundle = base / "model"
            run["train"] = _timed(
                [PYTHON, "-m", "training.train", "--cohort", str(cohort), "--out", str(bundle),
                 "--replace", "--no-tracking", "--outer-folds", str(args.outer_folds)],
            )  # fmt: skip
            metrics = json.loads((bundle / "metrics.json").read_text())
            run["train"]["fold_fit_seconds"] = metrics["evaluation"].get("fold_fit_seconds")
            run["train"]["final_fit_seconds"] = metrics["training"]["final_fit_seconds"]
            run["train"]["calibrated_accuracy"] = metrics["evaluation"]["calibrated"]["accuracy"]
        for step in ("generate", "import_csv", "import_parquet", "train"):
            if step in run and "peak_mb" in run[step]:
                run[step]["peak_over_matrix"] = round(
                    run[step]["peak_mb"] / run["float32_matrix_mb"], 2
                )
        results["date"] = str(dt.date.today())
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


def _timed(command: list[str]) -> dict:
    """Run one step under /usr/bin/time -v; return its wall time, peak RSS and load."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *command], cwd=ROOT, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = [
        float(m.group(1))
        for m in re.finditer(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)
    ]
    step = {
        "command": " ".join(Path(c).name if c == PYTHON else c for c in command),
        "seconds": round(seconds, 1),
        "peak_mb": round(int(peak.group(1)) / 1e3, 1) if peak else None,
        # CPU seconds (user + system): what the step costs when it has the
        # cores to itself, on a machine others share.
        "cpu_seconds": round(sum(cpu), 1) if cpu else None,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "exit": proc.returncode,
    }
    print(f"{step['command'][:90]}: {step['seconds']} s, peak {step['peak_mb']} MB, "
          f"exit {proc.returncode}, load {step['load_before']}->{step['load_after']}",
          flush=True)  # fmt: skip
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    return step


def _shape(cohort_dir: Path) -> tuple[int, int]:
    meta = pq.ParquetFile(cohort_dir / "betas.parquet").metadata
    return meta.num_rows, meta.num_columns - 1


def _write_inputs(cohort_dir: Path, base: Path, steps: set[str]) -> dict:
    """Write the cohort as GEO-orientation CSV and Parquet (CpGs as rows) and a sheet."""
    started = time.perf_counter()
    cohort = read_cohort(cohort_dir)
    cohort.samples.to_csv(base / "sheet.csv")
    ids = cohort.betas.index.astype(str).tolist()
    cpgs = cohort.betas.columns.astype(str).to_numpy()
    values = cohort.betas.to_numpy(dtype=np.float32)
    info: dict = {}
    writers = {}
    schema = pa.schema([("ID_REF", pa.string())] + [(i, pa.float32()) for i in ids])
    if "csv" in steps:
        writers["csv"] = pacsv.CSVWriter(str(base / "betas_geo.csv"), schema)
    if "parquet" in steps:
        writers["parquet"] = pq.ParquetWriter(
            str(base / "betas_geo.parquet"), schema, compression="zstd"
        )
    for start in range(0, len(cpgs), 20_000):
        block = np.round(values[:, start : start + 20_000].T, 4)
        batch = pa.record_batch(
            [pa.array(cpgs[start : start + 20_000])] + [pa.array(col) for col in block.T],
            schema=schema,
        )
        for writer in writers.values():
            writer.write_batch(batch)
    for kind, writer in writers.items():
        writer.close()
        name = "betas_geo.csv" if kind == "csv" else "betas_geo.parquet"
        info[f"{kind}_mb"] = round((base / name).stat().st_size / 1e6, 1)
    info["write_seconds"] = round(time.perf_counter() - started, 1)
    print(f"inputs written: {info}", flush=True)
    return info


if __name__ == "__main__":
    main()
