"""Error responses: one machine-readable body for every 4xx and 5xx.

Every error body has the shape::

    {"detail": [{"loc": ["body", "profiles", 0, "values", 17],
                 "field": "profiles[0].values[17]",
                 "msg": "beta value 1.7 is outside [0, 1]",
                 "type": "value_out_of_range"}],
     "request_id": "3f2c..."}

``loc`` follows FastAPI's validation errors; ``field`` is the same path as
the JSON reader would write it; ``type`` is a stable code a client can
switch on. Domain errors (:class:`~classifier.errors.ClassifierError`) are
mapped here, and only here, to HTTP statuses. No stack trace ever appears
in a response, and the log line of a rejection holds only its code and the
structural path of the field (no values, sample ids or submitted keys).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from classifier.errors import (
    ClassifierError,
    InsufficientCoverageError,
    InvalidBetaValueError,
    InvalidProbeIdError,
    ModelBundleError,
    UnknownFindingError,
    UnknownGeneError,
)

__all__ = [
    "REQUEST_ID_HEADER",
    "InputError",
    "Loc",
    "error_item",
    "error_response",
    "field_of",
    "from_domain_error",
    "install_error_handlers",
    "loc_of",
    "malformed_json_msg",
    "quoted",
    "request_id_of",
]

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

Loc = tuple[str | int, ...]

_DOMAIN_TYPES: tuple[tuple[type[ClassifierError], str, int], ...] = (
    (InvalidProbeIdError, "invalid_probe_id", 422),
    (InvalidBetaValueError, "invalid_value", 422),
    (InsufficientCoverageError, "insufficient_coverage", 422),
    (UnknownGeneError, "unknown_gene", 422),
    (UnknownFindingError, "unknown_finding", 422),
    (ModelBundleError, "model_unavailable", 503),
    (ClassifierError, "invalid_input", 422),
)
_SCHEMA_NAMES = frozenset(
    {"profiles", "sample_id", "diagnosis", "findings", "betas", "probe_ids", "values", "kind"}
)
#: Longest piece of a submitted text an error body repeats (in ``loc``, ``field`` or ``msg``).
QUOTE_LIMIT = 64
# No message of ours is near this long; a longer one is cut (it would be quoting input).
_MSG_LIMIT = 2_000
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FIELD_PART = re.compile(r"\[(\d+)\]|\[\"((?:[^\"\\]|\\.)*)\"\]|([^.\[\]]+)")


class InputError(Exception):
    """Bad input detected by the HTTP layer; becomes one error item.

    Parameters
    ----------
    msg : str
        What was expected and what came (never the submitted values).
    loc : tuple of str or int
        Path of the offending item in the request body, e.g.
        ``("profiles", 0, "values", 17)``.
    type : str
        Stable error code, e.g. ``"value_out_of_range"``.
    status_code : int, default=422
    """

    def __init__(self, msg: str, *, loc: Loc, type: str, status_code: int = 422) -> None:
        super().__init__(msg)
        self.msg = msg
        self.loc = loc
        self.type = type
        self.status_code = status_code


def field_of(loc: Sequence[str | int]) -> str:
    """Write a body location as a path: ``profiles[0].betas.cg00000029``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += "[" + orjson.dumps(part).decode() + "]"
    return out


def loc_of(field: str | None) -> Loc:
    """Parse a domain error's field path (``findings[2].kind``) into a location."""
    if not field:
        return ()
    parts: list[str | int] = []
    for index, quoted, name in _FIELD_PART.findall(field):
        if index:
            parts.append(int(index))
        elif quoted:
            parts.append(orjson.loads(f'"{quoted}"'))
        else:
            parts.append(name)
    return tuple(parts)


def from_domain_error(exc: ClassifierError, prefix: Loc = ()) -> InputError:
    """Translate a domain error into an :class:`InputError` located under ``prefix``.

    Domain errors name their field relative to what they were given (e.g.
    ``findings[2].kind``); the caller knows which profile that was.
    """
    type_, status = next((t, s) for cls, t, s in _DOMAIN_TYPES if isinstance(exc, cls))
    return InputError(
        exc.message, loc=(*prefix, *loc_of(exc.field)), type=type_, status_code=status
    )


def request_id_of(request: Request) -> str:
    """Return the request id set by the middleware (a fresh one if absent)."""
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = uuid.uuid4().hex
        request.state.request_id = rid
    return rid


