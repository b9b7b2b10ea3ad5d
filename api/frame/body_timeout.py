"""A request body that stops arriving is answered 408, as a plain ASGI middleware.

uvicorn waits for a body as long as the connection stays open: a client
that announces ``Content-Length: 60000000`` and sends nothing (or a few
bytes a minute) would hold a connection, and the memory of what it sent,
for good. This middleware gives each part of a body ``BODY_TIMEOUT_SECONDS``
to arrive; when one does not, the route reading the body gets
:class:`BodyTimeout` (an HTTP 408 with the shared error body), whichever
way it reads (streamed, as JSON, as a form). Once the body is complete,
waiting for the client (e.g. for its disconnection) is not timed.

A plain ASGI class, not ``BaseHTTPMiddleware``, so that large bodies stream
through untouched.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.frame.errors import error_item
from api.settings import Settings, get_settings

__all__ = ["BodyTimeout", "BodyTimeoutMiddleware"]


class BodyTimeout(HTTPException):
    """The next part of the request body did not arrive in time (HTTP 408).

    An :class:`HTTPException` so that FastAPI, reading a JSON or form body
    for a route, passes it on instead of turning it into a 400.
    """

    def __init__(self, seconds: float) -> None:
        self.message = (
            f"the request body stopped arriving: nothing came for {seconds:g} s "
            "(BODY_TIMEOUT_SECONDS); send the whole body at once"
        )
        # A list detail is the shared error body's items (see api.frame.errors._http_error).
        detail: Any = [error_item(self.message, (), "body_timeout")]
        super().__init__(status_code=408, detail=detail)


class BodyTimeoutMiddleware:
    """Time out each wait for the next part of an incomplete request body.

    The limit is read from the app's settings on every request (they are
    set in the lifespan, and tests change them).

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
        seconds = _timeout_of(scope)
        complete = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:
                return await receive()
            with anyio.move_on_after(seconds) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise BodyTimeout(seconds)
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed_receive, send)


def _timeout_of(scope: Scope) -> float:
    app = scope.get("app")
    settings: Settings = getattr(getattr(app, "state", None), "settings", None) or get_settings()
    return settings.body_timeout_seconds
