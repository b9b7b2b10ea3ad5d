"""A request body that stops arriving is answered 408 (BODY_TIMEOUT_SECONDS), on every route."""

from __future__ import annotations

import time

import orjson
import pytest

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
