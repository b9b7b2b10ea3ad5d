"""``/ui``: the worklist and the case pages (HTML for diagnosticians)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import StoreDep
from api.security import Client, Permission
from api.store import Listing, ResultQuery, ResultStore, StoredResult
from api.ui import PageRoute, render
from api.ui.auth import UiError, UiReaderDep
from api.ui.case_view import case_context

__all__ = ["router"]

# PageRoute: a refused parameter is an error page, not the API's JSON.
router = APIRouter(
    prefix="/ui", tags=["review pages"], include_in_schema=False, route_class=PageRoute
)

DECISIONS = ("no_match", "family_match", "match")
FUSION_STATUSES = ("inconsistent", "consistent_unconfirmed", "confirmed", "not_assessed")
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
