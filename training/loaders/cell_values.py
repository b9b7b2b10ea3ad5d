"""Cells of a user's beta matrix to floats, with every bad cell counted and one located.

A matrix with a bad cell is usually bad in many (a column of M-values, a
spreadsheet's "n.d."), so cells are checked over the whole matrix and one
error reports how many there are and where the first one is, instead of
failing at the first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from classifier.errors import CohortFormatError

__all__ = ["MISSING_TOKENS", "CellProblems", "arrow_floats", "text_floats"]

#: Text that means "not measured" (pyarrow's and R's spellings), read as NaN.
MISSING_TOKENS = frozenset(
    {"", "na", "nan", "-nan", "null", "n/a", "#n/a", "none", "1.#ind", "-1.#ind", "1.#qnan"}
)

#: Row or column names of the cells being checked: one per cell, or one for all.
Names = Sequence[str] | str


class CellProblems:
    """Collects non-numeric and out-of-range cells of one matrix.

    Parameters
    ----------
    source : str
        File name, used in the error message.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.non_numeric = 0
        self.out_of_range = 0
        self._first_non_numeric = ""
        self._first_out_of_range = ""

    def note_non_numeric(self, bad: np.ndarray, raw: np.ndarray, rows: Names, cols: Names) -> None:
        """Record the cells flagged in ``bad``; ``raw`` holds their text."""
        if not bad.any():
            return
        if not self.non_numeric:
            i = int(np.flatnonzero(bad)[0])
            self._first_non_numeric = f"{raw[i]!r} at {_where(rows, cols, i)}"
        self.non_numeric += int(bad.sum())

    def note_range(self, values: np.ndarray, rows: Names, cols: Names) -> None:
        """Record the values outside [0, 1] (infinities included)."""
        bad = (values < 0) | (values > 1)
        if not bad.any():
            return
        if not self.out_of_range:
            i = int(np.flatnonzero(bad)[0])
            self._first_out_of_range = f"{values[i]:g} at {_where(rows, cols, i)}"
        self.out_of_range += int(bad.sum())

    def raise_if_any(self) -> None:
        """Raise one error describing everything recorded, if anything was.

        Raises
        ------
        CohortFormatError
        """
        parts = []
        if self.non_numeric:
            parts.append(f"{self.non_numeric} non-numeric value(s), e.g. {self._first_non_numeric}")
        if self.out_of_range:
            parts.append(
                f"{self.out_of_range} value(s) outside [0, 1], e.g. {self._first_out_of_range} "
                "(beta values are expected, not M-values or percentages)"
            )
        if parts:
            raise CohortFormatError(f"{self.source}: " + "; ".join(parts), field="betas")


def arrow_floats(
    column: pa.ChunkedArray, problems: CellProblems, rows: Names, cols: Names
) -> np.ndarray:
    """An Arrow column as a writable float64 array, NaN where missing or non-numeric.

    Non-numeric cells are recorded in ``problems``.
    """
    kind = column.type
    if pa.types.is_null(kind):
        return np.full(len(column), np.nan)
    if pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return np.array(column.cast(pa.float64()).to_numpy(zero_copy_only=False), np.float64)
    raw = np.asarray(column.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    return _parse_text(raw, problems, rows, cols)


def text_floats(fields: list[str], problems: CellProblems, rows: Names, cols: Names) -> np.ndarray:
    """Text cells as a float64 array, NaN where missing or non-numeric.

    Non-numeric cells are recorded in ``problems``.
    """
    try:
        # numpy parses a clean row of numbers several times faster than pandas.
        return np.array(fields, dtype=np.float64)
    except ValueError:
        return _parse_text(np.asarray(fields, dtype=object), problems, rows, cols)


def _parse_text(raw: np.ndarray, problems: CellProblems, rows: Names, cols: Names) -> np.ndarray:
    values = np.array(pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce"), np.float64)
    unparsed = np.isnan(values) & pd.notna(raw)
    if unparsed.any():
        candidates = np.flatnonzero(unparsed)
        missing = np.array([str(raw[i]).strip().lower() in MISSING_TOKENS for i in candidates])
        unparsed[candidates[missing]] = False
    problems.note_non_numeric(unparsed, raw, rows, cols)
    return values


def _where(rows: Names, cols: Names, i: int) -> str:
    row = rows if isinstance(rows, str) else rows[i]
    col = cols if isinstance(cols, str) else cols[i]
    return f"row {row!r}, column {col!r}"
