"""The body of every 4xx and 5xx answer: where the problem is, and why."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["ErrorItem", "ErrorResponse"]


class ErrorItem(BaseModel):
    """One reason a request was refused."""

    loc: list[str | int]
    field: str | None
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Body of every 4xx and 5xx response."""

    detail: list[ErrorItem]
    request_id: str
