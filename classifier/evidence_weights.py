"""How much one finding weighs for or against a class.

Each finding is read through the knowledge tables and given one of five
weights (``KNOWLEDGE.md`` explains them in words):

- ``specific_support``: the class's defining alteration proven (both fusion
  partners, or the defining variant or amplification) and defining no other
  class;
- ``compatible``: the obligate gene with a partner not listed, a defining
  alteration the class shares with others, a characteristic alteration, a
  break-apart rearrangement of a gene the class rearranges, an expected stain;
- ``neutral``: an alteration that defines no class (a passenger), one that
  merely occurs in the class, an unspecific stain, a test not done;
- ``weak_against``: a negative result of a test for the class's usual
  alteration, a break-apart or a stain pointing to another class, a fusion
  of one of the class's genes with a partner the class does not have;
- ``strong_against``: a defining alteration of another class proven, or the
  class's obligate alteration proven absent by a sensitive method.

Every weight comes with its reason in words and the classes the finding
points to. :mod:`classifier.fusion_consistency` turns the weights into a status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from classifier.findings import Finding, FindingKind
from classifier.knowledge import AlterationRole, IhcMeaning, KnowledgeBase, Proves

__all__ = ["WeighedFinding", "Weight", "weigh"]

_ACCEPTING = (AlterationRole.DEFINING, AlterationRole.VARIANT_PARTNER)


class Weight(StrEnum):
    """How much a finding weighs for or against a class."""

    SPECIFIC_SUPPORT = "specific_support"
    COMPATIBLE = "compatible"
    NEUTRAL = "neutral"
    WEAK_AGAINST = "weak_against"
    STRONG_AGAINST = "strong_against"

    @property
    def is_for(self) -> bool:
        """Specific support or compatible."""
        return self in (Weight.SPECIFIC_SUPPORT, Weight.COMPATIBLE)

    @property
    def is_against(self) -> bool:
        """Weak or strong evidence against."""
        return self in (Weight.WEAK_AGAINST, Weight.STRONG_AGAINST)


@dataclass(frozen=True)
class WeighedFinding:
    """One finding, its weight for a class, and why.

    Attributes
    ----------
    finding : str
        Where it was submitted, ``"findings[2]"``.
    described : str
        The finding in words.
    weight : Weight
    reason : str
    classes : tuple of str
        Class codes the finding points to (all of them when it is shared).
    """

    finding: str
    described: str
    weight: Weight
    reason: str
    classes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """``"<finding>: <reason>"``, as listed for and against."""
        return f"{self.described}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "finding": self.finding,
            "described": self.described,
            "weight": str(self.weight),
            "reason": self.reason,
            "classes": list(self.classes),
        }


def weigh(kb: KnowledgeBase, label: str, finding: Finding) -> WeighedFinding:
    """Weigh one finding for the class ``label`` (a code or label of ``classes.csv``)."""
    code = kb.code_of(label) or label
    if kb.is_control(code):
        return _out(
            finding,
            Weight.NEUTRAL,
            f"the call, {kb.class_name(code)}, is a non-tumour control, so the finding is not "
            "judged against it.",
        )
    proves = finding.proves
    if proves is Proves.NOTHING:
        return _out(finding, Weight.NEUTRAL, "no evidence either way.")
    if proves is Proves.FUSION_PRESENT:
        weight, reason, classes = _fusion_present(kb, code, finding)
    elif proves is Proves.FUSION_ABSENT:
        weight, reason, classes = _fusion_absent(kb, code, finding)
    elif proves in (Proves.REARRANGEMENT, Proves.NO_REARRANGEMENT):
        weight, reason, classes = _rearrangement(kb, code, finding)
    elif proves in (Proves.ALTERATION_PRESENT, Proves.ALTERATION_ABSENT):
        weight, reason, classes = _alteration(kb, code, finding)
    else:
        weight, reason, classes = _stain(kb, code, finding)
    return _out(finding, weight, reason, classes)


_Judged = tuple[Weight, str, tuple[str, ...]]


def _fusion_present(kb: KnowledgeBase, code: str, f: Finding) -> _Judged:
    name = kb.class_name(code)
    own = [
        a
        for a in kb.alterations_of(code)
        if a.is_fusion and a.role in _ACCEPTING and a.matches_fusion(f.genes)
    ]
    defining_elsewhere = _others(
        kb,
        code,
        (
            a.class_code
            for a in kb.alterations
            if a.role is AlterationRole.DEFINING and a.matches_fusion(f.genes)
        ),
    )
    partner_elsewhere = _others(
        kb, code, (kb.code_of(c) or c for c in kb.classes_defined_by(f.genes))
    )
    if any(a.role is AlterationRole.DEFINING for a in own):
        if defining_elsewhere:
            return (
                Weight.COMPATIBLE,
                f"a defining fusion of {name} and of {_names(kb, defining_elsewhere)}, so it does "
                f"not tell them apart; the methylation call does.",
                (code, *defining_elsewhere),
            )
        also = [c for c in partner_elsewhere if c not in defining_elsewhere]
        extra = f" (fusions of this gene also occur in {_names(kb, also)})" if also else ""
        return Weight.SPECIFIC_SUPPORT, f"a defining fusion of {name}{extra}.", (code,)
    if own:
        gene = next(g for g in own[0].genes if g != "*")
        return (
            Weight.COMPATIBLE,
            f"{gene} is the obligate gene of {name}, here with a partner the knowledge base does "
            "not list; variant partners keep being found, so this fits without proving it.",
            (code, *partner_elsewhere),
        )
    if defining_elsewhere:
        expected = _join([a.name for a in kb.expected_fusions(code)], "or")
        expected = f" (expected: {expected})" if expected else ""
        return (
            Weight.STRONG_AGAINST,
            f"this fusion defines {_names(kb, defining_elsewhere)}, not {name}{expected}; both "
            "partners are proven.",
            defining_elsewhere,
        )
    if partner_elsewhere:
        return (
            Weight.WEAK_AGAINST,
            f"fusions of this gene with any partner occur in {_names(kb, partner_elsewhere)}, "
            f"not in {name}; the partner is not one the knowledge base lists, so this needs "
            "review rather than refuting the call.",
            partner_elsewhere,
        )
    shared = [g for g in f.genes if any(a.involves(g) for a in kb.expected_fusions(code))]
    if shared:
        expected = _join([a.name for a in kb.expected_fusions(code)], "or")
        return (
            Weight.WEAK_AGAINST,
            f"{shared[0]} fuses with other partners in {name} ({expected}); this {shared[0]} "
            "fusion defines no class in the knowledge base, and a different partner usually "
            f"means a different tumour (EWSR1 with a non-ETS partner is not Ewing sarcoma).",
            (),
        )
    return (
        Weight.NEUTRAL,
        f"defines no class in the knowledge base (a passenger, or a tumour type without a "
        f"class); no bearing on {name}.",
        (),
    )


def _fusion_absent(kb: KnowledgeBase, code: str, f: Finding) -> _Judged:
    name = kb.class_name(code)
    own = [a for a in kb.expected_fusions(code) if a.matches_fusion(f.genes)]
    if not own:
        return Weight.NEUTRAL, f"not a defining fusion of {name}; no bearing.", ()
    rest = [a.name for a in kb.expected_fusions(code) if not a.matches_fusion(f.genes)]
    others = f"; nor does it exclude {_join(rest, 'or')}" if rest else ""
    if any(a.common for a in own):
        return (
            Weight.WEAK_AGAINST,
            f"the expected fusion of {name} was not found. A negative test has limited "
            f"sensitivity, so this argues against {name} without excluding it{others}.",
            (),
        )
    return (
        Weight.NEUTRAL,
        f"a minority fusion of {name} was not found; its commoner fusions "
        f"({_join(rest, 'or')}) remain untested.",
        (),
    )


def _rearrangement(kb: KnowledgeBase, code: str, f: Finding) -> _Judged:
    name, gene = kb.class_name(code), f.genes[0]
    own = [
        a
        for a in kb.alterations_of(code)
        if a.is_fusion and a.role in _ACCEPTING and a.involves(gene)
    ]
    elsewhere = _others(kb, code, kb.classes_rearranging(gene))
    if f.proves is Proves.REARRANGEMENT:
        if own:
            named = _join([a.name for a in own if not a.is_wildcard] or [own[0].name], "or")
            also = f", but also in {_names(kb, elsewhere)}" if elsewhere else ""
            return (
                Weight.COMPATIBLE,
                f"{gene} rearranges in {name} ({named}){also}. The test does not name the "
                f"partner, so this fits {name} without proving it.",
                (code, *elsewhere),
            )
        if elsewhere:
            return (
                Weight.WEAK_AGAINST,
                f"a {gene} rearrangement is not expected in {name}; it occurs in "
                f"{_names(kb, elsewhere)}. The test does not name the partner and has false "
                "positives, so this needs review rather than refuting the call.",
                elsewhere,
            )
        return Weight.NEUTRAL, f"no class in the knowledge base rearranges {gene}.", ()
    defining = kb.expected_fusions(code)
    mine = [a for a in defining if a.involves(gene)]
    if not mine:
        return Weight.NEUTRAL, f"{gene} is in no defining fusion of {name}; no bearing.", ()
    alternatives = [a.name for a in defining if not a.involves(gene)]
    if not any(a.common for a in mine):
        return (
            Weight.NEUTRAL,
            f"this does not rule out {name}, whose commoner fusions "
            f"{_join(alternatives, 'and')} do not involve {gene}.",
            (),
        )
    if alternatives:
        return (
            Weight.WEAK_AGAINST,
            f"this does not rule out {name}, whose defining fusions {_join(alternatives, 'and')} "
            f"do not involve {gene}, but most of them carry a {gene} fusion, so it argues against "
            f"{name}; a negative break-apart test also misses small insertions.",
            (),
        )
    return (
        Weight.WEAK_AGAINST,
        f"every defining fusion of {name} involves {gene}, so this argues against {name}; a "
        "break-apart test misses small insertions, so it does not exclude it.",
        (),
    )


def _alteration(kb: KnowledgeBase, code: str, f: Finding) -> _Judged:
    name, gene = kb.class_name(code), f.genes[0]
    kind = _alteration_kind(f)
    if kind is None:
        return (
            Weight.NEUTRAL,
            f"a gain is not an amplification; no class is defined by a gain of {gene}.",
            (),
        )
    tokens = f.variant_tokens
    rows = [a for a in kb.alterations if not a.is_fusion]
    matched = [(a, a.matches_variant(kind, gene, tokens)) for a in rows]
    own = [(a, m) for a, m in matched if a.class_code == code and m is not False]
    same_gene = [
        a
        for a in kb.alterations_of(code)
        if not a.is_fusion and a.kind == kind and a.genes[0] == gene
    ]
    if f.proves is Proves.ALTERATION_ABSENT:
        return _absent(kb, code, f, same_gene)
    proven = [a for a, m in own if m is True]
    others_def = _others(
        kb,
        code,
        (a.class_code for a, m in matched if m is True and a.role is AlterationRole.DEFINING),
    )
    others_char = _others(
        kb,
        code,
        (a.class_code for a, m in matched if m is True and a.role is AlterationRole.CHARACTERISTIC),
    )
    others_open = _others(
        kb,
        code,
        (a.class_code for a, m in matched if m is None and a.role is not AlterationRole.OCCURS),
    )
    if proven:
        roles = {a.role for a in proven}
        if AlterationRole.DEFINING in roles and not others_def and not others_char:
            return Weight.SPECIFIC_SUPPORT, f"the defining {proven[0].name} of {name}.", (code,)
        if roles & {AlterationRole.DEFINING, AlterationRole.CHARACTERISTIC}:
            shared = [*others_def, *others_char]
            also = (
                f"; it also occurs in {_names(kb, shared)}, so it does not tell them apart"
                if shared
                else ""
            )
            return (
                Weight.COMPATIBLE,
                f"{proven[0].name} is typical of {name}{also}.",
                (code, *shared),
            )
        also = f"; it defines {_names(kb, others_def)}" if others_def else ""
        note = proven[0].note
        note = f" {note[0].upper()}{note[1:]}." if note else ""
        return (
            Weight.NEUTRAL,
            f"{proven[0].name} occurs in {name} ({proven[0].frequency}) without defining "
            f"it{also}, so it does not argue against {name}.{note}",
            (code, *others_def),
        )
    if own:  # the gene is altered but the hotspot was not given
        row = own[0][0]
        return (
            Weight.COMPATIBLE,
            f"{gene} is altered in {name} ({row.name}); the variant was not given, so this "
            "fits without proving it.",
            (code,),
        )
    if others_def:
        return (
            Weight.STRONG_AGAINST,
            f"this proven alteration defines {_names(kb, others_def)}, not {name}.",
            others_def,
        )
    if others_char or others_open:
        pointing = [*others_char, *others_open]
        return (
            Weight.WEAK_AGAINST,
            f"this is typical of {_names(kb, pointing)}, not of {name}; it is not specific "
            "enough (or the variant not given) to refute the call.",
            tuple(dict.fromkeys(pointing)),
        )
    if same_gene:
        return (
            Weight.NEUTRAL,
            f"{name} is defined by {same_gene[0].name}; this variant is outside that hotspot, so "
            "its significance is unknown.",
            (),
        )
    return (
        Weight.NEUTRAL,
        f"defines no class in the knowledge base (a passenger); no bearing on {name}.",
        (),
    )


def _absent(kb: KnowledgeBase, code: str, f: Finding, same_gene: Sequence[Any]) -> _Judged:
    name = kb.class_name(code)
    if not same_gene:
        return Weight.NEUTRAL, f"not an alteration of {name}; no bearing.", ()
    row = same_gene[0]
    if row.obligate and f.evidence.sensitive_negative:
        return (
            Weight.STRONG_AGAINST,
            f"{name} is defined by {row.name}, and a sensitive test found none: this speaks "
            "strongly against the call (an inadequate or low-tumour sample is the main "
            "alternative).",
            (),
        )
    if row.common:
        return (
            Weight.WEAK_AGAINST,
            f"most {name} carry {row.name}; a negative result argues against {name} without "
            "excluding it.",
            (),
        )
    return (
        Weight.NEUTRAL,
        f"only a {row.frequency} of {name} carry {row.name}; no bearing.",
        (),
    )


def _stain(kb: KnowledgeBase, code: str, f: Finding) -> _Judged:
    name = kb.class_name(code)
    epitope = str(f.epitope or "unspecified")
    row = kb.ihc_expectation(code, f.marker or "", f.result, epitope=epitope, pattern=f.pattern)
    if row is not None:
        if row.meaning in (IhcMeaning.SPECIFIC, IhcMeaning.SUPPORTS):
            return Weight.COMPATIBLE, row.explanation, (code,)
        if row.meaning is IhcMeaning.ARGUES_AGAINST:
            return (
                Weight.WEAK_AGAINST,
                f"{row.explanation} Immunohistochemistry is supportive only.",
                (),
            )
        return Weight.NEUTRAL, row.explanation, ()
    elsewhere = _others(
        kb, code, kb.stain_points_to(f.marker or "", f.result, epitope=epitope, pattern=f.pattern)
    )
    if elsewhere:
        return (
            Weight.WEAK_AGAINST,
            f"a surrogate stain of {_names(kb, elsewhere)}, not expected in {name}; "
            "immunohistochemistry is supportive only.",
            elsewhere,
        )
    return Weight.NEUTRAL, f"no expectation for this stain in {name} is recorded.", ()


def _alteration_kind(f: Finding) -> str | None:
    if f.kind is FindingKind.COPY_NUMBER:
        return f.change.alteration_kind if f.change else None
    return "internal_tandem_duplication" if "ITD" in f.variant_tokens else "mutation"


def _out(f: Finding, weight: Weight, reason: str, classes: Sequence[str] = ()) -> WeighedFinding:
    return WeighedFinding(
        finding=f.field,
        described=f.describe(),
        weight=weight,
        reason=reason,
        classes=tuple(dict.fromkeys(classes)),
    )


def _others(kb: KnowledgeBase, code: str, codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in codes if c != code))


def _names(kb: KnowledgeBase, codes: Sequence[str]) -> str:
    return _join([kb.class_name(c) for c in codes], "and")


def _join(items: Sequence[str], word: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
