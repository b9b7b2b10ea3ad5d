"""Structured molecular and immunohistochemistry findings sent with a profile.

A laboratory information system submits what it already knows about the
tumour as a list of small objects, for example::

    {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs", "result": "detected"}
    {"kind": "fusion", "name": "EWSR1::WT1", "method": "rt_pcr", "result": "not_detected"}
    {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"}
    {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"}
    {"kind": "ihc", "marker": "desmin", "result": "positive", "pattern": "dot-like"}

:func:`parse_findings` turns them into :class:`Finding` objects or fails
with an :class:`~classifier.errors.UnknownFindingError` naming the field
(``findings[2].kind``) and the accepted values. The accepted methods and
results of each kind are the rows of ``classifier/data/evidence_methods.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from classifier.errors import UnknownFindingError
from classifier.knowledge import EvidenceMethod, Proves, load_knowledge

__all__ = [
    "Epitope",
    "Finding",
    "FindingKind",
    "parse_finding",
    "parse_findings",
    "parse_fusion_name",
]

_GENE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]*$")
# "t(11;22)(p13;q12) EWSR1-WT1": the cytogenetic prefix adds nothing to the genes.
_CYTOGENETICS = re.compile(r"^(?:(?:t|inv|der|ins)\s*\([^)]*\)\s*(?:\([^)]*\)\s*)*)+", re.I)
_SUFFIX = re.compile(r"\s+(?:fusion(?:\s+transcript)?|rearrangement)$", re.I)
_FUSION_FORMS = "'EWSR1::WT1', 'EWSR1-WT1', 'EWSR1/WT1' or 't(11;22) EWSR1-WT1'"


class FindingKind(StrEnum):
    """What was examined."""

    FUSION = "fusion"
    BREAK_APART = "break_apart"
    IHC = "ihc"


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


@dataclass(frozen=True)
class Finding:
    """One submitted finding, validated.

    Attributes
    ----------
    kind : FindingKind
    method : str
        ``rna_ngs``, ``rt_pcr``, ``dna_ngs`` or ``fish`` for a fusion,
        ``fish`` for a break-apart, ``ihc`` for a stain; ``any`` when the
        result is ``not_tested`` and no method was given.
    result : str
        ``detected`` / ``not_detected`` (fusion), ``rearranged`` /
        ``not_rearranged`` (break-apart), ``positive`` / ``negative`` (ihc),
        or ``not_tested``.
    genes : tuple of str
        ``(5' gene, 3' gene)`` of a fusion, ``(gene,)`` of a break-apart,
        empty for a stain; upper case.
    marker : str or None
        Stain name, upper case (``"WT1"``, ``"DESMIN"``).
    epitope : Epitope or None
        For a stain; ``unspecified`` unless given.
    pattern : str or None
        Staining pattern as given, lower case (``"dot-like"``).
    index : int
        Position in the submitted list, used to cite the finding.
    """

    kind: FindingKind
    method: str
    result: str
    genes: tuple[str, ...] = ()
    marker: str | None = None
    epitope: Epitope | None = None
    pattern: str | None = None
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
        ``"WT1 immunohistochemistry, N-terminal antibody: negative (findings[2])"``.
        """
        result = self.result.replace("_", " ")
        if self.kind is FindingKind.FUSION:
            how = "" if self.result == "not_tested" else f" by {self.evidence.method_label}"
            text = f"{self.fusion_name} {result}{how}"
        elif self.kind is FindingKind.BREAK_APART:
            text = f"{self.genes[0]} break-apart FISH: {result}"
        else:
            antibody = ""
            if self.epitope not in (None, Epitope.UNSPECIFIED):
                antibody = f", {self.epitope.label} antibody"
            pattern = f", {self.pattern}" if self.pattern else ""
            text = f"{self.marker} immunohistochemistry{antibody}: {result}{pattern}"
        return f"{text} ({self.field})"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with only the fields of this kind."""
        out: dict[str, Any] = {"kind": str(self.kind), "method": self.method, "result": self.result}
        if self.kind is FindingKind.FUSION:
            out["genes"] = list(self.genes)
            out["name"] = self.fusion_name
        elif self.kind is FindingKind.BREAK_APART:
            out["gene"] = self.genes[0]
        else:
            out.update(marker=self.marker, epitope=str(self.epitope), pattern=self.pattern)
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
        ``kind`` and ``result`` always; ``method`` for fusions and
        break-aparts (optional when ``result`` is ``not_tested``); ``genes``
        or ``name`` for a fusion; ``gene`` for a break-apart; ``marker``,
        optional ``epitope`` and ``pattern`` for a stain.
    index : int
        Position in the submitted list, used in error fields.

    Returns
    -------
    Finding

    Raises
    ------
    UnknownFindingError
        On an unknown kind, method, result or epitope, a missing required
        field, a field the kind does not have (a misspelling), or a
        malformed gene or fusion name.
    """
    where = f"findings[{index}]"
    if not isinstance(obj, Mapping):
        raise UnknownFindingError(
            f"{where} must be an object, got {type(obj).__name__}", field=where
        )
    kb = load_knowledge()
    kind = FindingKind(_choice(obj, "kind", [str(k) for k in FindingKind], where))
    _refuse_unknown_fields(obj, kind, where)
    result = _choice(obj, "result", kb.results_for(kind), where)
    if kind is FindingKind.IHC:
        method = _choice(obj, "method", ["ihc"], where, default="ihc")
    else:
        default = "any" if result == "not_tested" else None
        method = _choice(obj, "method", kb.methods_for(kind), where, default=default)
    if kb.evidence_method(kind, method, result) is None:
        raise UnknownFindingError(
            f"{where}: evidence_methods.csv has no row for {kind} by {method} with result "
            f"{result}; accepted results by {method}: "
            + ", ".join(r.result for r in kb.evidence if r.kind == kind and r.method == method),
            field=f"{where}.result",
        )
    if kind is FindingKind.FUSION:
        return Finding(kind, method, result, genes=_fusion_genes(obj, where), index=index)
    if kind is FindingKind.BREAK_APART:
        gene = _gene(
            _required(obj, "gene", where, "a gene symbol such as 'EWSR1'"), f"{where}.gene"
        )
        return Finding(kind, method, result, genes=(gene,), index=index)
    marker = _required(obj, "marker", where, "a stain such as 'WT1' or 'desmin'").strip().upper()
    epitope = _choice(obj, "epitope", [str(e) for e in Epitope], where, default="unspecified")
    pattern = _optional(obj, "pattern", where)
    return Finding(
        kind,
        method,
        result,
        marker=marker,
        epitope=Epitope(epitope),
        pattern=pattern.strip().lower() if pattern else None,
        index=index,
    )


