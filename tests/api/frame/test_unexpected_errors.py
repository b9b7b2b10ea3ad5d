"""An unexpected error is one 500, logged once with its request id; a client that left is none."""

from __future__ import annotations

import logging

import orjson
import pytest

from api.frame.logging_config import RequestIdFilter
from tests.api.asgi_calls import asgi_request, parts_then, status_of


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.INFO, logger="api")
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


def _count(client, route: str, status: str) -> float:
    text = client.get("/metrics").text
    line = next(
        (
            ln for ln in text.splitlines()
            if ln.startswith("sarcoma_http_requests_total{")
            and f'route="{route}"' in ln and f'status="{status}"' in ln
        ),
        None,
    )  # fmt: skip
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def test_an_unexpected_error_is_one_500_logged_once_with_its_request_id(
    client, world, monkeypatch, records
):
    def broken(**_):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.routes.classify.classify_and_store", broken)
    body = {"profiles": [{"sample_id": "S1", "betas": world.betas("DSRCT")}]}
    # The session's client raises what reaches the server: nothing does.
    response = client.post("/v1/classify", content=orjson.dumps(body),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 500
    rid = response.headers["x-request-id"]
    assert response.json()["detail"][0]["type"] == "internal_error"
    assert rid in response.json()["detail"][0]["msg"]
    errors = [r for r in records.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].request_id == rid and errors[0].exc_info is not None
    assert "a bug" not in response.text


def test_a_client_that_disconnects_mid_body_is_no_error(client, api_key, records):
    before = _count(client, "/v1/classify", "499"), _count(client, "/v1/classify", "500")
    headers = api_key("lis", "leaving-lis") | {
        "content-type": "application/json",
        "content-length": "100000",
    }
    receive = parts_then([b'{"profiles": [{"sample_id": "S1", '], {"type": "http.disconnect"})
    sent = asgi_request(client, "POST", "/v1/classify", headers, receive)
    assert status_of(sent) == 499
    assert [r for r in records.records if r.levelno >= logging.WARNING] == []
    assert any("disconnected" in r.getMessage() for r in records.records)
    after = _count(client, "/v1/classify", "499"), _count(client, "/v1/classify", "500")
    assert after == (before[0] + 1, before[1])
