"""``/ui``: the worklist and the case pages (HTML for diagnosticians)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.contract.stored_results import CorrectionIn
from api.deps import StoreDep
from api.frame.errors import request_id_of
from api.security import Client, Permission
from api.served_model.class_filter import unknown_class_message
from api.store import (
    Correction,
    CorrectionError,
    Listing,
    ResultQuery,
    ResultStore,
    ResultSupersededError,
    StoredResult,
)
from api.ui import PageRoute, render
from api.ui.case_view import case_context
from api.ui.page_access import UiCorrectorDep, UiError, UiReaderDep, check_csrf, check_same_origin

__all__ = ["router"]

# PageRoute: a refused parameter is an error page, not the API's JSON.
router = APIRouter(
    prefix="/ui", tags=["review pages"], include_in_schema=False, route_class=PageRoute
)

DECISIONS = ("no_match", "family_match", "match")
FUSION_STATUSES = (
    "inconsistent",
    "discordant",
    "consistent",
    "confirmed",
    "not_assessed",
    "consistent_unconfirmed",
)
_WORKLIST_LENGTH = 100

ResultId = Annotated[str, Path(max_length=64)]


@router.get("", include_in_schema=False)
def worklist_redirect() -> RedirectResponse:
    """Send ``/ui`` to ``/ui/``."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/", response_class=HTMLResponse)
