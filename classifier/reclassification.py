"""Reclassification: the submitted diagnosis compared with the methylation call.

The verdicts (DOMAIN.md section 5):

- ``confirmed``: a ``match`` on the submitted class;
- ``family_concordant``: the diagnosis and the call agree on the family
  only: a ``match`` on a class of a family-level diagnosis, or a
  ``family_match`` on the family of the diagnosis. Never across benign and
  malignant, never for a family that groups distinct entities
  (``families.csv``), and never for a ``family_match`` on a family that
  holds both benign and malignant classes;
- ``reclassified``: a confident call that disagrees: a ``match`` on a
  different class, or a ``family_match`` on a different family;
- ``not_classifiable``: ``no_match``; a call of a non-tumour control class
  (too little tumour in the sample); a profile that fails the quality gate
  (out of distribution, too few CpGs measured: :class:`ProfileQuality`),
  whose decision is then reported as ``no_match``; or a ``family_match``
  that cannot speak to the diagnosis (see above);
- ``diagnosis_unrecognised``: no diagnosis, text or code that names no class
  or family, or a text and a code that disagree; the call is still reported.

The service states the evidence; the diagnostician decides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from classifier.decision import DEFAULT_THRESHOLD, Decision
from classifier.diagnoses import DiagnosisCode
from classifier.knowledge import DiagnosisMatch, KnowledgeBase, load_knowledge
from classifier.quality_gate import ProfileQuality
from classifier.score_text import score_text

__all__ = ["ProfileQuality", "Reclassification", "Verdict", "reclassify"]

# Scores are reported as the classification reports them: six decimals hide
# float32 noise between a batch and single requests.
_DECIMALS = 6


class Verdict(StrEnum):
    """Outcome of comparing the submitted diagnosis with the call."""

    CONFIRMED = "confirmed"
    FAMILY_CONCORDANT = "family_concordant"
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
    submitted_code : str or None
        The submitted diagnosis code, e.g. ``"ICD-O-3 8806/3"``.
    submitted_class : str or None
        Class code the diagnosis denotes (``None`` at family level or when
        unrecognised).
    submitted_family : str or None
        Family code the diagnosis denotes or belongs to.
    submitted_level : {"class", "family"} or None
    matched_by : str or None
        How it was recognised: ``code``, ``exact``, ``contained``,
        ``ICD-O-3`` or ``OncoTree`` (see :class:`DiagnosisMatch`).
    hedge : str or None
        A hedge read before the diagnosis ("favour").
    called_class : str
        The top class.
    called_family : str
        The family of the call.
    decision : str
        The decision reported: ``no_match`` when the quality gate failed.
    model_decision : str
        The classifier's decision before the quality gate.
    quality_reasons : tuple of str
        Why the quality gate failed; empty when it passed.
    score, family_score, threshold : float
        Scores rounded to six decimals.
    evidence : str
        Plain-English sentences stating the facts.
    knowledge_version : str
    """

    verdict: Verdict
    submitted_diagnosis: str | None
    submitted_code: str | None
    submitted_class: str | None
    submitted_family: str | None
    submitted_level: str | None
    matched_by: str | None
    hedge: str | None
    called_class: str
    called_family: str
    decision: str
    model_decision: str
    quality_reasons: tuple[str, ...]
    score: float
    family_score: float
    threshold: float
    evidence: str
    knowledge_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = asdict(self)
        out["verdict"] = str(self.verdict)
        out["quality_reasons"] = list(self.quality_reasons)
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
    diagnosis_code: DiagnosisCode | None = None,
    quality: ProfileQuality | None = None,
) -> Reclassification:
    """Compare a submitted diagnosis with the methylation call.

    Parameters
    ----------
    diagnosis : str or None
        Free-text histological diagnosis, e.g. ``"Ewing´s sarcoma"``, or a
        class code, or an ICD-O-3 morphology code.
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
    diagnosis_code : DiagnosisCode, optional
        An ICD-O-3 or OncoTree code beside or instead of the text.
    quality : ProfileQuality, optional
        Out-of-distribution flag and CpG coverage; when it fails, the
        decision becomes ``no_match`` and the verdict ``not_classifiable``.

    Returns
    -------
    Reclassification

    Raises
    ------
    ValueError
        If ``decision`` is not one of the three decisions.
    """
    try:
        model_call = Decision(decision)
    except ValueError:
        accepted = ", ".join(d.value for d in Decision)
        raise ValueError(f"decision must be one of {accepted}; got {decision!r}") from None
    quality = quality or ProfileQuality()
    call = quality.gate(model_call)
    kb = load_knowledge()
    match, unread = _read(kb, diagnosis, diagnosis_code)
    code = kb.code_of(top_class) or top_class
    if quality.reasons:
        failed = "; ".join(quality.reasons)
        verdict, consequence = (
            Verdict.NOT_CLASSIFIABLE,
            f"the profile failed quality control ({failed}), so the call is not used (decision "
            "no_match) and the diagnosis is neither confirmed nor reclassified",
        )
    else:
        verdict, consequence = _verdict(kb, match, call, code, family)
    submitted = _describe_submitted(diagnosis, diagnosis_code, match, unread)
    called = _describe_call(kb, call, model_call, top_class, family, score, family_score, threshold)
    return Reclassification(
        verdict=verdict,
        submitted_diagnosis=diagnosis,
        submitted_code=None if diagnosis_code is None else str(diagnosis_code),
        submitted_class=match.code if match and match.level == "class" else None,
        submitted_family=match.family if match else None,
        submitted_level=match.level if match else None,
        matched_by=match.how if match else None,
        hedge=match.hedge if match else None,
        called_class=top_class,
        called_family=family,
        decision=str(call),
        model_decision=str(model_call),
        quality_reasons=quality.reasons,
        score=round(float(score), _DECIMALS),
        family_score=round(float(family_score), _DECIMALS),
        threshold=float(threshold),
        evidence=f"{submitted} {called} — {consequence}; the diagnostician decides.",
        knowledge_version=kb.version,
    )


