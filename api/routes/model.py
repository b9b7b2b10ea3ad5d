"""``GET /v1/model`` (the model card) and ``GET /v1/model/cpgs`` (its CpG list)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from api.contract.openapi_texts import ERROR_RESPONSES
from api.contract.service_info import ModelCard
from api.deps import ModelDep, ModelReaderDep, SettingsDep
from api.security import AUTH_RESPONSES, Permission, require
from api.served_model.model_card import model_card

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/model",
    tags=["model"],
    dependencies=[Depends(require(Permission.READ_MODEL))],
    responses=AUTH_RESPONSES,
)


@router.get("", response_model=ModelCard, responses={503: ERROR_RESPONSES[503]})
async def get_model_card(
    model: ModelDep, settings: SettingsDep, client: ModelReaderDep
) -> ModelCard:
    """The served model: classes, families, threshold, metrics, provenance and version."""
    # Server paths and the tracking URI only to whoever administers the service.
    return model_card(model, settings, admin=client.can(Permission.RELOAD_MODEL))


@router.get("/cpgs", response_class=PlainTextResponse, responses={503: ERROR_RESPONSES[503]})
async def get_model_cpgs(model: ModelDep) -> PlainTextResponse:
    """The model's ordered CpG list, one id per line (its SHA-256 is the card's cpgs_sha256)."""
    return PlainTextResponse("\n".join(map(str, model.bundle.cpgs)) + "\n")
