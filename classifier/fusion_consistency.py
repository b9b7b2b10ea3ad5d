"""Fusion consistency: does the submitted molecular evidence fit the call?

Every finding is weighed for the called class (:mod:`classifier.evidence_weights`)
and listed with its weight and reason, for and against separately. The
status follows from the strongest weight:

- ``inconsistent``: strong evidence against (a defining alteration of
  another class proven, or the class's obligate alteration proven absent by
  a sensitive method);
- ``confirmed``: specific support (the class's own defining alteration
  proven) and no strong evidence against;
- ``discordant``: weak evidence against and no specific support (a negative
  test, a break-apart or stain pointing elsewhere): the case needs review;
- ``consistent``: only compatible evidence (a variant partner, a shared or
  characteristic alteration, a break-apart of a gene the class rearranges,
  an expected stain);
- ``not_assessed``: nothing bears on the class, or the call is a non-tumour
  control.

A call that is not confident (``family_match`` or ``no_match``) is still
judged against its top class, and the summary says so. Every profile also
gets a :class:`DsrctCheck`: the same judgement for DSRCT, flagged when
EWSR1::WT1 was shown on a profile whose top class is not DSRCT, or when the
top class is DSRCT and evidence speaks against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from classifier.decision import DEFAULT_THRESHOLD, Decision
from classifier.evidence_weights import WeighedFinding, Weight, weigh
from classifier.findings import Finding
from classifier.knowledge import KnowledgeBase, Proves, load_knowledge
from classifier.score_text import score_text

__all__ = [
    "DSRCT",
    "ConsistencyStatus",
    "DsrctCheck",
    "FusionConsistency",
    "assess_fusion_consistency",
]

#: The class every profile is checked for (DOMAIN.md section 5).
DSRCT = "DSRCT"


class ConsistencyStatus(StrEnum):
    """How the findings relate to a class."""

    CONFIRMED = "confirmed"
    CONSISTENT = "consistent"
    DISCORDANT = "discordant"
    INCONSISTENT = "inconsistent"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class DsrctCheck:
    """The EWSR1::WT1 / DSRCT check made on every profile.

    Attributes
    ----------
    status : ConsistencyStatus
        How the findings relate to DSRCT, whatever the top class.
    flagged : bool
        True when EWSR1::WT1 was shown but the top class is not DSRCT, or the
        top class is DSRCT and a finding speaks against it: what a reviewer
        must see.
    dsrct_score : float or None
        Calibrated DSRCT score, six decimals (``None`` if the model has no
        DSRCT class).
    dsrct_rank : int or None
        1 when DSRCT is the top class.
    is_top_class : bool
    ewsr1_wt1_shown : bool
        Whether a finding proves EWSR1::WT1.
    supporting, contradicting : tuple of str
        Findings for and against DSRCT.
    evidence : tuple of WeighedFinding
        Every finding with its weight for DSRCT.
    explanation : str
    """

    status: ConsistencyStatus
    flagged: bool
    dsrct_score: float | None
    dsrct_rank: int | None
    is_top_class: bool
    ewsr1_wt1_shown: bool
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]
    evidence: tuple[WeighedFinding, ...]
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "status": str(self.status),
            "flagged": self.flagged,
            "dsrct_score": self.dsrct_score,
            "dsrct_rank": self.dsrct_rank,
            "is_top_class": self.is_top_class,
            "ewsr1_wt1_shown": self.ewsr1_wt1_shown,
            "supporting": list(self.supporting),
            "contradicting": list(self.contradicting),
            "evidence": [e.to_dict() for e in self.evidence],
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class FusionConsistency:
    """The findings compared with the methylation call.

    Attributes
    ----------
    status : ConsistencyStatus
    called_class : str
        The top class as given (a code or a label).
    called_class_name : str
    decision : str
        ``match``, ``family_match`` or ``no_match``.
    call_confident : bool
        True only for ``match``.
    expected_fusions : tuple of str
        Defining fusions of the called class (``"EWSR1::WT1"``).
    defining_alterations : tuple of str
        All its defining alterations, fusions or not.
    evidence : tuple of WeighedFinding
        Every finding, in submitted order, with its weight and reason.
    supporting, contradicting, notes : tuple of str
        The same findings as sentences: for (specific support, compatible),
        against (weak, strong) and beside the call (neutral).
    summary : str
        The status in one or two sentences.
    recommended_test : str or None
        The test that would settle it, e.g. "RNA-based NGS or RT-PCR for
        EWSR1::WT1"; ``None`` when confirmed or nothing would.
    dsrct_check : DsrctCheck
    knowledge_version : str
    """

    status: ConsistencyStatus
    called_class: str
    called_class_name: str
    decision: str
    call_confident: bool
    expected_fusions: tuple[str, ...]
    defining_alterations: tuple[str, ...]
    evidence: tuple[WeighedFinding, ...]
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]
    notes: tuple[str, ...]
    summary: str
    recommended_test: str | None
    dsrct_check: DsrctCheck
    knowledge_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (nested ``dsrct_check`` and ``evidence`` included)."""
        return {
            "status": str(self.status),
            "called_class": self.called_class,
            "called_class_name": self.called_class_name,
            "decision": self.decision,
            "call_confident": self.call_confident,
            "expected_fusions": list(self.expected_fusions),
            "defining_alterations": list(self.defining_alterations),
            "evidence": [e.to_dict() for e in self.evidence],
            "supporting": list(self.supporting),
            "contradicting": list(self.contradicting),
            "notes": list(self.notes),
            "summary": self.summary,
            "recommended_test": self.recommended_test,
            "dsrct_check": self.dsrct_check.to_dict(),
            "knowledge_version": self.knowledge_version,
        }


