"""Import a beta matrix and its labels into the cohort format that training reads.

Usage::

    python -m training.import_cohort --betas FILE --samples FILE --label-column COL
        [--sample-column COL] --out DIR [--detection-pvalue-threshold 0.01]
    python -m training.import_cohort --series-matrix FILE --label-field FIELD
        [--betas FILE] --out DIR [--detection-pvalue-threshold 0.01]

With ``--series-matrix`` the betas come from the series matrix's own table,
or from ``--betas`` if given (GEO often ships the processed matrix as a
supplementary file); the labels come from the characteristics field named by
``--label-field`` (e.g. "methylation class"). A summary goes to stdout,
warnings (samples present on one side only) to stderr; bad input prints one
``error:`` line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import ClassifierError
from training.cohort import write_cohort
from training.loaders import (
    DEFAULT_DETECTION_PVALUE_THRESHOLD,
    ImportReport,
    load_matrix_cohort,
    load_series_matrix_cohort,
)
from training.out_paths import directory_problem

__all__ = ["ImportConfig", "import_cohort", "main"]


@dataclass(frozen=True)
class ImportConfig:
    """Everything an import is told; see the module docstring."""

    out: Path
    betas: Path | None = None
    samples: Path | None = None
    label_column: str | None = None
    sample_column: str | None = None
    series_matrix: Path | None = None
    label_field: str | None = None
    detection_pvalue_threshold: float = DEFAULT_DETECTION_PVALUE_THRESHOLD


def import_cohort(config: ImportConfig) -> ImportReport:
    """Load the inputs named by ``config`` and write the cohort to ``config.out``.

    Parameters
    ----------
    config : ImportConfig

    Returns
    -------
    ImportReport

    Raises
    ------
    CohortFormatError
        If an input is missing or malformed; nothing is written then.
    """
    if config.series_matrix is not None:
        assert config.label_field is not None  # guaranteed by _parse
        cohort, report = load_series_matrix_cohort(
            config.series_matrix,
            label_field=config.label_field,
            betas=config.betas,
            detection_pvalue_threshold=config.detection_pvalue_threshold,
        )
    else:
        assert config.betas and config.samples and config.label_column  # guaranteed by _parse
        cohort, report = load_matrix_cohort(
            config.betas,
            config.samples,
            label_column=config.label_column,
            sample_column=config.sample_column,
            detection_pvalue_threshold=config.detection_pvalue_threshold,
        )
    write_cohort(cohort, config.out)
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = _parse(argv)
        report = import_cohort(config)
    except (_UsageError, ClassifierError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote cohort to {config.out}")
    for line in report.summary():
        print(f"  {line}")
    return 0


class _UsageError(Exception):
    """A command line that cannot work; reported in one line like bad input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse would print the whole usage block and exit; tests call main().
        raise _UsageError(message)


def _parse(argv: list[str] | None) -> ImportConfig:
    p = _Parser(prog="python -m training.import_cohort", description=__doc__.split("\n")[0])
    add = p.add_argument
    add("--betas", metavar="FILE", type=Path, help="beta matrix: CSV, TSV (.gz too), Parquet")
    add("--samples", metavar="FILE", type=Path, help="sample sheet (CSV or TSV)")
    add("--label-column", metavar="COL", help="sample-sheet column holding the class labels")
    add("--sample-column", metavar="COL", help="sample-sheet column of the matrix's sample names")
    add("--series-matrix", metavar="FILE", type=Path, help="GEO *_series_matrix.txt[.gz]")
    add("--label-field", metavar="FIELD", help='characteristics field, e.g. "methylation class"')
    add("--out", metavar="DIR", type=Path, required=True, help="cohort directory to write")
    add("--detection-pvalue-threshold", metavar="P", type=float,
        default=DEFAULT_DETECTION_PVALUE_THRESHOLD,
        help="betas whose detection p-value exceeds this become NaN")  # fmt: skip
    a = p.parse_args(argv)
    if (a.samples is None) == (a.series_matrix is None):
        p.error("give either --samples (with --betas and --label-column) or --series-matrix")
    if a.samples is not None:
        if a.betas is None or a.label_column is None:
            p.error("--samples needs --betas and --label-column")
        if a.label_field is not None:
            p.error("--label-field goes with --series-matrix; use --label-column with --samples")
    else:
        if a.label_field is None:
            p.error("--series-matrix needs --label-field")
        if a.label_column is not None or a.sample_column is not None:
            p.error("--label-column and --sample-column go with --samples, not --series-matrix")
    if not 0 < a.detection_pvalue_threshold <= 1:
        p.error("--detection-pvalue-threshold must be in (0, 1]")
    if problem := directory_problem(a.out, "the cohort"):
        p.error(problem)
    return ImportConfig(
        out=a.out, betas=a.betas, samples=a.samples, label_column=a.label_column,
        sample_column=a.sample_column, series_matrix=a.series_matrix,
        label_field=a.label_field, detection_pvalue_threshold=a.detection_pvalue_threshold,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
