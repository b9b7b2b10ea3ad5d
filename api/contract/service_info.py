"""What the service says about itself: the model card, liveness and readiness."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["ClassInfo", "FamilyInfo", "Health", "ModelCard", "Readiness"]


class ClassInfo(BaseModel):
    """A class the model can call."""

    code: str
    name: str
    family: str
    family_name: str


class FamilyInfo(BaseModel):
    """A family of related classes; its score is the sum of its classes' scores."""

    code: str
    name: str
    classes: list[str]


class ModelCard(BaseModel):
    """What is being served, how it was trained and how well it did."""

    name: str
    version: str
    run_id: str | None
    source: str
    requested: str
    threshold: float
    n_cpgs: int
    cpgs_sha256: str
    learner: str
    calibration: str
    conformal_alpha: float
    ood_threshold: float
    classes: list[ClassInfo]
    families: list[FamilyInfo]
    metrics: dict[str, Any] = Field(description="Headline nested cross-validation metrics.")
    training: dict[str, Any]
    provenance: dict[str, Any]
    limits: dict[str, Any] = Field(description="Request limits of this service.")


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Readiness: a model is loaded."""

    status: Literal["ready"] = "ready"
    model: str
    version: str
