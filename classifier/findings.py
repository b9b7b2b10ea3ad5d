"""Structured molecular and immunohistochemistry findings sent with a profile.

A laboratory information system submits what it already knows about the
tumour as a list of small objects, one per test, for example::

    {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs", "result": "detected"}
    {"kind": "rearrangement", "gene": "EWSR1", "method": "fish", "result": "rearranged"}
    {"kind": "mutation", "gene": "IDH1", "variant": "p.R132C", "method": "dna_ngs",
     "result": "detected"}
    {"kind": "copy_number", "gene": "MDM2", "change": "amplification", "method": "fish",
     "result": "detected"}
    {"kind": "ihc", "marker": "WT1", "epitope": "C-terminal", "result": "positive"}
    {"kind": "ihc", "marker": "INI1", "result": "lost"}

``break_apart`` is read as ``rearrangement``, and a fusion may be written
as ``"name": "EWSR1::WT1"``. Gene symbols are checked against the HGNC
symbols (:mod:`classifier.genes`): a previous symbol is read as its
approved successor (``H3F3A`` -> ``H3-3A``), an unknown one is refused.
:func:`parse_findings` fails on the first bad finding with an
:class:`~classifier.errors.UnknownFindingError` naming the field
(``findings[2].gene``) and what is accepted. The accepted methods and
results of each kind are the rows of ``classifier/data/evidence_methods.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from classifier.errors import UnknownFindingError
from classifier.finding_fields import (
    choice,
    fusion_genes,
    gene_symbol,
    optional_text,
    parse_fusion_name,
    required_text,
)
from classifier.knowledge import EvidenceMethod, Proves, load_knowledge
from classifier.knowledge_rows import variant_tokens

__all__ = [
    "CopyChange",
    "Epitope",
    "Finding",
    "FindingKind",
    "parse_finding",
    "parse_findings",
    "parse_fusion_name",
]


class FindingKind(StrEnum):
    """What was examined."""

    FUSION = "fusion"
    REARRANGEMENT = "rearrangement"
    MUTATION = "mutation"
    COPY_NUMBER = "copy_number"
    IHC = "ihc"


#: Other names of a kind, as labs write them.
_KIND_ALIASES = {"break_apart": FindingKind.REARRANGEMENT, "breakapart": FindingKind.REARRANGEMENT}


class Epitope(StrEnum):
    """Part of the protein an antibody binds (it matters for WT1 in DSRCT)."""

    C_TERMINAL = "c_terminal"
    N_TERMINAL = "n_terminal"
    UNSPECIFIED = "unspecified"

    @property
    def label(self) -> str:
        """Readable form: ``"C-terminal"``, ``"N-terminal"`` or ``"unspecified"``."""
        if self is Epitope.UNSPECIFIED:
            return "unspecified"
        return f"{self.value[0].upper()}-terminal"


class CopyChange(StrEnum):
    """A copy-number change; ``gain`` is not ``amplification``."""

    AMPLIFICATION = "amplification"
    GAIN = "gain"
    DELETION = "deletion"
    LOSS = "loss"

    @property
    def alteration_kind(self) -> str | None:
        """The kind of ``fusions.csv`` this change shows (``None`` for a gain)."""
        return {"amplification": "amplification", "deletion": "loss", "loss": "loss"}.get(
            self.value
        )


@dataclass(frozen=True)
class Finding:
    """One submitted finding, validated.

    Attributes
    ----------
    kind : FindingKind
    method : str
        A method of ``evidence_methods.csv`` for the kind; ``any`` when the
        result is ``not_tested`` and no method was given.
    result : str
        ``detected`` / ``not_detected`` (fusion, mutation, copy number),
        ``rearranged`` / ``not_rearranged``, ``positive`` / ``negative`` /
        ``lost`` / ``retained`` (ihc), or ``not_tested``.
    genes : tuple of str
        Approved HGNC symbols: ``(5' gene, 3' gene)`` of a fusion, ``(gene,)``
        of the other molecular kinds, empty for a stain.
    marker : str or None
        Stain name, upper case (``"WT1"``, ``"DESMIN"``).
    epitope : Epitope or None
        For a stain; from the clone when only a known clone was given.
    clone : str or None
        Antibody clone as written (``"6F-H2"``).
    pattern : str or None
        Staining pattern as given, lower case (``"dot-like"``).
    variant : str or None
        Protein change or exon as written (``"p.R132C"``, ``"exon 11 deletion"``).
    change : CopyChange or None
        For a copy-number finding.
    renamed : tuple of str
        A note for every previous or alias HGNC symbol read as its approved
        symbol (``"H3F3A is now H3-3A"``).
    index : int
        Position in the submitted list, used to cite the finding.
    """

    kind: FindingKind
    method: str
    result: str
    genes: tuple[str, ...] = ()
    marker: str | None = None
    epitope: Epitope | None = None
    clone: str | None = None
    pattern: str | None = None
    variant: str | None = None
    change: CopyChange | None = None
    renamed: tuple[str, ...] = ()
    index: int = 0

    @property
    def field(self) -> str:
        """Where the finding sits in the request, e.g. ``"findings[2]"``."""
        return f"findings[{self.index}]"

    @property
    def fusion_name(self) -> str | None:
        """``"EWSR1::WT1"`` for a fusion, else ``None``."""
        return "::".join(self.genes) if self.kind is FindingKind.FUSION else None

    @property
    def variant_tokens(self) -> frozenset[str]:
        """Residues and exons of the variant (``{"R132"}``); see :func:`variant_tokens`."""
        return variant_tokens(self.variant)

    @property
    def evidence(self) -> EvidenceMethod:
        """What this finding proves, from ``evidence_methods.csv``."""
        row = load_knowledge().evidence_method(self.kind, self.method, self.result)
        if row is None:  # parse_finding checked it; a hand-built Finding may not be
            raise UnknownFindingError(
                f"no evidence row for {self.kind}/{self.method}/{self.result}", field=self.field
            )
        return row

    @property
    def proves(self) -> Proves:
        """Shortcut for ``self.evidence.proves``."""
        return self.evidence.proves

    def describe(self) -> str:
        """Plain-language statement citing the finding.

        Examples: ``"EWSR1::WT1 detected by RNA-based NGS (findings[0])"``,
        ``"WT1 immunohistochemistry, N-terminal antibody: negative (findings[2])"``,
        ``"MDM2 amplification detected by FISH (findings[1])"``.
        """
        result = self.result.replace("_", " ")
        how = "" if self.result == "not_tested" else f" by {self.evidence.method_label}"
        if self.kind is FindingKind.FUSION:
            text = f"{self.fusion_name} {result}{how}"
        elif self.kind is FindingKind.REARRANGEMENT:
            text = f"{self.genes[0]} {self.evidence.method_label}: {result}"
        elif self.kind is FindingKind.MUTATION:
            what = (
                f"{self.genes[0]} {self.variant}" if self.variant else f"{self.genes[0]} mutation"
            )
            text = f"{what} {result}{how}"
        elif self.kind is FindingKind.COPY_NUMBER:
            text = f"{self.genes[0]} {self.change} {result}{how}"
        else:
            antibody = ""
            epitope = self.epitope or Epitope.UNSPECIFIED
            if self.clone:
                shown = f" ({epitope.label})" if epitope is not Epitope.UNSPECIFIED else ""
                antibody = f", clone {self.clone}{shown}"
            elif epitope is not Epitope.UNSPECIFIED:
                antibody = f", {epitope.label} antibody"
            pattern = f", {self.pattern}" if self.pattern else ""
            text = f"{self.marker} immunohistochemistry{antibody}: {result}{pattern}"
        renamed = "".join(f" [{note}]" for note in self.renamed)
        return f"{text}{renamed} ({self.field})"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with only the fields of this kind."""
        out: dict[str, Any] = {"kind": str(self.kind), "method": self.method, "result": self.result}
        if self.kind is FindingKind.FUSION:
            out["genes"] = list(self.genes)
            out["name"] = self.fusion_name
        elif self.kind is FindingKind.IHC:
            out.update(
                marker=self.marker,
                epitope=str(self.epitope),
                clone=self.clone,
                pattern=self.pattern,
            )
        else:
            out["gene"] = self.genes[0]
            if self.kind is FindingKind.MUTATION:
                out["variant"] = self.variant
            elif self.kind is FindingKind.COPY_NUMBER:
                out["change"] = str(self.change)
        return out


