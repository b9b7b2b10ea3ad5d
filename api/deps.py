"""Typed dependencies of the route handlers.

The ones that only read the app's state are coroutines: FastAPI runs a
plain function dependency in a worker thread, a hop that costs more than
the read itself on every request.
"""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request

from api.security import Client, Permission, authenticated_client, require
from api.served_model.loader import ServedModel
from api.settings import Settings, get_settings
from api.store import ResultStore

__all__ = [
    "ClientDep",
    "CorrectorDep",
    "CpuLimiterDep",
    "KeyAdminDep",
    "ModelAdminDep",
    "ModelDep",
    "ModelReaderDep",
    "ResultReaderDep",
    "ReviewerDep",
    "SettingsDep",
    "StoreDep",
    "SubmitterDep",
    "get_app_settings",
    "get_cpu_limiter",
    "get_model",
    "get_result_store",
]


async def get_app_settings(request: Request) -> Settings:
    """Return the settings the app was started with (the environment's by default)."""
    settings = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_settings()


async def get_model(request: Request) -> ServedModel:
    """Return the loaded model, or answer 503 while there is none."""
    model = getattr(request.app.state, "model", None)
    if model is None:
        raise HTTPException(status_code=503, detail="no model is loaded yet; retry shortly")
    return model


async def get_cpu_limiter(request: Request) -> CapacityLimiter:
    """Return the limiter that lets one request at a time use the CPU."""
    return request.app.state.cpu_limiter


async def get_result_store(request: Request) -> ResultStore:
    """Return the result store opened at start-up."""
    return request.app.state.results


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ResultStore, Depends(get_result_store)]
ModelDep = Annotated[ServedModel, Depends(get_model)]
CpuLimiterDep = Annotated[CapacityLimiter, Depends(get_cpu_limiter)]

# Who is asking (see api.security.roles for who may do what). Authentication
# and the per-key rate limit run once per request, whichever of these a
# route uses; with AUTH_REQUIRED=false every one returns an all-powerful client.
ClientDep = Annotated[Client, Depends(authenticated_client)]
ModelReaderDep = Annotated[Client, Depends(require(Permission.READ_MODEL))]
SubmitterDep = Annotated[Client, Depends(require(Permission.CLASSIFY))]
CorrectorDep = Annotated[Client, Depends(require(Permission.CORRECT_RESULTS))]
ResultReaderDep = Annotated[
    Client, Depends(require(Permission.READ_OWN_RESULTS, Permission.READ_ALL_RESULTS))
]
ReviewerDep = Annotated[Client, Depends(require(Permission.VIEW_UI))]
ModelAdminDep = Annotated[Client, Depends(require(Permission.RELOAD_MODEL))]
KeyAdminDep = Annotated[Client, Depends(require(Permission.MANAGE_KEYS))]