def worklist(
    request: Request,
    client: UiReaderDep,
    store: StoreDep,
    decision: str = "",
    top_class: str = "",
    fusion_status: str = "",
    accession: str = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """Recent results, those that need attention first, filterable, a page at a time."""
    chosen = {
        "decision": _one_of(decision, DECISIONS, "decision"),
        "top_class": top_class.strip()[:64] or None,
        "fusion_status": _one_of(fusion_status, FUSION_STATUSES, "fusion status"),
        "accession": accession.strip()[:500] or None,
    }
    own = _own_only(client)
    if chosen["top_class"] and (
        problem := unknown_class_message(chosen["top_class"], store, request.app.state.model, own)
    ):
        raise UiError(400, "Unknown filter", problem[0].upper() + problem[1:] + ".")
    # The sample id box finds ids that start with what was typed.
    query = ResultQuery(
        **{k: v for k, v in chosen.items() if k != "accession"},
        accession_prefix=chosen["accession"],
        client=own,
        attention_first=True,
        limit=_WORKLIST_LENGTH,
    )
    page = store.find_page(query, Listing(offset=offset))
    filters = {k: v for k, v in chosen.items() if v}

    def link(to: int | None) -> str | None:
        return None if to is None else "/ui/?" + urlencode({**filters, "offset": to})

    return render(
        request,
        "worklist.html",
        {
            "results": page.results,
            "offset": page.offset,
            "next_page": link(page.next_offset),
            "previous_page": link(page.previous_offset),
            "chosen": {k: v or "" for k, v in chosen.items()},
            "decisions": DECISIONS,
            "fusion_statuses": FUSION_STATUSES,
            "classes": store.top_classes(client=own),
            "class_names": _class_names(request),
            "limit": _WORKLIST_LENGTH,
            "client": client,
        },
    )


@router.get("/cases/{result_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    result_id: ResultId,
    client: UiReaderDep,
    store: StoreDep,
    resubmitted: bool = False,
) -> HTMLResponse:
    """One result with its evidence, for review before sign-out."""
    stored = _readable(store, result_id, client)
    context = case_context(stored, request.app.state.model)
    return render(request, "case.html", context | {"print_view": False, "resubmitted": resubmitted})


@router.get("/cases/{result_id}/print", response_class=HTMLResponse)
def case_print(
    request: Request, result_id: ResultId, client: UiReaderDep, store: StoreDep
) -> HTMLResponse:
    """The case page laid out for printing and attaching to the case."""
    stored = _readable(store, result_id, client)
    context = case_context(stored, request.app.state.model)
    return render(request, "case.html", context | {"print_view": True, "resubmitted": False})


@dataclass(frozen=True)
class ReviewForm:
    """What a reviewer filled in on the case page (kept when it is sent back with an error)."""

    reason: str = ""
    verdict: str = ""
    reported_class: str = ""
    comment: str = ""
    sign_off: str = ""


#: The sign-off choices of the review form, as ``Correction.signed_off``.
_SIGN_OFF = {"": None, "sign_off": True, "withdraw": False}


@router.get("/cases/{result_id}/review", include_in_schema=False)
def review_case_page(result_id: ResultId) -> RedirectResponse:
    """Send a browser back to the case's form (after signing in again, say)."""
    return RedirectResponse(f"/ui/cases/{result_id}#review", status_code=303)


@router.post("/cases/{result_id}/review", response_class=HTMLResponse)
def review_case(
    request: Request,
    result_id: ResultId,
    client: UiCorrectorDep,
    store: StoreDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=10_000)] = "",
    verdict: Annotated[str, Form(max_length=64)] = "",
    reported_class: Annotated[str, Form(max_length=64)] = "",
    comment: Annotated[str, Form(max_length=10_000)] = "",
    sign_off: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Correct or sign off a result from its case page (reviewer); open the new version.

    The form is checked as ``POST /v1/results/{id}/corrections`` checks its
    body (:class:`api.contract.stored_results.CorrectionIn`); a refused review is
    shown on the case page again, with what was typed and why.
    """
    # Also without authentication, when there is no cookie for the CSRF token to follow.
    check_same_origin(request)
    check_csrf(request, csrf_token, again="Open the case page again and resend the review.")
    stored = _readable(store, result_id, client)
    # Browsers send a textarea's line breaks as CRLF; the API's clients send LF.
    form = ReviewForm(_lf(reason), verdict, reported_class, _lf(comment), sign_off)
    try:
        correction = _correction_of(form)
        corrected = store.correct(
            stored.id, correction, corrected_by=client.name, request_id=request_id_of(request)
        )
    except ResultSupersededError as exc:
        raise UiError(
            409,
            "Corrected meanwhile",
            f"Another review of this result was stored first: its newest version is "
            f"{exc.newest} (/ui/cases/{exc.newest}). Open it and review that one.",
        ) from None
    except (ValidationError, CorrectionError) as exc:
        context = case_context(stored, request.app.state.model)
        extra = {"print_view": False, "resubmitted": False, "review_form": form}
        extra["review_error"] = _review_message(exc)
        return render(request, "case.html", context | extra, status_code=422)
    return RedirectResponse(f"/ui/cases/{corrected.id}", status_code=303)


def _correction_of(form: ReviewForm) -> Correction:
    if form.sign_off not in _SIGN_OFF:
        raise CorrectionError(
            f"unknown sign-off choice {form.sign_off[:20]!r}", field="signed_off", type="enum"
        )
    return CorrectionIn.model_validate(
        {
            "reason": form.reason,
            "reclassification_verdict": form.verdict or None,
            "reported_class": form.reported_class or None,
            "comment": form.comment or None,
            "signed_off": _SIGN_OFF[form.sign_off],
        }
    ).to_correction()


#: The form's labels of the correction's fields, for the messages.
_LABELS = {
    "reason": "Reason",
    "reclassification_verdict": "Diagnosis check",
    "reported_class": "Class the laboratory reports",
    "comment": "Comment",
    "signed_off": "Sign-off",
}


def _review_message(exc: ValidationError | CorrectionError) -> str:
    if isinstance(exc, CorrectionError):
        return exc.message
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    if field == "reason" and error["type"] in ("missing", "string_too_short"):
        return "Give a reason for the review: it is kept with the new version."
    return f"{_LABELS.get(field, field or 'Review')}: {error['msg']}"


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _readable(store: ResultStore, result_id: str, client: Client) -> StoredResult:
    stored = store.get(result_id)
    if stored is None or not client.can_read_result_of(stored.client or ""):
        raise UiError(404, "No such result", f"No stored result has the id {result_id}.")
    return stored


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in allowed:
        raise UiError(400, "Unknown filter", f"Unknown {name} {value[:40]!r}.")
    return value


def _class_names(request: Request) -> dict[str, str]:
    model = request.app.state.model
    return dict(model.class_names) if model is not None else {}


def _own_only(client: Client) -> str | None:
    return None if client.can(Permission.READ_ALL_RESULTS) else client.name
