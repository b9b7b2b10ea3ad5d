"""The shape of a result's interpretation: reclassification verdict and fusion consistency.

Built from :class:`classifier.reclassification.Reclassification` and
:class:`classifier.fusion_consistency.FusionConsistency` (their ``to_dict``),
and read back from stored results. Fields added with knowledge 2.0.0 have
defaults, so results stored before it still read; the status
``consistent_unconfirmed`` is kept only for them (it is no longer written).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DiagnosisCodeIn",
    "DsrctCheck",
    "FusionConsistency",
    "FusionStatus",
    "Reclassification",
    "Verdict",
    "WeighedFinding",
]

Verdict = Literal[
    "confirmed", "family_concordant", "reclassified", "not_classifiable", "diagnosis_unrecognised"
]
FusionStatus = Literal[
    "confirmed",
    "consistent",
    "discordant",
    "inconsistent",
    "not_assessed",
    # written before knowledge 2.0.0 only (then split into consistent / discordant)
    "consistent_unconfirmed",
]
Weight = Literal["specific_support", "compatible", "neutral", "weak_against", "strong_against"]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosisCodeIn(_Shape):
    """A coded diagnosis, beside or instead of the free-text ``diagnosis``."""

    system: Literal["ICD-O-3", "OncoTree"] = Field(
        description="ICD-O-3 morphology (WHO 2020 codes) or OncoTree (release "
        "oncotree_2025_10_03); spellings such as 'icdo3' or 'oncotree' are accepted."
    )
    code: str = Field(description="E.g. '8806/3' (ICD-O-3) or 'DSRCT' (OncoTree).")


class WeighedFinding(_Shape):
    """One submitted finding, its weight for a class, and why."""

    finding: str = Field(description="Where it was submitted, e.g. 'findings[2]'.")
    described: str = Field(description="The finding in words.")
    weight: Weight = Field(
        description="specific_support (the class's own defining alteration proven), "
        "compatible, neutral, weak_against (needs review), strong_against (refutes the call)."
    )
    reason: str
    classes: list[str] = Field(
        description="Class codes the finding points to; all of them for a shared alteration."
    )


class DsrctCheck(_Shape):
    """The EWSR1::WT1 / DSRCT check every profile gets, whatever its call."""

    status: FusionStatus = Field(description="The findings judged against DSRCT.")
    flagged: bool = Field(
        description="EWSR1::WT1 shown on a profile whose top class is not DSRCT, or a DSRCT "
        "call with a finding against it: a reviewer must look."
    )
    dsrct_score: float | None
    dsrct_rank: int | None
    is_top_class: bool
    ewsr1_wt1_shown: bool | None = Field(
        default=None, description="A finding proves EWSR1::WT1 (null before knowledge 2.0.0)."
    )
    supporting: list[str]
    contradicting: list[str]
    evidence: list[WeighedFinding] = Field(default_factory=list)
    explanation: str


class FusionConsistency(_Shape):
    """The call compared with the submitted molecular and immunohistochemistry findings."""

    status: FusionStatus = Field(
        description="confirmed (the class's defining alteration proven), consistent "
        "(compatible evidence only), discordant (weak evidence against: needs review), "
        "inconsistent (strong evidence against), not_assessed."
    )
    called_class: str
    called_class_name: str
    decision: str
    call_confident: bool
    expected_fusions: list[str]
    defining_alterations: list[str]
    evidence: list[WeighedFinding] = Field(
        default_factory=list,
        description="Every finding in submitted order with its weight and reason.",
    )
    supporting: list[str] = Field(description="Findings for the call, as sentences.")
    contradicting: list[str] = Field(description="Findings against the call, as sentences.")
    notes: list[str] = Field(description="Neutral findings and caveats.")
    summary: str
    recommended_test: str | None
    dsrct_check: DsrctCheck
    knowledge_version: str


class Reclassification(_Shape):
    """The submitted diagnosis compared with the call."""

    verdict: Verdict = Field(
        description="confirmed (same class), family_concordant (same family only, never "
        "across benign and malignant), reclassified, not_classifiable (no confident call, a "
        "control-tissue call, or a profile failing quality control), diagnosis_unrecognised."
    )
    service_verdict: Verdict | None = Field(
        default=None, description="The service's verdict, when a reviewer set another."
    )
    submitted_diagnosis: str | None
    submitted_code: str | None = Field(default=None, description="E.g. 'ICD-O-3 8806/3'.")
    submitted_class: str | None
    submitted_family: str | None
    submitted_level: str | None
    matched_by: str | None = Field(
        description="code, exact, contained (a known phrase with neutral words beside it), "
        "ICD-O-3 or OncoTree."
    )
    hedge: str | None = Field(default=None, description="A hedge read, e.g. 'favour'.")
    called_class: str
    called_family: str
    decision: str = Field(description="The decision compared: no_match when QC failed.")
    model_decision: str | None = Field(
        default=None, description="The classifier's decision before the quality gate."
    )
    quality_reasons: list[str] = Field(
        default_factory=list, description="Why the quality gate withheld the call."
    )
    score: float
    family_score: float
    threshold: float
    evidence: str
    knowledge_version: str
