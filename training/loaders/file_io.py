"""Reading user tables: CSV, TSV (both optionally gzipped), Parquet, GEO table sections.

Beta matrices run to hundreds of thousands of CpGs by hundreds of samples.
Long text files (CpGs as rows) are parsed by pyarrow's multithreaded CSV
reader; very wide ones (CpGs as columns), where pyarrow's cost per column
dominates, line by line (:func:`iter_text_rows`). Every Arrow table comes
back with its identifier column (probe ids or sample ids, whatever the
file's first column holds) first and typed as strings, so that ids such as
``001`` keep their leading zeros.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from classifier.errors import CohortFormatError

__all__ = [
    "DELIMITERS",
    "PARQUET_SUFFIXES",
    "LineLimitedStream",
    "TextLayout",
    "delimiter_of",
    "is_parquet",
    "iter_text_rows",
    "open_binary",
    "read_delimited_stream",
    "read_parquet",
    "read_text_table",
    "require_file",
    "sniff_text",
    "split_line",
]

#: Delimiter by file suffix (after any ``.gz``); GEO ships ``.txt`` tab-separated.
DELIMITERS = {".csv": ",", ".tsv": "\t", ".txt": "\t", ".tab": "\t"}
PARQUET_SUFFIXES = (".parquet", ".pq")

# pyarrow needs a block to hold at least one whole row; a sample row of an
# EPIC matrix with CpGs as columns is ~10 MB, far above the 1 MiB default.
_MIN_BLOCK = 1 << 20
#: Block size of a whole-table parse. Blocks of 1 MB leave the full-width
#: matrix in a million small chunks, and the allocator cannot give back the
#: parse buffers freed between them: the read peaked at 4.4 GB for a 1.9 GB
#: matrix, 2.8 GB with 16-32 MB blocks, 4.1 GB with 256 MB ones.
_TABLE_BLOCK = 1 << 24


def require_file(path: str | Path, *, field: str) -> Path:
    """Return ``path`` as a Path, or raise if it is not an existing file.

    Raises
    ------
    CohortFormatError
        If nothing (or a directory) is at ``path``.
    """
    p = Path(path)
    if p.is_dir():
        raise CohortFormatError(
            f"{field} file {str(p)!r} is a directory; give the file inside it", field=field
        )
    if not p.is_file():
        raise CohortFormatError(f"{field} file {str(p)!r} does not exist", field=field)
    return p


def delimiter_of(path: Path, *, field: str, others: Sequence[str] = ()) -> str:
    """The delimiter a text table uses, judged by its suffix.

    Parameters
    ----------
    path : Path
    field : str
        What the file is, for the message (``"samples"``, ``"betas"``).
    others : sequence of str, optional
        Suffixes of non-text formats the caller also reads, named in the message.

    Raises
    ------
    CohortFormatError
        If the suffix is not one of :data:`DELIMITERS` (optionally + ``.gz``).
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in DELIMITERS:
        return DELIMITERS[suffixes[-1]]
    known = ", ".join([*DELIMITERS, *others])
    raise CohortFormatError(
        f"{field} file {path.name!r} has an unsupported format; expected one of {known} "
        "(text formats optionally gzipped, e.g. .tsv.gz)",
        field=field,
    )


