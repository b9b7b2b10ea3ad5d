"""Checks of the cohort that training reads, run before the first fold.

:func:`training.cohort.read_cohort` checks the structure of a cohort
directory; a hand-written one can still hold values the documented format
excludes (a beta value 1.5, an ``array_type`` of ``850k``) or be too sparsely
measured to train on. Training takes minutes to hours, so these are refused
when the cohort is loaded, in the words :mod:`training.import_cohort` uses
for the same faults.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.errors import ClassifierError, CohortFormatError, SparseTrainingDataError
from classifier.probes import ArrayType
from classifier.selection import measured_cpgs
from training.cohort import BETAS_FILE, SAMPLES_FILE, Cohort
from training.loaders.cell_values import CellProblems

__all__ = ["check_cohort"]


def check_cohort(cohort: Cohort, directory: str | Path, max_missing: float) -> None:
    """Refuse a cohort that the documented format excludes or that cannot be trained on.

    Parameters
    ----------
    cohort : Cohort
        As read from ``directory``.
    directory : str or Path
        Where it was read from, named in the messages.
    max_missing : float
        The estimator's ``max_missing``: the largest share of samples in
        which a CpG may be missing and still be selected.

    Raises
    ------
    CohortFormatError
        If a beta value is outside [0, 1] (the count and the first one are
        reported), or an ``array_type`` is none of ``450k``, ``epic``,
        ``epicv2``.
    SparseTrainingDataError
        If no CpG is measured in enough samples for the CpG selection.
    """
    root = Path(directory)
    values = cohort.betas.to_numpy(dtype=np.float32)
    problems = CellProblems(str(root / BETAS_FILE))
    columns = [str(c) for c in cohort.betas.columns]
    # Row by row, as the import checks: one error counts every bad value and locates one.
    for i, sample in enumerate(cohort.betas.index.astype(str)):
        problems.note_range(values[i], sample, columns)
    problems.raise_if_any()
    _check_array_types(cohort, root / SAMPLES_FILE)
    try:
        measured_cpgs(values, max_missing, sample_ids=list(cohort.betas.index.astype(str)))
    except SparseTrainingDataError as exc:
        raise SparseTrainingDataError(f"cohort {root}: {exc.message}", field=exc.field) from None


def _check_array_types(cohort: Cohort, source: Path) -> None:
    """Refuse ``array_type`` values other than the documented spellings (blank is allowed)."""
    if "array_type" not in cohort.samples.columns:
        return
    given = cohort.samples["array_type"].dropna().astype(str)
    known = [a.value for a in ArrayType]
    bad = given[~given.isin(known)]
    if bad.empty:
        return
    first = bad.iloc[0]
    try:
        # An alias the service understands ("850k", "EPIC") has one documented spelling.
        hint = f"; write {ArrayType.parse(first).value!r} for {first!r}"
    except ClassifierError:
        hint = ""
    raise CohortFormatError(
        f"{source}: {len(bad)} sample(s) have an unknown array_type, e.g. {first!r} for "
        f"sample {bad.index[0]!r}; expected one of {known}{hint}",
        field="array_type",
    )
