"""Mutated ``POST /v1/classify`` bodies, sent to a real app in this process.

Run by :mod:`tests.api.routes.test_classify_fuzz` in a subprocess, so that a
body that crashes the interpreter (a segmentation fault in a native
library) fails that test instead of killing the test runner::

    python -m tests.api.fuzz_bodies --count 2000 --seed 7 --out DIR

A seeded corpus of valid bodies of every form (Arrow with probe ids, in a
named or the model's order, compressed, in several batches, with large
types; JSON objects, parallel arrays, manifest order, with findings) is
mutated byte by byte (flips, interesting integers written over offsets and
lengths, cuts, repeats, insertions of hostile JSON tokens) and value by
value (a JSON value replaced by a hostile one). Before each request the
body is written to ``DIR/last_body.bin``, so that the test can show the body
that killed the process. The last line printed is a JSON summary: how many
bodies were sent, the count of each status, and any 5xx.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

JSON = "application/json"
ARROW = "application/vnd.apache.arrow.stream"

_INTERESTING_INTS = [0, 1, -1, 2, 7, 8, 255, 256, 4096, 65535, 2**31 - 1, -(2**31), 2**32 - 1,
                     2**62, -(2**62)]  # fmt: skip
_JSON_TOKENS = [b"NaN", b"-Infinity", b"1e999", b"9" * 400, b'"\\ud800"', b'"\\u0000"', b"[",
                b"{", b"]", b"}", b",", b":", b'"', b"\\", b"null", b"true", b"-0.0", b"\xff",
                b'"\\u202e"', b"[[[[[[[[", b'{"a":1,"a":2}', b"0." + b"1" * 500]  # fmt: skip
_HOSTILE_VALUES: list = [None, True, -0.0, 1.5, -1, 2**70, "", "\u0000", "\u202eS", "x" * 5000,
                         [], {}, [[1]], {"a": {"b": []}}, [0.5] * 3, "cg00000029",
                         1e308]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Send the mutated bodies; print the summary; exit 1 if any got a 5xx."""
    args = _parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.security import Role
    from api.settings import Settings
    from tests.api.builders import fit_bundle, make_world

    world = make_world()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        bundle = fit_bundle(world, Path(tmp) / "bundle")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            model_path=bundle,
            model_uri=None,
            max_batch=20,
            database_url=f"sqlite:///{Path(tmp) / 'service.db'}",
            rate_limit_per_second=0,
            log_level="CRITICAL",
        )
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            _, token = app.state.api_keys.create("fuzz-lis", Role.LIS)
            client.headers["Authorization"] = f"Bearer {token}"
            sha = client.get("/v1/model").json()["cpgs_sha256"]
            cpgs = client.get("/v1/model/cpgs").text.split()
            corpus = _corpus(world, cpgs, sha)
            for content_type, body in corpus:  # the seeds themselves are valid bodies
                response = client.post(
                    "/v1/classify", content=body, headers={"content-type": content_type}
                )
                if response.status_code != 200:
                    raise SystemExit(f"a seed body got {response.status_code}: {response.text}")
            summary = _fuzz(client, corpus, args)
    print(json.dumps(summary))
    return 1 if summary["server_errors"] else 0


