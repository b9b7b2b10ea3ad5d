"""``POST /v1/classify``."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response

from api.body import body_format, read_body
from api.deps import CpuLimiterDep, ModelDep, SettingsDep
from api.errors import request_id_of
from api.openapi_docs import CLASSIFY_DESCRIPTION, CLASSIFY_OPENAPI_EXTRA, ERROR_RESPONSES
from api.pipeline import ClassifyJob, run_classify
from api.results import ResultOptions
from api.schemas import ClassifyResponse

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["classification"])


@router.post(
    "/classify",
    response_model=ClassifyResponse,
    responses=ERROR_RESPONSES,
    description=CLASSIFY_DESCRIPTION,
    openapi_extra=CLASSIFY_OPENAPI_EXTRA,
)
async def classify(
    request: Request,
    model: ModelDep,
    settings: SettingsDep,
    limiter: CpuLimiterDep,
    top: Annotated[int | None, Query(ge=1, le=100, description="Classes in top_classes")] = None,
    raw_scores: Annotated[bool, Query(description="Include base learner scores")] = False,
) -> Response:
    """Classify one profile or a batch (JSON or Arrow IPC stream)."""
    fmt = body_format(request.headers.get("content-type"))
    body = await read_body(request, settings.max_body_bytes)
    job = ClassifyJob(
        body=body,
        format=fmt,
        request_id=request_id_of(request),
        max_batch=settings.max_batch,
        min_cpg_fraction=settings.min_cpg_fraction,
        min_cpgs=settings.min_cpgs(model.n_cpgs),
        options=ResultOptions(
            top=top or settings.top_classes,
            raw_scores=raw_scores,
            warn_cpg_fraction=settings.warn_cpg_fraction,
        ),
    )
    # CPU work runs in one worker thread at a time: the event loop stays free
    # for /health and for receiving the next body.
    payload = await anyio.to_thread.run_sync(run_classify, model, job, limiter=limiter)
    return Response(payload, media_type="application/json")
