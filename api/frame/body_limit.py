"""The body size limit (``MAX_BODY_BYTES``) on every route, as a plain ASGI middleware.

FastAPI reads a JSON or form body whole before the route's code runs, so
that a limit checked in a route comes too late for ``POST /v1/admin/keys``
or ``POST /ui/login``. This middleware answers 413 ``body_too_large`` (the
shared error body) at once when ``Content-Length`` is over the limit, and,
for a body sent without a length, as soon as the bytes received pass it;
what the route answered to its unreadable body is dropped for the 413.

Routes that stream their body and refuse it with a message of their own
(``/v1/classify`` says how to send less, the submit page explains it on the
form) are named in ``self_limited`` and left to do so.

A plain ASGI class, not ``BaseHTTPMiddleware``, so that large bodies stream
through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.frame.errors import InputError, error_item, error_response
from api.frame.request_body import body_too_large
from api.frame.scope_middleware import ScopeMiddleware
from api.settings import Settings, get_settings

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware(ScopeMiddleware):
    """Refuse with 413 any request body over ``MAX_BODY_BYTES``.

    The limit is read from the app's settings on every request (they are
    set in the lifespan, and tests change them).

    Parameters
    ----------
    app : ASGI application
    self_limited : iterable of str, optional
        Paths whose routes enforce the limit themselves.
    """

    def __init__(self, app: ASGIApp, self_limited: Iterable[str] = ()) -> None:
        super().__init__(app)
        self.self_limited = frozenset(self_limited)

    def passes(self, scope: Scope) -> bool:
        return super().passes(scope) or _route_path(scope) in self.self_limited

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = _limit_of(scope)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            what = f"Content-Length says {int(declared):,} bytes"
            await _refuse(scope, receive, send, body_too_large(limit, what))
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                exceeded = exceeded or received > limit
            if exceeded:
                raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body it could not read; the 413 replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # The body reader's error may come wrapped (e.g. in a task group).
            if not exceeded or started:
                raise
        if exceeded and not started:
            what = f"more than {limit:,} bytes were sent"
            await _refuse(scope, receive, send, body_too_large(limit, what))


class _BodyTooLarge(Exception):
    """Raised to the app reading a body past the limit (never reaches a client)."""


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _limit_of(scope: Scope) -> int:
    app = scope.get("app")
    settings: Settings = getattr(getattr(app, "state", None), "settings", None) or get_settings()
    return settings.max_body_bytes


async def _refuse(scope: Scope, receive: Receive, send: Send, error: InputError) -> None:
    request = Request(scope, receive)
    item = error_item(error.msg, error.loc, error.type)
    await error_response(request, error.status_code, [item])(scope, receive, send)
