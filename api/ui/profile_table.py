"""Reading a profile table uploaded on the submit page (CSV or TSV), without holding the GIL.

A table has a header line and one probe per line: a probe id column
(``probe_id``, ``ID_REF``, ``IlmnID``, ... or the first column) and one beta
value column (``beta``, ``value``, ... or the only other column), separated
by tabs, commas or semicolons. Empty cells and ``NA``/``NaN``/``null`` mean
"not measured"; an infinite value (``inf``, ``1e309``) is refused, as the API
refuses it. Blank lines, lines starting with ``#`` and the rest of a line
from a ``#`` on are skipped. Errors name the line as an editor numbers it
(every physical line counts, skipped ones too).

A whole EPIC table is 16 MB. It is read by pyarrow's CSV reader and checked
with Arrow compute functions, which release the GIL: the service's event
loop, in another thread, keeps answering other clients meanwhile (pandas'
reader held the GIL for most of a second).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

__all__ = ["ProfileTable", "TableError", "read_profile_table"]

_ID_COLUMNS = ("probe_id", "probe_ids", "id_ref", "ilmnid", "targetid", "probe", "cpg", "id")
_VALUE_COLUMNS = ("beta", "betas", "beta_value", "value", "values", "avg_beta")
_SEPARATORS = (b"\t", b",", b";")
_NOT_MEASURED = pa.array(["", "na", "nan", "null"])
_INFINITE = pa.array(["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"])
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_BLANKS = b" \t\f\v"


class TableError(ValueError):
    """The table cannot be read; the message says why, naming the line."""


@dataclass(frozen=True)
class ProfileTable:
    """The probes of a table, in the file's order.

    Attributes
    ----------
    ids : pyarrow.StringArray
        Probe ids, stripped.
    values : numpy.ndarray of float64
        Beta values, NaN where not measured.
    lines : numpy.ndarray of int
        The file's 1-based line of each probe.
    """

    ids: pa.StringArray
    values: np.ndarray
    lines: np.ndarray


def read_profile_table(content: bytes) -> ProfileTable:
    """Read an uploaded table.

    Raises
    ------
    TableError
        For a file that is not such a table, naming the line at fault.
    """
    try:
        # Checked whole, in Arrow (without the GIL), before anything reads the text.
        pc.cast(pa.array([content], pa.large_binary()), pa.large_string())
    except pa.ArrowInvalid:
        raise _not_utf8(content) from None
    text, lines = _data_lines(content)
    if lines.size == 0:
        raise TableError("the file holds only blank and comment lines")
    header = text[: text.find(b"\n")] if b"\n" in text else text
    separator = max(_SEPARATORS, key=header.count)
    if header.count(separator) == 0:
        raise TableError(
            "the file is neither JSON nor a table: expected a header line with a probe id "
            "column and a beta value column, separated by tabs, commas or semicolons"
        )
    names = next(csv.reader([header.decode("utf-8")], delimiter=separator.decode()))
    names = [name.strip() for name in names]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise TableError(f"the header names the column {twice[:40]!r} twice")
    id_column, value_column = _columns(names)
    table = _parse(text, names, separator.decode(), lines)
    rows = lines[1:]
    if table.num_rows != rows.size:
        # Two lines read as one row: every later line number would be wrong.
        raise TableError(
            "the table cannot be read: a quoted cell holds a line break (a probe id or "
            "beta value never does)"
        )
    ids = pc.utf8_trim_whitespace(table.column(id_column).combine_chunks())
    values = _beta_values(table.column(value_column).combine_chunks(), value_column, rows)
    empty = _mask(pc.equal(ids, ""))
    if empty.any():
        raise TableError(f"line {rows[int(np.argmax(empty))]}: the probe id is empty")
    return ProfileTable(ids, values, rows)


def _parse(text: bytes, names: list[str], separator: str, lines: np.ndarray) -> pa.Table:
    bad_row: list[tuple[int, int, int]] = []

    def invalid(row) -> str:
        bad_row.append((row.number, row.expected_columns, row.actual_columns))
        return "error"

    try:
        return pa_csv.read_csv(
            io.BytesIO(text),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=separator, invalid_row_handler=invalid),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        if bad_row:
            number, expected, actual = bad_row[0]
            line = lines[number - 1] if 0 < number <= lines.size else "?"
            raise TableError(
                f"the table cannot be read: Expected {expected} fields in line {line}, saw {actual}"
            ) from None
        raise TableError(f"the table cannot be read: {str(exc)[:200]}") from None


def _beta_values(raw: pa.StringArray, column: str, rows: np.ndarray) -> np.ndarray:
    """Parse the value column: numbers, "not measured" tokens; anything else names its line."""
    trimmed = pc.utf8_trim_whitespace(raw)
    lowered = pc.utf8_lower(trimmed)
    missing = _mask(pc.is_in(lowered, value_set=_NOT_MEASURED))
    infinite = _mask(pc.is_in(lowered, value_set=_INFINITE))
    number = _mask(pc.match_substring_regex(trimmed, _NUMBER))
    bad = ~(missing | infinite | number)
    if bad.any():
        first = int(np.argmax(bad))
        raise TableError(
            f"line {rows[first]}: the beta value {raw[first].as_py()[:20]!r} of column "
            f"'{column}' is not a number"
        )
    values = (
        pc.cast(pc.if_else(pa.array(number), trimmed, pa.scalar(None, pa.string())), pa.float64())
        .to_numpy(zero_copy_only=False)
        .astype(np.float64)
    )
    # orjson would write an infinity as null ("not measured"); the API refuses it.
    infinite |= np.isinf(values)
    if infinite.any():
        first = int(np.argmax(infinite))
        raise TableError(
            f"line {rows[first]}: the beta value {raw[first].as_py()[:20]!r} of column "
            f"'{column}' is not a finite number; leave the cell empty (or NA) for a probe "
            "that was not measured"
        )
    return values


def _data_lines(content: bytes) -> tuple[bytes, np.ndarray]:
    """The table's data lines, and the physical line number of each.

    Line breaks become ``\\n`` (``\\r\\n`` and a lone ``\\r`` count as one, as in
    an editor). A line's text from its first ``#`` on is a comment; a line
    left blank is skipped. Returns the lines kept, each ended by ``\\n``, and
    their 1-based numbers: the header's, then the rows'.
    """
    unix = content.removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    codes = np.frombuffer(unix, dtype=np.uint8)
    breaks = np.flatnonzero(codes == ord("\n"))
    starts = np.r_[0, breaks + 1]
    stops = np.r_[breaks, codes.size]
    if unix.endswith(b"\n"):  # the "line" after the last line break is none
        starts, stops = starts[:-1], stops[:-1]
    hashes = np.flatnonzero(codes == ord("#"))
    if hashes.size:
        line_of_hash = np.searchsorted(starts, hashes, side="right") - 1
        lines_with_hash, first = np.unique(line_of_hash, return_index=True)
        stops[lines_with_hash] = hashes[first]
    filled = stops > starts
    first_char = np.zeros(starts.size, dtype=np.uint8)
    first_char[filled] = codes[starts[filled]]
    kept = filled & ~np.isin(first_char, np.frombuffer(_BLANKS, dtype=np.uint8))
    # Vectorised above; only the few lines starting with a blank are looked at here.
    for index in np.flatnonzero(filled & ~kept):
        kept[index] = bool(unix[int(starts[index]) : int(stops[index])].strip())
    numbers = np.flatnonzero(kept) + 1
    if kept.all() and not hashes.size:
        return (unix if unix.endswith(b"\n") else unix + b"\n"), numbers
    if not kept.any():
        return b"", numbers
    starts, stops = starts[kept], stops[kept]
    lengths = stops - starts + 1  # each with its line break
    ends = np.cumsum(lengths)
    picked = np.arange(int(ends[-1])) - np.repeat(ends - lengths - starts, lengths)
    out = np.append(codes, np.uint8(ord("\n")))[np.minimum(picked, codes.size)]
    out[ends - 1] = ord("\n")
    return out.tobytes(), numbers


def _columns(columns: list[str]) -> tuple[str, str]:
    if len(columns) < 2:
        raise TableError("the table needs two columns: probe id and beta value")
    lowered = {c.lower(): c for c in columns}
    id_column = next((lowered[n] for n in _ID_COLUMNS if n in lowered), columns[0])
    rest = [c for c in columns if c != id_column]
    value_column = next((lowered[n] for n in _VALUE_COLUMNS if n in lowered), None)
    if value_column is None:
        if len(rest) != 1:
            raise TableError(
                f"the table has {len(rest)} value columns ({', '.join(map(str, rest[:5]))}); "
                "keep one, or name the beta value column 'beta'"
            )
        value_column = rest[0]
    return id_column, value_column


def _not_utf8(content: bytes) -> TableError:
    """The error for a table that is not UTF-8, naming the line an editor shows."""
    content = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        return TableError(
            f"the table is not UTF-8 text (line {line} of the file holds the byte "
            f"0x{content[exc.start]:02X}); save it as UTF-8 and upload it again"
        )
    return TableError("the table is not UTF-8 text; save it as UTF-8 and upload it again")


def _mask(matches: pa.Array) -> np.ndarray:
    return pc.fill_null(matches, False).to_numpy(zero_copy_only=False)
