"""Benchmark the classification service end to end over loopback.

Starts ``uvicorn api.main:app`` on 127.0.0.1 in a subprocess with the model
given by ``--model-path``, then, from this (separate) client process,
times each request form against the goals of issue 4 and prints a table
beside the time orjson alone takes to parse the same JSON body::

    python benchmarks/bench_service.py --model-path models/sarcoma-classifier

Only loopback traffic; every loop is bounded by ``--repeats``. Profiles are
random beta values (1 % failed probes) over the real manifest ids: timing
does not depend on what the values say. Every request carries new sample
ids, so that each is classified and stored (a repeated accession and input
would return the stored result instead).

The timed requests go over one keep-alive connection of the standard
library's ``http.client``, the leanest Python client: the figure is the
service's time plus a minimal client's. (httpx, used here for the set-up
calls, adds ~0.6 ms to every request on this machine.)
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import orjson
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.security import ApiKeyStore, Role  # noqa: E402
from api.store import upgrade_database  # noqa: E402
from api.store.engine import make_engine  # noqa: E402
from classifier.manifest import load_manifest  # noqa: E402
from classifier.probes import ArrayType  # noqa: E402

HOST = "127.0.0.1"
JSON = "application/json"
ARROW = "application/vnd.apache.arrow.stream"


@dataclass(frozen=True)
class Case:
    """One timed request form."""

    name: str
    body: bytes
    content_type: str
    goal: str
    check: Callable[[float, float | None], bool]
    parse_baseline: bool = False
    profiles: int = 1

    def fresh(self, run: int) -> bytes:
        """The body with sample ids no earlier request used (same length, so Arrow stays valid)."""
        return self.body.replace(_RUN_MARK, f"R{run:05d}".encode())


# Every sample id carries this mark, replaced by the run number of each request.
_RUN_MARK = b"R00000"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 1 if a goal was missed."""
    args = _parse(argv)
    rng = np.random.default_rng(0)
    port = args.port or _free_port()
    workdir = tempfile.TemporaryDirectory(prefix="bench-service-")
    database_url = f"sqlite:///{Path(workdir.name) / 'service.db'}"
    token = _lis_token(database_url)
    server = _start_server(args.model_path, port, database_url)
    try:
        base = f"http://{HOST}:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=120.0, headers=headers) as client:
            _wait_ready(client, server, args.startup_timeout)
            card = client.get("/v1/model").json()
            cpgs = client.get("/v1/model/cpgs").text.split()
            cases = _cases(rng, cpgs, card["cpgs_sha256"], args.batch)
        timed = _Poster(port, token)
        try:
            rows = [_run(timed, case, args.repeats) for case in cases]
        finally:
            timed.close()
        rss, peak = _rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        workdir.cleanup()
    _print_table(rows, rss, peak, card)
    missed = [r for r in rows if not r["ok"]] + ([] if peak <= 1024 else [{"name": "RSS"}])
    return 1 if missed else 0


def _cases(rng: np.random.Generator, cpgs: list[str], sha: str, batch: int) -> list[Case]:
    epic_ids = [str(p) for p in load_manifest().array_probe_ids(ArrayType.EPIC)]
    values = rng.uniform(0, 1, len(epic_ids)).astype(np.float32)
    values[rng.random(len(values)) < 0.01] = np.nan
    listed = [None if np.isnan(v) else round(float(v), 4) for v in values]
    mark = _RUN_MARK.decode()

    def sid(case: int) -> str:  # one accession per form: the forms share values
        return f"BENCH-{case}-{mark}"

    epic_object = orjson.dumps(
        {"profiles": [{"sample_id": sid(1), "betas": dict(zip(epic_ids, listed, strict=True))}]}
    )
    # The same probes in another order (a LIS exporting from its own pipeline):
    # put in code-point order, which is the manifest's, then gathered.
    order = rng.permutation(len(epic_ids))
    shuffled = {epic_ids[i]: listed[i] for i in order}
    epic_shuffled = orjson.dumps({"profiles": [{"sample_id": sid(2), "betas": shuffled}]})
    epic_arrays = orjson.dumps(
        {"profiles": [{"sample_id": sid(3), "probe_ids": epic_ids, "values": listed}]}
    )
    epic_arrow = _arrow({"sample_id": [sid(4)], "values": [values]}, {"array": "epic"})
    model_values = [round(float(v), 4) for v in rng.uniform(0, 1, len(cpgs))]
    small = orjson.dumps(
        {"profiles": [{"sample_id": sid(5), "betas": dict(zip(cpgs, model_values, strict=True))}]}
    )
    n_json = min(batch, 100)
    rows = rng.uniform(0, 1, (n_json, len(cpgs))).round(4).tolist()
    json_batch = orjson.dumps(
        {
            "profiles": [
                {"sample_id": f"J{i:05d}-{mark}", "betas": dict(zip(cpgs, row, strict=True))}
                for i, row in enumerate(rows)
            ]
        }
    )
    matrix = rng.uniform(0, 1, (batch, len(cpgs))).astype(np.float32)
    batch_arrow = _arrow(
        {"sample_id": [f"B{i:05d}-{mark}" for i in range(batch)],
         "values": list(matrix)},
        {"array": "model", "cpgs_sha256": sha},
    )  # fmt: skip
    return [
        Case("EPIC, JSON object", epic_object, JSON, "<= 1.3x orjson parse",
             lambda t, parse: parse is not None and t <= 1.3 * parse, parse_baseline=True),
        Case("EPIC, JSON object, keys shuffled", epic_shuffled, JSON, "<= 1.3x orjson parse",
             lambda t, parse: parse is not None and t <= 1.3 * parse, parse_baseline=True),
        Case("EPIC, JSON arrays", epic_arrays, JSON, "(no goal)", lambda t, p: True,
             parse_baseline=True),
        Case("EPIC, Arrow values (array=epic)", epic_arrow, ARROW, "<= 10 ms",
             lambda t, p: t <= 0.010),
        Case(f"{len(cpgs):,}-CpG JSON object", small, JSON, "<= 10 ms",
             lambda t, p: t <= 0.010, parse_baseline=True),
        Case(f"batch of {n_json:,} {len(cpgs):,}-CpG JSON objects", json_batch, JSON,
             "(no goal)", lambda t, p: True, profiles=n_json),
        Case(f"batch of {batch:,}, Arrow in model order", batch_arrow, ARROW,
             ">= 500 profiles/s", lambda t, p: batch / t >= 500, profiles=batch),
    ]  # fmt: skip


