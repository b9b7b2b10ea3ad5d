"""``/v1/results``: stored results by id and by accession, and their corrections."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from api.contract.error_body import ErrorResponse
from api.contract.interpretation import FusionStatus
from api.contract.profile_result import ModelRef, ProfileResult
from api.contract.stored_results import CorrectionIn, ResultList, StoredResultOut
from api.deps import CorrectorDep, ResultReaderDep, StoreDep
from api.frame.errors import error_item, request_id_of
from api.frame.request_body import JsonBodyDep
from api.security import AUTH_RESPONSES, Client, Permission
from api.served_model.class_filter import unknown_class_message
from api.store import (
    MAX_LIMIT,
    CorrectionError,
    Listing,
    ResultNotFoundError,
    ResultQuery,
    ResultStore,
    ResultSupersededError,
    StoredResult,
)

__all__ = ["router", "stored_result_out"]

router = APIRouter(prefix="/v1/results", tags=["results"], responses=AUTH_RESPONSES)

ResultId = Annotated[str, Path(max_length=64)]

_NOT_FOUND: dict[int | str, dict] = {
    404: {"model": ErrorResponse, "description": "No stored result with this id (`not_found`)."}
}
_MAX_OFFSET = 1_000_000


@router.get("/{result_id}", response_model=StoredResultOut, responses=_NOT_FOUND)
def get_result(result_id: ResultId, client: ResultReaderDep, store: StoreDep) -> StoredResultOut:
    """Read one stored result and its audit record (a LIS key reads only its own)."""
    return stored_result_out(_readable(store, result_id, client))


@router.get("", response_model=ResultList)
def list_results(
    request: Request,
    client: ResultReaderDep,
    store: StoreDep,
    accession: Annotated[
        str | None, Query(max_length=500, description="The sample_id as submitted")
    ] = None,
    decision: Literal["match", "family_match", "no_match"] | None = None,
    top_class: Annotated[str | None, Query(max_length=64, description="Class code")] = None,
    fusion_status: FusionStatus | None = None,
    include_superseded: Annotated[
        bool, Query(description="Also list results that a correction replaces")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=_MAX_OFFSET)] = 0,
) -> ResultList:
    """List stored results (current versions), newest first, by accession, decision, class."""
    top_class = (top_class or "").strip() or None  # empty: no filter, as on the worklist
    if top_class is not None and (
        problem := unknown_class_message(
            top_class, store, request.app.state.model, _own_only(client)
        )
    ):
        raise HTTPException(
            status_code=422,
            detail=[
                {
                    "loc": ["query", "top_class"],
                    "field": "top_class",
                    "msg": problem,
                    "type": "unknown_class",
                }
            ],
        )
    query = ResultQuery(
        accession=accession,
        decision=decision,
        top_class=top_class,
        fusion_status=fusion_status,
        client=_own_only(client),
        limit=limit,
    )
    page = store.find_page(query, Listing(offset=offset, include_superseded=include_superseded))
    return ResultList(
        results=[stored_result_out(s) for s in page.results], next_offset=page.next_offset
    )


@router.post(
    "/{result_id}/corrections",
    status_code=201,
    response_model=StoredResultOut,
    responses={
        **_NOT_FOUND,
        409: {
            "model": ErrorResponse,
            "description": "The result has been corrected already (`already_superseded`): "
            "correct its newest version, named in the message and the `Link` header.",
        },
        422: {"model": ErrorResponse, "description": "A missing reason or a bad amendment."},
    },
)
def correct_result(
    result_id: ResultId,
    correction: CorrectionIn,
    client: CorrectorDep,
    _json: JsonBodyDep,
    store: StoreDep,
    request: Request,
    response: Response,
) -> StoredResultOut:
    """Correct a result's interpretation (reviewer): stored as a new version replacing it."""
    _readable(store, result_id, client)
    try:
        amendment = correction.to_correction()
        corrected = store.correct(
            result_id, amendment, corrected_by=client.name, request_id=request_id_of(request)
        )
    except ResultNotFoundError:
        raise _not_found(result_id) from None
    except ResultSupersededError as exc:
        raise HTTPException(
            status_code=409,
            detail=[
                {
                    "loc": ["path", "result_id"],
                    "field": "result_id",
                    "msg": str(exc),
                    "type": "already_superseded",
                }
            ],
            headers={"Link": f'</v1/results/{exc.newest}>; rel="latest-version"'},
        ) from None
    except CorrectionError as exc:
        loc = (exc.field,) if exc.field else ()
        detail = [error_item(exc.message, loc, exc.type)]
        raise HTTPException(status_code=422, detail=detail) from None
    response.headers["Location"] = f"/v1/results/{corrected.id}"
    return stored_result_out(corrected)


def stored_result_out(stored: StoredResult) -> StoredResultOut:
    """The API's view of a stored result."""
    result = stored.response()
    return StoredResultOut(
        result_id=stored.id,
        request_id=stored.request_id,
        client=stored.client,
        accession=stored.accession,
        values_sha256=stored.values_sha256,
        input_sha256=stored.input_sha256,
        array_type=stored.array_type,
        model=ModelRef.model_validate(result["model"]),
        code_version=stored.code_version,
        supersedes_id=stored.supersedes_id,
        superseded_by=stored.superseded_by,
        corrected_by=stored.corrected_by,
        correction_reason=stored.correction_reason,
        created_at=stored.created_at.isoformat(),
        needs_attention=stored.attention,
        flags=stored.flags,
        result=ProfileResult.model_validate(result),
    )


def _readable(store: ResultStore, result_id: str, client: Client) -> StoredResult:
    stored = store.get(result_id)
    # Someone else's result is "not found" too: its existence is not revealed.
    if stored is None or not client.can_read_result_of(stored.client or ""):
        raise _not_found(result_id)
    return stored


def _not_found(result_id: str) -> HTTPException:
    return HTTPException(
        status_code=404,
        detail=[error_item(f"no stored result has the id {result_id!r}", (), "not_found")],
    )


def _own_only(client: Client) -> str | None:
    return None if client.can(Permission.READ_ALL_RESULTS) else client.name
