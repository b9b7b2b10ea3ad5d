"""``GET /health`` (liveness) and ``GET /ready`` (a model is loaded)."""

from __future__ import annotations

from fastapi import APIRouter

from api.contract.error_body import ErrorResponse
from api.contract.service_info import Health, Readiness
from api.deps import ModelDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: the process answers (always 200)."""
    return Health()


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": ErrorResponse, "description": "No model loaded yet."}},
)
async def ready(model: ModelDep) -> Readiness:
    """Readiness: 200 once a model is loaded, 503 before."""
    return Readiness(model=model.info.name, version=model.info.version)
