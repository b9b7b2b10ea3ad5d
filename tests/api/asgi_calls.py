"""Calling the session's app at the ASGI level, for what an HTTP client cannot do.

A test client always sends its whole body; these helpers let a test stop
sending (a body that never arrives), or disconnect half way. The call runs
on the test client's own event loop (its portal), where the app's lifespan
runs, so that the app's state (the CPU limiter, the model) is used as in
any request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from fastapi.testclient import TestClient

Receive = Callable[[], Awaitable[dict]]


def asgi_request(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    receive: Receive,
    timeout: float = 30.0,
) -> list[dict]:
    """Run one request through the app; return the messages it sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "app": client.app,
    }
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> None:
        with anyio.fail_after(timeout):
            await client.app(scope, receive, send)

    assert client.portal is not None, "the client's lifespan must be running"
    client.portal.call(run)
    return sent


def parts_then(parts: list[bytes], last: dict | None) -> Receive:
    """A receive that gives ``parts`` of a body, then ``last`` (or waits for ever)."""
    queue = [{"type": "http.request", "body": part, "more_body": True} for part in parts]

    async def receive() -> dict:
        if queue:
            return queue.pop(0)
        if last is None:
            await anyio.sleep_forever()
        return last  # type: ignore[return-value]

    return receive


def status_of(sent: list[dict]) -> int:
    """The status of the answer the app sent."""
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def body_of(sent: list[dict]) -> bytes:
    """The body of the answer the app sent."""
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
