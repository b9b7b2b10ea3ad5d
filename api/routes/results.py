"""``/v1/results``: stored results by id and by accession."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from api.deps import ResultReaderDep, StoreDep
from api.errors import error_item
from api.schemas import ErrorResponse, ModelRef, ProfileResult, ResultList, StoredResultOut
from api.security import AUTH_RESPONSES, Client, Permission
from api.store import MAX_LIMIT, ResultQuery, StoredResult

__all__ = ["router", "stored_result_out"]

router = APIRouter(prefix="/v1/results", tags=["results"], responses=AUTH_RESPONSES)

_NOT_FOUND: dict[int | str, dict] = {
    404: {"model": ErrorResponse, "description": "No stored result with this id (`not_found`)."}
}


@router.get("/{result_id}", response_model=StoredResultOut, responses=_NOT_FOUND)
def get_result(
    result_id: Annotated[str, Path(max_length=64)],
    client: ResultReaderDep,
    store: StoreDep,
) -> StoredResultOut:
    """Read one stored result and its audit record (a LIS key reads only its own)."""
    stored = store.get(result_id)
    # Someone else's result is "not found" too: its existence is not revealed.
    if stored is None or not client.can_read_result_of(stored.client or ""):
        raise HTTPException(
            status_code=404,
            detail=[error_item(f"no stored result has the id {result_id!r}", (), "not_found")],
        )
    return stored_result_out(stored)


@router.get("", response_model=ResultList)
def list_results(
    client: ResultReaderDep,
    store: StoreDep,
    accession: Annotated[
        str | None, Query(max_length=500, description="The sample_id as submitted")
    ] = None,
    decision: Literal["match", "family_match", "no_match"] | None = None,
    top_class: Annotated[str | None, Query(max_length=64, description="Class code")] = None,
    fusion_status: Literal["confirmed", "consistent_unconfirmed", "inconsistent", "not_assessed"]
    | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> ResultList:
    """List stored results, newest first, by accession, decision, class or fusion status."""
    query = ResultQuery(
        accession=accession,
        decision=decision,
        top_class=top_class,
        fusion_status=fusion_status,
        client=_own_only(client),
        limit=limit,
    )
    return ResultList(results=[stored_result_out(s) for s in store.find(query)])


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
        created_at=stored.created_at.isoformat(),
        needs_attention=stored.attention,
        result=ProfileResult.model_validate(result),
    )


def _own_only(client: Client) -> str | None:
    return None if client.can(Permission.READ_ALL_RESULTS) else client.name
