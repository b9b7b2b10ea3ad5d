"""Rendering pages: the Jinja2 environment, its filters, and the page-error handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.errors import request_id_of
from api.ui.auth import LoginRequired, UiError, csrf_token

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "install_ui", "render", "verdict_label"]

_API_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = _API_DIR / "templates"
STATIC_DIR = _API_DIR / "static"

#: Words for the codes the results use.
LABELS = {
    "match": "match",
    "family_match": "family match",
    "no_match": "no match",
    "confirmed": "confirmed",
    "consistent_unconfirmed": "consistent, unconfirmed",
    "inconsistent": "inconsistent",
    "not_assessed": "not assessed",
    "reclassified": "reclassified",
    "not_classifiable": "not classifiable",
    "diagnosis_unrecognised": "diagnosis not recognised",
}


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
_templates.env.filters["score"] = lambda v: "-" if v is None else f"{float(v):.3f}"
_templates.env.filters["pct"] = lambda v: "-" if v is None else f"{float(v):.0%}"
_templates.env.filters["thousands"] = lambda v: f"{int(v):,}"


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the request id and the form's CSRF token."""
    page = {"request_id": request_id_of(request), "csrf_token": csrf_token(request) or ""}
    return _templates.TemplateResponse(request, template, page | context, status_code=status_code)


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
