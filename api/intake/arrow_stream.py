"""Reading an Arrow IPC stream from a request body without trusting it.

pyarrow reads a stream as its writer meant it: a body with corrupted list
offsets, or a string column that is not UTF-8, is read without complaint,
and the first compute function or ``to_pylist()`` that touches it may crash
the process (SIGSEGV, SIGABRT) instead of raising. So the stream is read one
message at a time, and nothing of a record batch is used before it has
passed every check:

1. the schema comes first, and the caller checks its columns and types
   before any data is read (``check_schema``);
2. a record batch's declared row count is checked against the rows still
   allowed, and, when its buffers are compressed, the sizes they declare
   once decoded against :data:`MAX_DECODED_BYTES` (a 64 KB zstd buffer can
   declare gigabytes of zeros) — both read from the message's own metadata,
   before pyarrow decodes anything;
3. the decoded batch is validated in full (``validate(full=True)``: buffer
   sizes, offsets, UTF-8, child lengths);
4. dictionary batches are refused: no column of this body is dictionary
   encoded, and the schema check refuses dictionary types.

Every failure is an :class:`ArrowStreamError` (a ``ValueError``) saying what
is wrong; the caller turns it into a 400.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pyarrow as pa

__all__ = ["MAX_DECODED_BYTES", "ArrowStreamError", "TooManyRows", "read_stream"]

#: Most bytes the compressed buffers of one body may decode to (a 1,000-profile
#: batch of the model's 10,000 CpGs in float32 is 40 MB; one EPIC profile 3.5 MB).
MAX_DECODED_BYTES = 256 * 1024 * 1024

# Message.fbs: the header union's record batch and dictionary batch types, and
# the fields (vtable slots) read here.
_RECORD_BATCH, _DICTIONARY_BATCH = 3, 2
_MESSAGE_HEADER_TYPE, _MESSAGE_HEADER = 1, 2
_BATCH_LENGTH, _BATCH_BUFFERS, _BATCH_COMPRESSION = 0, 2, 3
_BUFFER_STRUCT = struct.Struct("<qq")  # offset, length
_INT64 = struct.Struct("<q")


class ArrowStreamError(ValueError):
    """The body is not an Arrow IPC stream this service can read safely; says why."""


class TooManyRows(Exception):
    """The stream declares more rows than allowed (the caller words the 413)."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


def read_stream(
    body: bytes, *, check_schema: Callable[[pa.Schema], None], max_rows: int
) -> tuple[pa.Schema, list[pa.RecordBatch]]:
    """Read and validate every record batch of an IPC stream.

    Parameters
    ----------
    body : bytes
    check_schema : callable
        Called with the stream's schema before any batch is read; raises to
        refuse it (its exception propagates unchanged).
    max_rows : int
        Most rows the whole stream may hold.

    Returns
    -------
    schema : pyarrow.Schema
    batches : list of pyarrow.RecordBatch
        Fully validated.

    Raises
    ------
    ArrowStreamError
        For anything unreadable, inconsistent or too large to decode.
    TooManyRows
        When the batches declare more than ``max_rows`` rows (``rows`` says how many).
    """
    try:
        reader = pa.ipc.MessageReader.open_stream(pa.py_buffer(body))
        first = reader.read_next_message()
        schema = pa.ipc.read_schema(first)
    except StopIteration:
        raise ArrowStreamError("the stream holds no schema") from None
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ArrowStreamError(str(exc)) from None
    try:
        check_schema(schema)
    except UnicodeDecodeError:
        # pyarrow decodes a name (of a column or a nested field) when it is read.
        raise ArrowStreamError("a column or field name in the schema is not UTF-8") from None
    batches: list[pa.RecordBatch] = []
    rows = decoded = 0
    while True:
        try:
            message = reader.read_next_message()
        except StopIteration:
            break
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ArrowStreamError(str(exc)) from None
        header = _header(message)
        rows += header.rows
        if rows > max_rows:
            raise TooManyRows(rows)
        decoded += header.decoded_bytes
        if decoded > MAX_DECODED_BYTES:
            raise ArrowStreamError(
                f"its compressed buffers declare more than {MAX_DECODED_BYTES:,} bytes once "
                "decoded; send fewer profiles per request"
            )
        try:
            batch = pa.ipc.read_record_batch(message, schema)
            batch.validate(full=True)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ArrowStreamError(str(exc)) from None
        batches.append(batch)
    return schema, batches