def _read(
    kb: KnowledgeBase, text: str | None, code: DiagnosisCode | None
) -> tuple[DiagnosisMatch | None, str]:
    """The diagnosis read from the text and/or the code, or the reason it is not read."""
    by_text = kb.resolve_diagnosis(text) if (text or "").strip() else None
    by_code = kb.resolve_diagnosis_code(code) if code is not None else None
    if by_text and by_code and (by_text.level, by_text.code) != (by_code.level, by_code.code):
        return None, (
            f"the text reads as {_read_as(kb, by_text)} but the code {code} as "
            f"{_read_as(kb, by_code)}"
        )
    if by_code or by_text:
        return by_code or by_text, ""
    reasons = []
    if (text or "").strip():
        reasons.append(kb.why_unresolved(text))
    if code is not None:
        reasons.append(kb.diagnoses.why_code_unresolved(code))
    return None, "; ".join(reasons) or "no diagnosis was submitted"


def _verdict(
    kb: KnowledgeBase, match: DiagnosisMatch | None, call: Decision, code: str, family: str
) -> tuple[Verdict, str]:
    if call is not Decision.NO_MATCH and kb.is_control(code):
        return Verdict.NOT_CLASSIFIABLE, (
            "a non-tumour control class: the sample probably holds too little tumour, so the "
            "diagnosis is neither confirmed nor reclassified"
        )
    if match is None:
        return Verdict.DIAGNOSIS_UNRECOGNISED, "reported without a comparison"
    same_class = match.level == "class" and match.code == code
    call_family = family if call is Decision.FAMILY_MATCH else (kb.family_of(code) or family)
    same_family = match.family == call_family
    if call is Decision.NO_MATCH:
        agrees = same_class or (match.level == "family" and same_family)
        top = "agrees with the diagnosis" if agrees else "differs from the diagnosis"
        return Verdict.NOT_CLASSIFIABLE, (
            f"no confident call (the top class {top} but is not confident), so the diagnosis "
            "is neither confirmed nor reclassified"
        )
    if call is Decision.FAMILY_MATCH:
        if not same_family:
            return Verdict.RECLASSIFIED, "a different family, so the tumour is reclassified"
        if not kb.family_concordance.get(call_family, False):
            return Verdict.NOT_CLASSIFIABLE, (
                "the family of the diagnosis, but this family groups distinct entities, so a "
                "family-level call neither confirms nor contradicts it"
            )
        call_malignant = kb.family_is_malignant(call_family)
        if call_malignant is None:
            return Verdict.NOT_CLASSIFIABLE, (
                "the family of the diagnosis, but the family holds benign and malignant classes, "
                "so a family-level call neither confirms nor contradicts it"
            )
        if match.malignant is not None and match.malignant != call_malignant:
            return Verdict.NOT_CLASSIFIABLE, (
                f"the family of the diagnosis, but the diagnosis names a {_kind(match.malignant)} "
                f"tumour and the family's classes are {_kind(call_malignant)}, so they are not "
                "concordant"
            )
        return Verdict.FAMILY_CONCORDANT, (
            "the family of the submitted diagnosis, so they agree at family level only: the "
            "class is not confirmed"
        )
    if same_class:
        return Verdict.CONFIRMED, "the same class, so the diagnosis is confirmed"
    call_malignant = kb.is_malignant(code)
    crosses = (
        match.malignant is not None
        and call_malignant is not None
        and match.malignant != call_malignant
    )
    concordant = kb.family_concordance.get(call_family, False)
    if match.level == "family" and same_family and not crosses and concordant:
        return Verdict.FAMILY_CONCORDANT, (
            "a class of the submitted family, so they agree at family level only"
        )
    where = "of the same family" if same_family else "of another family"
    if crosses:
        where += (
            f" (the diagnosis names a {_kind(match.malignant)} tumour, the call a "
            f"{_kind(call_malignant)} one: never concordant)"
        )
    return Verdict.RECLASSIFIED, f"a different class {where}, so the tumour is reclassified"