def _arrow(columns: dict, metadata: dict[str, str]) -> bytes:
    values = pa.array(columns["values"], type=pa.list_(pa.float32()))
    table = pa.table({"sample_id": pa.array(columns["sample_id"]), "values": values})
    table = table.replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


class _Poster:
    """``POST /v1/classify`` over one keep-alive ``http.client`` connection."""

    def __init__(self, port: int, token: str) -> None:
        self._conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self._auth = f"Bearer {token}"

    def post(self, body: bytes, content_type: str) -> tuple[int, bytes]:
        """Send one request; return its status and its whole body."""
        headers = {"Authorization": self._auth, "Content-Type": content_type}
        self._conn.request("POST", "/v1/classify", body=body, headers=headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _run(poster: _Poster, case: Case, repeats: int) -> dict:
    status, answer = poster.post(case.fresh(0), case.content_type)  # warm-up
    if status != 200:
        raise SystemExit(f"{case.name}: HTTP {status}: {answer[:500]!r}")
    times, parses = [], []
    for run in range(1, repeats + 1):
        body = case.fresh(run)
        start = time.perf_counter()
        status, answer = poster.post(body, case.content_type)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise SystemExit(f"{case.name}: HTTP {status}: {answer[:500]!r}")
        if any(r["stored"]["resubmitted"] for r in orjson.loads(answer)["results"]):
            raise SystemExit(f"{case.name}: the service returned a stored result")
        if case.parse_baseline:
            start = time.perf_counter()
            orjson.loads(case.body)
            parses.append(time.perf_counter() - start)
    elapsed = statistics.median(times)
    parse = statistics.median(parses) if parses else None
    return {
        "name": case.name,
        "size_mb": len(case.body) / 1e6,
        "parse": parse,
        "time": elapsed,
        "ratio": elapsed / parse if parse else None,
        "rate": case.profiles / elapsed,
        "goal": case.goal,
        "ok": case.check(elapsed, parse),
    }


def _print_table(rows: list[dict], rss: float, peak: float, card: dict) -> None:
    print(
        f"\nmodel {card['name']} version {card['version']}: {card['n_cpgs']:,} CpGs, "
        f"{len(card['classes'])} classes; medians of repeated requests over loopback\n"
    )
    header = (
        f"| {'request':<48} | {'body':>8} | {'orjson parse':>12} | {'end to end':>10} "
        f"| {'ratio':>5} | {'profiles/s':>10} | {'goal':<20} | ok |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        parse = f"{r['parse'] * 1000:.1f} ms" if r["parse"] else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] else "-"
        print(
            f"| {r['name']:<48} | {r['size_mb']:>5.1f} MB | {parse:>12} | "
            f"{r['time'] * 1000:>7.1f} ms | {ratio:>5} | {r['rate']:>10,.0f} | {r['goal']:<20} "
            f"| {'yes' if r['ok'] else 'NO':<2} |"
        )
    print(f"\nservice RSS after the run: {rss:.0f} MB (peak {peak:.0f} MB; goal <= 1024 MB)")


def _lis_token(database_url: str) -> str:
    # A real key, as a LIS would send it: authentication is part of what is measured.
    engine = make_engine(database_url)
    try:
        upgrade_database(engine)
        return ApiKeyStore(engine).create("bench-lis", Role.LIS)[1]
    finally:
        engine.dispose()


def _start_server(
    model_path: Path, port: int, database_url: str, root: Path = ROOT
) -> subprocess.Popen:
    # ``python -m`` puts ``root`` first on the import path: the code served is root's.
    env = os.environ | {
        "MODEL_PATH": str(model_path),
        "DATABASE_URL": database_url,
        "RATE_LIMIT_PER_SECOND": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("MODEL_URI", None)
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", HOST,
               "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return subprocess.Popen(command, cwd=root, env=env)


def _wait_ready(client: httpx.Client, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the service exited with code {server.returncode}")
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the service was not ready within {timeout:.0f} s")


def _rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-path", type=Path, default=ROOT / "models" / "sarcoma-classifier")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--repeats", type=int, default=15, help="timed requests per form")
    parser.add_argument("--batch", type=int, default=1000, help="profiles in the batch request")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if not (args.model_path / "bundle.json").is_file():
        parser.error(f"no model bundle at {args.model_path}; train one first (make model)")
    if not 1 <= args.repeats <= 100:
        parser.error("--repeats must be in [1, 100]")
    return args


if __name__ == "__main__":
    sys.exit(main())
