"""``/ui/submit`` and ``/ui/login``: submitting a profile file by hand, and signing in."""

from __future__ import annotations

from functools import partial
from typing import Annotated
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.classification.flow import classify_and_store
from api.classification.result_builder import ResultOptions
from api.deps import CpuLimiterDep, ModelDep, SettingsDep, StoreDep
from api.frame.errors import InputError, field_of, from_domain_error, request_id_of
from api.security import SESSION_COOKIE, SESSION_SECONDS, PageSessionStore
from api.ui import PageRoute, render
from api.ui.page_access import UiSubmitterDep, check_csrf, check_same_origin, reads_pages
from api.ui.upload import (
    ClassifyBody,
    FormFindings,
    Submission,
    UploadError,
    classify_body,
    findings_of,
    read_submission,
)
from classifier.errors import ClassifierError

__all__ = ["router"]

# PageRoute: a refused parameter is an error page, not the API's JSON.
router = APIRouter(
    prefix="/ui", tags=["review pages"], include_in_schema=False, route_class=PageRoute
)

# The cookie of earlier versions, which held the API key itself: cleared at sign-in and out.
_LEGACY_KEY_COOKIE = "sarcoma_api_key"


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, client: UiSubmitterDep, model: ModelDep) -> HTMLResponse:
    """The form to submit a profile file."""
    return _form(request, model.class_names.values(), None, None)


@router.post("/submit", response_class=HTMLResponse)
async def submit(
    request: Request,
    client: UiSubmitterDep,
    model: ModelDep,
    settings: SettingsDep,
    limiter: CpuLimiterDep,
    store: StoreDep,
) -> Response:
    """Classify an uploaded profile, store it and open its case page."""
    submission = None
    prepared = None
    try:
        submission = await read_submission(request, settings.max_body_bytes)
        check_csrf(request, submission.csrf_token)
        # Reading a 64 MiB table takes seconds: in a worker thread, under the CPU
        # limiter, so that the event loop keeps answering /health and other clients.
        prepared = await anyio.to_thread.run_sync(
            partial(
                classify_body,
                submission.content,
                submission.filename,
                sample_id=submission.sample_id,
                diagnosis=submission.diagnosis,
                findings=findings_of(submission.findings),
                diagnosis_code=submission.diagnosis_code,
            ),
            limiter=limiter,
        )
        (stored,) = await classify_and_store(
            store=store,
            model=model,
            settings=settings,
            limiter=limiter,
            body=prepared.body,
            fmt=prepared.format,
            options=ResultOptions(
                top=settings.top_classes,
                warn_cpg_fraction=settings.warn_cpg_fraction,
                min_verdict_coverage=settings.min_verdict_coverage,
            ),
            request_id=request_id_of(request),
            client=client.name,
            route="/ui/submit",
            observe=request.app.state.metrics.observe_results,
        )
    except UploadError as exc:
        return _form(request, model.class_names.values(), submission, str(exc), exc.status_code)
    except (InputError, ClassifierError) as exc:
        error = exc if isinstance(exc, InputError) else from_domain_error(exc)
        message = _pipeline_message(error, prepared)
        return _form(request, model.class_names.values(), submission, message, error.status_code)
    suffix = "?resubmitted=true" if stored.resubmitted else ""
    return RedirectResponse(f"/ui/cases/{stored.id}{suffix}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str = "/ui/") -> Response:
    """The sign-in page: paste an API key."""
    if not settings.auth_required:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/ui/",
) -> Response:
    """Check the key and start a session, kept in an HTTP-only cookie (never the key itself)."""
    check_same_origin(request)
    target = _safe_next(next)
    client = request.app.state.api_keys.authenticate(api_key.strip())
    if client is None:
        context = {"next": target, "error": "This key is unknown or has been revoked."}
        return render(request, "login.html", context, status_code=401)
    if not reads_pages(client):
        # Signed in, it could open none of the pages (an admin key reads no results).
        context = {
            "next": target,
            "error": f"A key with the role '{client.role}' cannot use these pages, which "
            "show results: sign in with a 'reviewer' or 'lis' key.",
        }
        return render(request, "login.html", context, status_code=403)
    sessions: PageSessionStore = request.app.state.page_sessions
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sessions.start(client),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(_LEGACY_KEY_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    """End the session: its cookie opens nothing from now on, even a copy of it."""
    check_same_origin(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions: PageSessionStore = request.app.state.page_sessions
        sessions.end(token)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(_LEGACY_KEY_COOKIE, path="/")
    return response


def _form(
    request: Request,
    class_names,
    submission: Submission | None,
    error: str | None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "class_names": sorted(set(class_names)),
        "submitted": submission,
        "findings": submission.findings if submission else FormFindings(),
        "form_code_system": submission.code_system if submission else "ICD-O-3",
        "form_code": submission.code if submission else "",
        "error": error,
    }
    return render(request, "submit.html", context, status_code=status_code)


def _pipeline_message(error: InputError, prepared: ClassifyBody | None) -> str:
    # The pipeline names JSON fields; for a table, the line of the file says more.
    loc = list(error.loc)
    if prepared is not None and len(loc) == 4 and loc[2] in {"values", "probe_ids"}:
        line = prepared.line_of(loc[3]) if isinstance(loc[3], int) else None
        if line is not None:
            return f"{error.msg} (line {line} of the file)"
    where = field_of(loc) if loc else ""
    return f"{error.msg} ({where})" if where else error.msg


def _safe_next(target: str) -> str:
    # Only pages of this service: never an open redirect.
    if target.startswith("/ui") and not target.startswith("//"):
        # "%" is kept: the query's values arrive percent-encoded already (%20 not %2520).
        return quote(target, safe="/?=&%")
    return "/ui/"
