"""GEO series-matrix files (``GSExxxxx_series_matrix.txt[.gz]``).

A series matrix is tab-separated text: ``!Series_...`` lines, then one
``!Sample_<field>`` line per sample attribute with one quoted cell per sample
(``!Sample_geo_accession``, ``!Sample_title``, several
``!Sample_characteristics_ch1`` lines whose cells read ``"key: value"``),
then the data table between ``!series_matrix_table_begin`` and
``!series_matrix_table_end`` (``ID_REF`` and one column per GSM). For
methylation series the table holds the processed betas, but some series
leave it empty and ship the betas as a supplementary file instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from classifier.errors import CohortFormatError
from training.loaders.beta_matrix import (
    DEFAULT_DETECTION_PVALUE_THRESHOLD,
    BetaMatrix,
    beta_matrix_from_table,
)
from training.loaders.file_io import (
    LineLimitedStream,
    open_binary,
    read_delimited_stream,
    require_file,
    split_line,
)

__all__ = ["SERIES_SAMPLE_FIELDS", "SeriesMatrix", "read_series_matrix"]

#: ``!Sample_`` lines kept as sample-sheet columns besides the characteristics.
SERIES_SAMPLE_FIELDS = (
    "geo_accession",
    "title",
    "source_name_ch1",
    "description",
    "platform_id",
)

_TABLE_BEGIN = b"!series_matrix_table_begin"
_TABLE_END = b"!series_matrix_table_end"
_CHARACTERISTICS = re.compile(r"^characteristics_ch\d+$")


@dataclass(frozen=True)
class SeriesMatrix:
    """The sample annotations and (if present) the betas of a series matrix.

    Attributes
    ----------
    samples : pandas.DataFrame
        One row per sample, in file order: the :data:`SERIES_SAMPLE_FIELDS`
        present, then one column per characteristics key.
    characteristics : dict of str to str
        Characteristics key as written (e.g. ``"methylation class"``) ->
        its column in ``samples`` (e.g. ``"methylation_class"``).
    matrix : BetaMatrix or None
        The table's betas, or None if the table is empty or was not read.
    """

    samples: pd.DataFrame
    characteristics: dict[str, str]
    matrix: BetaMatrix | None

    def label_column(self, field: str) -> str:
        """The ``samples`` column of a characteristics key, matched case-insensitively.

        Raises
        ------
        CohortFormatError
            If no characteristics key is ``field``; the keys present are listed.
        """
        wanted = field.strip().casefold()
        for key, column in self.characteristics.items():
            if key.casefold() == wanted:
                return column
        raise CohortFormatError(
            f"the series matrix has no characteristics field {field!r}; "
            f"fields present: {sorted(self.characteristics)}",
            field="label_field",
        )


def read_series_matrix(
    path: str | Path,
    *,
    read_table: bool = True,
    detection_pvalue_threshold: float | None = DEFAULT_DETECTION_PVALUE_THRESHOLD,
) -> SeriesMatrix:
    """Read a GEO series matrix, plain or gzipped.

    Parameters
    ----------
    path : str or Path
        ``*_series_matrix.txt`` or ``*_series_matrix.txt.gz``.
    read_table : bool, default=True
        False stops after the sample annotations (when the betas come from
        another file), which spares reading a table of several gigabytes.
    detection_pvalue_threshold : float or None, default=0.01
        Applied if the table carries detection p-value columns.

    Returns
    -------
    SeriesMatrix

    Raises
    ------
    CohortFormatError
        If the file is missing, has no ``!Sample_geo_accession`` line, its
        sample lines disagree on the number of samples, or its table is
        malformed.
    """
    p = require_file(path, field="series_matrix")
    fields: dict[str, list[str]] = {}
    characteristics: dict[str, dict[int, str]] = {}
    matrix = None
    with open_binary(p) as fh:
        for line in fh:
            if line.startswith(_TABLE_BEGIN):
                if read_table:
                    matrix = _read_table(fh, p.name, detection_pvalue_threshold)
                break
            if not line.startswith(b"!Sample_"):
                continue
            cells = split_line(line, "\t")
            name = cells[0].removeprefix("!Sample_")
            if _CHARACTERISTICS.match(name):
                _add_characteristics(characteristics, cells[1:])
            elif name in SERIES_SAMPLE_FIELDS and name not in fields:
                fields[name] = [c.strip() for c in cells[1:]]
    samples, columns = _sample_table(fields, characteristics, p.name)
    return SeriesMatrix(samples=samples, characteristics=columns, matrix=matrix)


def _add_characteristics(found: dict[str, dict[int, str]], cells: list[str]) -> None:
    # Keys are per cell, not per line: GEO packs differing keys into one line
    # when samples were annotated with different sets of characteristics.
    for i, cell in enumerate(cells):
        key, sep, value = cell.partition(":")
        if sep and key.strip() and value.strip():
            found.setdefault(key.strip(), {})[i] = value.strip()


def _sample_table(
    fields: dict[str, list[str]], characteristics: dict[str, dict[int, str]], source: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    if "geo_accession" not in fields:
        raise CohortFormatError(
            f"{source} is not a GEO series matrix: it has no !Sample_geo_accession line",
            field="series_matrix",
        )
    n = len(fields["geo_accession"])
    uneven = {name: len(cells) for name, cells in fields.items() if len(cells) != n}
    if uneven:
        raise CohortFormatError(
            f"{source}: {n} samples in !Sample_geo_accession but {uneven} in other lines",
            field="series_matrix",
        )
    table = pd.DataFrame(
        {name: fields[name] for name in SERIES_SAMPLE_FIELDS if name in fields}, dtype=object
    )
    columns: dict[str, str] = {}
    for key, by_sample in characteristics.items():
        column = re.sub(r"\W+", "_", key.casefold()).strip("_") or "characteristic"
        while column in table.columns:
            column += "_ch1"
        table[column] = pd.Series([by_sample.get(i) for i in range(n)], dtype=object)
        columns[key] = column
    table = table.replace("", None)
    return table, columns


def _read_table(fh: BinaryIO, source: str, threshold: float | None) -> BetaMatrix | None:
    header_line = fh.readline()
    if not header_line or header_line.startswith(_TABLE_END):
        return None
    table = read_delimited_stream(
        LineLimitedStream(fh, _TABLE_END),
        split_line(header_line, "\t"),
        delimiter="\t",
        source=source,
        field="series_matrix",
    )
    if table.num_rows == 0:
        return None
    return beta_matrix_from_table(table, source=source, detection_pvalue_threshold=threshold)
