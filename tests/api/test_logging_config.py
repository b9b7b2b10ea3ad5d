"""JSON log lines with the request id; no paths or values of the request in the access log."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from api.logging_config import JsonFormatter, RequestIdFilter, configure_logging
from api.request_id import CURRENT_REQUEST_ID


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
