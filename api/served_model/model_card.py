"""The model card served by ``GET /v1/model``."""

from __future__ import annotations

import re
from typing import Any

from api.contract.service_info import ClassInfo, FamilyInfo, ModelCard
from api.served_model.loader import ServedModel, public_source
from api.settings import MODEL_URI_PATTERN, Settings
from classifier.model_metrics import ModelMetrics

__all__ = ["model_card"]

_HEADLINE_FIRST_CLASS = "DSRCT"


def model_card(model: ServedModel, settings: Settings, *, admin: bool = False) -> ModelCard:
    """Describe the served model: identity, classes, thresholds, metrics, provenance.

    Parameters
    ----------
    model : ServedModel
    settings : Settings
        For the request limits the card also states.
    admin : bool, default=False
        Whether the reader administers the service. Anyone else sees no
        server path and no tracking URI (which may hold credentials): the
        source by its registry URI or bundle name, and the provenance
        without any text naming a path or a URI (:func:`_without_paths`).
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
        source=info.source if admin else info.public_source,
        requested=info.requested if admin else public_source(info.requested),
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
        provenance=dict(bundle.provenance) if admin else _without_paths(bundle.provenance),
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


def _without_paths(value: Any) -> Any:
    """``value`` without the texts that name a file, a directory or a URI.

    A text holding a path separator or a URI scheme (``/``, ``\\``, ``://``,
    ``sqlite:``) is dropped, with its key; registry URIs (``models:/...``)
    name no place on the server and stay. The rule is blunt on purpose: the
    provenance is written by training and may hold any path it was given.
    """
    if isinstance(value, dict):
        kept = {k: _without_paths(v) for k, v in value.items() if not _names_a_place(v)}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_without_paths(v) for v in value if not _names_a_place(v)]
    return value


def _names_a_place(value: Any) -> bool:
    if not isinstance(value, str) or MODEL_URI_PATTERN.match(value):
        return False
    return "/" in value or "\\" in value or _URI_SCHEME.match(value) is not None


_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
