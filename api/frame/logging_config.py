"""Log format of the service: one JSON object per line, with the request id.

Configured only by the entry point (the app's lifespan), never at import.
Each record carries the id of the request it was written for (taken from
:data:`api.frame.request_id.CURRENT_REQUEST_ID`, which worker threads inherit), so
that every line of one request can be found by the id the client was given.
What is logged is decided where it is logged: never beta values, sample ids,
accession numbers or submitted probe ids.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum

import orjson

from api.frame.request_id import CURRENT_REQUEST_ID

__all__ = ["JsonFormatter", "LogFormat", "RequestIdFilter", "configure_logging"]

# Attributes every LogRecord has; anything else was passed with ``extra=``
# (uvicorn adds a copy of its message with terminal colours).
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "color_message"}
)
# Marks the handler this module installed, so that a second call replaces it.
_OURS = "_sarcoma_service_handler"


class LogFormat(StrEnum):
    """How log lines are written (``LOG_FORMAT``)."""

    JSON = "json"
    TEXT = "text"


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` (or ``None`` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = CURRENT_REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object.

    Keys: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id``, every field passed with ``extra=``, and ``exception``
    (the formatted traceback) when there is one.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str, fmt: LogFormat | str = LogFormat.JSON) -> None:
    """Write the service's log lines to standard error in ``fmt``, at ``level``.

    The ``api`` loggers get a handler of their own unless the root logger
    already has one (a host application or the test runner decides then);
    uvicorn's handlers, when present, are given the same format so that one
    process writes one format. uvicorn's own access log is silenced. Idempotent.
    """
    formatter: logging.Formatter
    if LogFormat(fmt) is LogFormat.JSON:
        formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(levelname)s %(name)s [%(request_id)s]: %(message)s")
    api_logger = logging.getLogger("api")
    api_logger.setLevel(level)
    for old in [h for h in api_logger.handlers if getattr(h, _OURS, False)]:
        api_logger.removeHandler(old)
    if not logging.getLogger().handlers:
        ours = logging.StreamHandler()
        setattr(ours, _OURS, True)
        api_logger.addHandler(ours)
    _silence_uvicorn_access_log()
    handlers = [h for h in api_logger.handlers if getattr(h, _OURS, False)]
    handlers += logging.getLogger("uvicorn").handlers
    for handler in handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())


def _silence_uvicorn_access_log() -> None:
    # uvicorn's access line holds the raw path and query string
    # ("/v1/results?accession=S-2024-0117"), so a plain ``uvicorn api.main:app``
    # (without --no-access-log) would log accession numbers. The service writes
    # its own access line, with the route template (api.frame.request_id). Like
    # --no-access-log: without handlers uvicorn does not even build the line
    # (it asks hasHandlers()); disabled and above CRITICAL in case a handler is
    # added back later.
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
    access.setLevel(logging.CRITICAL + 1)
    access.disabled = True
