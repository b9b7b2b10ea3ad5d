"""Writing one profile's result: QC, call, reclassification, fusion consistency, model.

A result is built as :class:`api.contract.profile_result.ProfileResult`, the one
description of its shape; the flow turns it into JSON once, to store and answer it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.contract.percentages import as_percent
from api.contract.profile_result import (
    Classification,
    ClassScore,
    Embedding,
    FusionConsistency,
    ModelRef,
    ProfileResult,
    Qc,
    QcWarning,
    Reclassification,
)
from api.intake.profile import ProfileInput
from api.served_model.alignment import ProfileQc
from api.served_model.loader import ServedModel
from api.served_model.model_identity import manifest_sha256
from classifier.bundle import Call
from classifier.decision import Decision
from classifier.fusion_consistency import assess_fusion_consistency
from classifier.quality_gate import DEFAULT_MIN_COVERAGE, OOD_CAUSES, ProfileQuality
from classifier.reclassification import reclassify

__all__ = ["ResultOptions", "build_result", "model_ref"]


@dataclass(frozen=True)
class ResultOptions:
    """What a request asked to include, and the QC warning level.

    Attributes
    ----------
    top : int
        Classes listed in ``top_classes``.
    raw_scores : bool
        Include the base learner's scores.
    warn_cpg_fraction : float
        Below this share of measured model CpGs, warn ``low_coverage``.
    min_verdict_coverage : float
        Below this share the call is not used (``no_match``, ``not_classifiable``),
        unless the model bundle states its own minimum.
    """

    top: int = 5
    raw_scores: bool = False
    warn_cpg_fraction: float = 0.9
    min_verdict_coverage: float = DEFAULT_MIN_COVERAGE


def model_ref(model: ServedModel) -> ModelRef:
    """The ``model`` part of every result: which model answered, with every threshold it used.

    ``threshold`` is the calibrated score of a match, ``ood_threshold`` the
    distance beyond which a profile is out of distribution, and
    ``conformal_alpha`` the miscoverage of the prediction sets (0.05: 95 %
    sets). ``fingerprint`` identifies the trained bundle beyond its name and
    version, ``manifest_sha256`` the probe manifest that aligned the profile
    (see :mod:`api.served_model.model_identity`).
    """
    info = model.info
    estimator = model.bundle.estimator
    return ModelRef(
        name=info.name,
        version=info.version,
        run_id=info.run_id,
        threshold=info.threshold,
        source=info.public_source,  # never a server path
        ood_threshold=float(estimator.ood_.threshold_),
        conformal_alpha=float(estimator.conformal_alpha),
        fingerprint=model.fingerprint,
        manifest_sha256=manifest_sha256(),
    )


def build_result(
    profile: ProfileInput,
    qc: ProfileQc,
    call: Call,
    model: ServedModel,
    options: ResultOptions,
    ref: ModelRef,
    embedding: Sequence[float] | None = None,
) -> ProfileResult:
    """Assemble one entry of ``results``.

    Parameters
    ----------
    profile : ProfileInput
    qc : ProfileQc
    call : Call
        The classifier's statement about the aligned profile.
    model : ServedModel
    options : ResultOptions
    ref : ModelRef
        :func:`model_ref` of the model, built once per request.
    embedding : sequence of two floats, optional
        The profile's coordinates in the reference embedding
        (:attr:`classifier.bundle.Call.embedding`).
    """
    threshold = model.bundle.threshold
    # The family reclassification judges: the matched one for a family-level
    # call, otherwise the top class's own (which a match always agrees with).
    family = call.family
    if call.decision != Decision.FAMILY_MATCH:
        family = model.class_family[call.top_class]
    quality = ProfileQuality(
        out_of_distribution=bool(call.ood),
        cpg_coverage=qc.model_cpgs_present / model.n_cpgs,
        min_coverage=model.bundle.verdict_min_coverage(options.min_verdict_coverage),
    )
    reclassification = reclassify(
        profile.diagnosis,
        diagnosis_code=profile.diagnosis_code,
        top_class=call.top_class,
        decision=call.decision,
        family=family,
        family_score=call.family_scores.get(family, call.family_score),
        score=call.score,
        threshold=threshold,
        quality=quality,
    )
    decision = quality.gate(call.decision)
    fusion = assess_fusion_consistency(
        top_class=call.top_class,
        decision=decision,
        scores=call.scores,
        findings=profile.findings,
        threshold=threshold,
    )
    return ProfileResult(
        sample_id=profile.sample_id,
        qc=_qc(qc, call, model, options),
        classification=_classification(call, model, options, threshold, embedding, decision),
        reclassification=Reclassification(**reclassification.to_dict()),
        fusion_consistency=FusionConsistency(**fusion.to_dict()),
        model=ref,
    )


def _embedding(coords: Sequence[float] | None) -> Embedding | None:
    if coords is None:
        return None
    return Embedding(x=round(float(coords[0]), 4), y=round(float(coords[1]), 4))


def _qc(qc: ProfileQc, call: Call, model: ServedModel, options: ResultOptions) -> Qc:
    n = model.n_cpgs
    missing = n - qc.model_cpgs_present
    warnings = []
    present_fraction = qc.model_cpgs_present / n
    if present_fraction < options.warn_cpg_fraction:
        warnings.append(
            QcWarning(
                code="low_coverage",
                message=f"only {qc.model_cpgs_present:,} of the model's {n:,} CpGs "
                f"({as_percent(present_fraction)}) were measured; the scores rest on training "
                "medians for the rest and are less reliable",
            )
        )
    if call.ood:
        warnings.append(
            QcWarning(
                code="out_of_distribution",
                message=f"the profile is unlike the reference cohort (distance "
                f"{call.ood_distance:.3g} > {call.ood_threshold:.3g}): possibly {OOD_CAUSES}",
            )
        )
    return Qc(
        array_type=qc.array_type,
        probes_received=qc.probes_received,
        values_rejected=qc.values_rejected,
        probes_unrecognised=qc.probes_unrecognised,
        replicates_collapsed=qc.replicates_collapsed,
        model_cpgs=n,
        model_cpgs_present=qc.model_cpgs_present,
        model_cpgs_missing=missing,
        missing_fraction=round(missing / n, 6),
        warnings=warnings,
    )


def _classification(
    call: Call,
    model: ServedModel,
    options: ResultOptions,
    threshold: float,
    embedding: Sequence[float] | None,
    decision: Decision,
) -> Classification:
    names = model.class_names
    families = model.class_family
    return Classification(
        top_class=call.top_class,
        top_class_name=names[call.top_class],
        score=round(call.score, 6),
        family=call.family,
        family_name=model.family_names.get(call.family, call.family),
        family_score=round(call.family_score, 6),
        decision=decision.value,
        model_decision=call.decision.value,
        threshold=threshold,
        scores=call.scores,
        family_scores=call.family_scores,
        top_classes=[
            ClassScore(code=code, name=names[code], family=families[code], score=score)
            for code, score in call.top(options.top)
        ],
        out_of_distribution=call.ood,
        ood_distance=round(call.ood_distance, 6),
        ood_threshold=round(call.ood_threshold, 6),
        prediction_set=call.prediction_set,
        coverage=round(call.coverage, 6),
        raw_scores=call.raw_scores if options.raw_scores else None,
        embedding=_embedding(embedding),
    )
