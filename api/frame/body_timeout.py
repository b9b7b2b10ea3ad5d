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

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from api.frame.errors import error_item
from api.frame.scope_middleware import ScopeMiddleware
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


class BodyTimeoutMiddleware(ScopeMiddleware):
    """Time out each wait for the next part of an incomplete request body.

    The limit is read from the app's settings on every request (they are
    set in the lifespan, and tests change them).

    Parameters
    ----------
    app : ASGI application
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        watch = _Watch(_timeout_of(scope))

        async def timed_receive() -> Message:
            if watch.complete:
                return await receive()
            message = await watch.wait_for(receive)
            if message["type"] != "http.request" or not message.get("more_body", False):
                watch.finish()
            return message

        try:
            await self.app(scope, timed_receive, send)
        finally:
            watch.finish()


class _Watch:
    """One timer per request, not per part of the body.

    A timer per awaited part (a cancel scope) cost ~18 µs, ~1 ms for a 3.5 MB
    body in 64 KB parts. Here a waiting part only records when its wait
    began; one timer, armed once, wakes when a wait may have run out, and
    cancels the waiting task only if it has (as ``asyncio.timeout`` does:
    the task is uncancelled and the wait raises :class:`BodyTimeout`).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.complete = False
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Task | None = None
        self._since = 0.0
        self._expired = False
        self._timer: asyncio.TimerHandle | None = None

    async def wait_for(self, receive: Receive) -> Message:
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        self._waiter, self._since = task, self._loop.time()
        if self._timer is None:
            self._timer = self._loop.call_later(self.seconds, self._check)
        try:
            return await receive()
        except asyncio.CancelledError:
            # Ours unless the task was cancelled for another reason too (then that goes on).
            if self._expired and task.uncancel() <= cancelling:
                raise BodyTimeout(self.seconds) from None
            raise
        finally:
            self._waiter = None

    def finish(self) -> None:
        self.complete = True
        if self._timer is not None:
            self._timer.cancel()

    def _check(self) -> None:
        if self.complete:
            return
        due = self._since + self.seconds
        if self._waiter is not None and self._loop.time() >= due:
            self._expired = True
            self._waiter.cancel()
            return
        # Not waiting, or waiting since less long: look again when it could run out.
        start = self._since if self._waiter is not None else self._loop.time()
        self._timer = self._loop.call_at(start + self.seconds, self._check)


def _timeout_of(scope: Scope) -> float:
    app = scope.get("app")
    settings: Settings = getattr(getattr(app, "state", None), "settings", None) or get_settings()
    return settings.body_timeout_seconds
