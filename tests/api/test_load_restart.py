"""Load over loopback across a restart: every accepted request has exactly one audit row.

A real service (uvicorn in a subprocess) is sent a few thousand
single-profile requests by several LIS clients at once; halfway through it
is stopped with SIGTERM (graceful: requests in flight are answered) and
started again on the same database. A client that loses its connection
sends the request again, as a LIS would. Afterwards the audit trail is read
back: each answered request has one ``classify_requests`` row and one
delivery of the result it was answered with, and no request was stored
without being answered.

On SQLite (WAL) one service runs. On PostgreSQL (when ``TEST_POSTGRES_URL``
names a server, as in CI) two replicas share the database, as in a lab
deployment: the clients are spread over both, every resubmission goes to
the other replica than the original, and one replica is restarted halfway.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.security import ApiKeyStore, Role
from api.store import upgrade_database
from api.store.engine import make_engine
from api.store.tables import DeliveryRow, RequestRow
from tests.api.postgres import BACKENDS, POSTGRES_URL, drop_everything

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 4
REQUESTS_PER_CLIENT = int(os.environ.get("LOAD_TEST_REQUESTS_PER_CLIENT", "500"))
RESUBMIT_EVERY = 10  # every 10th request repeats an earlier one (idempotent resubmission)


class Service:
    """uvicorn serving the tiny bundle on a socket of this process's, and a database.

    The test binds the socket and hands it to every uvicorn it starts
    (``--fd``): the port stays the service's across a restart, and no other
    process can take it meanwhile (connections wait in its backlog).
    """

    def __init__(self, bundle_dir: Path, database_url: str) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.socket.getsockname()[1]
        self.env = os.environ | {
            "MODEL_PATH": str(bundle_dir),
            "DATABASE_URL": database_url,
            "RATE_LIMIT_PER_SECOND": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.env.pop("MODEL_URI", None)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        fd = self.socket.fileno()
        command = [sys.executable, "-m", "uvicorn", "api.main:app", "--fd", str(fd),
                   "--no-access-log", "--log-level", "warning",
                   "--timeout-graceful-shutdown", "30"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, pass_fds=(fd,))
        # A guard against a hang, not a speed bound.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "the service exited during start-up"
            time.sleep(0.2)
        raise AssertionError("the service did not become ready")

    def stop(self) -> None:
        """SIGTERM, as Docker sends it; uvicorn finishes what is in flight, then exits.

        uvicorn re-raises the signal once it has shut down, so the exit
        status is -SIGTERM (not a crash).
        """
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=120) in (0, -signal.SIGTERM)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_accepted_request_has_one_audit_row_across_a_restart(
    backend, bundle_dir, world, tmp_path
):
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'service.db'}"
        replicas = 1
    else:
        database_url = str(POSTGRES_URL)
        replicas = 2
    engine = make_engine(database_url)
    if backend == "postgresql":
        drop_everything(engine)
    upgrade_database(engine)
    keys = ApiKeyStore(engine)
    tokens = {f"lis-{i}": keys.create(f"lis-{i}", Role.LIS)[1] for i in range(CLIENTS)}
    services = [Service(bundle_dir, database_url) for _ in range(replicas)]
    for service in services:
        service.start()

    accepted: dict[str, str] = {}  # request id -> result id it was answered with
    answered: dict[tuple[str, int], set[str]] = {}  # (client, sample) -> result ids
    errors: Counter[str] = Counter()
    done = Counter[str]()
    lock = threading.Lock()
    labels = ("DSRCT", "EWS", "CIC", "SS", "RMS_ALV")

    def lis(index: int, name: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        http = [
            httpx.Client(base_url=f"http://127.0.0.1:{s.port}", headers=headers) for s in services
        ]
        try:
            for i in range(REQUESTS_PER_CLIENT):
                resubmission = i % RESUBMIT_EVERY == RESUBMIT_EVERY - 1
                n = i - i % RESUBMIT_EVERY if resubmission else i
                # A resubmission goes to another replica than the original did.
                replica = (index + int(resubmission)) % replicas
                body = {
                    "profiles": [
                        {
                            "sample_id": f"{name}-{n}",
                            "betas": world.betas(labels[n % len(labels)], seed=n),
                        }
                    ]
                }
                give_up = time.monotonic() + 600  # a guard against a hang
                while True:  # a LIS resends what got no answer
                    try:
                        # Long enough to outlast a restart: the request waits in the
                        # held socket's backlog, and a client that gave up on a request
                        # the new process then answers would be "stored, not answered".
                        response = http[replica].post("/v1/classify", json=body, timeout=600)
                    except httpx.TransportError as exc:
                        with lock:
                            errors[type(exc).__name__] += 1
                        assert time.monotonic() < give_up, "the service stayed unreachable"
                        time.sleep(0.05)
                        continue
                    break
                assert response.status_code == 200, response.text
                payload = response.json()
                with lock:
                    result_id = payload["results"][0]["result_id"]
                    accepted[payload["request_id"]] = result_id
                    answered.setdefault((name, n), set()).add(result_id)
                    done[name] += 1
        finally:
            for client in http:
                client.close()

    total = CLIENTS * REQUESTS_PER_CLIENT
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(lis, i, *item) for i, item in enumerate(tokens.items())]
        while sum(done.values()) < total // 2 and not any(f.done() for f in futures):
            time.sleep(0.05)
        services[0].stop()
        services[0].start()
        for future in futures:
            future.result(timeout=600)
    for service in services:
        service.stop()
        service.socket.close()

    assert sum(done.values()) == total
    with Session(engine) as session:
        requests = session.scalars(select(RequestRow.request_id)).all()
        deliveries = session.execute(select(DeliveryRow.request_id, DeliveryRow.result_id)).all()
    if backend == "postgresql":
        drop_everything(engine)
    engine.dispose()
    rows = Counter(requests)
    assert len(accepted) == total
    assert all(rows[rid] == 1 for rid in accepted), "an accepted request without exactly one row"
    assert set(rows) == set(accepted), "a request stored without being answered"
    assert dict(deliveries) == accepted
    # Idempotent resubmission, whichever replica receives it: one result per input.
    assert all(len(ids) == 1 for ids in answered.values()), "a resubmission got a new result"
    print(f"\n{backend}: {total} requests over {replicas} replica(s), "
          f"connection errors during the restart: {dict(errors)}")  # fmt: skip
