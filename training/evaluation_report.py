"""Regenerate the evaluation report with one command.

Usage::

    python -m training.evaluation_report --cohort DIR --out DIR [training options]
    python -m training.evaluation_report --bundle DIR --out DIR

With ``--cohort``, trains a model as ``python -m training.train`` would
(unknown options are passed to it; the bundle goes to ``--model-out``,
default ``work/evaluation-model``, never to the served model's directory,
and is not registered), then draws the report from it. With ``--bundle``, draws the
report of a bundle already trained (with nested cross-validation). The
report is ``OUT/report.md`` with its figures beside it
(:mod:`training.evaluation.report`); every figure names this command and
the training command.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from classifier.bundle import load_bundle
from classifier.errors import ClassifierError
from training.evaluation.report import write_report

__all__ = ["main", "training_command"]

#: Training options recorded in a bundle's provenance, as the CLI spells them.
_OPTIONS = {
    "cohort": "--cohort", "label_column": "--label-column", "model": "--model",
    "outer_folds": "--outer-folds", "inner_folds": "--inner-folds", "seed": "--seed",
    "n_features": "--n-features", "calibration": "--calibration", "threshold": "--threshold",
    "loco_every": "--loco-every", "reference_map": "--reference-map",
    "leave_site_out_every": "--leave-site-out-every",
}  # fmt: skip


def training_command(config: dict) -> str:
    """The ``python -m training.train`` command of a bundle's recorded configuration."""
    parts = ["python", "-m", "training.train"]
    for key, flag in _OPTIONS.items():
        if key in config:
            parts += [flag, str(config[key])]
    if str(config.get("leave_array_out")) == "True":
        parts.append("--leave-array-out")
    return shlex.join(parts)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python -m training.evaluation_report", description=__doc__)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--cohort", type=Path, help="train on this cohort, then report")
    source.add_argument("--bundle", type=Path, help="report on this trained bundle")
    p.add_argument("--out", type=Path, required=True, help="directory of report.md and figures")
    p.add_argument(
        "--model-out",
        type=Path,
        default=Path("work/evaluation-model"),
        help="where --cohort puts the trained bundle (default: work/evaluation-model)",
    )
    a, train_options = p.parse_known_args(argv)
    if a.bundle is not None and train_options:
        p.error(f"training options {train_options} need --cohort, not --bundle")
    bundle_dir = a.bundle
    if a.cohort is not None:
        from training.train import main as train_main

        bundle_dir = a.model_out
        code = train_main(
            ["--cohort", str(a.cohort), "--out", str(bundle_dir), "--replace",
             "--experiment", "evaluation-report", *train_options]
        )  # fmt: skip
        if code:
            return code
    try:
        bundle = load_bundle(bundle_dir)
        config = bundle.provenance.get("config", {})
        page = write_report(
            bundle.metrics,
            a.out,
            {
                "train": training_command(config),
                "report": shlex.join(["python", "-m", "training.evaluation_report", *argv]),
            },
        )
    except (ClassifierError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
