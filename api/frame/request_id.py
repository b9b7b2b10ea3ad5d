"""Request ids and the access log line, as a plain ASGI middleware.

Every request gets a fresh id, stored in ``request.state.request_id`` and
returned in the ``X-Request-ID`` header (and in every JSON body that the
routes and error handlers write), and held in :data:`CURRENT_REQUEST_ID` so
that every log line written for the request carries it. The service always
makes its own id rather than echoing the client's, so that a LIS cannot
smuggle an accession number into the logs. The access line holds the
method, the route *template* (``/v1/results/{result_id}``, never the path
itself, which may hold an accession number), status, duration, client name
and id; never a body or a query string.

A plain ASGI class, not ``BaseHTTPMiddleware``, so that large bodies stream
through untouched.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from api.frame.errors import REQUEST_ID_HEADER
from api.frame.scope_middleware import ScopeMiddleware

__all__ = ["CURRENT_REQUEST_ID", "RequestIdMiddleware", "route_template"]

log = logging.getLogger("api.access")

#: Id of the request being handled (inherited by the worker threads it starts).
CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def route_template(scope: Scope) -> str:
    """The path template of the route that handled a request, or ``"unmatched"``."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestIdMiddleware(ScopeMiddleware):
    """Assign a request id, add it to the response headers and log the request.

    Parameters
    ----------
    app : ASGI application
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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

        token = CURRENT_REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT_REQUEST_ID.reset(token)
            route = route_template(scope)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            client = getattr(scope["state"].get("client"), "name", None)
            log.info(
                "%s %s %d %.1f ms",
                scope["method"],
                route,
                status,
                duration_ms,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "client": client,
                },
            )
