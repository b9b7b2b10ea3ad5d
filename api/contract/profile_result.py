"""The classify request and result: the one description of their shape.

A result is built as these objects (:mod:`api.classification.result_builder`),
so a field is named once: a field the builder does not know, or one it
forgets, fails at once (``extra="forbid"``, no defaults for what every
result has). The same models describe the API in OpenAPI and read stored
results back. The v1 contract only grows: a field, once stored, stays.

The classify route reads its body with orjson for speed, so the request
models here only feed the OpenAPI description.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.contract.interpretation import DiagnosisCodeIn, FusionConsistency, Reclassification
from api.store.corrections import Review

__all__ = [
    "ClassScore",
    "Classification",
    "ClassifyRequest",
    "ClassifyResponse",
    "DiagnosisCodeIn",
    "Embedding",
    "FusionConsistency",
    "ModelRef",
    "ProfileRequest",
    "ProfileResult",
    "Qc",
    "QcWarning",
    "Reclassification",
    "Review",
    "StoredRef",
]

Decision = Literal["match", "family_match", "no_match"]


# ------------------------------------------------------------------ request


class ProfileRequest(BaseModel):
    """One profile: ids with values as an object, as parallel arrays, or in a manifest order."""

    # Documents the parser's rule (api.intake.profile.PROFILE_FIELDS): other fields are refused.
    model_config = ConfigDict(extra="forbid")

    sample_id: str = Field(description="Sample or accession id, echoed in the result.")
    diagnosis: str | None = Field(
        default=None,
        description="Submitted diagnosis: free text as pathologists write it (qualifiers, "
        "'favour', 'consistent with'; read by whole phrases), a class code (see GET "
        "/v1/model), or an ICD-O-3 morphology code.",
    )
    diagnosis_code: DiagnosisCodeIn | None = Field(
        default=None,
        description="A coded diagnosis beside or instead of 'diagnosis'; when both are given "
        "and disagree, the diagnosis is not compared.",
    )
    findings: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "Molecular and immunohistochemistry findings, one object per test: "
            "{'kind': 'fusion', 'genes': ['EWSR1', 'WT1'], 'method': 'rna_ngs', 'result': "
            "'detected'}; {'kind': 'rearrangement', 'gene': 'EWSR1', 'method': 'fish', "
            "'result': 'rearranged'} (break_apart is accepted as the kind's old name); "
            "{'kind': 'mutation', 'gene': 'IDH1', 'variant': 'p.R132C', 'method': 'dna_ngs', "
            "'result': 'detected'}; {'kind': 'copy_number', 'gene': 'MDM2', 'change': "
            "'amplification', 'method': 'fish', 'result': 'detected'}; {'kind': 'ihc', "
            "'marker': 'WT1', 'epitope': 'C-terminal', 'clone': '...', 'result': 'positive' | "
            "'negative' | 'lost' | 'retained'}. Gene symbols are checked against HGNC "
            "(previous and alias symbols are read as the approved one)."
        ),
    )
    betas: dict[str, float | None] | None = Field(
        default=None,
        description="Probe id -> beta value in [0, 1]; null = not measured (failed probe).",
    )
    probe_ids: list[str] | None = Field(
        default=None, description="Probe ids, parallel to 'values'."
    )
    values: list[float | None] | None = Field(
        default=None,
        description="Beta values in [0, 1] or null, parallel to 'probe_ids' or in the order "
        "of 'array'.",
    )
    array: Literal["450k", "epic", "epicv2"] | None = Field(
        default=None,
        description="With 'values' and no 'probe_ids': the values follow this array's "
        "canonical manifest order.",
    )


class ClassifyRequest(BaseModel):
    """A batch of profiles (one or more), answered in the same order."""

    model_config = ConfigDict(extra="forbid")

    profiles: list[ProfileRequest] = Field(min_length=1)


# ----------------------------------------------------------------- response


class _Shape(BaseModel):
    """A part of a result: no field beyond those declared."""

    model_config = ConfigDict(extra="forbid")


class QcWarning(_Shape):
    """A reason to read a result with care."""

    code: Literal["low_coverage", "out_of_distribution"]
    message: str


class Qc(_Shape):
    """What was received and how much of it the model could use."""

    array_type: str | None = Field(
        description="Array the probes come from (450k, epic, epicv2): the named order, or "
        "detected from the ids by the rule of classifier.array_detection.detect_array (a profile "
        "reduced to CpGs shared by all arrays reads as 450k); null for model order."
    )
    probes_received: int
    values_rejected: int = Field(description="Values not used: null (failed probe) or NaN.")
    probes_unrecognised: int = Field(
        description="Well-formed probe ids whose CpG no manifest lists (ignored unless the "
        "model reads them)."
    )
    replicates_collapsed: int = Field(
        description="Model CpGs measured by several probes (EPICv2 replicates), averaged."
    )
    model_cpgs: int
    model_cpgs_present: int
    model_cpgs_missing: int
    missing_fraction: float
    warnings: list[QcWarning]


class ClassScore(_Shape):
    """A class with its calibrated score."""

    code: str
    name: str
    family: str
    score: float


class Embedding(_Shape):
    """Where a profile lies in the model's 2-D map of the reference cohort."""

    x: float
    y: float