def error_response(
    request: Request, status_code: int, items: list[dict], headers: dict[str, str] | None = None
) -> Response:
    """Build the JSON error body shared by every handler."""
    rid = request_id_of(request)
    body = orjson.dumps({"detail": items, "request_id": rid})
    all_headers = {REQUEST_ID_HEADER: rid} | (headers or {})
    return Response(
        body, status_code=status_code, media_type="application/json", headers=all_headers
    )


def error_item(msg: str, loc: Sequence[str | int], type: str) -> dict:
    """One entry of ``detail``; ``loc`` is given relative to the body.

    A key of the body in ``loc`` (a probe id, say) is what the client sent:
    it is repeated only up to :data:`QUOTE_LIMIT` characters, and the message
    at most :data:`_MSG_LIMIT`, so that an error body never echoes a large input.
    """
    shown = [part if isinstance(part, int) else _shown(part, QUOTE_LIMIT) for part in loc]
    body_loc = ["body", *shown] if shown else []
    return {
        "loc": body_loc,
        "field": field_of(shown) if shown else None,
        "msg": _shown(msg, _MSG_LIMIT),
        "type": type,
    }


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of a submitted value for a message, cut to its first ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f" (cut; {len(text):,} characters)"


def _shown(text: str, limit: int) -> str:
    # Cut, and with any lone surrogate replaced: the body must stay valid JSON.
    cut = text if len(text) <= limit else text[:limit] + "…"
    return cut if cut.isprintable() or cut.isascii() else cut.encode("utf-8", "replace").decode()


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the shared error body."""
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(ClassifierError, _classifier_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    _log_rejection(request, exc.status_code, exc.type, exc.loc)
    return error_response(request, exc.status_code, [error_item(exc.msg, exc.loc, exc.type)])


async def _classifier_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClassifierError)
    converted = from_domain_error(exc)
    return await _input_error(request, converted)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    malformed = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        # A body that is not JSON is a 400 on every route, worded as /v1/classify words it.
        item = error_item(_malformed_json_msg(malformed, exc.body), (), "json_invalid")
        _log_rejection(request, 400, "json_invalid", ())
        return error_response(request, 400, [item])
    items: list[dict] = []
    for err in exc.errors():
        # FastAPI's own loc already starts with "body", "query", ...; the
        # submitted value ("input") is left out on purpose.
        loc = list(err.get("loc", ()))
        items.append(
            {
                "loc": loc,
                "field": field_of(loc[1:]) if len(loc) > 1 else None,
                "msg": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
            }
        )
    _log_rejection(request, 422, "request_validation", ())
    return error_response(request, 422, items)


def malformed_json_msg(reason: str, line: int | None = None, column: int | None = None) -> str:
    """``malformed JSON: <reason> at line L, column C``: the words of every route."""
    where = f" at line {line}, column {column}" if line is not None else ""
    return f"malformed JSON: {reason}{where}"


def _malformed_json_msg(err: dict, body: Any) -> str:
    """:func:`malformed_json_msg` of FastAPI's ``json_invalid`` error."""
    reason = str((err.get("ctx") or {}).get("error", "not valid JSON"))
    loc = err.get("loc", ())
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    if pos is None or not isinstance(body, str):
        return malformed_json_msg(reason)
    line = body.count("\n", 0, pos) + 1
    return malformed_json_msg(reason, line, pos - body.rfind("\n", 0, pos))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    items: list[dict]
    if isinstance(detail, list):
        items = detail
    else:
        items = [
            {"loc": [], "field": None, "msg": str(detail), "type": _http_type(exc.status_code)}
        ]
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, items, headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    rid = request_id_of(request)
    # The traceback goes to the server log only; the client gets the id to quote.
    log.error("unexpected error in request %s", rid, exc_info=exc)
    item: dict = {
        "loc": [],
        "field": None,
        "msg": f"internal error; quote request id {rid} to the service operator",
        "type": "internal_error",
    }
    return error_response(request, 500, [item])


def _http_type(status: int) -> str:
    return {
        400: "bad_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
        415: "unsupported_media_type",
        503: "service_unavailable",
    }.get(status, "http_error")


def _log_rejection(request: Request, status: int, type_: str, loc: Loc) -> None:
    # Only the code and the structural path: never values, sample ids or
    # submitted keys (a "probe id" may be anything a client typed).
    path = field_of([p if isinstance(p, int) or p in _SCHEMA_NAMES else "_" for p in loc])
    log.info("request %s rejected: %d %s at %s", request_id_of(request), status, type_, path or "-")
