"""Loaders from user files (beta matrices, sample sheets, GEO series matrices) to a cohort."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.errors import CohortFormatError
from training.loaders.beta_matrix import Orientation, read_beta_matrix
from training.loaders.cohort_sources import load_matrix_cohort, load_series_matrix_cohort
from training.loaders.geo import read_series_matrix

PROBES = [f"cg{i:08d}" for i in range(1, 21)]
SAMPLES = ["S1", "S2", "S3", "S4"]
GSMS = ["GSM101", "GSM102", "GSM103", "GSM104"]
LABELS = ["EWS", "EWS", "SS", "SS"]
VALUES = np.arange(80, dtype=np.float64).reshape(4, 20) / 100  # 0.00 ... 0.79


def expected_betas(samples: list[str] = SAMPLES) -> pd.DataFrame:
    """The samples x CpGs frame every loader should produce from VALUES."""
    return pd.DataFrame(
        VALUES.astype(np.float32),
        index=pd.Index(samples, name="sample_id", dtype=object),
        columns=pd.Index(PROBES, dtype=object),
    )


def cpgs_as_rows(samples: list[str] = SAMPLES) -> pd.DataFrame:
    """The GEO layout: probe ids in the first column, one column per sample."""
    frame = pd.DataFrame(VALUES.T, columns=samples)
    frame.insert(0, "ID_REF", PROBES)
    return frame


def cpgs_as_columns(samples: list[str] = SAMPLES) -> pd.DataFrame:
    """Samples x CpGs with the sample ids in the first column."""
    frame = pd.DataFrame(VALUES, columns=PROBES)
    frame.insert(0, "sample_id", samples)
    return frame


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` without its index in the format ``path``'s suffix names."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        sep = "," if ".csv" in path.suffixes else "\t"
        frame.to_csv(path, sep=sep, index=False)  # pandas gzips by suffix
    return path


def with_pvalues(pvalues: np.ndarray, name: str) -> pd.DataFrame:
    """CpGs as rows with a p-value column after each sample, named by ``name``."""
    columns, names = [], []
    for j, sample in enumerate(SAMPLES):
        columns += [VALUES[j], pvalues[j]]
        names += [sample, name.format(sample=sample)]  # a bare name repeats, as on GEO
    frame = pd.DataFrame(np.column_stack(columns), columns=names)
    frame.insert(0, "ID_REF", PROBES)
    return frame


def write_sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    pd.DataFrame(rows).to_csv(path, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    return path


def sheet_rows(ids: list[str] = SAMPLES) -> list[dict[str, str]]:
    return [
        {"Sample_Name": s, "Diagnosis": f"dx{i}", "Methylation Class": lab, "Family": "ROUND"}
        for i, (s, lab) in enumerate(zip(ids, LABELS, strict=True))
    ]


def write_series_matrix(path: Path, *, table: bool = True) -> Path:
    """A GEO series matrix with the four samples, two characteristics and the betas."""

    def line(key: str, cells: list[str]) -> str:
        return "\t".join([key, *(f'"{c}"' for c in cells)])

    lines = [
        '!Series_title\t"Sarcoma methylation"',
        '!Series_geo_accession\t"GSE1"',
        line("!Sample_title", SAMPLES),
        line("!Sample_geo_accession", GSMS),
        line("!Sample_characteristics_ch1", [f"methylation class: {lab}" for lab in LABELS]),
        # Differing keys in one line, as GEO writes them for unevenly annotated samples.
        line("!Sample_characteristics_ch1", ["tissue: bone", "tissue: soft", "", "site: limb"]),
        "!series_matrix_table_begin",
    ]
    if table:
        lines.append(line('"ID_REF"', GSMS))
        lines += [
            "\t".join([f'"{p}"', *(f"{v:g}" for v in VALUES[:, i])]) for i, p in enumerate(PROBES)
        ]
    lines.append("!series_matrix_table_end")
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


# --- beta matrices --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "layout", "orientation"),
    [
        ("betas.csv", cpgs_as_rows, Orientation.CPGS_AS_ROWS),
        ("betas.csv", cpgs_as_columns, Orientation.CPGS_AS_COLUMNS),
        ("betas.tsv", cpgs_as_rows, Orientation.CPGS_AS_ROWS),
        ("betas.tsv.gz", cpgs_as_columns, Orientation.CPGS_AS_COLUMNS),
        ("betas.csv.gz", cpgs_as_rows, Orientation.CPGS_AS_ROWS),
        ("betas.txt.gz", cpgs_as_rows, Orientation.CPGS_AS_ROWS),
        ("betas.parquet", cpgs_as_rows, Orientation.CPGS_AS_ROWS),
        ("betas.parquet", cpgs_as_columns, Orientation.CPGS_AS_COLUMNS),
    ],
)
def test_matrix_in_every_format_and_orientation_reads_to_the_same_betas(
    tmp_path, name, layout, orientation
):
    matrix = read_beta_matrix(write(layout(), tmp_path / name))
    pd.testing.assert_frame_equal(matrix.betas, expected_betas())
    assert matrix.orientation is orientation
    assert (matrix.pvalue_columns, matrix.masked_cells, matrix.replicates_collapsed) == (0, 0, 0)


def test_parquet_with_the_sample_ids_as_pandas_index(tmp_path):
    path = tmp_path / "betas.parquet"
    cpgs_as_columns().set_index("sample_id").to_parquet(path)
    pd.testing.assert_frame_equal(read_beta_matrix(path).betas, expected_betas())


def test_r_style_header_without_a_name_for_the_id_column(tmp_path):
    path = tmp_path / "betas.tsv"
    cpgs_as_rows().set_index("ID_REF").to_csv(path, sep="\t", index_label=False)
    assert path.read_text().startswith("S1\tS2")
    pd.testing.assert_frame_equal(read_beta_matrix(path).betas, expected_betas())


def test_sample_ids_keep_leading_zeros(tmp_path):
    ids = ["001", "002", "010", "100"]
    betas = read_beta_matrix(write(cpgs_as_columns(ids), tmp_path / "b.csv")).betas
    assert list(betas.index) == ids


def test_missing_value_tokens_become_nan(tmp_path):
    frame = cpgs_as_rows().astype({"S2": object})
    frame.loc[3, "S2"] = "NA"
    frame.loc[4, "S2"] = ""
    betas = read_beta_matrix(write(frame, tmp_path / "b.csv")).betas
    assert betas.loc["S2", PROBES[3:5]].isna().all()
    assert betas.loc["S2", PROBES[5]] == np.float32(VALUES[1, 5])


@pytest.mark.parametrize(
    "name", ["{sample}.Detection Pval", "{sample}_detP", "Detection Pval", "pval", "Detection_Pval"]
)
def test_detection_pvalue_columns_are_dropped_and_failed_betas_masked(tmp_path, name):
    pvalues = np.full((4, 20), 0.001)
    pvalues[0, 2] = pvalues[3, 19] = 0.05
    pvalues[1, 0] = 0.01  # at the threshold: kept
    matrix = read_beta_matrix(write(with_pvalues(pvalues, name), tmp_path / "b.tsv"))
    expected = expected_betas()
    expected.loc["S1", PROBES[2]] = expected.loc["S4", PROBES[19]] = np.nan
    pd.testing.assert_frame_equal(matrix.betas, expected)
    assert (matrix.pvalue_columns, matrix.masked_cells) == (4, 2)


def test_detection_pvalue_threshold_is_configurable_and_can_be_switched_off(tmp_path):
    pvalues = np.full((4, 20), 0.001)
    pvalues[0, 2], pvalues[3, 19] = 0.05, 0.5
    path = write(with_pvalues(pvalues, "{sample}.Detection Pval"), tmp_path / "b.csv")
    loose = read_beta_matrix(path, detection_pvalue_threshold=0.1)
    assert loose.masked_cells == 1 and loose.betas[PROBES[19]].isna().tolist() == [0, 0, 0, 1]
    off = read_beta_matrix(path, detection_pvalue_threshold=None)
    assert off.masked_cells == 0 and off.pvalue_columns == 4
    pd.testing.assert_frame_equal(off.betas, expected_betas())


def columns_with_pvalues(pvalues: np.ndarray, name: str) -> pd.DataFrame:
    """CpGs as columns with a p-value column after each probe, named by ``name``."""
    columns, names = [], []
    for i, probe in enumerate(PROBES):
        columns += [VALUES[:, i], pvalues[:, i]]
        names += [probe, name.format(probe=probe)]
    frame = pd.DataFrame(np.column_stack(columns), columns=names)
    frame.insert(0, "sample_id", SAMPLES)
    return frame


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("{probe}.Detection Pval", "b.tsv"),
        ("{probe}_detP", "b.csv.gz"),
        ("Detection Pval", "b.csv"),  # bare, right after its probe, repeated
        ("{probe}_pval", "b.parquet"),
    ],
)
def test_detection_pvalue_columns_with_cpgs_as_columns(tmp_path, name, file):
    pvalues = np.full((4, 20), 0.001)
    pvalues[0, 2] = pvalues[3, 19] = 0.05
    pvalues[1, 0] = 0.01  # at the threshold: kept
    matrix = read_beta_matrix(write(columns_with_pvalues(pvalues, name), tmp_path / file))
    expected = expected_betas()
    expected.loc["S1", PROBES[2]] = expected.loc["S4", PROBES[19]] = np.nan
    pd.testing.assert_frame_equal(matrix.betas, expected)
    assert matrix.orientation is Orientation.CPGS_AS_COLUMNS
    assert (matrix.pvalue_columns, matrix.masked_cells) == (20, 2)
    off = read_beta_matrix(tmp_path / file, detection_pvalue_threshold=None)
    assert (off.pvalue_columns, off.masked_cells) == (20, 0)
    pd.testing.assert_frame_equal(off.betas, expected_betas())


@pytest.mark.parametrize("file", ["b.csv", "b.parquet"])
def test_pvalue_column_belonging_to_no_probe_is_an_error(tmp_path, file):
    frame = cpgs_as_columns()
    frame.insert(1, "cg99999999.Detection Pval", 0.001)  # names a probe the matrix lacks
    with pytest.raises(
        CohortFormatError, match=r"cannot tell which probe .*'cg99999999.Detection Pval'"
    ):
        read_beta_matrix(write(frame, tmp_path / file))


def test_pvalue_column_belonging_to_no_sample_is_an_error(tmp_path):
    frame = cpgs_as_rows()
    frame.insert(1, "Detection Pval", 0.001)  # before any sample column
    with pytest.raises(CohortFormatError, match=r"cannot tell which sample .*'Detection Pval'"):
        read_beta_matrix(write(frame, tmp_path / "b.csv"))


def test_epicv2_replicates_are_averaged(tmp_path):
    frame = cpgs_as_rows()
    frame["ID_REF"] = ["cg00000001_TC11", "cg00000001_TC12", *[f"{p}_BC21" for p in PROBES[2:]]]
    matrix = read_beta_matrix(write(frame, tmp_path / "b.csv"))
    assert list(matrix.betas.columns) == [PROBES[0], *PROBES[2:]]
    assert matrix.replicates_collapsed == 1
    np.testing.assert_allclose(
        matrix.betas[PROBES[0]], VALUES[:, :2].mean(axis=1).astype(np.float32), rtol=1e-6
    )
    np.testing.assert_array_equal(matrix.betas[PROBES[5]], VALUES[:, 5].astype(np.float32))


def test_missing_matrix_file(tmp_path):
    with pytest.raises(CohortFormatError, match=r"betas file .*nope\.csv.* does not exist"):
        read_beta_matrix(tmp_path / "nope.csv")
    with pytest.raises(CohortFormatError, match=r"betas file .* is a directory; give the file"):
        read_beta_matrix(tmp_path)


def test_unsupported_matrix_format(tmp_path):
    path = tmp_path / "betas.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(CohortFormatError, match="unsupported format") as refused:
        read_beta_matrix(path)
    assert ".parquet" in str(refused.value)  # the matrix may be Parquet


@pytest.mark.parametrize(("name", "kind"), [("s.parquet", "Parquet"), ("s.xlsx", "a spreadsheet")])
def test_a_sample_sheet_that_is_not_text_says_so(tmp_path, name, kind):
    (tmp_path / name).write_bytes(b"PAR1")
    with pytest.raises(CohortFormatError, match=f"is {kind}; save it as CSV or TSV"):
        load_matrix_cohort(write(cpgs_as_rows(), tmp_path / "b.csv"), tmp_path / name,
                           label_column="x")  # fmt: skip


def test_an_unknown_sample_sheet_suffix_lists_only_text_formats(tmp_path):
    (tmp_path / "s.json").write_text("{}")
    with pytest.raises(CohortFormatError, match="unsupported format") as refused:
        load_matrix_cohort(write(cpgs_as_rows(), tmp_path / "b.csv"), tmp_path / "s.json",
                           label_column="x")  # fmt: skip
    assert ".tsv" in str(refused.value) and "parquet" not in str(refused.value)


def test_no_probe_ids_on_either_axis(tmp_path):
    frame = cpgs_as_rows()
    frame["ID_REF"] = [f"probe{i}" for i in range(20)]
    with pytest.raises(CohortFormatError, match=r"no Infinium probe ids .* on either axis"):
        read_beta_matrix(write(frame, tmp_path / "b.csv"))


def test_an_invalid_probe_id_among_valid_ones_is_named(tmp_path):
    frame = cpgs_as_rows()
    frame.loc[7, "ID_REF"] = "cg123"
    with pytest.raises(CohortFormatError, match=r"b.csv: 1 value\(s\) are not .*'cg123'"):
        read_beta_matrix(write(frame, tmp_path / "b.csv"))


def test_non_numeric_values_are_counted_and_located(tmp_path):
    frame = cpgs_as_rows().astype({"S3": object})
    frame.loc[4, "S3"] = "high"
    frame.loc[9, "S3"] = "n.d."
    with pytest.raises(
        CohortFormatError,
        match=r"2 non-numeric value\(s\), e.g. 'high' at row 'cg00000005', column 'S3'",
    ):
        read_beta_matrix(write(frame, tmp_path / "b.csv"))


def test_values_outside_unit_interval_are_counted_and_located(tmp_path):
    frame = cpgs_as_columns()
    frame.loc[1, PROBES[3]] = 1.5
    frame.loc[2, PROBES[0]] = -0.2
    with pytest.raises(
        CohortFormatError,
        match=r"2 value\(s\) outside \[0, 1\], e.g. 1.5 at row 'S2', column 'cg00000004'",
    ):
        read_beta_matrix(write(frame, tmp_path / "b.tsv"))


def test_bad_cells_in_a_parquet_matrix_with_cpgs_as_columns(tmp_path):
    frame = cpgs_as_columns().astype({PROBES[1]: str, PROBES[2]: str})  # text in Parquet
    frame.loc[0, PROBES[1]], frame.loc[3, PROBES[1]] = "NA", "n.d."
    frame.loc[1, PROBES[2]] = "120"
    with pytest.raises(
        CohortFormatError,
        match=r"1 non-numeric value\(s\), e.g. 'n.d.' at row 'S4', column 'cg00000002'; "
        r"1 value\(s\) outside \[0, 1\], e.g. 120 at row 'S2'",
    ):
        read_beta_matrix(write(frame, tmp_path / "b.parquet"))


def test_missing_tokens_and_bad_cells_in_a_wide_text_matrix(tmp_path):
    frame = cpgs_as_columns().astype({PROBES[1]: object})
    frame.loc[0, PROBES[1]], frame.loc[1, PROBES[1]] = "NA", ""
    betas = read_beta_matrix(write(frame, tmp_path / "b.csv")).betas
    assert betas[PROBES[1]].isna().tolist() == [True, True, False, False]
    frame.loc[2, PROBES[1]] = "low"
    with pytest.raises(CohortFormatError, match=r"'low' at row 'S3', column 'cg00000002'"):
        read_beta_matrix(write(frame, tmp_path / "b.csv"))


def test_row_with_a_missing_field(tmp_path):
    path = write(cpgs_as_columns(), tmp_path / "b.csv")
    path.write_text(path.read_text() + "S5,0.1,0.2\n")
    with pytest.raises(CohortFormatError, match="line 6 has 3 fields, the header 21"):
        read_beta_matrix(path)
    path = write(cpgs_as_rows(), tmp_path / "r.csv")
    path.write_text(path.read_text() + "cg00000099,0.1\n")
    with pytest.raises(CohortFormatError, match=r"r\.csv' cannot be parsed"):
        read_beta_matrix(path)


def test_duplicate_sample_ids(tmp_path):
    with pytest.raises(CohortFormatError, match=r"1 duplicate sample id\(s\), e.g. \['S1'\]"):
        read_beta_matrix(write(cpgs_as_columns(["S1", "S2", "S1", "S4"]), tmp_path / "b.csv"))
    path = tmp_path / "rows.csv"
    path.write_text("ID_REF,S1,S1\n" + "".join(f"{p},0.1,0.2\n" for p in PROBES))
    with pytest.raises(CohortFormatError, match=r"duplicate sample id\(s\), e.g. \['S1'\]"):
        read_beta_matrix(path)


def test_duplicate_probe_ids(tmp_path):
    frame = cpgs_as_rows()
    frame.loc[5, "ID_REF"] = PROBES[0]
    with pytest.raises(
        CohortFormatError, match=r"1 duplicate probe id\(s\), e.g. \['cg00000001'\]"
    ):
        read_beta_matrix(write(frame, tmp_path / "b.csv"))


def test_matrix_without_values(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("ID_REF,S1\n")
    with pytest.raises(CohortFormatError, match="holds no beta values"):
        read_beta_matrix(path)


# --- matrix + sample sheet ------------------------------------------------


def test_sample_sheet_column_is_detected_and_labels_follow_matrix_order(tmp_path):
    rows = sheet_rows()[::-1]
    cohort, report = load_matrix_cohort(
        write(cpgs_as_rows(), tmp_path / "b.csv"),
        write_sheet(tmp_path / "samples.tsv", rows),
        label_column="Methylation Class",
    )
    pd.testing.assert_frame_equal(cohort.betas, expected_betas())
    assert list(cohort.labels) == LABELS
    assert list(cohort.samples["family"]) == ["ROUND"] * 4
    assert list(cohort.samples["diagnosis"]) == ["dx0", "dx1", "dx2", "dx3"]
    assert "Sample_Name" not in cohort.samples.columns
    assert report.sample_column == "Sample_Name"
    assert (report.n_samples, report.n_cpgs, report.n_classes) == (4, 20, 2)
    assert report.warnings == []


def test_sample_column_can_be_named(tmp_path):
    rows = [{**r, "other": r["Sample_Name"]} for r in sheet_rows()]
    cohort, report = load_matrix_cohort(
        write(cpgs_as_columns(), tmp_path / "b.csv"),
        write_sheet(tmp_path / "s.csv", rows),
        label_column="Methylation Class",
        sample_column="other",
    )
    assert report.sample_column == "other" and list(cohort.labels) == LABELS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_column": "class"}, r"s.csv has no column 'class'; columns are \['Sample_Name'"),
        ({"label_column": "Family", "sample_column": "id"}, "s.csv has no column 'id'"),
    ],
)
def test_unknown_sheet_column(tmp_path, kwargs, message):
    with pytest.raises(CohortFormatError, match=message):
        load_matrix_cohort(
            write(cpgs_as_rows(), tmp_path / "b.csv"),
            write_sheet(tmp_path / "s.csv", sheet_rows()),
            **kwargs,
        )


def test_missing_sample_sheet(tmp_path):
    with pytest.raises(CohortFormatError, match=r"samples file .*missing\.csv.* does not exist"):
        load_matrix_cohort(
            write(cpgs_as_rows(), tmp_path / "b.csv"), tmp_path / "missing.csv", label_column="x"
        )


def test_no_overlapping_sample_ids(tmp_path):
    betas = write(cpgs_as_rows(), tmp_path / "b.csv")
    sheet = write_sheet(tmp_path / "s.csv", sheet_rows(["T1", "T2", "T3", "T4"]))
    with pytest.raises(CohortFormatError, match=r"no sample id of the matrix .* appears in any"):
        load_matrix_cohort(betas, sheet, label_column="Methylation Class")
    with pytest.raises(
        CohortFormatError, match=r"4 only in the matrix \(e.g. \['S1', 'S2', 'S3'\]\), 4 only in"
    ):
        load_matrix_cohort(
            betas, sheet, label_column="Methylation Class", sample_column="Sample_Name"
        )


def test_partly_overlapping_ids_keep_the_intersection_and_report_counts(tmp_path):
    rows = sheet_rows(["S1", "S2", "S3", "X9"])
    cohort, report = load_matrix_cohort(
        write(cpgs_as_rows(), tmp_path / "b.csv"),
        write_sheet(tmp_path / "s.csv", rows),
        label_column="Methylation Class",
    )
    pd.testing.assert_frame_equal(cohort.betas, expected_betas().iloc[:3])
    assert list(cohort.labels) == LABELS[:3]
    assert (report.only_in_matrix, report.only_in_sheet) == (1, 1)
    assert (report.only_in_matrix_examples, report.only_in_sheet_examples) == (("S4",), ("X9",))
    assert "1 only in the matrix (e.g. ['S4']), 1 only in the sheet" in report.warnings[0]


def test_duplicate_ids_in_sample_sheet(tmp_path):
    rows = sheet_rows()
    rows[3]["Sample_Name"] = "S2"
    with pytest.raises(CohortFormatError, match=r"1 sample id\(s\) repeat in column 'Sample_Name'"):
        load_matrix_cohort(
            write(cpgs_as_rows(), tmp_path / "b.csv"),
            write_sheet(tmp_path / "s.csv", rows),
            label_column="Methylation Class",
        )


def test_matched_sample_without_label(tmp_path):
    rows = sheet_rows()
    rows[1]["Methylation Class"] = ""
    with pytest.raises(CohortFormatError, match=r"1 sample\(s\) have no value .* e.g. \['S2'\]"):
        load_matrix_cohort(
            write(cpgs_as_rows(), tmp_path / "b.csv"),
            write_sheet(tmp_path / "s.csv", rows),
            label_column="Methylation Class",
        )


# --- GEO series matrix ----------------------------------------------------


@pytest.mark.parametrize("name", ["GSE1_series_matrix.txt", "GSE1_series_matrix.txt.gz"])
def test_series_matrix_betas_and_labels(tmp_path, name):
    cohort, report = load_series_matrix_cohort(
        write_series_matrix(tmp_path / name), label_field="Methylation Class"
    )
    pd.testing.assert_frame_equal(cohort.betas, expected_betas(GSMS))
    assert list(cohort.labels) == LABELS
    assert list(cohort.samples["title"]) == SAMPLES
    assert cohort.samples["tissue"].tolist()[:2] == ["bone", "soft"]
    assert pd.isna(cohort.samples["tissue"].iloc[2]) and cohort.samples["site"].iloc[3] == "limb"
    assert (
        report.sample_column == "geo_accession" and report.orientation is Orientation.CPGS_AS_ROWS
    )


def test_series_matrix_header_fields(tmp_path):
    series = read_series_matrix(write_series_matrix(tmp_path / "s.txt"), read_table=False)
    assert series.matrix is None
    assert series.characteristics == {
        "methylation class": "methylation_class",
        "tissue": "tissue",
        "site": "site",
    }


def test_unknown_label_field_lists_the_fields(tmp_path):
    with pytest.raises(
        CohortFormatError,
        match=r"no characteristics field 'diagnosis'; fields present: "
        r"\['methylation class', 'site', 'tissue'\]",
    ):
        load_series_matrix_cohort(write_series_matrix(tmp_path / "s.txt"), label_field="diagnosis")


def test_series_matrix_without_table_needs_betas(tmp_path):
    series = write_series_matrix(tmp_path / "s.txt", table=False)
    with pytest.raises(CohortFormatError, match="has no beta table"):
        load_series_matrix_cohort(series, label_field="methylation class")
    # Supplementary matrices often name samples by title; they are matched on it.
    betas = write(cpgs_as_rows(SAMPLES), tmp_path / "b.tsv.gz")
    cohort, report = load_series_matrix_cohort(series, label_field="methylation class", betas=betas)
    pd.testing.assert_frame_equal(cohort.betas, expected_betas())
    assert report.sample_column == "title" and list(cohort.labels) == LABELS
    assert list(cohort.samples["geo_accession"]) == GSMS


def test_file_that_is_not_a_series_matrix(tmp_path):
    path = write(cpgs_as_rows(), tmp_path / "x_series_matrix.txt")
    with pytest.raises(CohortFormatError, match="not a GEO series matrix"):
        load_series_matrix_cohort(path, label_field="class")
