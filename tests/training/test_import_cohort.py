"""The import command line: files in, cohort directory out, one-line errors with exit code 2."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.cohort import read_cohort
from training.import_cohort import main

PROBES = [f"cg{i:08d}" for i in range(1, 21)]
SAMPLES = ["S1", "S2", "S3", "S4"]
GSMS = ["GSM1", "GSM2", "GSM3", "GSM4"]
LABELS = ["EWS", "EWS", "SS", "SS"]
VALUES = np.linspace(0, 1, 80).reshape(4, 20)


def write_matrix(path: Path, values: np.ndarray = VALUES, probes: list[str] = PROBES) -> Path:
    """CpGs as rows with a detection p-value column after each sample (GEO style)."""
    frame = pd.DataFrame({"ID_REF": probes})
    for j, sample in enumerate(SAMPLES):
        frame[sample] = values[j]
        frame[f"{sample}.Detection Pval"] = 0.001
    frame.loc[0, "S2.Detection Pval"] = 0.2
    frame.to_csv(path, sep="\t" if ".tsv" in path.suffixes else ",", index=False)
    return path


def write_sheet(path: Path, ids: list[str] = SAMPLES) -> Path:
    pd.DataFrame({"id": ids, "class": LABELS, "material": "FFPE"}).to_csv(path, index=False)
    return path


def write_series_matrix(path: Path) -> Path:
    def line(key: str, cells: list[str]) -> str:
        return "\t".join([key, *(f'"{c}"' for c in cells)])

    rows = [line(f'"{p}"', [f"{v:.6f}" for v in VALUES[:, i]]) for i, p in enumerate(PROBES)]
    text = "\n".join(
        [
            line("!Sample_title", SAMPLES),
            line("!Sample_geo_accession", GSMS),
            line("!Sample_characteristics_ch1", [f"methylation class: {lab}" for lab in LABELS]),
            "!series_matrix_table_begin",
            line('"ID_REF"', GSMS),
            *rows,
            "!series_matrix_table_end",
        ]
    )
    with gzip.open(path, "wt") as fh:
        fh.write(text + "\n")
    return path


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_matrix_and_sheet_to_cohort(tmp_path, capsys):
    code, out, err = run(
        capsys,
        "--betas", write_matrix(tmp_path / "betas.tsv.gz"),
        "--samples", write_sheet(tmp_path / "samples.csv"),
        "--label-column", "class",
        "--out", tmp_path / "cohort",
    )  # fmt: skip
    assert (code, err) == (0, "")
    cohort = read_cohort(tmp_path / "cohort")
    expected = VALUES.astype(np.float32)
    expected[1, 0] = np.nan  # its detection p-value 0.2 fails 0.01
    np.testing.assert_array_equal(cohort.betas.to_numpy(), expected)
    assert list(cohort.betas.columns) == PROBES and list(cohort.betas.index) == SAMPLES
    assert list(cohort.labels) == LABELS and list(cohort.samples["material"]) == ["FFPE"] * 4
    assert "4 samples x 20 CpGs, 2 classes" in out
    assert "detection p-value columns: 4, 1 betas masked (p > 0.01)" in out


def test_threshold_option_changes_masking(tmp_path, capsys):
    code, out, _ = run(
        capsys,
        "--betas", write_matrix(tmp_path / "betas.csv"),
        "--samples", write_sheet(tmp_path / "samples.csv"),
        "--label-column", "class", "--sample-column", "id",
        "--detection-pvalue-threshold", "0.5",
        "--out", tmp_path / "cohort",
    )  # fmt: skip
    assert code == 0 and "0 betas masked (p > 0.5)" in out
    assert not np.isnan(read_cohort(tmp_path / "cohort").betas.to_numpy()).any()


def test_series_matrix_to_cohort(tmp_path, capsys):
    code, out, _ = run(
        capsys,
        "--series-matrix", write_series_matrix(tmp_path / "GSE1_series_matrix.txt.gz"),
        "--label-field", "methylation class",
        "--out", tmp_path / "cohort",
    )  # fmt: skip
    assert code == 0, out
    cohort = read_cohort(tmp_path / "cohort")
    assert list(cohort.betas.index) == GSMS and list(cohort.labels) == LABELS
    np.testing.assert_allclose(cohort.betas.to_numpy(), VALUES, atol=1e-6)


def test_series_matrix_labels_with_separate_betas(tmp_path, capsys):
    code, _, _ = run(
        capsys,
        "--series-matrix", write_series_matrix(tmp_path / "GSE1_series_matrix.txt.gz"),
        "--label-field", "Methylation Class",
        "--betas", write_matrix(tmp_path / "betas.csv"),
        "--out", tmp_path / "cohort",
    )  # fmt: skip
    assert code == 0
    cohort = read_cohort(tmp_path / "cohort")
    assert list(cohort.betas.index) == SAMPLES and list(cohort.labels) == LABELS
    assert list(cohort.samples["geo_accession"]) == GSMS


def test_partly_overlapping_ids_warn_with_counts(tmp_path, capsys):
    code, out, err = run(
        capsys,
        "--betas", write_matrix(tmp_path / "betas.csv"),
        "--samples", write_sheet(tmp_path / "samples.csv", ["S1", "S2", "Q3", "Q4"]),
        "--label-column", "class",
        "--out", tmp_path / "cohort",
    )  # fmt: skip
    assert code == 0 and "2 samples x 20 CpGs" in out
    assert err.startswith("warning: sample ids differ")
    assert (
        "2 only in the matrix (e.g. ['S3', 'S4']), 2 only in the sheet (e.g. ['Q3', 'Q4'])" in err
    )
    assert list(read_cohort(tmp_path / "cohort").betas.index) == ["S1", "S2"]


def _good(tmp_path: Path) -> Path:
    return write_matrix(tmp_path / "betas.csv")


def _bad_values(tmp_path: Path, cell: object) -> Path:
    values = VALUES.astype(object)
    values[2, 5] = cell
    return write_matrix(tmp_path / "betas.csv", values)


@pytest.mark.parametrize(
    ("make_betas", "sheet_ids", "extra", "message"),
    [
        (lambda d: d / "none.csv", SAMPLES, [], "betas file '.*none.csv' does not exist"),
        (_good, SAMPLES, ["--label-column", "diagnosis"], "has no column 'diagnosis'"),
        (
            lambda d: write_matrix(d / "b.csv", probes=[f"p{i}" for i in range(20)]),
            SAMPLES, [], "no Infinium probe ids",
        ),
        (lambda d: _bad_values(d, "x"), SAMPLES, [], r"1 non-numeric value\(s\), e.g. 'x' at row"),
        (lambda d: _bad_values(d, 7), SAMPLES, [], r"1 value\(s\) outside \[0, 1\], e.g. 7 at"),
        (_good, ["A", "B", "C", "D"], [], "no sample id of the matrix"),
        (_good, ["S1", "S1", "S2", "S3"], [], r"sample id\(s\) repeat in column 'id'"),
        (
            lambda d: write_matrix(d / "b.csv", probes=[PROBES[0], *PROBES[:-1]]),
            SAMPLES, [], r"1 duplicate probe id\(s\)",
        ),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, make_betas, sheet_ids, extra, message):
    argv = [
        "--betas",
        make_betas(tmp_path),
        "--samples",
        write_sheet(tmp_path / "s.csv", sheet_ids),
    ]
    argv += extra or ["--label-column", "class"]
    code, out, err = run(capsys, *argv, "--out", tmp_path / "cohort")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert re.search(message, err), err
    assert not (tmp_path / "cohort").exists()


def test_unknown_label_field_exits_2(tmp_path, capsys):
    code, _, err = run(
        capsys,
        "--series-matrix", write_series_matrix(tmp_path / "GSE1_series_matrix.txt.gz"),
        "--label-field", "histology",
        "--out", tmp_path / "cohort",
    )  # fmt: skip
    assert code == 2
    assert "no characteristics field 'histology'; fields present: ['methylation class']" in err


def test_missing_series_matrix_exits_2(tmp_path, capsys):
    code, _, err = run(
        capsys, "--series-matrix", tmp_path / "x.txt", "--label-field", "a", "--out", tmp_path
    )
    assert code == 2 and "series_matrix file" in err and "does not exist" in err


@pytest.mark.parametrize("where", ["notes.txt", "notes.txt/cohort"])
def test_an_out_that_cannot_be_a_directory_is_refused_before_reading(tmp_path, capsys, where):
    (tmp_path / "notes.txt").write_text("kept")
    out = tmp_path / where
    # The inputs do not exist: the --out check comes first, before anything is read.
    code, _, err = run(capsys, "--betas", tmp_path / "b.csv", "--samples", tmp_path / "s.csv",
                       "--label-column", "class", "--out", out)  # fmt: skip
    expected = (
        f"error: --out {out} is a file; give a directory for the cohort\n"
        if where == "notes.txt"
        else f"error: --out {out} cannot be created: {tmp_path / 'notes.txt'} is a file\n"
    )
    assert (code, err) == (2, expected)
    assert (tmp_path / "notes.txt").read_text() == "kept"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--betas", "b.csv", "--out", "o"], "give either --samples"),
        (["--betas", "b.csv", "--samples", "s.csv", "--out", "o"], "needs --betas and --label"),
        (["--series-matrix", "m.txt", "--out", "o"], "--series-matrix needs --label-field"),
        (
            ["--series-matrix", "m.txt", "--label-field", "f", "--label-column", "c", "--out", "o"],
            "go with --samples",
        ),
        (
            ["--series-matrix", "m.txt", "--label-field", "f", "--out", "o",
             "--detection-pvalue-threshold", "2"],
            r"must be in \(0, 1\]",
        ),
        (["--samples", "s.csv"], "required: --out"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1
    assert re.search(message, err), err
