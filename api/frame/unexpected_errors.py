"""The last net under the routes: an unexpected error is logged once, with its request id.

Starlette answers an unexpected exception in its outermost layer, after the
request id middleware has finished (so the log line had no request id), and
then raises it again for the server, which logs the traceback a second time.
This middleware sits inside the request id middleware: it logs the
traceback once, with the id the client is given, answers the shared 500
body, and lets nothing reach the server.

A client that disconnects before its body is complete is not an error of
the service: it is logged at INFO and counted with status 499 (the code
nginx uses), never as a 500.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope, Send

from api.frame.errors import error_item, error_response, request_id_of
from api.frame.scope_middleware import ScopeMiddleware

__all__ = ["CLIENT_CLOSED_REQUEST", "UnexpectedErrorMiddleware"]

log = logging.getLogger("api.frame.errors")

#: Status recorded (in the access line and the metrics) for a client that left mid-request.
CLIENT_CLOSED_REQUEST = 499


class UnexpectedErrorMiddleware(ScopeMiddleware):
    """Answer 500 to an unexpected exception (logged once), 499 to a client that left.

    Parameters
    ----------
    app : ASGI application
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except ClientDisconnect:
            request = Request(scope)
            log.info("request %s: the client disconnected before the request was complete",
                     request_id_of(request))  # fmt: skip
            if not started:
                # Nobody reads it (the server drops it); the access line and metrics do.
                await send({"type": "http.response.start", "status": CLIENT_CLOSED_REQUEST,
                            "headers": []})  # fmt: skip
                await send({"type": "http.response.body", "body": b""})
        except Exception as exc:
            request = Request(scope)
            rid = request_id_of(request)
            # The traceback goes to the server log only; the client gets the id to quote.
            log.error("unexpected error in request %s", rid, exc_info=exc)
            if started:
                return  # the answer is under way: the client sees the connection end
            item = error_item(
                f"internal error; quote request id {rid} to the service operator",
                (),
                "internal_error",
            )
            await error_response(request, 500, [item])(scope, receive, send)
