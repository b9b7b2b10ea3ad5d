"""The shape every middleware of the HTTP frame shares.

Each one handles one kind of ASGI scope (``http``, or ``lifespan`` for the
start-up errors) and passes every other scope to the app untouched; a
subclass writes only :meth:`ScopeMiddleware.handle`, and may widen
:meth:`ScopeMiddleware.passes` (e.g. static files need no ``no-store``).
"""

from __future__ import annotations

from typing import ClassVar

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ScopeMiddleware"]


class ScopeMiddleware:
    """An ASGI middleware for one scope type, transparent to the others.

    Parameters
    ----------
    app : ASGI application
    """

    #: The scope type this middleware handles.
    handles: ClassVar[str] = "http"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def passes(self, scope: Scope) -> bool:
        """Whether ``scope`` goes to the app untouched."""
        return scope["type"] != self.handles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.passes(scope):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle a scope of type :attr:`handles`."""
        raise NotImplementedError
