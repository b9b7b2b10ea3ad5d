"""``Cache-Control: no-store`` on every answer but static files, as a plain ASGI middleware.

Results, case pages, printed reports, the worklist, FHIR documents and
error bodies carry patient data (an accession, a diagnosis, a call); no
browser, proxy or shared cache may keep them. Only the files of the pages
and of the API documentation (``/ui/static/``, ``/docs/``, ``/redoc/``)
may be cached. An answer that sets its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from api.frame.scope_middleware import ScopeMiddleware

__all__ = ["CACHEABLE_PREFIXES", "NoStoreMiddleware"]

#: Paths of static files: the only answers a cache may keep.
CACHEABLE_PREFIXES = ("/ui/static/", "/docs/", "/redoc/")


class NoStoreMiddleware(ScopeMiddleware):
    """Add ``Cache-Control: no-store`` to every HTTP answer outside :data:`CACHEABLE_PREFIXES`.

    Parameters
    ----------
    app : ASGI application
    """

    def passes(self, scope: Scope) -> bool:
        return super().passes(scope) or scope["path"].startswith(CACHEABLE_PREFIXES)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers.append("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_no_store)