class Classification(_Shape):
    """The methylation call."""

    top_class: str
    top_class_name: str
    score: float = Field(description="Calibrated score of the top class.")
    family: str
    family_name: str
    family_score: float
    decision: Decision = Field(
        description="match, family_match or no_match; no_match also when the profile fails "
        "the quality gate (out of distribution, or fewer CpGs measured than the minimum)."
    )
    model_decision: Decision | None = Field(
        default=None,
        description="The classifier's decision before the quality gate (null in results "
        "stored before it).",
    )
    threshold: float
    scores: dict[str, float] = Field(description="Class code -> calibrated score.")
    family_scores: dict[str, float]
    top_classes: list[ClassScore]
    out_of_distribution: bool
    ood_distance: float
    ood_threshold: float
    prediction_set: list[str] = Field(
        description="Classes that cannot be excluded at the model's conformal level."
    )
    coverage: float = Field(description="Share of the model's CpGs measured.")
    raw_scores: dict[str, float] | None = Field(
        default=None, description="Base learner scores (only with ?raw_scores=true)."
    )
    embedding: Embedding | None = Field(
        default=None,
        description="Position on the model's 2-D map of the reference cohort (the bundle's "
        "reference_embedding): a t-SNE of the reference samples, the profile placed at the "
        "distance-weighted mean position of its 5 nearest reference samples; for models "
        "trained with --reference-map pca, or before maps existed, the first two principal "
        "components of the model's reference space.",
    )


class ModelRef(_Shape):
    """The model that produced a result, with every threshold it used."""

    name: str
    version: str
    run_id: str | None
    threshold: float
    source: str
    ood_threshold: float | None = Field(
        default=None, description="Distance beyond which a profile is out of distribution."
    )
    conformal_alpha: float | None = Field(
        default=None, description="Miscoverage of the prediction sets (0.05: 95 % sets)."
    )
    fingerprint: str | None = Field(
        default=None, description="SHA-256 of the trained bundle (tells retrained bundles apart)."
    )
    manifest_sha256: str | None = Field(default=None, description="SHA-256 of the probe manifest.")


class StoredRef(_Shape):
    """Where a result is kept in the result store."""

    result_id: str
    resubmitted: bool = Field(
        description="True when the same client had sent the same accession, values, "
        "diagnosis and findings to the same model version before: the stored result "
        "is returned, not a new one."
    )
    created_at: str = Field(description="When the result was first stored (UTC, ISO 8601).")


class ProfileResult(_Shape):
    """Everything the service says about one profile."""

    sample_id: str
    qc: Qc
    classification: Classification
    reclassification: Reclassification
    fusion_consistency: FusionConsistency
    model: ModelRef
    result_id: str | None = Field(
        default=None, description="Id of the stored result (GET /v1/results/{result_id})."
    )
    stored: StoredRef | None = None
    review: Review | None = Field(
        default=None, description="Only in a stored correction: what the reviewer amended, and why."
    )


class ClassifyResponse(_Shape):
    """Results in the order of the request."""

    request_id: str
    results: list[ProfileResult]