#: The fields each kind of finding has (``kind``, ``method``, ``result`` and its own).
_FIELDS = {
    FindingKind.FUSION: ("kind", "method", "result", "genes", "name"),
    FindingKind.BREAK_APART: ("kind", "method", "result", "gene"),
    FindingKind.IHC: ("kind", "method", "result", "marker", "epitope", "pattern"),
}


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


def parse_fusion_name(text: str, *, field: str = "name") -> tuple[str, str]:
    """Split a written fusion into its two genes, upper case.

    Accepts ``"EWSR1::WT1"`` (HGNC), ``"EWSR1-WT1"``, ``"EWSR1/WT1"``,
    ``"EWSR1 WT1"`` and a leading karyotype such as ``"t(11;22)(p13;q12)"``
    or a trailing ``"fusion"``. Gene symbols containing a hyphen are only
    read correctly in the ``::`` form.

    Raises
    ------
    UnknownFindingError
        If the text does not name exactly two gene symbols.
    """
    body = _SUFFIX.sub("", _CYTOGENETICS.sub("", text.strip())).strip()
    if "::" in body:
        parts = [p.strip() for p in body.split("::")]
    else:
        parts = [p for p in re.split(r"\s*[-/–—>]\s*|\s+", body) if p]
    if len(parts) != 2 or not all(_GENE.match(p.upper()) for p in parts):
        raise UnknownFindingError(
            f"{field}: cannot read {text!r} as a fusion of two genes; write it as {_FUSION_FORMS}",
            field=field,
        )
    return parts[0].upper(), parts[1].upper()


def _fusion_genes(obj: Mapping[str, Any], where: str) -> tuple[str, str]:
    genes, name = obj.get("genes"), _optional(obj, "name", where)
    if genes is None and name is None:
        raise UnknownFindingError(
            f"{where}: a fusion needs 'genes' (two symbols, 5' first) or 'name' "
            f"(e.g. {_FUSION_FORMS})",
            field=f"{where}.genes",
        )
    from_name = parse_fusion_name(name, field=f"{where}.name") if name is not None else None
    if genes is None and from_name is not None:
        return from_name
    if isinstance(genes, str) or not isinstance(genes, Sequence) or len(genes) != 2:
        raise UnknownFindingError(
            f"{where}.genes must list the two fusion partners, 5' first, e.g. "
            f'["EWSR1", "WT1"]; got {genes!r}',
            field=f"{where}.genes",
        )
    pair = (
        _gene(genes[0], f"{where}.genes[0]"),
        _gene(genes[1], f"{where}.genes[1]"),
    )
    if from_name is not None and set(from_name) != set(pair):
        raise UnknownFindingError(
            f"{where}: name {name!r} and genes {list(pair)} disagree", field=f"{where}.name"
        )
    return pair


def _gene(value: Any, field: str) -> str:
    symbol = value.strip().upper() if isinstance(value, str) else ""
    if not _GENE.match(symbol):
        raise UnknownFindingError(
            f"{field}: expected a gene symbol such as 'EWSR1', got {value!r}", field=field
        )
    return symbol


def _choice(
    obj: Mapping[str, Any],
    key: str,
    accepted: Sequence[str],
    where: str,
    *,
    default: str | None = None,
) -> str:
    raw = _optional(obj, key, where)
    if raw is None:
        if default is not None:
            return default
        raise UnknownFindingError(
            f"{where}.{key} is missing; accepted: {', '.join(accepted)}", field=f"{where}.{key}"
        )
    # "RNA-NGS", "RT-PCR", "not detected" and "C-terminal" are common spellings.
    token = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    if token not in accepted:
        raise UnknownFindingError(
            f"{where}.{key}: unknown {key} {raw!r}; accepted: {', '.join(accepted)}",
            field=f"{where}.{key}",
        )
    return token


def _required(obj: Mapping[str, Any], key: str, where: str, expected: str) -> str:
    value = _optional(obj, key, where)
    if value is None or not value.strip():
        raise UnknownFindingError(
            f"{where}.{key} is missing; expected {expected}", field=f"{where}.{key}"
        )
    return value


def _optional(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise UnknownFindingError(
        f"{where}.{key} must be a string, got {type(value).__name__}", field=f"{where}.{key}"
    )
