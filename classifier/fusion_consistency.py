"""Fusion consistency: does the submitted molecular evidence fit the call?

Each finding is read through the knowledge tables (what its method and
result prove, which classes a fusion defines, where a gene rearranges,
what a stain means) and sorted into evidence for, against, or beside the
called class. The status follows from the strongest evidence:

- ``inconsistent``: a confirmed fusion defining another class, or a
  rearranged gene that the called class never rearranges;
- ``confirmed``: a confirmed defining fusion of the called class;
- ``consistent_unconfirmed``: only weaker evidence, for or against: a
  break-apart rearrangement (partner unknown), a stain, or a *negative*
  test. A negative test for the expected fusion is listed as
  contradicting but does not make the call inconsistent, because a
  negative test has limited sensitivity (degraded RNA, uncovered
  breakpoints, FUS or TAF15 standing in for EWSR1); the recommended test
  then names another method;
- ``not_assessed``: no finding bears on the class. This includes a class
  without a defining fusion (e.g. leiomyosarcoma) that no finding
  contradicts: fusion evidence can only refute such a call, never confirm it.

A call that is not confident (``family_match`` or ``no_match``) is still
judged against its top class, and the summary says that the call is not
confident. Independently, every profile gets a :class:`DsrctCheck`: the
same judgement made for DSRCT, flagged when EWSR1::WT1 is confirmed on a
profile whose top class is not DSRCT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from classifier.decision import DEFAULT_THRESHOLD, Decision
from classifier.findings import Finding
from classifier.knowledge import IhcMeaning, KnowledgeBase, Proves, load_knowledge
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
    CONSISTENT_UNCONFIRMED = "consistent_unconfirmed"
    INCONSISTENT = "inconsistent"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class DsrctCheck:
    """The EWSR1::WT1 / DSRCT check made on every profile.

    Attributes
    ----------
    status : ConsistencyStatus
        How the findings relate to DSRCT, whatever the top class:
        ``confirmed`` means EWSR1::WT1 was shown.
    flagged : bool
        True when EWSR1::WT1 was shown but the top class is not DSRCT:
        the discordance a reviewer must see.
    dsrct_score : float or None
        Calibrated DSRCT score, six decimals (``None`` if the model has no
        DSRCT class).
    dsrct_rank : int or None
        1 when DSRCT is the top class.
    is_top_class : bool
    supporting, contradicting : tuple of str
        Findings for and against DSRCT, in plain language.
    explanation : str
    """

    status: ConsistencyStatus
    flagged: bool
    dsrct_score: float | None
    dsrct_rank: int | None
    is_top_class: bool
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return _plain(asdict(self))


@dataclass(frozen=True)
class FusionConsistency:
    """The fusion and immunohistochemistry evidence compared with the call.

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
    supporting, contradicting : tuple of str
        Findings for and against the call, each citing ``findings[i]``.
    notes : tuple of str
        Findings that do not bear on the call, and caveats.
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
    supporting: tuple[str, ...]
    contradicting: tuple[str, ...]
    notes: tuple[str, ...]
    summary: str
    recommended_test: str | None
    dsrct_check: DsrctCheck
    knowledge_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (nested ``dsrct_check`` included)."""
        return _plain(asdict(self))


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
        The classifier's decision at ``threshold``.
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
    decision = _decision(decision)
    kb = load_knowledge()
    verdict = _judge(kb, top_class, findings)
    name = kb.class_name(top_class)
    summary = _summary(kb, top_class, verdict, findings)
    score = scores.get(top_class)
    if decision is Decision.NO_MATCH:
        shown = "" if score is None else f" ({score_text(score)} < {threshold:.2f})"
        summary = (
            f"The methylation call is not confident{shown}; the findings are judged "
            f"against the top class, {name}, only. {summary}"
        )
    elif decision is Decision.FAMILY_MATCH:
        summary = (
            "The methylation call is confident at family level only; the findings are "
            f"judged against the top class, {name}. {summary}"
        )
    return FusionConsistency(
        status=verdict.status,
        called_class=top_class,
        called_class_name=name,
        decision=str(decision),
        call_confident=decision is Decision.MATCH,
        expected_fusions=tuple(a.name for a in kb.expected_fusions(top_class)),
        defining_alterations=tuple(a.name for a in kb.defining_alterations(top_class)),
        supporting=tuple(verdict.supporting),
        contradicting=tuple(verdict.contradicting),
        notes=tuple(verdict.notes),
        summary=summary,
        recommended_test=_recommend(kb, top_class, verdict),
        dsrct_check=_dsrct_check(kb, top_class, scores, findings),
        knowledge_version=kb.version,
    )


@dataclass
class _Verdict:
    supporting: list[str] = field(default_factory=list)
    contradicting: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    confirming: list[str] = field(default_factory=list)
    refuting: list[str] = field(default_factory=list)
    negative_methods: set[str] = field(default_factory=set)

    @property
    def status(self) -> ConsistencyStatus:
        if self.refuting:
            return ConsistencyStatus.INCONSISTENT
        if self.confirming:
            return ConsistencyStatus.CONFIRMED
        if self.supporting or self.contradicting:
            return ConsistencyStatus.CONSISTENT_UNCONFIRMED
        return ConsistencyStatus.NOT_ASSESSED


def _judge(kb: KnowledgeBase, label: str, findings: Iterable[Finding]) -> _Verdict:
    verdict = _Verdict()
    code, name = kb.code_of(label), kb.class_name(label)
    own = kb.expected_fusions(label)
    for f in findings:
        said = f.describe()
        proves = f.proves
        if proves is Proves.FUSION_PRESENT:
            others = _names(kb, kb.classes_defined_by(f.genes), code)
            if any(a.matches_fusion(f.genes) for a in own):
                also = f"; it also defines {others}" if others else ""
                verdict.supporting.append(f"{said}: a defining fusion of {name}{also}.")
                verdict.confirming.append(said)
            elif others or own:
                defines = others or "no class in the knowledge base"
                expected = _join_or([a.name for a in own]) or "none"
                text = f"{said}: this fusion defines {defines}, not {name} ({expected})."
                verdict.contradicting.append(text)
                verdict.refuting.append(text)
            else:
                verdict.notes.append(
                    f"{said}: defines no class in the knowledge base, and {name} has no "
                    "defining fusion; it cannot be judged here."
                )
        elif proves is Proves.FUSION_ABSENT:
            if any(a.matches_fusion(f.genes) for a in own):
                rest = [a.name for a in own if not a.matches_fusion(f.genes)]
                others = f"; nor does it exclude {_join_or(rest)}" if rest else ""
                verdict.contradicting.append(
                    f"{said}: the expected fusion of {name} was not found. A negative test has "
                    f"limited sensitivity, so this argues against {name} without excluding "
                    f"it{others}."
                )
                verdict.negative_methods.add(f.method)
            else:
                verdict.notes.append(f"{said}: not a defining fusion of {name}; no bearing.")
        elif proves is Proves.REARRANGEMENT:
            gene = f.genes[0]
            mine = [a.name for a in own if a.involves(gene)]
            elsewhere = _names(kb, kb.classes_rearranging(gene), code)
            if mine:
                also = f", but also in {elsewhere}" if elsewhere else ""
                verdict.supporting.append(
                    f"{said}: {gene} rearranges in {name} ({_join_or(mine)}){also}. The test "
                    f"does not name the partner, so this fits {name} without proving it."
                )
            elif elsewhere:
                text = (
                    f"{said}: a {gene} rearrangement is not expected in {name}; "
                    f"it occurs in {elsewhere}."
                )
                verdict.contradicting.append(text)
                verdict.refuting.append(text)
            else:
                verdict.notes.append(f"{said}: no class in the knowledge base rearranges {gene}.")
        elif proves is Proves.NO_REARRANGEMENT:
            gene = f.genes[0]
            alternatives = [a.name for a in own if not a.involves(gene)]
            if len(alternatives) == len(own):
                verdict.notes.append(
                    f"{said}: {gene} is in no defining fusion of {name}; no bearing."
                )
            elif alternatives:
                verdict.contradicting.append(
                    f"{said}: this does not rule out {name}, whose defining fusions "
                    f"{_join_and(alternatives)} do not involve {gene}; a negative break-apart "
                    "test also misses small insertions."
                )
            else:
                verdict.contradicting.append(
                    f"{said}: every defining fusion of {name} involves {gene}, so this argues "
                    f"against {name}; a break-apart test misses small insertions, so it does "
                    "not exclude it."
                )
        elif proves in (Proves.MARKER_POSITIVE, Proves.MARKER_NEGATIVE):
            _stain(kb, label, f, verdict)
        else:
            verdict.notes.append(f"{said}: no evidence either way.")
    return verdict


def _stain(kb: KnowledgeBase, label: str, f: Finding, verdict: _Verdict) -> None:
    said, name = f.describe(), kb.class_name(label)
    row = kb.ihc_expectation(
        label, f.marker or "", f.result, epitope=str(f.epitope or "unspecified"), pattern=f.pattern
    )
    if row is None:
        verdict.notes.append(f"{said}: no expectation for this stain in {name} is recorded.")
    elif row.meaning is IhcMeaning.SUPPORTS:
        verdict.supporting.append(f"{said}: {row.explanation}")
    elif row.meaning is IhcMeaning.EXPECTED:
        # Expected but unspecific (most tumours are WT1 N-terminal negative):
        # it does not contradict the class, and it is no evidence for it either.
        verdict.notes.append(f"{said}: {row.explanation}")
    elif row.meaning is IhcMeaning.ARGUES_AGAINST:
        verdict.contradicting.append(
            f"{said}: {row.explanation} Immunohistochemistry is supportive only."
        )
    else:
        verdict.notes.append(f"{said}: {row.explanation}")


def _summary(kb: KnowledgeBase, label: str, verdict: _Verdict, findings: Sequence[Finding]) -> str:
    name, status = kb.class_name(label), verdict.status
    if status is ConsistencyStatus.INCONSISTENT:
        return (
            f"The findings contradict {name}: {verdict.refuting[0]} "
            "The diagnostician should review the case."
        )
    if status is ConsistencyStatus.CONFIRMED:
        against = " Other findings disagree; see contradicting." if verdict.contradicting else ""
        return f"{verdict.confirming[0]} confirms {name} at the molecular level.{against}"
    if status is ConsistencyStatus.CONSISTENT_UNCONFIRMED:
        if verdict.supporting and verdict.contradicting:
            return f"Some findings fit {name} and some argue against it; none is decisive."
        if verdict.contradicting:
            return (
                f"The findings argue against {name} but cannot exclude it: a negative test has "
                "limited sensitivity."
            )
        return f"The findings fit {name} but do not prove it."
    if not findings:
        return "No findings were submitted, so the call was not checked against fusion evidence."
    if not kb.expected_fusions(label):
        return (
            f"{name} has no defining fusion, so fusion findings can only contradict it; none does."
        )
    return f"None of the submitted findings bears on {name}."


def _recommend(kb: KnowledgeBase, label: str, verdict: _Verdict) -> str | None:
    if verdict.status is ConsistencyStatus.CONFIRMED:
        return None
    parts = []
    fusions = [a.name for a in kb.expected_fusions(label)]
    if fusions:
        test = kb.test_for("fusion")
        if verdict.negative_methods:
            # Another method can catch what a negative one missed.
            labels = [
                r.method_label
                for r in kb.evidence
                if r.kind == "fusion"
                and r.proves is Proves.FUSION_PRESENT
                and r.method not in verdict.negative_methods
            ]
            test = _join_or(labels) or test
        parts.append(f"{test} for {_join_or(fusions)}")
    for alt in kb.defining_alterations(label):
        if not alt.is_fusion:
            parts.append(f"{kb.test_for(alt.kind)} for {alt.name}")
    return "; or ".join(parts) or None


def _dsrct_check(
    kb: KnowledgeBase, top_class: str, scores: Mapping[str, float], findings: Sequence[Finding]
) -> DsrctCheck:
    verdict = _judge(kb, DSRCT, findings)
    is_top = kb.code_of(top_class) == DSRCT
    key = next((k for k in scores if kb.code_of(k) == DSRCT), None)
    raw = None if key is None else float(scores[key])
    rank = None if raw is None else 1 + sum(float(v) > raw for v in scores.values())
    score = None if raw is None else round(raw, 6)
    flagged = verdict.status is ConsistencyStatus.CONFIRMED and not is_top
    head = (
        f"DSRCT score {score_text(score)} (rank {rank})."
        if score is not None
        else "No DSRCT score."
    )
    fusion = _join_or([a.name for a in kb.expected_fusions(DSRCT)])
    status = verdict.status
    if flagged:
        body = (
            f"{verdict.confirming[0]} defines DSRCT and is very rare outside it, yet the top "
            f"class is {kb.class_name(top_class)}. Review the case: DSRCT must be considered."
        )
    elif status is ConsistencyStatus.CONFIRMED:
        body = f"DSRCT is the top class and {fusion} was shown."
    elif status is ConsistencyStatus.INCONSISTENT:
        body = f"The findings argue against DSRCT: {verdict.refuting[0]}"
    elif status is ConsistencyStatus.CONSISTENT_UNCONFIRMED:
        settle = _recommend(kb, DSRCT, verdict)
        body = f"Some findings bear on DSRCT without settling it; {settle} would."
    else:
        body = f"No finding bears on {fusion}."
    return DsrctCheck(
        status=status,
        flagged=flagged,
        dsrct_score=score,
        dsrct_rank=rank,
        is_top_class=is_top,
        supporting=tuple(verdict.supporting),
        contradicting=tuple(verdict.contradicting),
        explanation=f"{head} {body}",
    )


def _decision(decision: str) -> Decision:
    try:
        return Decision(decision)
    except ValueError:
        accepted = ", ".join(d.value for d in Decision)
        raise ValueError(f"decision must be one of {accepted}; got {decision!r}") from None


def _names(kb: KnowledgeBase, codes: Iterable[str], exclude: str | None) -> str:
    return _join_and([kb.class_name(c) for c in codes if c != exclude])


def _join_and(items: Sequence[str]) -> str:
    return _join(items, "and")


def _join_or(items: Sequence[str]) -> str:
    return _join(items, "or")


def _join(items: Sequence[str], word: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [_plain(v) for v in obj]
    if isinstance(obj, StrEnum):
        return str(obj)
    return obj
