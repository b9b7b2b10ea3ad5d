"""``GET /v1/results/{result_id}/fhir``: a stored result as a FHIR R4 DiagnosticReport."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Path, Response

from api.contract.error_body import ErrorResponse
from api.contract.fhir_report import FHIR_MEDIA_TYPE, result_to_fhir
from api.deps import ResultReaderDep, SettingsDep, StoreDep
from api.frame.errors import error_item
from api.security import AUTH_RESPONSES

__all__ = ["router"]

router = APIRouter(prefix="/v1/results", tags=["results"], responses=AUTH_RESPONSES)


@router.get(
    "/{result_id}/fhir",
    response_class=Response,
    responses={
        200: {
            "content": {FHIR_MEDIA_TYPE: {"schema": {"type": "object"}}},
            "description": "A DiagnosticReport with contained Observations, Specimen and "
            "Device; status `corrected` for a correction, `appended` for one that only "
            "signs the result off; either names the report it replaces. A report that a "
            "correction replaces has a `Link` header "
            '(`rel="successor-version"`) to the correction\'s report.',
        },
        404: {"model": ErrorResponse, "description": "No result with this id that you may read."},
    },
)
def get_result_fhir(
    result_id: Annotated[str, Path(max_length=64)],
    client: ResultReaderDep,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """The result as a FHIR R4 DiagnosticReport (class, score, family, both checks)."""
    stored = store.get(result_id)
    # Another client's result is "not found": a LIS learns nothing about others' accessions.
    if stored is None or not client.can_read_result_of(stored.client or ""):
        raise HTTPException(
            status_code=404,
            detail=[error_item(f"no stored result has the id {result_id!r}", (), "not_found")],
        )
    report = result_to_fhir(
        stored.result,
        result_id=stored.id,
        issued=stored.created_at,
        system_base=settings.fhir_system_base,
        replaces=stored.supersedes_id,
    )
    # The replaced report stays as it was issued; the header points on to its correction.
    headers = {}
    if stored.superseded_by is not None:
        headers["Link"] = f'</v1/results/{stored.superseded_by}/fhir>; rel="successor-version"'
    return Response(orjson.dumps(report), media_type=FHIR_MEDIA_TYPE, headers=headers)
