"""``Cache-Control: no-store`` on every answer but static files, as a plain ASGI middleware.

Results, case pages, printed reports, the worklist, FHIR documents and
error bodies carry patient data (an accession, a diagnosis, a call); no
browser, proxy or shared cache may keep them. Only the files of the pages
and of the API documentation (``/ui/static/``, ``/docs/``, ``/redoc/``)
may be cached. An answer that sets its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CACHEABLE_PREFIXES", "NoStoreMiddleware"]

#: Paths of static files: the only answers a cache may keep.
CACHEABLE_PREFIXES = ("/ui/static/", "/docs/", "/redoc/")


class NoStoreMiddleware:
    """Add ``Cache-Control: no-store`` to every HTTP answer outside :data:`CACHEABLE_PREFIXES`.

    Parameters
    ----------
    app : ASGI application
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CACHEABLE_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers.append("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_no_store)
