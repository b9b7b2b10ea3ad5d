"""Reclassification: the submitted diagnosis compared with the methylation call.

The verdicts (DOMAIN.md section 5):

- ``confirmed``: a ``match`` on the submitted class; a ``match`` in the
  submitted family when the diagnosis is given at family level; or a
  ``family_match`` on the family of the submitted diagnosis (class or
  family level), which the evidence states is a confirmation at family
  level only;
- ``reclassified``: a confident call that disagrees: a ``match`` on a
  different class (even of the same family), or a ``family_match`` on a
  different family (a confident family call is still a confident call);
- ``not_classifiable``: ``no_match``, whatever the top class; the evidence
  says whether the (unconfident) top class agrees;
- ``diagnosis_unrecognised``: no diagnosis, or text that names no class or
  family ("Sarcoma not otherwise specified"); the call is still reported.

The service states the evidence; the diagnostician decides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from classifier.decision import DEFAULT_THRESHOLD, Decision
from classifier.knowledge import DiagnosisMatch, KnowledgeBase, load_knowledge
from classifier.score_text import score_text

__all__ = ["Reclassification", "Verdict", "reclassify"]

# Scores are reported as the classification reports them: six decimals hide
# float32 noise between a batch and single requests.
_DECIMALS = 6


class Verdict(StrEnum):
    """Outcome of comparing the submitted diagnosis with the call."""

    CONFIRMED = "confirmed"
    RECLASSIFIED = "reclassified"
    NOT_CLASSIFIABLE = "not_classifiable"
    DIAGNOSIS_UNRECOGNISED = "diagnosis_unrecognised"


@dataclass(frozen=True)
class Reclassification:
    """The verdict and the facts behind it.

    Attributes
    ----------
    verdict : Verdict
    submitted_diagnosis : str or None
        The text as submitted.
    submitted_class : str or None
        Class code the diagnosis denotes (``None`` at family level or when
        unrecognised).
    submitted_family : str or None
        Family code the diagnosis denotes or belongs to.
    submitted_level : {"class", "family"} or None
    matched_by : {"code", "exact", "contained"} or None
        How the text was recognised (see :class:`DiagnosisMatch`).
    called_class : str
        The top class.
    called_family : str
        The family of the call.
    decision : str
        ``match``, ``family_match`` or ``no_match``.
    score, family_score, threshold : float
        Scores rounded to six decimals.
    evidence : str
        One or two plain-English sentences stating the facts.
    knowledge_version : str
    """

    verdict: Verdict
    submitted_diagnosis: str | None
    submitted_class: str | None
    submitted_family: str | None
    submitted_level: str | None
    matched_by: str | None
    called_class: str
    called_family: str
    decision: str
    score: float
    family_score: float
    threshold: float
    evidence: str
    knowledge_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = asdict(self)
        out["verdict"] = str(self.verdict)
        return out


def reclassify(
    diagnosis: str | None,
    *,
    top_class: str,
    decision: str,
    family: str,
    family_score: float,
    score: float,
    threshold: float = DEFAULT_THRESHOLD,
) -> Reclassification:
    """Compare a submitted diagnosis with the methylation call.

    Parameters
    ----------
    diagnosis : str or None
        Free-text histological diagnosis, e.g. ``"Ewing´s sarcoma"``.
    top_class : str
        Highest-scoring class (a code from ``classes.csv`` or a label).
    decision : {"match", "family_match", "no_match"}
        The classifier's decision at ``threshold``.
    family : str
        Family code of the call: the family that matched for a
        ``family_match``, else the top class's family.
    family_score : float
        Summed calibrated score of ``family``.
    score : float
        Calibrated score of ``top_class``.
    threshold : float, default=0.9
        The model's match threshold, quoted in the evidence.

    Returns
    -------
    Reclassification

    Raises
    ------
    ValueError
        If ``decision`` is not one of the three decisions.
    """
    try:
        call = Decision(decision)
    except ValueError:
        accepted = ", ".join(d.value for d in Decision)
        raise ValueError(f"decision must be one of {accepted}; got {decision!r}") from None
    kb = load_knowledge()
    match = kb.resolve_diagnosis(diagnosis)
    code = kb.code_of(top_class) or top_class
    verdict, consequence = _verdict(match, call, code, family)
    submitted = _describe_submitted(kb, diagnosis, match)
    called = _describe_call(kb, call, top_class, family, score, family_score, threshold)
    return Reclassification(
        verdict=verdict,
        submitted_diagnosis=diagnosis,
        submitted_class=match.code if match and match.level == "class" else None,
        submitted_family=match.family if match else None,
        submitted_level=match.level if match else None,
        matched_by=match.how if match else None,
        called_class=top_class,
        called_family=family,
        decision=str(call),
        score=round(float(score), _DECIMALS),
        family_score=round(float(family_score), _DECIMALS),
        threshold=float(threshold),
        evidence=f"{submitted} {called} — {consequence}; the diagnostician decides.",
        knowledge_version=kb.version,
    )


def _verdict(
    match: DiagnosisMatch | None, call: Decision, code: str, family: str
) -> tuple[Verdict, str]:
    if match is None:
        return Verdict.DIAGNOSIS_UNRECOGNISED, "reported without a comparison"
    same_class = match.level == "class" and match.code == code
    same_family = match.family == family
    if call is Decision.NO_MATCH:
        agrees = same_class or (match.level == "family" and same_family)
        top = "agrees with the diagnosis" if agrees else "differs from the diagnosis"
        return Verdict.NOT_CLASSIFIABLE, (
            f"no confident call (the top class {top} but is not confident), so the diagnosis "
            "is neither confirmed nor reclassified"
        )
    if call is Decision.FAMILY_MATCH:
        if same_family:
            return Verdict.CONFIRMED, (
                "the family of the submitted diagnosis, so it is confirmed at family level only"
            )
        return Verdict.RECLASSIFIED, "a different family, so the tumour is reclassified"
    if same_class:
        return Verdict.CONFIRMED, "the same class, so the diagnosis is confirmed"
    if match.level == "family" and same_family:
        return Verdict.CONFIRMED, (
            "a class of the submitted family, so the diagnosis is confirmed at family level"
        )
    where = "of the same family" if same_family else "of another family"
    return Verdict.RECLASSIFIED, f"a different class {where}, so the tumour is reclassified"


def _describe_submitted(kb: KnowledgeBase, text: str | None, match: DiagnosisMatch | None) -> str:
    if match is None:
        if not (text or "").strip():
            return "No diagnosis was submitted."
        return f"Submitted diagnosis '{text}' cannot be compared: {kb.why_unresolved(text)}."
    family = f"{kb.family_name(match.family)} family"
    read = f"{kb.class_name(match.code)}, {family}" if match.level == "class" else family
    if match.how == "contained":
        read = f"read as {read}"
    note = f"; {match.note}" if match.note else ""
    return f"Submitted diagnosis '{text}' ({read}{note})."


def _describe_call(
    kb: KnowledgeBase,
    call: Decision,
    top_class: str,
    family: str,
    score: float,
    family_score: float,
    threshold: float,
) -> str:
    name, fam = kb.class_name(top_class), kb.family_name(family)
    if call is Decision.MATCH:
        return (
            f"Methylation call: {name} with calibrated score {score_text(score)} "
            f"(>= {threshold:.2f} threshold)"
        )
    if call is Decision.FAMILY_MATCH:
        return (
            f"Methylation call: {fam} family with summed score {score_text(family_score)} "
            f"(>= {threshold:.2f} threshold); its top class, {name}, scored {score_text(score)}"
        )
    return (
        f"Methylation call: no match; the top class, {name}, scored {score_text(score)} and its "
        f"family, {fam}, {score_text(family_score)}, both below the {threshold:.2f} threshold"
    )