def assess_fusion_consistency(
    *,
    top_class: str,
    decision: str,
    scores: Mapping[str, float],
    findings: Sequence[Finding],
    threshold: float = DEFAULT_THRESHOLD,
) -> FusionConsistency:
    """Compare the submitted findings with the methylation call.

    Parameters
    ----------
    top_class : str
        Highest-scoring class (a code from ``classes.csv`` or a label).
    decision : {"match", "family_match", "no_match"}
        The decision to report (after any quality gate).
    scores : mapping of str to float
        Calibrated score of every class, keyed like ``top_class``.
    findings : sequence of Finding
        From :func:`classifier.findings.parse_findings`; may be empty.
    threshold : float, default=0.9
        The model's match threshold, quoted in the summary.

    Returns
    -------
    FusionConsistency

    Raises
    ------
    ValueError
        If ``decision`` is not one of the three decisions.
    """
    call = _decision(decision)
    kb = load_knowledge()
    weighed = tuple(weigh(kb, top_class, f) for f in findings)
    status = _status(weighed)
    if kb.is_control(top_class):
        status = ConsistencyStatus.NOT_ASSESSED
    name = kb.class_name(top_class)
    summary = _summary(kb, top_class, status, weighed)
    score = scores.get(top_class)
    if call is Decision.NO_MATCH:
        if score is not None and score >= threshold:
            # A score over the threshold with no match: the quality gate withheld the
            # call (out of distribution, too few CpGs), not a lack of confidence.
            what = (
                f"({score_text(score)}) is withheld by the quality check "
                "(see the reclassification's reason)"
            )
        else:
            shown = "" if score is None else f" ({score_text(score)} < {threshold:.2f})"
            what = f"is not confident{shown}"
        summary = (
            f"The methylation call {what}; the findings are judged "
            f"against the top class, {name}, only. {summary}"
        )
    elif call is Decision.FAMILY_MATCH:
        summary = (
            "The methylation call is confident at family level only; the findings are judged "
            f"against the top class, {name}. {summary}"
        )
    return FusionConsistency(
        status=status,
        called_class=top_class,
        called_class_name=name,
        decision=str(call),
        call_confident=call is Decision.MATCH,
        expected_fusions=tuple(a.name for a in kb.expected_fusions(top_class)),
        defining_alterations=tuple(a.name for a in kb.defining_alterations(top_class)),
        evidence=weighed,
        supporting=tuple(w.text for w in weighed if w.weight.is_for),
        contradicting=tuple(w.text for w in weighed if w.weight.is_against),
        notes=tuple(w.text for w in weighed if w.weight is Weight.NEUTRAL),
        summary=summary,
        recommended_test=_recommend(kb, top_class, status, findings),
        dsrct_check=_dsrct_check(kb, top_class, scores, findings),
        knowledge_version=kb.version,
    )


def _status(weighed: Sequence[WeighedFinding]) -> ConsistencyStatus:
    weights = {w.weight for w in weighed}
    if Weight.STRONG_AGAINST in weights:
        return ConsistencyStatus.INCONSISTENT
    if Weight.SPECIFIC_SUPPORT in weights:
        return ConsistencyStatus.CONFIRMED
    if Weight.WEAK_AGAINST in weights:
        return ConsistencyStatus.DISCORDANT
    if Weight.COMPATIBLE in weights:
        return ConsistencyStatus.CONSISTENT
    return ConsistencyStatus.NOT_ASSESSED


def _first(weighed: Sequence[WeighedFinding], weight: Weight) -> WeighedFinding:
    return next(w for w in weighed if w.weight is weight)