def parse_findings(items: Sequence[Mapping[str, Any]] | None) -> tuple[Finding, ...]:
    """Validate a list of submitted findings.

    Parameters
    ----------
    items : sequence of mapping, or None
        The submitted objects; ``None`` means none were submitted.

    Returns
    -------
    tuple of Finding

    Raises
    ------
    UnknownFindingError
        For the first invalid finding, with ``field`` like ``"findings[2].kind"``.
    """
    if items is None:
        return ()
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Sequence):
        raise UnknownFindingError(
            f"findings must be a list of objects, got {type(items).__name__}", field="findings"
        )
    return tuple(parse_finding(item, i) for i, item in enumerate(items))


def parse_finding(obj: Mapping[str, Any], index: int) -> Finding:
    """Validate one submitted finding.

    Parameters
    ----------
    obj : mapping
        ``kind`` and ``result`` always; ``method`` (optional for ``ihc`` and
        when ``result`` is ``not_tested``); ``genes`` or ``name`` for a
        fusion; ``gene`` for the other molecular kinds, with ``variant``
        (mutation) or ``change`` (copy number); ``marker`` and optional
        ``epitope``, ``clone`` and ``pattern`` for a stain.
    index : int
        Position in the submitted list, used in error fields.

    Returns
    -------
    Finding

    Raises
    ------
    UnknownFindingError
        On an unknown kind, method, result, epitope or change, a missing
        required field, a field the kind does not have (a misspelling), a
        malformed fusion name or variant, or a gene symbol HGNC does not know
        (:class:`~classifier.errors.UnknownGeneError`).
    """
    where = f"findings[{index}]"
    if not isinstance(obj, Mapping):
        raise UnknownFindingError(
            f"{where} must be an object, got {type(obj).__name__}", field=where
        )
    kb = load_knowledge()
    kind = _kind(obj, where)
    _refuse_unknown_fields(obj, kind, where)
    result = choice(obj, "result", kb.results_for(kind), where)
    if kind is FindingKind.IHC:
        method = choice(obj, "method", ["ihc"], where, default="ihc")
    else:
        default = "any" if result == "not_tested" else None
        method = choice(obj, "method", kb.methods_for(kind), where, default=default)
    if kb.evidence_method(kind, method, result) is None:
        raise UnknownFindingError(
            f"{where}: evidence_methods.csv has no row for {kind} by {method} with result "
            f"{result}; accepted results by {method}: "
            + ", ".join(r.result for r in kb.evidence if r.kind == kind and r.method == method),
            field=f"{where}.result",
        )
    base: dict[str, Any] = {"kind": kind, "method": method, "result": result, "index": index}
    if kind is FindingKind.FUSION:
        pair = fusion_genes(obj, where)
        return Finding(**base, genes=tuple(g.symbol for g in pair), renamed=_renamed(pair))
    if kind is FindingKind.IHC:
        return _stain(obj, where, base)
    gene = gene_symbol(
        required_text(obj, "gene", where, "a gene symbol such as 'EWSR1'"), f"{where}.gene"
    )
    extra: dict[str, Any] = {}
    if kind is FindingKind.MUTATION:
        extra["variant"] = _variant(obj, where)
    elif kind is FindingKind.COPY_NUMBER:
        extra["change"] = CopyChange(choice(obj, "change", [str(c) for c in CopyChange], where))
    return Finding(**base, genes=(gene.symbol,), renamed=_renamed([gene]), **extra)


