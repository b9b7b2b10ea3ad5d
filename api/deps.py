"""Typed dependencies of the route handlers."""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request

from api.model_loader import ServedModel
from api.settings import Settings, get_settings

__all__ = [
    "CpuLimiterDep",
    "ModelDep",
    "SettingsDep",
    "get_app_settings",
    "get_cpu_limiter",
    "get_model",
]


def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was started with (the environment's by default)."""
    settings = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_settings()


def get_model(request: Request) -> ServedModel:
    """Return the loaded model, or answer 503 while there is none."""
    model = getattr(request.app.state, "model", None)
    if model is None:
        raise HTTPException(status_code=503, detail="no model is loaded yet; retry shortly")
    return model


def get_cpu_limiter(request: Request) -> CapacityLimiter:
    """Return the limiter that lets one request at a time use the CPU."""
    return request.app.state.cpu_limiter


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ModelDep = Annotated[ServedModel, Depends(get_model)]
CpuLimiterDep = Annotated[CapacityLimiter, Depends(get_cpu_limiter)]
