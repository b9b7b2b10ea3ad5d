"""``GET /metrics``: Prometheus metrics (open, like /health: restrict it in the network)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.frame.prometheus import CONTENT_TYPE_LATEST, ServiceMetrics

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, include_in_schema=True)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latencies, decisions by class, model version."""
    registry: ServiceMetrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
