"""Authentication and authorisation of requests, as FastAPI dependencies.

A request names its key in ``Authorization: Bearer <token>`` or in
``X-API-Key: <token>``; a browser signed in on the review pages instead
holds a session in the cookie ``sarcoma_session`` (never the key itself;
see :mod:`api.security.page_sessions`), which is read for GET and HEAD only
(so that a forged cross-site form can change nothing). The answer is

* 401 ``not_authenticated`` when no key is given, 401 ``invalid_api_key``
  for an unknown, malformed or revoked one (with ``WWW-Authenticate: Bearer``);
* 403 ``forbidden`` when the key's role lacks the permission (see
  :mod:`api.security.roles`);
* 429 ``rate_limited`` with ``Retry-After`` when the key exceeds its rate.

With ``AUTH_REQUIRED=false`` every request is made by
:meth:`Client.unauthenticated`, which may do everything; the service warns
loudly at start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn

import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.contract.error_body import ErrorResponse
from api.frame.errors import error_item
from api.security.key_store import ApiKeyStore
from api.security.page_sessions import SESSION_COOKIE, PageSessionStore
from api.security.rate_limit import TokenBucketLimiter
from api.security.roles import Client, Permission
from api.settings import Settings, get_settings

__all__ = [
    "API_KEY_HEADER",
    "AUTH_RESPONSES",
    "authenticated_client",
    "client_for_session",
    "client_for_token",
    "require",
]

API_KEY_HEADER = "X-API-Key"
_SAFE_METHODS = frozenset({"GET", "HEAD"})

#: OpenAPI description of the answers every protected route may give.
AUTH_RESPONSES: dict[int | str, dict] = {
    401: {
        "model": ErrorResponse,
        "description": "No API key (`not_authenticated`), or an unknown or revoked one "
        "(`invalid_api_key`).",
    },
    403: {"model": ErrorResponse, "description": "The key's role may not do this (`forbidden`)."},
    429: {
        "model": ErrorResponse,
        "description": "The key's rate limit is exceeded (`rate_limited`); see `Retry-After`.",
    },
}

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key as a bearer token: `Authorization: Bearer smc_...`.",
)
_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    scheme_name="apiKey",
    description="The same API key in the `X-API-Key` header.",
)


async def authenticated_client(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
) -> Client:
    """The client whose key the request carries; also takes one token of its rate limit.

    A coroutine, so that FastAPI runs it on the event loop rather than
    sending it to a worker thread: a key checked in the last few seconds is
    answered from memory, and only a database lookup goes to a thread.

    Raises
    ------
    HTTPException
        401 without a valid key, 429 over the rate limit.
    """
    if not _settings(request).auth_required:
        return _admit(request, None, Client.unauthenticated())
    token = bearer.credentials if bearer is not None else header_key
    client = None
    if token:
        store: ApiKeyStore = request.app.state.api_keys
        known, client = store.cached(token)
        if not known:
            client = await anyio.to_thread.run_sync(store.authenticate, token)
    elif request.method in _SAFE_METHODS and request.cookies.get(SESSION_COOKIE):
        token = request.cookies[SESSION_COOKIE]
        sessions: PageSessionStore = request.app.state.page_sessions
        known, client = sessions.cached(token)
        if not known:
            client = await anyio.to_thread.run_sync(sessions.client_for, token)
    return _admit(request, token, client)


def client_for_token(request: Request, token: str | None) -> Client:
    """Like :func:`authenticated_client` for a token already read (blocking; for the pages).

    Raises
    ------
    HTTPException
        401 without a valid key, 429 over the rate limit.
    """
    if not _settings(request).auth_required:
        return _admit(request, None, Client.unauthenticated())
    store: ApiKeyStore = request.app.state.api_keys
    return _admit(request, token, store.authenticate(token) if token else None)


def client_for_session(request: Request, token: str | None) -> Client:
    """Like :func:`client_for_token` for a page session's token (blocking; for the pages).

    Raises
    ------
    HTTPException
        401 without a valid session, 429 over the key's rate limit.
    """
    if not _settings(request).auth_required:
        return _admit(request, None, Client.unauthenticated())
    sessions: PageSessionStore = request.app.state.page_sessions
    return _admit(request, token, sessions.client_for(token) if token else None)


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


def _admit(request: Request, token: str | None, client: Client | None) -> Client:
    """Refuse a missing or unknown key and a key over its rate; remember the client."""
    if client is None:
        if not token:
            _refuse(
                request,
                401,
                "not_authenticated",
                "an API key is required: send 'Authorization: Bearer <token>' or "
                f"'{API_KEY_HEADER}: <token>'",
            )
        _refuse(request, 401, "invalid_api_key", "the API key is unknown or revoked")
    request.state.client = client
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None and client.id is not None:
        wait = limiter.acquire(client.id)
        if wait > 0:
            _count(request, "rate_limited")
            retry_after = TokenBucketLimiter.retry_after(wait)
            raise HTTPException(
                status_code=429,
                detail=[
                    error_item(
                        f"rate limit of {limiter.rate:g} requests per second (burst "
                        f"{limiter.burst}) exceeded for this key; retry after {retry_after} s",
                        (),
                        "rate_limited",
                    )
                ],
                headers={"Retry-After": retry_after},
            )
    return client


def require(*permissions: Permission) -> Callable[..., Awaitable[Client]]:
    """A dependency admitting clients that hold at least one of ``permissions``.

    Authentication (and the rate limit) runs once per request however many
    ``require`` dependencies a route has.
    """
    if not permissions:
        raise ValueError("require() needs at least one permission")
    names = [p.value for p in permissions]
    needed = names[0] if len(names) == 1 else f"one of {', '.join(names)}"

    async def check(
        request: Request, client: Annotated[Client, Depends(authenticated_client)]
    ) -> Client:
        if not any(client.can(p) for p in permissions):
            _refuse(
                request,
                403,
                "forbidden",
                f"the role '{client.role}' of this key may not do this (needs {needed})",
            )
        return client

    check.__name__ = f"require_{'_or_'.join(p.value for p in permissions)}"
    return check


def _refuse(request: Request, status: int, type_: str, msg: str) -> NoReturn:
    _count(request, type_)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    raise HTTPException(status_code=status, detail=[error_item(msg, (), type_)], headers=headers)


def _count(request: Request, reason: str) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is None:
        return
    if reason == "rate_limited":
        metrics.rate_limited.inc()
    else:
        metrics.auth_failures.labels(reason).inc()
