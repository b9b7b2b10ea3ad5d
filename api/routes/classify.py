"""``POST /v1/classify``."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from starlette.background import BackgroundTask

from api.classification.flow import classify_and_store
from api.classification.result_builder import ResultOptions
from api.contract.openapi_texts import CLASSIFY_DESCRIPTION, CLASSIFY_OPENAPI_EXTRA, ERROR_RESPONSES
from api.contract.profile_result import ClassifyResponse
from api.deps import CpuLimiterDep, ModelDep, SettingsDep, StoreDep, SubmitterDep
from api.frame.errors import request_id_of
from api.frame.memory import release_if_above
from api.frame.request_body import body_format, read_body
from api.security import AUTH_RESPONSES

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["classification"])

#: Bodies from this size on (whole-EPIC JSON, large batches) are followed by
#: :func:`~api.frame.memory.release_if_above`; a 3.5 MB Arrow profile is not.
LARGE_BODY_BYTES = 8_000_000


@router.post(
    "/classify",
    response_model=ClassifyResponse,
    responses={**ERROR_RESPONSES, **AUTH_RESPONSES},
    description=CLASSIFY_DESCRIPTION,
    openapi_extra=CLASSIFY_OPENAPI_EXTRA,
)
async def classify(
    request: Request,
    client: SubmitterDep,
    model: ModelDep,
    settings: SettingsDep,
    limiter: CpuLimiterDep,
    store: StoreDep,
    top: Annotated[int | None, Query(ge=1, le=100, description="Classes in top_classes")] = None,
    raw_scores: Annotated[bool, Query(description="Include base learner scores")] = False,
) -> Response:
    """Classify one profile or a batch (JSON or Arrow IPC stream)."""
    fmt = body_format(request.headers.get("content-type"))
    body = await read_body(request, settings.max_body_bytes)
    request_id = request_id_of(request)
    # CPU work runs in one worker thread at a time: the event loop stays free
    # for /health and for receiving the next body. Results are stored before answering.
    stored = await classify_and_store(
        store=store,
        model=model,
        settings=settings,
        limiter=limiter,
        body=body,
        fmt=fmt,
        options=ResultOptions(
            top=top or settings.top_classes,
            raw_scores=raw_scores,
            warn_cpg_fraction=settings.warn_cpg_fraction,
            min_verdict_coverage=settings.min_verdict_coverage,
        ),
        request_id=request_id,
        client=client.name,
        route="/v1/classify",
        observe=request.app.state.metrics.observe_results,
    )
    payload = {"request_id": request_id, "results": [result.response() for result in stored]}
    # After a large body, once the answer is sent, hand freed memory back to
    # the OS if the process has grown (see api.frame.memory).
    release = BackgroundTask(release_if_above) if len(body) >= LARGE_BODY_BYTES else None
    return Response(orjson.dumps(payload), media_type="application/json", background=release)