def _fuzz(client, corpus: list[tuple[str, bytes]], args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(args.seed)
    statuses: Counter[int] = Counter()
    server_errors = []
    last = args.out / "last_body.bin"
    for i in range(args.count):
        content_type, base = corpus[int(rng.integers(len(corpus)))]
        body = _mutate(base, content_type, rng)
        last.write_bytes(content_type.encode() + b"\n" + body)
        response = client.post("/v1/classify", content=body, headers={"content-type": content_type})
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            name = f"5xx-{i}-{hashlib.sha256(body).hexdigest()[:12]}.bin"
            (args.out / name).write_bytes(content_type.encode() + b"\n" + body)
            server_errors.append({"body": name, "status": response.status_code})
    last.unlink(missing_ok=True)
    return {
        "sent": args.count,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": server_errors,
    }


# ------------------------------------------------------------------ corpus


def _corpus(world, cpgs: list[str], sha: str) -> list[tuple[str, bytes]]:
    """Valid bodies of every form, each classified with 200 before mutation."""
    values = world.values("DSRCT")
    betas = world.betas("DSRCT")
    stain = {"kind": "ihc", "marker": "WT1", "result": "positive", "epitope": "c_terminal"}
    fusion = {"kind": "fusion", "name": "EWSR1::WT1", "method": "rna_ngs", "result": "detected"}
    profile = {"sample_id": "F-1", "diagnosis": "DSRCT", "findings": [fusion, stain]}
    model_values = [betas[c] for c in cpgs]
    bodies = [
        (JSON, orjson.dumps({"profiles": [profile | {"betas": betas}]})),
        (JSON, orjson.dumps({"profiles": [{"sample_id": "F-2", "betas": betas}] * 3})),
        (JSON, orjson.dumps({"profiles": [profile | {"probe_ids": list(betas),
                                                     "values": list(betas.values())}]})),
        (ARROW, _arrow({"sample_id": ["F-3"], "probe_ids": [world.cpgs],
                        "values": [values.tolist()]})),
        (ARROW, _arrow({"sample_id": ["F-4", "F-5"], "diagnosis": ["EWS", None],
                        "findings": [orjson.dumps([fusion]).decode(), None],
                        "probe_ids": [world.cpgs] * 2, "values": [values.tolist()] * 2})),
        (ARROW, _arrow({"sample_id": ["F-6"], "values": [model_values]},
                       {"array": "model", "cpgs_sha256": sha})),
        (ARROW, _arrow({"sample_id": ["F-7"], "probe_ids": [world.cpgs],
                        "values": [values.tolist()]}, compression="zstd")),
        (ARROW, _arrow({"sample_id": ["F-8"], "probe_ids": [world.cpgs],
                        "values": [values.tolist()]}, compression="lz4")),
        (ARROW, _arrow({"sample_id": ["F-9", "F-10"], "probe_ids": [world.cpgs] * 2,
                        "values": [values.tolist()] * 2}, batches=2)),
        (ARROW, _arrow({"sample_id": ["F-11"], "probe_ids": [world.cpgs],
                        "values": [values.tolist()]}, large=True)),
    ]  # fmt: skip
    return bodies


def _arrow(
    columns: dict, metadata: dict | None = None, *, compression=None, batches=1, large=False
) -> bytes:
    string = pa.large_string() if large else pa.string()
    listed = pa.large_list if large else pa.list_
    arrays = {}
    for name, column in columns.items():
        if name == "values":
            arrays[name] = pa.array(column, listed(pa.float64() if large else pa.float32()))
        elif name == "probe_ids":
            arrays[name] = pa.array(column, listed(string))
        else:
            arrays[name] = pa.array(column, string)
    table = pa.table(arrays).replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        for chunk in table.to_batches(max_chunksize=max(1, table.num_rows // batches)):
            writer.write_batch(chunk)
    return sink.getvalue().to_pybytes()


# --------------------------------------------------------------- mutations


def _mutate(body: bytes, content_type: str, rng: np.random.Generator) -> bytes:
    if content_type == JSON and rng.random() < 0.4:
        return _mutate_json_value(body, rng)
    out = bytearray(body)
    for _ in range(int(rng.integers(1, 4))):
        _mutate_bytes(out, content_type, rng)
    return bytes(out)


def _mutate_bytes(out: bytearray, content_type: str, rng: np.random.Generator) -> None:
    if not out:
        out.extend(b"{")
        return
    choice = rng.random()
    at = int(rng.integers(len(out)))
    if choice < 0.3:
        out[at] ^= 1 << int(rng.integers(8))
    elif choice < 0.55 and content_type == ARROW:
        # An offset, a length or a count replaced by an interesting integer.
        width = int(rng.choice([4, 8]))
        at -= at % width
        value = int(rng.choice(_INTERESTING_INTS))
        out[at : at + width] = value.to_bytes(8, "little", signed=True)[:width]
    elif choice < 0.55:
        token = _JSON_TOKENS[int(rng.integers(len(_JSON_TOKENS)))]
        out[at:at] = token
    elif choice < 0.7:
        del out[at:]  # cut short
    elif choice < 0.85:
        stop = min(len(out), at + int(rng.integers(1, 64)))
        out[at:at] = out[at:stop]  # a slice repeated
    else:
        stop = min(len(out), at + int(rng.integers(1, 64)))
        del out[at:stop]


def _mutate_json_value(body: bytes, rng: np.random.Generator) -> bytes:
    doc = orjson.loads(body)
    paths: list[tuple] = []
    stack: list[tuple[tuple, object]] = [((), doc)]
    while stack:
        path, node = stack.pop()
        paths.append(path)
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in enumerate(node))
    path = paths[int(rng.integers(len(paths)))]
    value = _HOSTILE_VALUES[int(rng.integers(len(_HOSTILE_VALUES)))]
    if not path:
        return orjson.dumps(value) if rng.random() < 0.5 else b""
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and rng.random() < 0.2:
        parent[str(value)[:100]] = parent.pop(path[-1])  # a key replaced
    else:
        parent[path[-1]] = value
    try:
        return orjson.dumps(doc)
    except TypeError:  # an integer orjson cannot write
        return json.dumps(doc).encode()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