def _kind(malignant: bool | None) -> str:
    return "malignant" if malignant else "benign or intermediate"


def _read_as(kb: KnowledgeBase, match: DiagnosisMatch) -> str:
    if match.level == "class":
        return kb.class_name(match.code)
    return f"the {kb.family_name(match.family)} family"


def _describe_submitted(
    text: str | None, code: DiagnosisCode | None, match: DiagnosisMatch | None, unread: str
) -> str:
    kb = load_knowledge()
    parts = []
    if (text or "").strip():
        parts.append(f"'{text}'")
    if code is not None:
        parts.append(str(code))
    what = " and ".join(parts)
    if match is None:
        if not parts:
            return "No diagnosis was submitted."
        return f"Submitted diagnosis {what} cannot be compared: {unread}."
    family = f"{kb.family_name(match.family)} family"
    read = f"{kb.class_name(match.code)}, {family}" if match.level == "class" else family
    if match.how == "contained":
        read = f"read as {read}"
    if match.hedge:
        read = f"{read}; hedged: '{match.hedge}'"
    note = f"; {match.note}" if match.note else ""
    return f"Submitted diagnosis {what} ({read}{note})."


def _describe_call(
    kb: KnowledgeBase,
    call: Decision,
    model_call: Decision,
    top_class: str,
    family: str,
    score: float,
    family_score: float,
    threshold: float,
) -> str:
    name, fam = kb.class_name(top_class), kb.family_name(family)
    if call is not model_call:
        return (
            f"Methylation call: {name} scored {score_text(score)} ({model_call} before quality "
            "control)"
        )
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