def open_binary(path: Path) -> BinaryIO:
    """Open a file for binary reading, decompressing it if it ends in ``.gz``."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def split_line(line: bytes, delimiter: str) -> list[str]:
    """Split one line of delimited text into fields, honouring quotes."""
    text = line.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader([text], delimiter=delimiter), [])


@dataclass(frozen=True)
class TextLayout:
    """What the first lines of a delimited text file say about it.

    Attributes
    ----------
    delimiter : str
    header : list of str
        Column names; the first names the id column. A header one field
        shorter than the rows (as R's ``write.table`` writes it) is taken to
        omit the id column's name, which is then ``""``.
    longest_line : int
        Bytes in the longer of the first two lines, to size pyarrow's blocks.
    """

    delimiter: str
    header: list[str]
    longest_line: int


def is_parquet(path: Path) -> bool:
    """Whether ``path`` names a Parquet file."""
    return path.name.lower().endswith(PARQUET_SUFFIXES)


def sniff_text(path: Path, *, field: str) -> TextLayout:
    """Read the delimiter and header of a CSV/TSV file (optionally gzipped).

    Raises
    ------
    CohortFormatError
        If the suffix is not a known text format or the file is empty.
    """
    # Its callers read Parquet themselves: a wrong suffix may mean either.
    delimiter = delimiter_of(path, field=field, others=PARQUET_SUFFIXES)
    try:
        with open_binary(path) as fh:
            first, second = fh.readline(), fh.readline()
    except (OSError, EOFError) as exc:
        raise CohortFormatError(
            f"{field} file {path.name!r} cannot be read: {exc}", field=field
        ) from None
    header = split_line(first, delimiter)
    if not header:
        raise CohortFormatError(f"{field} file {path.name!r} is empty", field=field)
    if second.strip() and len(split_line(second, delimiter)) == len(header) + 1:
        header = ["", *header]
    return TextLayout(delimiter, header, max(len(first), len(second)))


def read_text_table(path: Path, layout: TextLayout, *, field: str) -> pa.Table:
    """Parse a CSV/TSV file with pyarrow, its first column as strings.

    Fast for long files (CpGs as rows); for very wide ones (CpGs as columns)
    pyarrow's per-column cost dominates and :func:`iter_text_rows` is faster.

    Raises
    ------
    CohortFormatError
        If a row cannot be parsed (e.g. has the wrong number of fields).
    """
    block = max(_TABLE_BLOCK, 4 * layout.longest_line)
    read_options = pacsv.ReadOptions(skip_rows=1, column_names=layout.header, block_size=block)
    parse_options = pacsv.ParseOptions(delimiter=layout.delimiter)
    try:
        # Numbers as float32 first: half the memory of pyarrow's float64 for a
        # full-width matrix. A file with other text in a number column is read
        # again with inferred types, so that the checks can name the cell.
        # Block by block (the streaming reader): read_csv's parallel parse
        # holds more blocks at once.
        return pacsv.open_csv(
            str(path),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=_string_first(layout.header, numbers=pa.float32()),
        ).read_all()
    except pa.ArrowInvalid:
        pass
    except OSError as exc:
        raise CohortFormatError(
            f"{field} file {path.name!r} cannot be parsed: {exc}", field=field
        ) from None
    try:
        return pacsv.read_csv(
            str(path),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=_string_first(layout.header),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise CohortFormatError(
            f"{field} file {path.name!r} cannot be parsed: {exc}", field=field
        ) from None


def iter_text_rows(
    path: Path, layout: TextLayout, *, field: str
) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(id, other fields)`` for each data line of a CSV/TSV file.

    Raises
    ------
    CohortFormatError
        If a line has a different number of fields than the header.
    """
    with open_binary(path) as fh:
        fh.readline()
        for number, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            fields = split_line(line, layout.delimiter)
            if len(fields) != len(layout.header):
                raise CohortFormatError(
                    f"{field} file {path.name!r}: line {number} has {len(fields)} fields, "
                    f"the header {len(layout.header)}",
                    field=field,
                )
            yield fields[0].strip(), fields[1:]


def read_delimited_stream(
    stream: BinaryIO | io.RawIOBase, header: list[str], *, delimiter: str, source: str, field: str
) -> pa.Table:
    """Parse the rest of an open stream whose header line has already been read.

    Parameters
    ----------
    stream : binary file-like
        Positioned after the header line; read to its end.
    header : list of str
        The column names.
    delimiter : str
    source : str
        File name for error messages.
    field : str
        Name of the input, used in error messages.

    Returns
    -------
    pyarrow.Table
    """
    try:
        return pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=header, block_size=_MIN_BLOCK * 16),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=_string_first(header),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise CohortFormatError(f"{source} cannot be parsed: {exc}", field=field) from None


def _string_first(header: list[str], numbers: pa.DataType | None = None) -> pacsv.ConvertOptions:
    options = pacsv.ConvertOptions(strings_can_be_null=True)
    types = {header[0]: pa.string()}
    if numbers is not None:
        types |= dict.fromkeys(header[1:], numbers)
    options.column_types = types
    return options


def read_parquet(path: Path, *, field: str) -> pa.Table:
    """Read a Parquet table with its id column (a stored pandas index, if any) first.

    Raises
    ------
    CohortFormatError
        If the file is not Parquet or holds no columns.
    """
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CohortFormatError(
            f"{field} file {path.name!r} cannot be read as Parquet: {exc}", field=field
        ) from None
    # pandas stores a named index as trailing columns; it is the id column.
    meta = table.schema.pandas_metadata or {}
    index_names = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    if index_names:
        names = table.column_names
        first = [names.index(c) for c in index_names[:1]]
        rest = [i for i, c in enumerate(names) if c not in index_names]
        table = table.select(first + rest)
    if table.num_columns == 0:
        raise CohortFormatError(f"{field} file {path.name!r} is empty", field=field)
    if not pa.types.is_string(table.schema.types[0]):
        table = table.set_column(0, table.column_names[0], table.column(0).cast(pa.string()))
    return table


class LineLimitedStream(io.RawIOBase):
    """A read-only view of a binary stream that ends at a marker line.

    GEO series matrices end their table with ``!series_matrix_table_end``;
    this lets pyarrow parse the table without the whole file in memory.
    """

    def __init__(self, lines: BinaryIO, end_marker: bytes) -> None:
        self._lines = lines
        self._end = end_marker
        self._buffer = bytearray()
        self._done = False

    def readable(self) -> bool:
        """Return True: the stream can be read."""
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        """Fill ``target`` with the next bytes before the marker line."""
        while len(self._buffer) < len(target) and not self._done:
            line = self._lines.readline()
            if not line or line.startswith(self._end):
                self._done = True
            else:
                self._buffer += line
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        del self._buffer[:n]
        return n
