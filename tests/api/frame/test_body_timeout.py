"""A request body that stops arriving is answered 408 (BODY_TIMEOUT_SECONDS), on every route."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from api.frame.body_timeout import BodyTimeout, BodyTimeoutMiddleware
from api.settings import Settings
from tests.api.asgi_calls import asgi_request, body_of, parts_then, status_of

TIMEOUT = 0.3


@pytest.fixture
def short_timeout(override_settings) -> None:
    override_settings(body_timeout_seconds=TIMEOUT)


@pytest.mark.usefixtures("short_timeout")
@pytest.mark.parametrize(
    ("path", "content_type", "first_part"),
    [
        ("/v1/classify", "application/json", b""),  # nothing after the headers
        ("/v1/classify", "application/vnd.apache.arrow.stream", b"\xff\xff"),
        ("/v1/admin/keys", "application/json", b'{"client": "slow", '),  # read by FastAPI
        ("/ui/submit", "multipart/form-data; boundary=XyZ", b"--XyZ\r\n"),
    ],
)
def test_a_body_that_stops_arriving_is_408(client, api_key, path, content_type, first_part):
    role = "admin" if path.startswith("/v1/admin") else "lis"
    headers = api_key(role, f"timeout-{role}") | {
        "content-type": content_type,
        "content-length": "1000000" if path != "/v1/admin/keys" else "500",
    }
    parts = [first_part] if first_part else []
    started = time.monotonic()
    sent = asgi_request(client, "POST", path, headers, parts_then(parts, None), timeout=10)
    assert time.monotonic() - started < 5
    assert status_of(sent) == 408
    if path != "/ui/submit":
        (item,) = orjson.loads(body_of(sent))["detail"]
        assert item["type"] == "body_timeout" and "BODY_TIMEOUT_SECONDS" in item["msg"]
    else:
        assert b"stopped arriving" in body_of(sent)


@pytest.mark.usefixtures("short_timeout")
def test_a_body_that_keeps_arriving_is_read(client, world):
    # Each part within the timeout: the whole may take longer than it.
    body = orjson.dumps({"profiles": [{"sample_id": "T-slow", "betas": world.betas("EWS")}]})

    def slow():
        for start in range(0, len(body), len(body) // 4 + 1):
            time.sleep(TIMEOUT / 3)
            yield body[start : start + len(body) // 4 + 1]

    response = client.post("/v1/classify", content=slow(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text


class _App:
    """An ASGI app that reads its body slowly, and the settings the middleware reads."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.parts: list[bytes] = []
        settings = Settings(_env_file=None, body_timeout_seconds=TIMEOUT)  # type: ignore[call-arg]
        self.state = type("State", (), {"settings": settings})()

    async def __call__(self, scope, receive, send) -> None:
        while True:
            message = await receive()
            self.parts.append(message.get("body", b""))
            if not message.get("more_body"):
                return
            await asyncio.sleep(self.pause)  # busy with the part, not waiting for the next


def _run(app: _App, receive) -> None:
    async def main() -> None:
        await BodyTimeoutMiddleware(app)({"type": "http", "app": app}, receive, None)

    asyncio.run(main())


def test_time_the_app_spends_on_a_part_is_not_a_wait():
    app = _App(pause=3 * TIMEOUT)
    parts = [{"type": "http.request", "body": b"a", "more_body": True},
             {"type": "http.request", "body": b"b", "more_body": False}]  # fmt: skip

    async def receive():
        return parts.pop(0)

    _run(app, receive)
    assert app.parts == [b"a", b"b"]


def test_a_wait_longer_than_the_timeout_raises_even_after_a_quick_part():
    app = _App(pause=0)

    async def receive():
        if not app.parts:
            return {"type": "http.request", "body": b"a", "more_body": True}
        await asyncio.sleep(60)

    started = time.monotonic()
    with pytest.raises(BodyTimeout):
        _run(app, receive)
    assert TIMEOUT <= time.monotonic() - started < 5
