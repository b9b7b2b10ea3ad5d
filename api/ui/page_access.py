"""Who is looking at a review page, and whether a submitted form really comes from one.

Pages accept the same API keys as the API in a header (scripts, tests); a
browser signs in on ``/ui/login`` with a key and then holds a session in
the cookie ``sarcoma_session`` (HTTP only, same-site strict), never the key
itself (:mod:`api.security.page_sessions`). A form posted with the cookie
must carry the CSRF token the page was rendered with (an HMAC of the
session token, which another site cannot compute); a form posted with a
header key needs none. Signing in
and out have no key to derive a token from yet: they are refused when the
browser says the form came from another site (:func:`check_same_origin`),
so that no other page can sign a browser in with a key of its choosing
(whose results its owner could then read) or out.

Failures are page errors, not JSON: no key sends the browser to the login
page, a key without the permission gets a 403 page.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request

from api.security import (
    API_KEY_HEADER,
    SESSION_COOKIE,
    Client,
    Permission,
    client_for_session,
    client_for_token,
)

__all__ = [
    "LoginRequired",
    "UiCorrectorDep",
    "UiError",
    "UiReaderDep",
    "UiSubmitterDep",
    "check_csrf",
    "check_same_origin",
    "csrf_token",
    "reads_pages",
    "ui_corrector",
    "ui_reader",
    "ui_submitter",
]

_CSRF_CONTEXT = b"sarcoma-ui-form"


class LoginRequired(Exception):
    """The page needs an API key; the browser is sent to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class UiError(Exception):
    """A page answered with an error page (never a stack trace)."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message


def csrf_token(request: Request) -> str | None:
    """The CSRF token of the page's session cookie, or ``None`` without a cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return hmac.new(token.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def reads_pages(client: Client) -> bool:
    """Whether ``client`` may open the worklist and case pages (all results, or its own)."""
    return client.can(Permission.VIEW_UI) or client.can(Permission.READ_OWN_RESULTS)


def ui_reader(request: Request) -> Client:
    """A client that may read results on the pages (all of them, or its own)."""
    client = _client(request)
    if not reads_pages(client):
        raise UiError(
            403, "Not allowed", f"The role '{client.role}' of this key cannot read results."
        )
    return client


def ui_submitter(request: Request) -> Client:
    """A client that may classify (from a header key or the cookie); see :func:`check_csrf`."""
    return _page_client_who_can(request, Permission.CLASSIFY, "submit profiles", "lis")


def ui_corrector(request: Request) -> Client:
    """A client that may correct and sign off results (a reviewer); see :func:`check_csrf`.

    Raises
    ------
    LoginRequired
        Without a valid key (the browser is sent to sign in).
    UiError
        403 for a key whose role may not correct results.
    """
    return _page_client_who_can(
        request, Permission.CORRECT_RESULTS, "correct or sign off results", "reviewer"
    )


def _page_client_who_can(request: Request, permission: Permission, what: str, role: str) -> Client:
    client = _client(request)
    if not client.can(permission):
        raise UiError(
            403,
            "Not allowed",
            f"The role '{client.role}' of this key cannot {what}; a key with the role "
            f"'{role}' can.",
        )
    return client


def check_csrf(
    request: Request,
    submitted: str | None,
    again: str = "Open the submit page again and resend the file.",
) -> None:
    """Refuse a form posted with the cookie key unless it carries the page's CSRF token.

    Parameters
    ----------
    request : Request
    submitted : str or None
        The form's ``csrf_token`` field.
    again : str
        What to do instead, for the error page.

    Raises
    ------
    UiError
        403 when the token is missing or wrong.
    """
    if _header_token(request) is not None:
        return  # another site cannot make a browser send a header
    expected = csrf_token(request)
    if expected is not None and not hmac.compare_digest(expected, submitted or ""):
        raise UiError(
            403, "Form expired", f"This form was not sent from this service's own page. {again}"
        )


#: ``Sec-Fetch-Site`` values of a request that no other site started.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def check_same_origin(request: Request) -> None:
    """Refuse a form that the browser says another site sent.

    Browsers send ``Sec-Fetch-Site`` (and ``Origin`` with every POST); the
    first is the browser's own judgement and does not depend on how a
    proxy rewrites the host, so it decides when present. Browsers send it
    only to HTTPS sites and localhost: otherwise ``Origin`` is compared
    with the scheme, host and port this service sees, which behind a proxy
    must pass the ``Host`` header and ``X-Forwarded-Proto`` (with
    ``FORWARDED_ALLOW_IPS``), or every sign-in is refused. A request with
    neither (curl, a script) is not a browser driven by another page and
    is let through.

    Raises
    ------
    UiError
        403 when the form came from another site.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        cross = fetch_site.strip().lower() not in _OWN_FETCH_SITES
    else:
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.url.netloc}"
        sent = None if origin is None else _origin_key(origin)
        cross = origin is not None and (sent is None or sent != _origin_key(own))
    if cross:
        raise UiError(
            403,
            "Sent from another site",
            "This form was not sent from this service's own pages. Open the sign-in page "
            "of the service and sign in there.",
        )


def _origin_key(origin: str) -> tuple[str, str, int | None] | None:
    """Scheme, host and port of an origin, the default port filled in (``None`` if unreadable)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None  # "null" (a sandboxed frame, a data: page) is nobody's origin
    return parts.scheme.lower(), parts.hostname.lower(), port


_DEFAULT_PORTS = {"http": 80, "https": 443}


UiReaderDep = Annotated[Client, Depends(ui_reader)]
UiSubmitterDep = Annotated[Client, Depends(ui_submitter)]
UiCorrectorDep = Annotated[Client, Depends(ui_corrector)]


def _header_token(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return request.headers.get(API_KEY_HEADER) or None


def _client(request: Request) -> Client:
    """The client of a header key, else of the session cookie."""
    header = _header_token(request)
    try:
        if header is not None:
            return client_for_token(request, header)
        return client_for_session(request, request.cookies.get(SESSION_COOKIE))
    except HTTPException as exc:
        if exc.status_code == 401:
            # With its query: signing in returns to the same filtered list.
            query = request.url.query
            raise LoginRequired(
                f"{request.url.path}?{query}" if query else request.url.path
            ) from None
        if exc.status_code == 429:
            raise UiError(429, "Too many requests", "Wait a few seconds and retry.") from None
        raise