class _Header:
    """What a record batch message declares: its rows and the bytes its buffers decode to."""

    def __init__(self, rows: int, decoded_bytes: int) -> None:
        self.rows = rows
        self.decoded_bytes = decoded_bytes


def _header(message: pa.ipc.Message) -> _Header:
    """Read a record batch message's metadata (a flatbuffer) by hand, every read bounded."""
    meta = message.metadata.to_pybytes() if message.metadata is not None else b""
    body = message.body
    try:
        root = _table(meta, _u32(meta, 0))
        kind = _scalar(meta, root, _MESSAGE_HEADER_TYPE, "<B", 0)
        if kind == _DICTIONARY_BATCH:
            raise ArrowStreamError(
                "dictionary batches are not accepted; send string columns without "
                "dictionary encoding"
            )
        if kind != _RECORD_BATCH:
            raise ArrowStreamError(f"expected a record batch message, got a {message.type}")
        batch = _table(meta, _offset_field(meta, root, _MESSAGE_HEADER))
        rows = _scalar(meta, batch, _BATCH_LENGTH, "<q", 0)
        if rows < 0:
            raise ArrowStreamError("a record batch declares a negative length")
        if _field_position(meta, batch, _BATCH_COMPRESSION) is None:
            return _Header(rows, 0)
        return _Header(rows, _decoded_size(meta, batch, body))
    except (struct.error, IndexError):
        raise ArrowStreamError("a record batch message's metadata is truncated") from None


def _decoded_size(meta: bytes, batch: int, body: pa.Buffer | None) -> int:
    """Sum of the sizes the compressed buffers of a batch declare once decoded."""
    vector = _offset_field(meta, batch, _BATCH_BUFFERS)
    count = _u32(meta, vector)
    data = memoryview(body) if body is not None else memoryview(b"")
    total = 0
    for i in range(count):
        offset, length = _BUFFER_STRUCT.unpack_from(meta, vector + 4 + 16 * i)
        if length < 8:
            continue  # an empty buffer carries no size prefix
        if offset < 0 or offset + 8 > len(data):
            raise ArrowStreamError("a buffer lies outside the record batch's body")
        (declared,) = _INT64.unpack_from(data, offset)
        # -1: the buffer was left uncompressed (its bytes follow the prefix).
        total += length - 8 if declared == -1 else declared
        if declared < -1:
            raise ArrowStreamError("a compressed buffer declares a negative size")
    return total


def _u32(buf: bytes, pos: int) -> int:
    if pos < 0:
        raise IndexError(pos)
    return struct.unpack_from("<I", buf, pos)[0]


def _table(buf: bytes, pos: int) -> int:
    # A table starts with the signed offset back to its vtable; checked on use.
    _field_position(buf, pos, 0)
    return pos


def _field_position(buf: bytes, table: int, slot: int) -> int | None:
    """Position of a table's field, or None when the field is absent."""
    (back,) = struct.unpack_from("<i", buf, table)
    vtable = table - back
    if vtable < 0:
        raise IndexError(vtable)
    (vtable_size,) = struct.unpack_from("<H", buf, vtable)
    entry = 4 + 2 * slot
    if entry + 2 > vtable_size:
        return None
    (field,) = struct.unpack_from("<H", buf, vtable + entry)
    return table + field if field else None


def _scalar(buf: bytes, table: int, slot: int, fmt: str, default: int) -> int:
    pos = _field_position(buf, table, slot)
    return default if pos is None else struct.unpack_from(fmt, buf, pos)[0]


def _offset_field(buf: bytes, table: int, slot: int) -> int:
    pos = _field_position(buf, table, slot)
    if pos is None:
        raise IndexError(slot)
    return pos + _u32(buf, pos)
