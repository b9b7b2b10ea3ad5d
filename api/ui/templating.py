"""Rendering pages: the Jinja2 environment, its filters, and the page-error handlers.

Page errors are pages in the pages' layout, never the API's JSON: a
:class:`~api.ui.page_access.UiError` raised by a page, and a request FastAPI
refuses (a query parameter such as ``offset=-5``, a path part, a form
field) on a route of a router built with ``route_class=PageRoute``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.contract.percentages import as_percent
from api.frame.errors import request_id_of
from api.security import Client, Permission
from api.ui.page_access import LoginRequired, UiError, csrf_token, reads_pages
from classifier.score_text import score_text

__all__ = [
    "DSRCT_LABELS",
    "PAGE_HEADERS",
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "PageRoute",
    "dsrct_label",
    "install_ui",
    "render",
    "verdict_label",
]

_API_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = _API_DIR / "templates"
STATIC_DIR = _API_DIR / "static"

#: How a refused part of a request is named on the error page, by FastAPI's location.
_PLACES = {
    "query": "The parameter '{}' of the address",
    "path": "The part '{}' of the address",
    "body": "The form field '{}'",
    "header": "The header '{}'",
    "cookie": "The cookie '{}'",
}

#: Sent with every page: none may be framed by another site (a correction
#: form under a decoy would be clickjacking), and no response is sniffed.
PAGE_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: Words for the codes the results use.
LABELS = {
    "match": "match",
    "family_match": "family match",
    "no_match": "no match",
    "confirmed": "confirmed",
    "consistent": "consistent",
    "discordant": "discordant: needs review",
    "consistent_unconfirmed": "consistent, unconfirmed",
    "inconsistent": "inconsistent",
    "not_assessed": "not assessed",
    "family_concordant": "family concordant",
    "reclassified": "reclassified",
    "specific_support": "specific support",
    "compatible": "compatible",
    "neutral": "neutral",
    "weak_against": "weak evidence against",
    "strong_against": "strong evidence against",
    "not_classifiable": "not classifiable",
    "diagnosis_unrecognised": "diagnosis not recognised",
}


#: The DSRCT check's status in words: it judges the findings against DSRCT,
#: whatever the call, so a bare "confirmed" or "inconsistent" would mislead.
DSRCT_LABELS = {
    "confirmed": "EWSR1::WT1 shown",
    "consistent": "fits DSRCT, not proven",
    "consistent_unconfirmed": "fits DSRCT, not proven",
    "discordant": "findings argue against DSRCT",
    "inconsistent": "findings against DSRCT",
    "not_assessed": "not assessed",
}


def dsrct_label(status: str) -> str:
    """Words for the DSRCT check's status (see :data:`DSRCT_LABELS`)."""
    return DSRCT_LABELS.get(str(status), _label(status))


def verdict_label(verdict: str, submitted_diagnosis: str | None) -> str:
    """Words for a reclassification verdict, telling "none submitted" from "not recognised".

    Both are ``diagnosis_unrecognised`` in the results (a fixed vocabulary the
    LIS reads); a reviewer should not read a missing diagnosis as a wrong one.
    """
    if verdict == "diagnosis_unrecognised" and not (submitted_diagnosis or "").strip():
        return "no diagnosis submitted"
    return _label(verdict)


def _label(code: object) -> str:
    return LABELS.get(str(code), str(code).replace("_", " "))


_templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
_templates.env.filters["label"] = _label
_templates.env.filters["verdict_label"] = verdict_label
_templates.env.filters["dsrct_label"] = dsrct_label
# Rounded down, as the evidence sentences are (a score of 0.9996 is not "1.000").
_templates.env.filters["score"] = lambda v: "-" if v is None else score_text(float(v), 3)
_templates.env.filters["pct"] = lambda v: "-" if v is None else as_percent(float(v))
_templates.env.filters["thousands"] = lambda v: f"{int(v):,}"


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the request id, the form's CSRF token and who is in.

    ``signed_in`` (the navigation is shown) is true once the page's key has
    been checked, so never on the sign-in page; ``can_sign_out`` also needs
    a key, which a service without authentication does not ask for.
    """
    # Set by api.security when a key is admitted (or authentication is off).
    client: Client | None = getattr(request.state, "client", None)
    page = {
        "request_id": request_id_of(request),
        "csrf_token": csrf_token(request) or "",
        "signed_in": client is not None,
        "can_sign_out": client is not None and client.id is not None,
        # Links only to the pages the key may open (a reviewer's "Submit" was a 403).
        "can_view_worklist": client is not None and reads_pages(client),
        "can_submit": client is not None and client.can(Permission.CLASSIFY),
        "can_correct": client is not None and client.can(Permission.CORRECT_RESULTS),
    }
    response = _templates.TemplateResponse(
        request, template, page | context, status_code=status_code
    )
    response.headers.update(PAGE_HEADERS)
    return response


class PageRoute(APIRoute):
    """A page's route: a request FastAPI refuses is answered with an error page.

    FastAPI's own answer is the API's JSON 422; a browser gets a 400 page in
    the pages' layout instead, saying which parameter is wrong and why, as
    for the pages' own checks (e.g. an unknown worklist filter). The key is
    checked first: without one, the browser is sent to sign in.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so that its validation errors become :class:`UiError`."""
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise UiError(400, "Invalid request", invalid_request_message(exc)) from None

        return page_handler


def invalid_request_message(exc: RequestValidationError) -> str:
    """What is wrong, in words: ``The parameter 'offset' of the address is invalid: ...``.

    The submitted values are left out, as in the API's error bodies.
    """
    sentences = []
    for error in exc.errors():
        kind, *names = [str(part) for part in error.get("loc", ())] or ["request"]
        place = _PLACES.get(kind, "The part '{}' of the request").format(".".join(names) or kind)
        reason = str(error.get("msg") or "invalid")
        sentences.append(f"{place} is invalid: {reason[:1].lower()}{reason[1:]}.")
    return " ".join(sentences)


def install_ui(app: FastAPI) -> None:
    """Serve ``/ui/static`` and answer page errors with pages."""
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(UiError, _ui_error)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/ui/login?next={quote(exc.next_path)}", status_code=303)


async def _ui_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UiError)
    return render(
        request,
        "error.html",
        {"title": exc.title, "message": exc.message},
        status_code=exc.status_code,
    )
