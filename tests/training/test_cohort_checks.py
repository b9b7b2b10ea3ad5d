"""The cohort checks training runs before the first fold: betas, array types, missing values."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from classifier.errors import ClassifierError, CohortFormatError, SparseTrainingDataError
from training.cohort import Cohort
from training.cohort_checks import check_cohort
from training.loaders.cohort_sources import load_matrix_cohort

PROBES = [f"cg{i:08d}" for i in range(1, 11)]
SAMPLES = ["S1", "S2", "S3", "S4"]


def _cohort(values=None, array_type=None) -> Cohort:
    if values is None:
        values = np.linspace(0, 1, 40).reshape(4, 10)
    index = pd.Index(SAMPLES, name="sample_id")
    sheet = pd.DataFrame({"label": ["A", "A", "B", "B"]}, index=index)
    if array_type is not None:
        sheet["array_type"] = array_type
    betas = pd.DataFrame(values, index=index, columns=PROBES).astype(np.float32)
    return Cohort(betas=betas, samples=sheet)


def test_a_valid_cohort_passes(tmp_path):
    cohort = _cohort(array_type=["450k", "epic", "epicv2", None])
    cohort.betas.iloc[0, :1] = np.nan  # one CpG missing in 1 of 4 samples: within 25 %
    assert check_cohort(cohort, tmp_path, max_missing=0.25) is None


def test_out_of_range_betas_are_refused_in_the_words_of_the_import(tmp_path):
    values = np.linspace(0, 1, 40).reshape(4, 10)
    values[1, 3], values[2, 5] = 1.5, -0.2
    with pytest.raises(CohortFormatError) as exc:
        check_cohort(_cohort(values), tmp_path / "mine", max_missing=0.1)
    assert exc.value.field == "betas"
    assert str(exc.value) == (
        f"{tmp_path / 'mine' / 'betas.parquet'}: 2 value(s) outside [0, 1], e.g. 1.5 at row "
        "'S2', column 'cg00000004' (beta values are expected, not M-values or percentages)"
    )
    # The import refuses the same matrix with the same words.
    csv = tmp_path / "betas.csv"
    pd.DataFrame(values, index=pd.Index(SAMPLES, name="ID"), columns=PROBES).to_csv(csv)
    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"ID": SAMPLES, "class": ["A", "A", "B", "B"]}).to_csv(sheet, index=False)
    with pytest.raises(CohortFormatError) as imported:
        load_matrix_cohort(csv, sheet, label_column="class")
    assert str(imported.value).removeprefix("betas.csv") == str(exc.value).removeprefix(
        str(tmp_path / "mine" / "betas.parquet")
    )


def test_infinite_betas_are_out_of_range(tmp_path):
    values = np.linspace(0, 1, 40).reshape(4, 10)
    values[0, 0] = np.inf
    with pytest.raises(CohortFormatError, match=r"1 value\(s\) outside \[0, 1\], e.g. inf at"):
        check_cohort(_cohort(values), tmp_path, max_missing=0.1)


@pytest.mark.parametrize(
    ("given", "hint"),
    [("850k", "; write 'epic' for '850k'"), ("HM450", "; write '450k' for 'HM450'"), ("v3", "")],
)
def test_undocumented_array_types_are_refused(tmp_path, given, hint):
    cohort = _cohort(array_type=["epic", given, given, None])
    with pytest.raises(CohortFormatError) as exc:
        check_cohort(cohort, tmp_path, max_missing=0.1)
    assert exc.value.field == "array_type"
    assert str(exc.value) == (
        f"{tmp_path / 'samples.csv'}: 2 sample(s) have an unknown array_type, e.g. {given!r} "
        f"for sample 'S2'; expected one of ['450k', 'epic', 'epicv2']{hint}"
    )


def test_a_cohort_too_sparse_for_cpg_selection_is_refused(tmp_path):
    values = np.linspace(0, 1, 40).reshape(4, 10)
    values[[0, 2]] = np.nan  # two of four samples failed entirely
    with pytest.raises(SparseTrainingDataError) as exc:
        check_cohort(_cohort(values), tmp_path, max_missing=0.1)
    assert isinstance(exc.value, ClassifierError)
    message = str(exc.value)
    assert message.startswith(
        f"cohort {tmp_path}: no CpG is measured in at least 90% of the 4 training samples"
    )
    assert "of 10 CpGs, the best-measured is measured in 2 samples" in message
    assert "2 samples have no measured CpG at all, e.g. ['S1', 'S3']" in message
    assert re.search(r"Remove the samples that failed", message)
