"""Beta matrices as users have them: either orientation, with or without detection p-values.

A matrix from GEO usually has CpGs as rows (first column the probe id, then
one column per sample), often with a detection p-value column after each
sample; a matrix written from a samples x CpGs data frame has CpGs as
columns. The orientation is read from the axis that holds probe ids. The
result is always samples x CpGs, float32, NaN where a probe was not measured
or its detection p-value failed, with EPICv2 replicate probes averaged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from classifier.errors import CohortFormatError, InvalidProbeIdError
from classifier.probes import PROBE_ID_PATTERN, collapse_replicates
from training.loaders.cell_values import CellProblems, arrow_floats, text_floats
from training.loaders.file_io import (
    TextLayout,
    is_parquet,
    iter_text_rows,
    read_parquet,
    read_text_table,
    require_file,
    sniff_text,
)

__all__ = [
    "DEFAULT_DETECTION_PVALUE_THRESHOLD",
    "PVALUE_COLUMN_PATTERN",
    "BetaMatrix",
    "Orientation",
    "beta_matrix_from_table",
    "read_beta_matrix",
]

#: Betas whose detection p-value exceeds this are masked (the usual minfi/SeSAMe cut).
DEFAULT_DETECTION_PVALUE_THRESHOLD = 0.01

#: A detection p-value column: "S1.Detection Pval", "Detection_Pval", "S1_detP", "pval", ...
#: Group ``sample`` is the sample name in front, if any.
PVALUE_COLUMN_PATTERN = re.compile(
    r"^(?P<sample>.*?)[\s._-]*"
    r"(?:detection[\s._-]*p[\s._-]*val(?:ue)?|det[\s._-]*p(?:[\s._-]*val(?:ue)?)?|p[\s._-]*val(?:ue)?)$",
    re.IGNORECASE,
)

# Orientation is judged on a prefix of each axis; the full axis is validated later.
_ORIENTATION_SAMPLE = 1000


class Orientation(StrEnum):
    """Which axis of the file holds the CpGs."""

    CPGS_AS_ROWS = "CpGs as rows"
    CPGS_AS_COLUMNS = "CpGs as columns"


@dataclass(frozen=True)
class BetaMatrix:
    """A validated beta matrix and what was done to it on reading.

    Attributes
    ----------
    betas : pandas.DataFrame
        Samples x CpGs, float32, index named ``sample_id``, columns are base
        probe ids (EPICv2 suffixes stripped, replicates averaged).
    orientation : Orientation
        How the file was laid out.
    pvalue_columns : int
        Detection p-value columns found (and dropped from the betas).
    masked_cells : int
        Betas set to NaN because their detection p-value exceeded the threshold.
    replicates_collapsed : int
        Probe columns merged into another by replicate averaging.
    """

    betas: pd.DataFrame
    orientation: Orientation
    pvalue_columns: int = 0
    masked_cells: int = 0
    replicates_collapsed: int = 0


def read_beta_matrix(
    path: str | Path,
    *,
    detection_pvalue_threshold: float | None = DEFAULT_DETECTION_PVALUE_THRESHOLD,
) -> BetaMatrix:
    """Read a beta matrix from CSV, TSV (optionally gzipped) or Parquet.

    Parameters
    ----------
    path : str or Path
        The matrix, in either orientation; see :func:`beta_matrix_from_table`.
    detection_pvalue_threshold : float or None, default=0.01
        Betas whose detection p-value is above this become NaN; None keeps
        them (the p-value columns are dropped either way).

    Returns
    -------
    BetaMatrix

    Raises
    ------
    CohortFormatError
        If the file is missing or unreadable, neither axis holds probe ids,
        a value is non-numeric or outside [0, 1], or an id repeats.
    """
    p = require_file(path, field="betas")
    if is_parquet(p):
        table = read_parquet(p, field="betas")
    else:
        layout = sniff_text(p, field="betas")
        if _probe_share(_beta_names(layout.header[1:])) >= 0.5:
            return _wide_text_matrix(p, layout, detection_pvalue_threshold)
        table = read_text_table(p, layout, field="betas")
    # Arrow's allocator keeps the buffers a reader freed (parsing, decompression:
    # about one more matrix at full width) unless asked to give them back; so
    # once the table is read, and again once it is no longer needed.
    pa.default_memory_pool().release_unused()
    matrix = beta_matrix_from_table(
        table, source=p.name, detection_pvalue_threshold=detection_pvalue_threshold
    )
    del table
    pa.default_memory_pool().release_unused()
    return matrix


def beta_matrix_from_table(
    table: pa.Table,
    *,
    source: str,
    detection_pvalue_threshold: float | None = DEFAULT_DETECTION_PVALUE_THRESHOLD,
) -> BetaMatrix:
    """Validate and orient a table whose first column holds ids.

    Parameters
    ----------
    table : pyarrow.Table
        First column probe ids (CpGs as rows; the other columns are samples
        and their detection p-value columns) or sample ids (CpGs as columns;
        the other columns are probes and their detection p-value columns).
        A p-value column belongs to the sample or probe it is named after
        (``"S1.Detection Pval"``, ``"cg00000029_detP"``), else to the column
        right before it.
    source : str
        File name for error messages.
    detection_pvalue_threshold : float or None, default=0.01
        See :func:`read_beta_matrix`.

    Returns
    -------
    BetaMatrix

    Raises
    ------
    CohortFormatError
        See :func:`read_beta_matrix`.
    """
    if table.num_columns < 2 or table.num_rows == 0:
        raise CohortFormatError(
            f"{source} holds no beta values ({table.num_rows} rows, {table.num_columns} columns)",
            field="betas",
        )
    first = _strings(table.column(0))
    header = [str(c).strip() for c in table.column_names[1:]]
    orientation = _orientation(first, header, source)
    problems = CellProblems(source)
    if orientation is Orientation.CPGS_AS_ROWS:
        sample_cols, pvalue_of = _pvalue_layout(header, source)
        probe_ids, sample_ids = first, [header[i] for i in sample_cols]
        values, masked = _read_columns(
            table, [i + 1 for i in sample_cols], first, problems,
            {j: pvalue_of[i] + 1 for j, i in enumerate(sample_cols) if i in pvalue_of},
            detection_pvalue_threshold, order="C",
        )  # fmt: skip
        values = values.T  # samples x CpGs with each CpG contiguous, as the cohort is written
    else:
        probe_cols, pvalue_of = _pvalue_layout(header, source, owner="probe")
        probe_ids, sample_ids = [header[i] for i in probe_cols], first
        values, masked = _read_columns(
            table, [i + 1 for i in probe_cols], first, problems,
            {j: pvalue_of[i] + 1 for j, i in enumerate(probe_cols) if i in pvalue_of},
            detection_pvalue_threshold,
        )  # fmt: skip
    problems.raise_if_any()
    return _finish(
        values, sample_ids, probe_ids, source,
        orientation=orientation, pvalue_columns=len(pvalue_of), masked_cells=masked,
    )  # fmt: skip


def _wide_text_matrix(path: Path, layout: TextLayout, threshold: float | None) -> BetaMatrix:
    """A text matrix with CpGs as columns, parsed row by row.

    pyarrow spends ~0.1 ms per column and file, which is minutes for EPIC
    width; one sample row of ~900,000 numbers parses in ~50 ms here.
    Detection p-value columns pair with probes as in :func:`_pvalue_layout`.
    """
    header = [name.strip() for name in layout.header[1:]]
    probe_cols, pvalue_of = _pvalue_layout(header, path.name, owner="probe")
    probe_ids = [header[i] for i in probe_cols]
    probe_at = np.array(probe_cols, dtype=np.intp)
    # Positions among the probes, and among the fields, of each probe's p-value.
    paired_at = np.array([j for j, i in enumerate(probe_cols) if i in pvalue_of], dtype=np.intp)
    pvalue_at = np.array([pvalue_of[probe_cols[j]] for j in paired_at], dtype=np.intp)
    problems = CellProblems(path.name)
    sample_ids: list[str] = []
    rows: list[np.ndarray] = []
    masked = 0
    for sample, fields in iter_text_rows(path, layout, field="betas"):
        cells = text_floats(fields, problems, sample, header)
        values = cells[probe_at] if pvalue_of else cells
        problems.note_range(values, sample, probe_ids)
        if threshold is not None and len(pvalue_at):
            failed = (cells[pvalue_at] > threshold) & ~np.isnan(values[paired_at])
            masked += int(failed.sum())
            values[paired_at[failed]] = np.nan
        sample_ids.append(sample)
        rows.append(values.astype(np.float32))
    if not rows:
        raise CohortFormatError(f"{path.name} holds no beta values (no data rows)", field="betas")
    _orientation(sample_ids, probe_ids, path.name)
    problems.raise_if_any()
    return _finish(
        np.vstack(rows), sample_ids, probe_ids, path.name,
        orientation=Orientation.CPGS_AS_COLUMNS, pvalue_columns=len(pvalue_of),
        masked_cells=masked,
    )  # fmt: skip


def _finish(
    values: np.ndarray,
    sample_ids: list[str],
    probe_ids: list[str],
    source: str,
    *,
    orientation: Orientation,
    pvalue_columns: int = 0,
    masked_cells: int = 0,
) -> BetaMatrix:
    """Check ids, average EPICv2 replicates and wrap samples x probes ``values``."""
    _require_unique(sample_ids, "sample id", source)
    _require_unique(probe_ids, "probe id", source)
    try:
        if any("_" in probe for probe in probe_ids):
            base_ids, values = collapse_replicates(probe_ids, values)
        else:  # no suffixed (EPICv2) id, hence no replicate: no copy of a full-width matrix
            base_ids = np.asarray(probe_ids, dtype=object)
            collapse_replicates(probe_ids, values[:1])  # every id's checks, on one row
    except InvalidProbeIdError as exc:
        raise CohortFormatError(f"{source}: {exc.message}", field="probe_ids") from None
    # copy=False: pandas 3 copies an array by default, a second full-width matrix.
    betas = pd.DataFrame(
        np.asarray(values, dtype=np.float32),
        index=pd.Index(sample_ids, name="sample_id", dtype=object),
        columns=pd.Index(base_ids, dtype=object),
        copy=False,
    )
    return BetaMatrix(
        betas=betas,
        orientation=orientation,
        pvalue_columns=pvalue_columns,
        masked_cells=masked_cells,
        replicates_collapsed=len(probe_ids) - len(base_ids),
    )


def _read_columns(
    table: pa.Table,
    columns: list[int],
    row_ids: list[str],
    problems: CellProblems,
    pvalue_of: dict[int, int],
    threshold: float | None,
    order: Literal["C", "F"] = "F",
) -> tuple[np.ndarray, int]:
    """Columns of ``table`` as a float32 (rows x columns) array, masked by p-values.

    Fortran order keeps every column write contiguous; C order (for CpGs as
    rows) makes the transpose CpG-contiguous, the layout the cohort is
    written from without a copy.
    """
    out = np.empty((table.num_rows, len(columns)), dtype=np.float32, order=order)
    names = table.column_names
    masked = 0
    for j, c in enumerate(columns):
        values = arrow_floats(table.column(c), problems, row_ids, names[c])
        problems.note_range(values, row_ids, names[c])
        if j in pvalue_of:
            name = names[pvalue_of[j]]
            pvalues = arrow_floats(table.column(pvalue_of[j]), problems, row_ids, name)
            if threshold is not None:
                failed = (pvalues > threshold) & ~np.isnan(values)
                masked += int(failed.sum())
                values[failed] = np.nan
        out[:, j] = values
    return out, masked


def _strings(column: pa.ChunkedArray) -> list[str]:
    return ["" if v is None else str(v).strip() for v in column.to_pylist()]


def _probe_share(names: Sequence[str]) -> float:
    head = names[:_ORIENTATION_SAMPLE]
    return sum(PROBE_ID_PATTERN.match(n) is not None for n in head) / max(len(head), 1)


def _beta_names(names: Sequence[str]) -> list[str]:
    """The names that are not detection p-value columns (those pair with a probe or sample)."""
    return [n for n in names if PVALUE_COLUMN_PATTERN.match(n.strip()) is None]


def _orientation(first_column: list[str], header: list[str], source: str) -> Orientation:
    rows = _probe_share(first_column) >= 0.5
    columns = _probe_share(_beta_names(header)) >= 0.5
    if rows and not columns:
        return Orientation.CPGS_AS_ROWS
    if columns and not rows:
        return Orientation.CPGS_AS_COLUMNS
    if rows and columns:
        raise CohortFormatError(
            f"{source}: both the first column and the header hold probe ids; "
            "cannot tell samples from CpGs",
            field="betas",
        )
    raise CohortFormatError(
        f"{source}: found no Infinium probe ids (e.g. 'cg00000029') on either axis: "
        f"the first column starts {first_column[:3]}, the header {header[:3]}; "
        "expected CpGs as rows (first column probe ids) or as columns (header probe ids)",
        field="betas",
    )


def _pvalue_layout(
    header: list[str], source: str, owner: str = "sample"
) -> tuple[list[int], dict[int, int]]:
    """Split a header into beta columns and their detection p-value columns.

    The beta columns are samples (CpGs as rows) or probes (CpGs as
    columns), as ``owner`` says. Returns the positions of the beta columns
    and, per beta position, the position of its p-value column. A p-value
    column belongs to the column it names ("S1.Detection Pval",
    "cg00000029.Detection Pval") or else to the beta column right before it
    ("S1", "Detection Pval"), the two layouts GEO submitters use.
    """
    is_pvalue = [PVALUE_COLUMN_PATTERN.match(name) for name in header]
    betas = [i for i, m in enumerate(is_pvalue) if m is None]
    by_name = {header[i]: i for i in betas}
    pvalue_of: dict[int, int] = {}
    for i, match in enumerate(is_pvalue):
        if match is None:
            continue
        paired = by_name.get(match.group("sample").strip())
        if paired is None and i > 0 and is_pvalue[i - 1] is None:
            paired = i - 1
        if paired is None or paired in pvalue_of:
            raise CohortFormatError(
                f"{source}: cannot tell which {owner} the detection p-value column "
                f"{header[i]!r} belongs to; name it after its {owner} "
                f"('<{owner}>.Detection Pval') or place it right after the {owner}'s column",
                field="betas",
            )
        pvalue_of[paired] = i
    if not betas:
        raise CohortFormatError(
            f"{source}: has detection p-value columns but no beta columns", field="betas"
        )
    return betas, pvalue_of


def _require_unique(ids: list[str], what: str, source: str) -> None:
    index = pd.Index(ids, dtype=object)
    if (index == "").any():
        raise CohortFormatError(
            f"{source}: {int((index == '').sum())} empty {what}(s)", field=what.replace(" ", "_")
        )
    repeated = index[index.duplicated()].unique()
    if len(repeated):
        raise CohortFormatError(
            f"{source}: {len(repeated)} duplicate {what}(s), e.g. {list(repeated[:3])}",
            field=what.replace(" ", "_"),
        )
