"""Compare two checkouts of the service request by request, over loopback.

This machine's speed drifts by tens of percent within an hour (see
docs/api.md#performance), more than most single changes are worth: two
runs of ``bench_service.py`` minutes apart cannot tell a 0.5 ms gain from
the drift. This script starts the service twice, from this checkout (A)
and from another one (B), and sends every timed request to both in turn,
alternating which goes first, so that each pair sees the same moment of
the machine::

    git worktree add ../base main~1
    python benchmarks/compare_service.py --other ../base

It prints, for each request form of ``bench_service.py``, the median time
of A and of B, their ratio, and in how many pairs B was the faster one
(about half of them when the two do not differ). With two services in
memory each one is slower than alone (an EPIC Arrow profile ~15 ms against
~13 ms in the same half hour): the ratio and the pairs are the result, not
the milliseconds. Both services run on this
interpreter and this model, each with its own SQLite database; each imports
``api`` and ``classifier`` from its own checkout (``python -m`` puts the
working directory first on the import path), and the code version each one
stored is printed to show it.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_service import (  # noqa: E402
    HOST,
    Case,
    _cases,
    _free_port,
    _lis_token,
    _Poster,
    _rss_mb,
    _start_server,
    _wait_ready,
)


@dataclass(frozen=True)
class _Service:
    """One of the two services: its checkout, port, LIS token and process."""

    name: str
    root: Path
    port: int
    token: str
    server: subprocess.Popen


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns 0 (it states differences, it sets no goal)."""
    args = _parse(argv)
    workdir = tempfile.TemporaryDirectory(prefix="compare-service-")
    services: list[_Service] = []
    try:
        for name, root in (("A", ROOT), ("B", args.other)):
            database_url = f"sqlite:///{Path(workdir.name) / f'{name}.db'}"
            token = _lis_token(database_url)
            port = _free_port()
            server = _start_server(args.model_path, port, database_url, root=root)
            services.append(_Service(name, root, port, token, server))
        for service in services:
            with httpx.Client(base_url=f"http://{HOST}:{service.port}", timeout=120.0) as client:
                _wait_ready(client, service.server, args.startup_timeout)
        first = services[0]
        with httpx.Client(
            base_url=f"http://{HOST}:{first.port}",
            headers={"Authorization": f"Bearer {first.token}"},
        ) as client:
            card = client.get("/v1/model").json()
            cpgs = client.get("/v1/model/cpgs").text.split()
        cases = [
            case
            for case in _cases(np.random.default_rng(0), cpgs, card["cpgs_sha256"], args.batch)
            if not args.only or any(part in case.name for part in args.only)
        ]
        if not cases:
            raise SystemExit(f"no request form's name contains any of {args.only}")
        posters = [_Poster(service.port, service.token) for service in services]
        for service, poster in zip(services, posters, strict=True):
            version = _code_version(poster, service, cases[0])
            print(f"{service.name}: {service.root} (code {version})")
        print(f"\n{args.repeats} pairs per form; B/A < 1 means B is faster\n")
        print(f"| {'request':<48} | {'A':>9} | {'B':>9} | {'B/A':>5} | B faster |")
        print(f"|{'-' * 50}|{'-' * 11}|{'-' * 11}|{'-' * 7}|----------|")
        for case in cases:
            a, b = _pairs(posters, case, args.repeats)
            faster = sum(tb < ta for ta, tb in zip(a, b, strict=True))
            ma, mb = statistics.median(a), statistics.median(b)
            print(
                f"| {case.name:<48} | {ma * 1000:>6.1f} ms | {mb * 1000:>6.1f} ms | "
                f"{mb / ma:>5.3f} | {faster:>3}/{args.repeats:<4} |",
                flush=True,
            )
        for poster in posters:
            poster.close()
        print()
        for service in services:
            rss, peak = _rss_mb(service.server.pid)
            print(f"{service.name}: service RSS {rss:.0f} MB (peak {peak:.0f} MB)")
    finally:
        for service in services:
            service.server.send_signal(signal.SIGINT)
        for service in services:
            try:
                service.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                service.server.kill()
        workdir.cleanup()
    return 0


def _pairs(posters: list[_Poster], case: Case, repeats: int) -> tuple[list[float], list[float]]:
    """Time ``repeats`` requests on each service, alternating which goes first."""
    times: tuple[list[float], list[float]] = ([], [])
    for poster in posters:  # warm-up
        _post(poster, case, 0)
    for run in range(1, repeats + 1):
        order = (0, 1) if run % 2 else (1, 0)
        for k in order:
            start = time.perf_counter()
            _post(posters[k], case, run)
            times[k].append(time.perf_counter() - start)
    return times


def _post(poster: _Poster, case: Case, run: int) -> bytes:
    status, answer = poster.post(case.fresh(run), case.content_type)
    if status != 200:
        raise SystemExit(f"{case.name}: HTTP {status}: {answer[:500]!r}")
    return answer


def _code_version(poster: _Poster, service: _Service, case: Case) -> str:
    """The code version the service stores with its results (one extra request)."""
    answer = orjson.loads(_post(poster, case, 99_999))
    result_id = answer["results"][0]["result_id"]
    with httpx.Client(
        base_url=f"http://{HOST}:{service.port}",
        headers={"Authorization": f"Bearer {service.token}"},
    ) as client:
        return str(client.get(f"/v1/results/{result_id}").json().get("code_version"))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--other", type=Path, required=True, help="the other checkout (B); this one is A"
    )
    parser.add_argument("--model-path", type=Path, default=ROOT / "models" / "sarcoma-classifier")
    parser.add_argument("--repeats", type=int, default=40, help="timed pairs per form")
    parser.add_argument("--batch", type=int, default=1000, help="profiles in the batch request")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="only forms whose name contains TEXT (repeatable), e.g. --only Arrow",
    )
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    args.other = args.other.resolve()
    if not (args.other / "api" / "main.py").is_file():
        parser.error(f"{args.other} is not a checkout of this project (no api/main.py)")
    if not (args.model_path / "bundle.json").is_file():
        parser.error(f"no model bundle at {args.model_path}; train one first (make model)")
    if not 1 <= args.repeats <= 200:
        parser.error("--repeats must be in [1, 200]")
    return args


if __name__ == "__main__":
    sys.exit(main())