def _summary(
    kb: KnowledgeBase, label: str, status: ConsistencyStatus, weighed: Sequence[WeighedFinding]
) -> str:
    name = kb.class_name(label)
    against = [w for w in weighed if w.weight.is_against]
    if kb.is_control(label):
        return (
            f"The call, {name}, is a non-tumour control: the sample probably holds too little "
            "tumour, so the findings are not judged against it."
        )
    if status is ConsistencyStatus.INCONSISTENT:
        return (
            f"The findings contradict {name}: {_first(weighed, Weight.STRONG_AGAINST).text} "
            "The diagnostician should review the case."
        )
    if status is ConsistencyStatus.CONFIRMED:
        said = _first(weighed, Weight.SPECIFIC_SUPPORT).described
        more = " Other findings disagree; see contradicting." if against else ""
        return f"{said} confirms {name} at the molecular level.{more}"
    if status is ConsistencyStatus.DISCORDANT:
        fits = [w for w in weighed if w.weight is Weight.COMPATIBLE]
        head = (
            f"Some findings fit {name} and some argue against it"
            if fits
            else f"The findings argue against {name} without excluding it"
        )
        return f"{head}: {against[0].text} The case needs review."
    if status is ConsistencyStatus.CONSISTENT:
        return f"The findings fit {name} but do not prove it."
    if not weighed:
        return "No findings were submitted, so the call was not checked against molecular evidence."
    if not kb.defining_alterations(label):
        return (
            f"{name} has no defining alteration in the knowledge base, so the findings can only "
            "contradict it; none does."
        )
    return f"None of the submitted findings bears on {name}."


def _recommend(
    kb: KnowledgeBase, label: str, status: ConsistencyStatus, findings: Sequence[Finding]
) -> str | None:
    if status is ConsistencyStatus.CONFIRMED:
        return None
    if kb.is_control(label):
        return "a new sample with more tumour (the call is a non-tumour control)"
    expected = kb.expected_fusions(label)
    # Only a negative test for one of the class's own fusions says which method missed it.
    negative = {
        f.method
        for f in findings
        if f.proves is Proves.FUSION_ABSENT and any(a.matches_fusion(f.genes) for a in expected)
    }
    parts = []
    fusions = [a.name for a in expected]
    if fusions:
        test = kb.test_for("fusion")
        if negative:
            # Another method can catch what a negative one missed.
            labels = [
                r.method_label
                for r in kb.evidence
                if r.kind == "fusion"
                and r.proves is Proves.FUSION_PRESENT
                and r.method not in negative
            ]
            test = _join(labels, "or") or test
        parts.append(f"{test} for {_join(fusions, 'or')}")
    for alt in kb.defining_alterations(label):
        if not alt.is_fusion:
            parts.append(f"{kb.test_for(alt.kind)} for {alt.name}")
    return "; or ".join(parts) or None


def _dsrct_check(
    kb: KnowledgeBase, top_class: str, scores: Mapping[str, float], findings: Sequence[Finding]
) -> DsrctCheck:
    weighed = tuple(weigh(kb, DSRCT, f) for f in findings)
    status = _status(weighed)
    is_top = kb.code_of(top_class) == DSRCT
    wt1 = [
        f
        for f in findings
        if f.proves is Proves.FUSION_PRESENT
        and any(a.matches_fusion(f.genes) for a in kb.expected_fusions(DSRCT))
    ]
    against = [w for w in weighed if w.weight.is_against]
    key = next((k for k in scores if kb.code_of(k) == DSRCT), None)
    raw = None if key is None else float(scores[key])
    rank = None if raw is None else 1 + sum(float(v) > raw for v in scores.values())
    score = None if raw is None else round(raw, 6)
    head = (
        f"DSRCT score {score_text(score)} (rank {rank})."
        if score is not None
        else "No DSRCT score."
    )
    fusion = _join([a.name for a in kb.expected_fusions(DSRCT)], "or")
    flagged = bool(wt1 and not is_top) or bool(is_top and against)
    if wt1 and not is_top:
        others = f" {against[0].text}" if against else ""
        body = (
            f"{wt1[0].describe()} defines DSRCT and is very rare outside it, yet the top class "
            f"is {kb.class_name(top_class)}.{others} Review the case: DSRCT must be considered."
        )
    elif is_top and against:
        body = f"DSRCT is the top class, but {against[0].text} Review the case."
    elif status is ConsistencyStatus.CONFIRMED:
        body = f"DSRCT is the top class and {fusion} was shown."
    elif status in (ConsistencyStatus.INCONSISTENT, ConsistencyStatus.DISCORDANT):
        body = f"The findings argue against DSRCT: {against[0].text}"
    elif status is ConsistencyStatus.CONSISTENT:
        settle = _recommend(kb, DSRCT, status, findings)
        body = f"Some findings fit DSRCT without settling it; {settle} would."
    else:
        body = f"No finding bears on {fusion}."
    return DsrctCheck(
        status=status,
        flagged=flagged,
        dsrct_score=score,
        dsrct_rank=rank,
        is_top_class=is_top,
        ewsr1_wt1_shown=bool(wt1),
        supporting=tuple(w.text for w in weighed if w.weight.is_for),
        contradicting=tuple(w.text for w in against),
        evidence=weighed,
        explanation=f"{head} {body}",
    )


def _decision(decision: str) -> Decision:
    try:
        return Decision(decision)
    except ValueError:
        accepted = ", ".join(d.value for d in Decision)
        raise ValueError(f"decision must be one of {accepted}; got {decision!r}") from None


def _join(items: Sequence[str], word: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
