"""JSON log lines with the request id; no paths or values of the request in the access log."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from api.frame.logging_config import JsonFormatter, RequestIdFilter, configure_logging
from api.frame.request_id import CURRENT_REQUEST_ID


def _record(msg: str = "hello %s", args: tuple = ("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("api.test", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_is_one_json_object_with_its_extras():
    line = JsonFormatter().format(_record(request_id="abc", route="/v1/model", status=200))
    entry = orjson.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "INFO" and entry["logger"] == "api.test"
    assert entry["request_id"] == "abc"
    assert entry["route"] == "/v1/model" and entry["status"] == 200
    assert entry["time"].endswith("+00:00")
    assert "\n" not in line


def test_an_exception_is_one_field():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = _record(exc_info=None)
        record.exc_info = sys.exc_info()
    entry = orjson.loads(JsonFormatter().format(record))
    assert "RuntimeError: boom" in entry["exception"]


def test_the_filter_takes_the_request_id_of_the_context():
    token = CURRENT_REQUEST_ID.set("rid-1")
    try:
        record = _record()
        RequestIdFilter().filter(record)
    finally:
        CURRENT_REQUEST_ID.reset(token)
    assert record.request_id == "rid-1"
    outside = _record()
    RequestIdFilter().filter(outside)
    assert outside.request_id is None


@pytest.fixture
def bare_logging(monkeypatch):
    """Logging as a fresh uvicorn process has it: no root handler (call it in the test,
    after pytest has added its own capture handler)."""

    def strip() -> logging.Logger:
        monkeypatch.setattr(logging.getLogger(), "handlers", [])
        api_logger = logging.getLogger("api")
        monkeypatch.setattr(api_logger, "handlers", [])
        monkeypatch.setattr(api_logger, "level", api_logger.level)
        return api_logger

    return strip


def test_configure_logging_installs_one_json_handler(bare_logging):
    api_logger = bare_logging()
    configure_logging("DEBUG", "json")
    configure_logging("INFO", "json")
    (handler,) = api_logger.handlers
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    token = CURRENT_REQUEST_ID.set("rid-2")
    try:
        logging.getLogger("api.something").info("loaded %d classes", 65)
    finally:
        CURRENT_REQUEST_ID.reset(token)
    entry = orjson.loads(stream.getvalue())
    assert entry["message"] == "loaded 65 classes" and entry["request_id"] == "rid-2"
    assert api_logger.level == logging.INFO


def test_text_format(bare_logging):
    api_logger = bare_logging()
    configure_logging("INFO", "text")
    (handler,) = api_logger.handlers
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("api.something").info("plain")
    assert stream.getvalue() == "INFO api.something [None]: plain\n"


def test_the_access_log_holds_the_route_template_not_the_path(client, caplog):
    with caplog.at_level("INFO", logger="api.access"):
        response = client.get("/v1/nothing/S-2024-0117", params={"accession": "S-2024-0117"})
    (record,) = [r for r in caplog.records if r.name == "api.access"]
    assert "S-2024-0117" not in record.getMessage()
    assert record.route == "unmatched" and record.status == 404
    assert record.request_id == response.headers["x-request-id"]


@pytest.fixture
def uvicorn_access(monkeypatch) -> logging.Logger:
    """uvicorn's access logger; its handlers, level and flags are restored after the test."""
    access = logging.getLogger("uvicorn.access")
    for name in ("handlers", "propagate", "disabled", "level"):
        monkeypatch.setattr(access, name, getattr(access, name))
    return access


def test_uvicorn_access_log_is_silenced(bare_logging, uvicorn_access, caplog):
    bare_logging()
    # As uvicorn's default logging config leaves it.
    stream = io.StringIO()
    uvicorn_access.handlers = [logging.StreamHandler(stream)]
    uvicorn_access.propagate = True
    uvicorn_access.disabled = False
    uvicorn_access.setLevel(logging.INFO)
    configure_logging("DEBUG", "json")
    with caplog.at_level(logging.DEBUG):
        # The line uvicorn writes for each request (uvicorn.protocols.http).
        uvicorn_access.info(
            '%s - "%s %s HTTP/%s" %d', "10.0.0.7:51234", "GET",
            "/v1/results?accession=S-2024-0117", "1.1", 200,
        )  # fmt: skip
    assert stream.getvalue() == ""
    assert [r for r in caplog.records if r.name == "uvicorn.access"] == []
    # uvicorn builds the line only when the logger has handlers.
    assert not uvicorn_access.hasHandlers()
    assert not uvicorn_access.isEnabledFor(logging.CRITICAL)


def test_no_identifier_value_or_query_is_logged(client, world, caplog):
    sample_id, accession, beta, bad_beta = "SECRET-SAMPLE-4711", "SECRET-ACC", 0.987654, 1.234567
    betas = world.betas("SS", seed=47) | {world.cpgs[5]: beta}
    bad = betas | {world.cpgs[6]: bad_beta}
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="api"):
        classified = client.post(
            "/v1/classify", json={"profiles": [{"sample_id": sample_id, "betas": betas}]}
        )
        refused = client.post(
            "/v1/classify", json={"profiles": [{"sample_id": sample_id, "betas": bad}]}
        )
        listed = client.get("/v1/results", params={"accession": accession})
    assert classified.status_code == 200, classified.text
    assert refused.status_code == 422
    assert listed.status_code == 200
    # The test client's own lines ("HTTP Request: GET ...?accession=...") are not the service's.
    clients = {"httpx", "httpcore", "httpx2", "httpcore2"}
    service = [r for r in caplog.records if r.name.split(".")[0] not in clients]
    assert {r.name for r in service} >= {"api.access", "api.frame.errors"}
    secrets = (sample_id, accession, repr(beta), repr(bad_beta), f"{bad_beta:g}")
    for record in service:
        text = f"{record.getMessage()} {record.args!r} {vars(record)!r}"
        for secret in secrets:
            assert secret not in text, (record.name, secret)
