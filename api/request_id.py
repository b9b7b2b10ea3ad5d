"""Request ids and the access log line, as a plain ASGI middleware.

Every request gets a fresh id, stored in ``request.state.request_id`` and
returned in the ``X-Request-ID`` header (and in every JSON body that the
routes and error handlers write). The service always makes its own id
rather than echoing the client's, so that a LIS cannot smuggle an accession
number into the logs. The access line holds the method, path, status,
duration and id; never a body.

A plain ASGI class, not ``BaseHTTPMiddleware``, so that large bodies stream
through untouched.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import REQUEST_ID_HEADER

__all__ = ["RequestIdMiddleware"]

log = logging.getLogger("api.access")


class RequestIdMiddleware:
    """Assign a request id, add it to the response headers and log the request.

    Parameters
    ----------
    app : ASGI application
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %d %.1f ms id=%s",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                rid,
            )
