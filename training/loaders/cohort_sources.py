"""Turn what users have (a beta matrix and a sample sheet, or a GEO series matrix) into a cohort.

Two entry points, each returning a :class:`~training.cohort.Cohort` and an
:class:`ImportReport` saying what was read and what was dropped:

* :func:`load_matrix_cohort` - a beta matrix (CSV/TSV/Parquet, either
  orientation, detection p-value columns allowed; see
  :mod:`training.loaders.beta_matrix`) and a sample sheet naming the labels;
* :func:`load_series_matrix_cohort` - a GEO series matrix, whose table holds
  the betas and whose characteristics hold the labels, optionally with the
  betas taken from a separate matrix file.

Samples are matched by id between matrix and sheet; samples on one side only
are dropped and counted in the report, and no match at all is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.errors import CohortFormatError
from training.cohort import OPTIONAL_SAMPLE_COLUMNS, Cohort
from training.loaders.beta_matrix import (
    DEFAULT_DETECTION_PVALUE_THRESHOLD,
    BetaMatrix,
    Orientation,
    read_beta_matrix,
)
from training.loaders.file_io import delimiter_of, is_parquet, require_file
from training.loaders.geo import read_series_matrix

__all__ = [
    "ImportReport",
    "load_matrix_cohort",
    "load_series_matrix_cohort",
    "read_sample_sheet",
]

_EXAMPLES = 3


@dataclass(frozen=True)
class ImportReport:
    """What an import read, changed and dropped.

    Attributes
    ----------
    n_samples, n_cpgs, n_classes : int
        Size of the resulting cohort.
    orientation : Orientation
        Layout of the beta matrix file.
    sample_column : str
        Sheet column whose values matched the matrix's sample names.
    pvalue_columns : int
        Detection p-value columns found in the matrix and dropped.
    masked_cells : int
        Betas set to NaN because their detection p-value exceeded
        ``detection_pvalue_threshold``.
    detection_pvalue_threshold : float or None
    replicates_collapsed : int
        EPICv2 replicate probe columns averaged into their CpG.
    only_in_matrix, only_in_sheet : int
        Samples dropped because the other side lacks them.
    only_in_matrix_examples, only_in_sheet_examples : tuple of str
        A few of those ids.
    """

    n_samples: int
    n_cpgs: int
    n_classes: int
    orientation: Orientation
    sample_column: str
    pvalue_columns: int
    masked_cells: int
    detection_pvalue_threshold: float | None
    replicates_collapsed: int
    only_in_matrix: int
    only_in_sheet: int
    only_in_matrix_examples: tuple[str, ...] = ()
    only_in_sheet_examples: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """Things the user should know were dropped, one sentence each."""
        if not (self.only_in_matrix or self.only_in_sheet):
            return []
        return [
            f"sample ids differ between matrix and sample sheet: {self.only_in_matrix} only in "
            f"the matrix (e.g. {list(self.only_in_matrix_examples)}), {self.only_in_sheet} only "
            f"in the sheet (e.g. {list(self.only_in_sheet_examples)}); "
            f"kept the {self.n_samples} in both"
        ]

    def summary(self) -> list[str]:
        """Human-readable lines describing the import."""
        masking = (
            f", {self.masked_cells} betas masked (p > {self.detection_pvalue_threshold:g})"
            if self.detection_pvalue_threshold is not None
            else ", no masking"
        )
        return [
            f"{self.n_samples} samples x {self.n_cpgs} CpGs, {self.n_classes} classes",
            f"matrix layout: {self.orientation}; samples matched on sheet column "
            f"{self.sample_column!r}",
            f"detection p-value columns: {self.pvalue_columns}"
            + (masking if self.pvalue_columns else ""),
            f"EPICv2 replicate probes averaged away: {self.replicates_collapsed}",
        ]


def load_matrix_cohort(
    betas: str | Path,
    samples: str | Path,
    *,
    label_column: str,
    sample_column: str | None = None,
    detection_pvalue_threshold: float | None = DEFAULT_DETECTION_PVALUE_THRESHOLD,
) -> tuple[Cohort, ImportReport]:
    """Build a cohort from a beta matrix and a sample sheet.

    Parameters
    ----------
    betas : str or Path
        Beta matrix; see :func:`training.loaders.beta_matrix.read_beta_matrix`.
    samples : str or Path
        Sample sheet, CSV or TSV (optionally gzipped), one row per sample.
    label_column : str
        Sheet column holding the class labels; it becomes ``label``.
    sample_column : str, optional
        Sheet column holding the matrix's sample names. By default the
        column sharing the most values with the matrix's sample names.
    detection_pvalue_threshold : float or None, default=0.01
        Betas with a detection p-value above this become NaN.

    Returns
    -------
    cohort : Cohort
        Samples in matrix order; sheet columns other than the id are kept.
    report : ImportReport

    Raises
    ------
    CohortFormatError
        If a file is missing or malformed, a named column is absent, ids
        repeat, no sample id matches, or a matched sample has no label.
    """
    sheet_path = require_file(samples, field="samples")
    sheet = read_sample_sheet(sheet_path)
    _require_column(sheet, label_column, sheet_path.name, "label_column")
    if sample_column is not None:
        _require_column(sheet, sample_column, sheet_path.name, "sample_column")
    matrix = read_beta_matrix(betas, detection_pvalue_threshold=detection_pvalue_threshold)
    return _assemble(
        matrix, sheet, label_column, sample_column, sheet_path.name, detection_pvalue_threshold
    )


def load_series_matrix_cohort(
    series_matrix: str | Path,
    *,
    label_field: str,
    betas: str | Path | None = None,
    detection_pvalue_threshold: float | None = DEFAULT_DETECTION_PVALUE_THRESHOLD,
) -> tuple[Cohort, ImportReport]:
    """Build a cohort from a GEO series matrix.

    Parameters
    ----------
    series_matrix : str or Path
        ``*_series_matrix.txt[.gz]``.
    label_field : str
        Characteristics key holding the class labels (``"key: value"``
        cells), matched case-insensitively, e.g. ``"methylation class"``.
    betas : str or Path, optional
        A separate beta matrix; its sample names are matched against the
        series' accessions, titles or descriptions. By default the betas are
        the series matrix's own table.
    detection_pvalue_threshold : float or None, default=0.01
        Betas with a detection p-value above this become NaN.

    Returns
    -------
    cohort : Cohort
    report : ImportReport

    Raises
    ------
    CohortFormatError
        If the label field is unknown (the fields present are listed), the
        series matrix has no table and no ``betas`` is given, or as
        :func:`load_matrix_cohort`.
    """
    # Checking the label field on the header alone fails fast, before a
    # table of several gigabytes is read.
    header = read_series_matrix(series_matrix, read_table=False)
    label_column = header.label_column(label_field)
    if betas is not None:
        matrix = read_beta_matrix(betas, detection_pvalue_threshold=detection_pvalue_threshold)
    else:
        series = read_series_matrix(
            series_matrix, detection_pvalue_threshold=detection_pvalue_threshold
        )
        if series.matrix is None:
            raise CohortFormatError(
                f"{Path(series_matrix).name} has no beta table; pass the series' processed "
                "beta matrix (a supplementary file on GEO) as betas (--betas)",
                field="betas",
            )
        matrix = series.matrix
    return _assemble(
        matrix,
        header.samples,
        label_column,
        None,
        Path(series_matrix).name,
        detection_pvalue_threshold,
    )


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """Read a CSV or TSV sample sheet with every cell as text.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``, ``.txt`` (optionally ``.gz``).

    Returns
    -------
    pandas.DataFrame
        Cells as stripped strings, empty cells as missing.

    Raises
    ------
    CohortFormatError
        If the file is missing, of another format or cannot be parsed.
    """
    p = require_file(path, field="samples")
    if p.suffix.lower() in (".xlsx", ".xls") or is_parquet(p):
        kind = "Parquet" if is_parquet(p) else "a spreadsheet"
        raise CohortFormatError(
            f"sample sheet {p.name!r} is {kind}; save it as CSV or TSV", field="samples"
        )
    try:
        sheet = pd.read_csv(
            p, sep=delimiter_of(p, field="samples"), dtype=object, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CohortFormatError(
            f"sample sheet {p.name!r} cannot be parsed: {exc}", field="samples"
        ) from None
    sheet.columns = [str(c).strip() for c in sheet.columns]
    return sheet.apply(lambda col: col.str.strip() if col.notna().any() else col).replace("", None)


def _assemble(
    matrix: BetaMatrix,
    sheet: pd.DataFrame,
    label_column: str,
    sample_column: str | None,
    sheet_name: str,
    threshold: float | None,
) -> tuple[Cohort, ImportReport]:
    """Match sheet rows to matrix samples and build the cohort."""
    matrix_ids = matrix.betas.index
    id_column = sample_column or _detect_sample_column(sheet, matrix_ids, sheet_name)
    ids = sheet[id_column]
    listed = sheet[ids.notna()]
    repeated = ids[ids.duplicated() & ids.notna()].unique()
    if len(repeated):
        raise CohortFormatError(
            f"{sheet_name}: {len(repeated)} sample id(s) repeat in column {id_column!r}, "
            f"e.g. {list(repeated[:_EXAMPLES])}",
            field="sample_id",
        )
    sheet_ids = pd.Index(listed[id_column], dtype=object)
    kept = matrix_ids[matrix_ids.isin(sheet_ids)]
    only_matrix = matrix_ids.difference(sheet_ids, sort=False)
    only_sheet = sheet_ids.difference(matrix_ids, sort=False)
    if kept.empty:
        raise CohortFormatError(
            f"no sample id of the matrix is in column {id_column!r} of {sheet_name}: "
            f"{len(only_matrix)} only in the matrix (e.g. {list(only_matrix[:_EXAMPLES])}), "
            f"{len(only_sheet)} only in the sheet (e.g. {list(only_sheet[:_EXAMPLES])})",
            field="sample_id",
        )
    samples = listed.set_index(id_column).loc[kept]
    samples.index.name = "sample_id"
    unlabelled = samples.index[samples[label_column].isna()]
    if len(unlabelled):
        raise CohortFormatError(
            f"{len(unlabelled)} sample(s) have no value in label column {label_column!r}, "
            f"e.g. {list(unlabelled[:_EXAMPLES])}",
            field="label_column",
        )
    samples = _standard_columns(samples, label_column)
    # Every sample kept (the usual case): the matrix as it is, not a copy.
    betas = matrix.betas if len(kept) == len(matrix_ids) else matrix.betas.loc[kept]
    cohort = Cohort(betas=betas, samples=samples)
    report = ImportReport(
        n_samples=len(cohort),
        n_cpgs=cohort.betas.shape[1],
        n_classes=int(samples["label"].nunique()),
        orientation=matrix.orientation,
        sample_column=id_column,
        pvalue_columns=matrix.pvalue_columns,
        masked_cells=matrix.masked_cells,
        detection_pvalue_threshold=threshold,
        replicates_collapsed=matrix.replicates_collapsed,
        only_in_matrix=len(only_matrix),
        only_in_sheet=len(only_sheet),
        only_in_matrix_examples=tuple(str(i) for i in only_matrix[:_EXAMPLES]),
        only_in_sheet_examples=tuple(str(i) for i in only_sheet[:_EXAMPLES]),
    )
    return cohort, report


def _detect_sample_column(sheet: pd.DataFrame, matrix_ids: pd.Index, sheet_name: str) -> str:
    """The sheet column sharing most values with the matrix's sample names."""
    overlap = {c: int(sheet[c].isin(matrix_ids).sum()) for c in sheet.columns}
    best = max(overlap, key=lambda c: overlap[c], default=None)
    if best is None or overlap[best] == 0:
        raise CohortFormatError(
            f"no sample id of the matrix ({len(matrix_ids)} samples, e.g. "
            f"{list(matrix_ids[:_EXAMPLES])}) appears in any column of {sheet_name} "
            f"(columns {list(sheet.columns)}); name the id column with sample_column "
            "(--sample-column)",
            field="sample_id",
        )
    return best


def _standard_columns(samples: pd.DataFrame, label_column: str) -> pd.DataFrame:
    """Rename the label column to ``label`` and obvious spellings to the cohort's names."""
    # The user's label column wins over one that happens to be called "label";
    # a sheet column "sample_id" would collide with the index on writing.
    out = samples.drop(columns=["label"] if label_column != "label" else [], errors="ignore")
    out = out.rename(columns={label_column: "label", "sample_id": "sheet_sample_id"})
    renames = {}
    for column in out.columns:
        standard = str(column).strip().lower().replace(" ", "_")
        if standard in OPTIONAL_SAMPLE_COLUMNS and standard not in out.columns:
            renames[column] = standard
    out = out.rename(columns=renames)
    out["label"] = out["label"].astype(str)
    return out


def _require_column(sheet: pd.DataFrame, column: str, sheet_name: str, field: str) -> None:
    if column not in sheet.columns:
        raise CohortFormatError(
            f"{sheet_name} has no column {column!r}; columns are {list(sheet.columns)}",
            field=field,
        )
