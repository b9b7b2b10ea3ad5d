"""``/v1/admin``: model hot-swap and API key management (role ``admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from api.classification.result_builder import model_ref
from api.contract.error_body import ErrorResponse
from api.contract.profile_result import ModelRef
from api.deps import KeyAdminDep, ModelAdminDep
from api.frame.errors import error_item
from api.frame.request_body import JsonBodyDep
from api.security import AUTH_RESPONSES, ApiKeyInfo, ApiKeyStore, Role, UnknownKeyError
from api.security.key_store import CLIENT_NAME_PATTERN, ClientRoleConflictError
from api.served_model.hot_swap import ModelSwapper
from classifier.errors import ModelBundleError

__all__ = ["router"]

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=AUTH_RESPONSES)


class SelfCheckOut(BaseModel):
    """The new model's answer for its own training medians."""

    top_class: str
    score: float
    n_classes: int
    n_cpgs: int


class ReloadResponse(BaseModel):
    """What a reload did."""

    previous: ModelRef
    current: ModelRef
    swapped: bool = Field(description="Whether the served model was replaced.")
    check: SelfCheckOut | None


class ApiKeyOut(BaseModel):
    """An API key as it may be shown: never its token."""

    id: str
    client: str
    role: Role
    active: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None


class NewKey(BaseModel):
    """A key to create."""

    client: str = Field(
        pattern=CLIENT_NAME_PATTERN.pattern,
        description="Client name, e.g. 'lis-main': 1-64 letters, digits, '.', '_' or '-'.",
    )
    role: Role


class CreatedKey(BaseModel):
    """A new key with its token, shown this once."""

    key: ApiKeyOut
    token: str = Field(description="The bearer token; store it now, it cannot be shown again.")


def get_swapper(request: Request) -> ModelSwapper:
    """The app's model swapper."""
    return request.app.state.model_swapper


def get_key_store(request: Request) -> ApiKeyStore:
    """The app's API key store."""
    return request.app.state.api_keys


@router.post(
    "/model/reload",
    response_model=ReloadResponse,
    responses={
        409: {"model": ErrorResponse, "description": "The new model failed; the old one serves on."}
    },
)
async def reload_model(
    _admin: ModelAdminDep, swapper: Annotated[ModelSwapper, Depends(get_swapper)]
) -> ReloadResponse:
    """Load the configured model again (following a registry alias), check it, switch atomically."""
    try:
        outcome = await swapper.reload()
    except ModelBundleError as exc:
        raise HTTPException(
            status_code=409, detail=[error_item(exc.message, (), "model_reload_failed")]
        ) from None
    check = outcome.check
    return ReloadResponse(
        previous=model_ref(outcome.previous),
        current=model_ref(outcome.current),
        swapped=outcome.swapped,
        check=SelfCheckOut(**vars(check)) if check is not None else None,
    )


@router.get("/keys", response_model=list[ApiKeyOut])
def list_keys(
    _admin: KeyAdminDep, store: Annotated[ApiKeyStore, Depends(get_key_store)]
) -> list[ApiKeyOut]:
    """Every API key, revoked ones included (never a token)."""
    return [_key_out(info) for info in store.list()]


@router.post(
    "/keys",
    response_model=CreatedKey,
    status_code=201,
    responses={
        409: {"model": ErrorResponse, "description": "The client name has keys of another role."},
        422: {"model": ErrorResponse, "description": "Bad client name or role."},
    },
)
def create_key(
    new: NewKey,
    admin: KeyAdminDep,
    _json: JsonBodyDep,
    store: Annotated[ApiKeyStore, Depends(get_key_store)],
) -> CreatedKey:
    """Create a key; its token is in this response only."""
    try:
        info, token = store.create(new.client, new.role, created_by=admin.name)
    except ClientRoleConflictError as exc:
        raise HTTPException(
            status_code=409, detail=[error_item(str(exc), ("client",), "client_role_conflict")]
        ) from None
    except ValueError as exc:
        raise HTTPException(
            status_code=422, detail=[error_item(str(exc), ("client",), "invalid_client_name")]
        ) from None
    return CreatedKey(key=_key_out(info), token=token)


@router.post(
    "/keys/{key_id}/revoke",
    response_model=ApiKeyOut,
    responses={404: {"model": ErrorResponse, "description": "No key has this id."}},
)
def revoke_key(
    key_id: str, admin: KeyAdminDep, store: Annotated[ApiKeyStore, Depends(get_key_store)]
) -> ApiKeyOut:
    """Revoke a key: refused by every replica within AUTH_CACHE_SECONDS."""
    try:
        return _key_out(store.revoke(key_id, revoked_by=admin.name))
    except UnknownKeyError as exc:
        raise HTTPException(status_code=404, detail=str(exc.args[0])) from None


def _key_out(info: ApiKeyInfo) -> ApiKeyOut:
    return ApiKeyOut(
        id=info.id,
        client=info.client,
        role=info.role,
        active=info.active,
        created_at=info.created_at,
        created_by=info.created_by,
        revoked_at=info.revoked_at,
        revoked_by=info.revoked_by,
    )
