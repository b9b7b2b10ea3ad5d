"""Reading a request body: media type check and size limit enforced while reading.

The body is read chunk by chunk and refused with 413 as soon as it passes
the limit (or at once when ``Content-Length`` already says so), so that an
oversized upload is never held in memory or parsed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

from api.frame.errors import InputError

__all__ = [
    "ARROW_MEDIA_TYPE",
    "JSON_MEDIA_TYPE",
    "BodyFormat",
    "JsonBodyDep",
    "body_format",
    "body_too_large",
    "media_type",
    "read_body",
    "require_json_body",
]

JSON_MEDIA_TYPE = "application/json"
ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.stream"
_SMALLER_BODY_HINT = "Send fewer profiles per request, only the model's CpGs, or the Arrow form"


class BodyFormat(StrEnum):
    """Request body formats accepted by ``POST /v1/classify``."""

    JSON = JSON_MEDIA_TYPE
    ARROW = ARROW_MEDIA_TYPE


def body_format(content_type: str | None) -> BodyFormat:
    """Return the body format named by a ``Content-Type`` header.

    Raises
    ------
    InputError
        415 when the header is missing or names another media type.
    """
    media = media_type(content_type)
    try:
        return BodyFormat(media)
    except ValueError:
        raise _unsupported(media, f"{JSON_MEDIA_TYPE} or {ARROW_MEDIA_TYPE}") from None


def media_type(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` header, lower case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


async def require_json_body(request: Request) -> None:
    """Refuse (415) a body that does not say it is JSON, for routes that read a JSON model.

    FastAPI reads a body of another media type as a plain string, and the
    caller would get a 422 about a "dictionary" instead of the real mistake
    (``curl -d`` sends ``application/x-www-form-urlencoded``). Declare it
    (:data:`JsonBodyDep`) after the route's authentication, so that a
    request without a key gets its 401 first.

    Parameters
    ----------
    request : Request

    Raises
    ------
    InputError
        415 ``unsupported_media_type`` naming the ``Content-Type`` sent.
    """
    media = media_type(request.headers.get("content-type"))
    if media != JSON_MEDIA_TYPE:
        raise _unsupported(media, JSON_MEDIA_TYPE)


def _unsupported(media: str, expected: str) -> InputError:
    got = repr(media) if media else "no Content-Type header"
    return InputError(
        f"expected Content-Type {expected}, got {got}",
        loc=(),
        type="unsupported_media_type",
        status_code=415,
    )


async def read_body(request: Request, limit: int) -> bytes:
    """Read the whole body, refusing it as soon as it exceeds ``limit`` bytes.

    Parameters
    ----------
    request : Request
    limit : int
        Largest accepted size in bytes (``MAX_BODY_BYTES``).

    Raises
    ------
    InputError
        413 when the body (or its declared ``Content-Length``) exceeds the
        limit; 400 when it is empty.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(
            limit, f"Content-Length says {int(declared):,} bytes", _SMALLER_BODY_HINT
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit, f"more than {limit:,} bytes were sent", _SMALLER_BODY_HINT)
        chunks.append(chunk)
    if size == 0:
        raise InputError("the request body is empty", loc=(), type="empty_body", status_code=400)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def body_too_large(limit: int, what: str, hint: str = "") -> InputError:
    """The 413 ``body_too_large`` error: what came, the limit, and how to send less.

    Parameters
    ----------
    limit : int
        ``MAX_BODY_BYTES``.
    what : str
        What was seen, e.g. ``"Content-Length says 70,000,000 bytes"``.
    hint : str, optional
        A sentence on how to send less.
    """
    msg = f"request body too large: {what}; the limit (MAX_BODY_BYTES) is {limit:,} bytes"
    return InputError(
        f"{msg}. {hint}" if hint else msg, loc=(), type="body_too_large", status_code=413
    )


#: A route's JSON body check, as a parameter declared after its authentication.
JsonBodyDep = Annotated[None, Depends(require_json_body)]