#: The fields each kind of finding has (``kind``, ``method``, ``result`` and its own).
_FIELDS = {
    FindingKind.FUSION: ("kind", "method", "result", "genes", "name"),
    FindingKind.REARRANGEMENT: ("kind", "method", "result", "gene"),
    FindingKind.MUTATION: ("kind", "method", "result", "gene", "variant"),
    FindingKind.COPY_NUMBER: ("kind", "method", "result", "gene", "change"),
    FindingKind.IHC: ("kind", "method", "result", "marker", "epitope", "clone", "pattern"),
}


def _kind(obj: Mapping[str, Any], where: str) -> FindingKind:
    accepted = [str(k) for k in FindingKind]
    raw = optional_text(obj, "kind", where)
    token = re.sub(r"[\s\-]+", "_", raw.strip().lower()) if raw else None
    if token in _KIND_ALIASES:
        return _KIND_ALIASES[token]
    return FindingKind(
        choice(obj, "kind", accepted, where, note="break_apart is read as rearrangement")
    )


def _refuse_unknown_fields(obj: Mapping[str, Any], kind: FindingKind, where: str) -> None:
    # A misspelt field would be dropped unseen: "epitop" would leave a WT1 stain
    # of unknown epitope, which cannot argue against DSRCT the way an N-terminal one does.
    for key in obj:
        if key not in _FIELDS[kind]:
            shown = str(key)[:64]  # the sender's text: no longer than a field name needs
            raise UnknownFindingError(
                f"{where} has no field {shown!r}; {kind} findings have: {', '.join(_FIELDS[kind])}",
                field=f"{where}.{shown}",
            )


def _stain(obj: Mapping[str, Any], where: str, base: dict[str, Any]) -> Finding:
    marker = required_text(obj, "marker", where, "a stain such as 'WT1' or 'desmin'").strip()
    epitope = Epitope(
        choice(obj, "epitope", [str(e) for e in Epitope], where, default="unspecified")
    )
    clone = optional_text(obj, "clone", where)
    clone = clone.strip() if clone and clone.strip() else None
    if clone:
        known = load_knowledge().clone_epitope(marker, clone)
        if known and epitope is not Epitope.UNSPECIFIED and known != epitope:
            raise UnknownFindingError(
                f"{where}: clone {clone!r} binds the {Epitope(known).label} part of {marker}, "
                f"but epitope says {epitope.label}",
                field=f"{where}.epitope",
            )
        if known:
            epitope = Epitope(known)
    pattern = optional_text(obj, "pattern", where)
    return Finding(
        **base,
        marker=marker.upper(),
        epitope=epitope,
        clone=clone,
        pattern=pattern.strip().lower() if pattern and pattern.strip() else None,
    )


def _variant(obj: Mapping[str, Any], where: str) -> str | None:
    variant = optional_text(obj, "variant", where)
    if variant is None or not variant.strip():
        return None
    if not variant_tokens(variant):
        raise UnknownFindingError(
            f"{where}.variant: cannot read {variant.strip()[:40]!r}; write a protein change "
            "('p.R132C', 'p.Arg132Cys', 'G34W'), an exon ('exon 11 deletion') or 'ITD'",
            field=f"{where}.variant",
        )
    return variant.strip()


def _renamed(genes: Sequence[Any]) -> tuple[str, ...]:
    return tuple(g.note for g in genes if g.renamed)
