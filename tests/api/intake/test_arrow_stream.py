"""Corrupted Arrow IPC streams are refused with a 400 naming what is wrong, never a crash.

Each body is read in a subprocess: before the streams were validated,
these bodies killed the process (SIGSEGV or SIGABRT in pyarrow), which
would take the test runner with it.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from api.intake.arrow_stream import MAX_DECODED_BYTES, ArrowStreamError, TooManyRows, read_stream

ROOT = Path(__file__).resolve().parents[3]
IDS = [f"cg{i:08d}" for i in range(1, 301)]

_READ = """
import json, sys
from api.frame.errors import InputError
from api.intake.arrow_body import parse_arrow_body
from api.served_model.alignment import AlignmentCache
body = open(sys.argv[1], "rb").read()
try:
    profiles = parse_arrow_body(body, 20, "0" * 64)
    # What alignment would do with the ids and values (to_pylist, a gather).
    out = [(p.sample_id, len(p.values), p.ids.to_pylist()[:1] if p.ids is not None else None)
           for p in profiles]
    print(json.dumps({"ok": str(out)}))
except InputError as exc:
    print(json.dumps({"status": exc.status_code, "type": exc.type, "msg": exc.msg}))
"""


def _stream(table: pa.Table, **options) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(**options)) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _table(sample_ids=("F-1", "F-2")) -> pa.Table:
    n = len(sample_ids)
    return pa.table({
        "sample_id": pa.array(list(sample_ids)),
        "probe_ids": pa.array([IDS] * n, pa.list_(pa.string())),
        "values": pa.array([np.full(300, 0.5, np.float32)] * n, pa.list_(pa.float32())),
    })  # fmt: skip


def _read_isolated(body: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "body.arrow"
    path.write_bytes(body)
    done = subprocess.run([sys.executable, "-c", _READ, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, f"died with {done.returncode}: {done.stderr[-1500:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _replace_once(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) >= 1, old
    return body.replace(old, new, 1)


def test_corrupted_list_offsets_of_values_are_refused(tmp_path):
    body = _stream(_table())
    # The values' list offsets [0, 300, 600]: the second now points far past the data.
    body = _replace_once(body, struct.pack("<3i", 0, 300, 600), struct.pack("<3i", 0, 2**30, 600))
    got = _read_isolated(body, tmp_path)
    assert (got["status"], got["type"]) == (400, "arrow_invalid"), got


def test_corrupted_string_offsets_of_probe_ids_are_refused(tmp_path):
    body = _stream(_table())
    # The first ids' string offsets (0, 10, 20, ...): one now points backwards.
    body = _replace_once(body, struct.pack("<4i", 0, 10, 20, 30), struct.pack("<4i", 0, 10, -5, 30))
    got = _read_isolated(body, tmp_path)
    assert (got["status"], got["type"]) == (400, "arrow_invalid"), got


def test_a_sample_id_that_is_not_utf8_is_refused(tmp_path):
    body = _replace_once(_stream(_table(("F-1", "F-2"))), b"F-1F-2", b"\xff-1F-2")
    got = _read_isolated(body, tmp_path)
    assert (got["status"], got["type"]) == (400, "arrow_invalid"), got
    assert "utf" in got["msg"].lower()


def test_a_column_name_that_is_not_utf8_is_refused(tmp_path):
    body = _replace_once(_stream(_table()), b"sample_id", b"sample_i\xff")
    got = _read_isolated(body, tmp_path)
    assert (got["status"], got["type"]) == (400, "arrow_invalid"), got


def test_a_valid_stream_reads_in_the_subprocess_too(tmp_path):
    assert "F-2" in _read_isolated(_stream(_table()), tmp_path)["ok"]


def _no_check(schema: pa.Schema) -> None:
    pass


def test_compressed_buffers_are_read_within_the_decoded_size_limit():
    schema, batches = read_stream(_stream(_table(), compression="zstd"),
                                  check_schema=_no_check, max_rows=10)  # fmt: skip
    assert sum(b.num_rows for b in batches) == 2 and schema.names[0] == "sample_id"


def test_a_compression_bomb_is_refused_before_it_is_decoded():
    # 300 MB of zeros compress to a few hundred kilobytes; the buffer declares its size.
    zeros = pa.table(
        {
            "sample_id": ["Z"],
            "values": pa.array(
                [np.zeros(MAX_DECODED_BYTES // 4 + 1000, np.float32)], pa.list_(pa.float32())
            ),
        }
    )
    body = _stream(zeros, compression="zstd")
    assert len(body) < 5_000_000
    with pytest.raises(ArrowStreamError, match="decoded"):
        read_stream(body, check_schema=_no_check, max_rows=10)


def test_rows_past_the_batch_limit_are_counted_before_decoding():
    with pytest.raises(TooManyRows) as got:
        read_stream(_stream(_table(("A", "B", "C"))), check_schema=_no_check, max_rows=2)
    assert got.value.rows == 3


def test_the_schema_is_checked_before_any_batch_is_read():
    seen = []

    def refuse(schema: pa.Schema) -> None:
        seen.append(schema.names)
        raise LookupError("refused")

    with pytest.raises(LookupError):
        read_stream(_stream(_table()), check_schema=refuse, max_rows=10)
    assert seen == [["sample_id", "probe_ids", "values"]]


@pytest.mark.parametrize("cut", [0, 7, 100, -9])
def test_truncated_streams_are_refused(cut):
    body = _stream(_table())
    with pytest.raises(ArrowStreamError):
        read_stream(body[:cut] if cut else b"", check_schema=_no_check, max_rows=10)
