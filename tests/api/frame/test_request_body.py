"""Reading bodies: media types, and the size limit enforced while reading."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from api.frame.errors import InputError
from api.frame.request_body import BodyFormat, body_format, read_body


def _request(chunks: list[bytes], headers: dict[str, str] | None = None) -> tuple[Request, list]:
    received: list[bytes] = []
    pending = list(chunks)

    async def receive() -> dict:
        chunk = pending.pop(0)
        received.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": raw_headers}
    return Request(scope, receive), received


def test_reads_all_chunks():
    request, _ = _request([b'{"a"', b": 1}"])
    assert asyncio.run(read_body(request, 100)) == b'{"a": 1}'


def test_stops_reading_at_the_limit():
    request, received = _request([b"x" * 600, b"x" * 600, b"x" * 600, b"x" * 600])
    with pytest.raises(InputError) as info:
        asyncio.run(read_body(request, 1000))
    assert info.value.status_code == 413
    assert info.value.type == "body_too_large"
    assert len(received) == 2  # the rest was never read


def test_declared_length_over_the_limit_reads_nothing():
    request, received = _request([b"x" * 10], {"Content-Length": "5000"})
    with pytest.raises(InputError, match="Content-Length says 5,000 bytes"):
        asyncio.run(read_body(request, 1000))
    assert received == []


def test_empty_body_is_400():
    request, _ = _request([b""])
    with pytest.raises(InputError) as info:
        asyncio.run(read_body(request, 1000))
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", BodyFormat.JSON),
        ("application/json; charset=utf-8", BodyFormat.JSON),
        ("Application/JSON", BodyFormat.JSON),
        ("application/vnd.apache.arrow.stream", BodyFormat.ARROW),
    ],
)
def test_media_types(header, expected):
    assert body_format(header) is expected


@pytest.mark.parametrize("header", [None, "", "text/plain", "application/vnd.apache.arrow.file"])
def test_other_media_types_are_415(header):
    with pytest.raises(InputError) as info:
        body_format(header)
    assert info.value.status_code == 415
