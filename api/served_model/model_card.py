"""The model card served by ``GET /v1/model``."""

from __future__ import annotations

from typing import Any

from api.contract.service_info import ClassInfo, FamilyInfo, ModelCard
from api.served_model.loader import ServedModel
from api.settings import Settings
from classifier.model_metrics import ModelMetrics

__all__ = ["model_card"]

_HEADLINE_FIRST_CLASS = "DSRCT"


def model_card(model: ServedModel, settings: Settings) -> ModelCard:
    """Describe the served model: identity, classes, thresholds, metrics, provenance.

    Parameters
    ----------
    model : ServedModel
    settings : Settings
        For the request limits the card also states.
    """
    bundle, info = model.bundle, model.info
    estimator = bundle.estimator
    families: dict[str, list[str]] = {}
    for code, family in model.class_family.items():
        families.setdefault(family, []).append(code)
    return ModelCard(
        name=info.name,
        version=info.version,
        run_id=info.run_id,
        source=info.source,
        requested=info.requested,
        threshold=info.threshold,
        n_cpgs=model.n_cpgs,
        cpgs_sha256=info.cpgs_sha256,
        learner=str(estimator.learner),
        calibration=str(estimator.calibration),
        conformal_alpha=float(estimator.conformal_alpha),
        ood_threshold=float(estimator.ood_.threshold_),
        classes=[
            ClassInfo(
                code=code,
                name=model.class_names[code],
                family=family,
                family_name=model.family_names.get(family, family),
            )
            for code, family in model.class_family.items()
        ],
        families=[
            FamilyInfo(code=fam, name=model.family_names.get(fam, fam), classes=codes)
            for fam, codes in families.items()
        ],
        metrics=_headline(bundle.metrics),
        training=bundle.metrics.training.to_json() if bundle.metrics.training else {},
        provenance=dict(bundle.provenance),
        limits={
            "max_body_bytes": settings.max_body_bytes,
            "max_batch": settings.max_batch,
            "min_cpg_fraction": settings.min_cpg_fraction,
            "min_cpgs": settings.min_cpgs(model.n_cpgs),
        },
    )


def _headline(metrics: ModelMetrics) -> dict[str, Any]:
    """Nested-CV figures of the calibrated model, without the per-class tables."""
    evaluation = metrics.evaluation
    if evaluation is None:
        return {"evaluated": False, "note": "trained without nested cross-validation"}
    report = evaluation.calibrated
    out: dict[str, Any] = {"evaluated": True, **report.figures()}
    first = report.per_class.get(_HEADLINE_FIRST_CLASS)
    if first is not None:
        out[f"{_HEADLINE_FIRST_CLASS}_sensitivity"] = first.sensitivity
    out["outer_folds"] = evaluation.outer_folds
    out["inner_folds"] = evaluation.inner_folds
    return out
