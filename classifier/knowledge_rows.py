"""The rows of the knowledge tables, each checked as it is read.

One dataclass per table row (:class:`Alteration` for ``fusions.csv``,
:class:`EvidenceMethod` for ``evidence_methods.csv``, :class:`IhcExpectation`
for ``ihc_markers.csv``) and the function that reads it. A bad row fails
with a ``ValueError`` naming the file and line. :mod:`classifier.knowledge`
loads the tables and answers questions about them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "WILDCARD",
    "Alteration",
    "AlterationRole",
    "EvidenceMethod",
    "IhcExpectation",
    "IhcMeaning",
    "Proves",
    "marker_key",
    "read_alteration",
    "read_evidence",
    "read_ihc",
    "variant_tokens",
]

#: Fusion partner written in ``fusions.csv`` for "any gene".
WILDCARD = "*"

_EPITOPES = ("c_terminal", "n_terminal", "unspecified")
_FREQUENCIES = ("nearly all", "most", "minority", "rare")
_COMMON = frozenset({"nearly all", "most"})
_AMINO = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E",
    "GLY": "G", "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F",
    "PRO": "P", "SER": "S", "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V",
}  # fmt: skip
_RESIDUE = re.compile(r"(?:P\.)?\(?([A-Z]{3}|[A-Z])(\d{1,5})")
_EXON = re.compile(r"EXON\s*(\d{1,3})")
_ITD = re.compile(r"\bITD\b|INTERNAL TANDEM DUPLICATION")
# Results of a stain that read alike: "lost" is a negative stain of a protein
# normally present (INI1, H3K27me3), "retained" a positive one.
_IHC_SAME = {"lost": "negative", "retained": "positive"}


class Proves(StrEnum):
    """What a finding of a given kind, method and result establishes."""

    FUSION_PRESENT = "fusion_present"
    FUSION_ABSENT = "fusion_absent"
    REARRANGEMENT = "rearrangement"
    NO_REARRANGEMENT = "no_rearrangement"
    ALTERATION_PRESENT = "alteration_present"
    ALTERATION_ABSENT = "alteration_absent"
    MARKER_POSITIVE = "marker_positive"
    MARKER_NEGATIVE = "marker_negative"
    NOTHING = "nothing"


class AlterationRole(StrEnum):
    """What an alteration of ``fusions.csv`` means for its class.

    ``defining``: proving it supports the class specifically (unless another
    class shares it) and speaks strongly against classes it does not define;
    ``variant_partner``: the obligate gene with any partner (a wildcard row),
    compatible with the class; ``characteristic``: typical but not specific
    (compatible; weak evidence against other classes); ``occurs``: known to
    occur in the class without defining it (neutral, never against it).
    """

    DEFINING = "defining"
    VARIANT_PARTNER = "variant_partner"
    CHARACTERISTIC = "characteristic"
    OCCURS = "occurs"


class IhcMeaning(StrEnum):
    """What an immunohistochemistry result means for one class.

    ``specific`` is a surrogate stain (STAT6 for NAB2::STAT6): it supports
    its class and, in a class without a row for it, points elsewhere.
    """

    SPECIFIC = "specific"
    SUPPORTS = "supports"
    EXPECTED = "expected"
    ARGUES_AGAINST = "argues_against"
    UNINFORMATIVE = "uninformative"


@dataclass(frozen=True)
class Alteration:
    """A row of ``fusions.csv``: an alteration and what it means for a class.

    Attributes
    ----------
    class_code : str
    kind : str
        ``fusion``, ``internal_tandem_duplication``, ``mutation``,
        ``amplification`` or ``loss`` (see ``alteration_kinds.csv``).
    genes : tuple of str
        ``(5' gene, 3' gene)`` for a fusion, where either may be
        :data:`WILDCARD`; ``(gene,)`` otherwise.
    name : str
        Readable name, e.g. ``"EWSR1::WT1"`` or ``"MDM2 amplification"``.
    variants : frozenset of str
        Hotspot residues (``"R132"``) or exons (``"EXON3"``); empty for any.
    role : AlterationRole
    frequency : str
        ``nearly all``, ``most``, ``minority`` or ``rare``.
    obligate : bool
        The class essentially always carries it, so its absence proven by
        a sensitive method speaks strongly against the class.
    note, source : str
    """

    class_code: str
    kind: str
    genes: tuple[str, ...]
    name: str
    variants: frozenset[str]
    role: AlterationRole
    frequency: str
    obligate: bool
    note: str
    source: str

    @property
    def is_fusion(self) -> bool:
        """Whether this is a fusion of two genes."""
        return self.kind == "fusion"

    @property
    def is_wildcard(self) -> bool:
        """Whether one partner is :data:`WILDCARD`."""
        return WILDCARD in self.genes

    @property
    def common(self) -> bool:
        """Whether most or nearly all tumours of the class carry it."""
        return self.frequency in _COMMON

    def matches_fusion(self, genes: Sequence[str]) -> bool:
        """Whether a fusion of ``genes`` (either order) is this alteration."""
        if not self.is_fusion or len(genes) != 2:
            return False
        pair = (genes[0].upper(), genes[1].upper())
        # Orientation is not checked: reports name the reciprocal transcript too.
        return any(
            all(want in (WILDCARD, got) for want, got in zip(self.genes, order, strict=True))
            for order in (pair, pair[::-1])
        )

    def involves(self, gene: str) -> bool:
        """Whether ``gene`` is one of the named genes (wildcards never match)."""
        return gene.upper() in self.genes

    def matches_variant(self, kind: str, gene: str, tokens: frozenset[str]) -> bool | None:
        """Whether a non-fusion finding is this alteration.

        Returns ``True`` for a match, ``None`` when the gene and kind match but
        the variant is not given (hotspot unknown), ``False`` otherwise.
        """
        if self.is_fusion or self.kind != kind or gene.upper() != self.genes[0]:
            return False
        if not self.variants:
            return True
        if not tokens:
            return None
        return bool(self.variants & tokens)


@dataclass(frozen=True)
class EvidenceMethod:
    """A row of ``evidence_methods.csv``: what a finding proves.

    Attributes
    ----------
    kind, method, result : str
        ``method`` is ``"any"`` for results such as ``not_tested``.
    method_label : str
        Readable method, e.g. ``"RNA-based NGS"``.
    proves : Proves
    sensitive_negative : bool
        Whether a negative result of this method can prove an obligate
        alteration absent (FISH for MDM2 amplification); never for fusions.
    explanation, source : str
    """

    kind: str
    method: str
    method_label: str
    result: str
    proves: Proves
    sensitive_negative: bool
    explanation: str
    source: str


@dataclass(frozen=True)
class IhcExpectation:
    """A row of ``ihc_markers.csv``: what a stain result means for a class.

    ``epitope`` and ``pattern`` are ``None`` when the row holds for any;
    ``result`` is ``positive`` or ``negative`` (``lost`` and ``retained``
    in the file are read as these).
    """

    class_code: str
    markers: tuple[str, ...]
    epitope: str | None
    result: str
    pattern: str | None
    meaning: IhcMeaning
    explanation: str
    source: str


def marker_key(marker: str) -> str:
    """Comparison key of a stain name: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", marker.upper())


def ihc_result_key(result: str) -> str:
    """``positive`` or ``negative`` for any stain result (``lost`` is negative)."""
    return _IHC_SAME.get(result, result)


def variant_tokens(variant: str | None) -> frozenset[str]:
    """Residue and exon tokens of a written variant.

    ``"p.R132C"``, ``"p.Arg132Cys"`` and ``"R132C"`` give ``{"R132"}``;
    ``"exon 11 deletion"`` gives ``{"EXON11"}``; ``"BCOR ITD"`` gives ``{"ITD"}``.
    """
    if not variant:
        return frozenset()
    text = variant.strip().upper()
    out: set[str] = {f"EXON{m}" for m in _EXON.findall(text)}
    if _ITD.search(text):
        out.add("ITD")
    for ref, pos in _RESIDUE.findall(re.sub(r"EXON\s*\d+", "", text)):
        aa = _AMINO.get(ref, ref if len(ref) == 1 else "")
        if aa:
            out.add(f"{aa}{int(pos)}")
    return frozenset(out)


def read_alteration(
    where: str,
    row: Mapping[str, str],
    classes: Mapping[str, str],
    kinds: Mapping[str, str],
    gene_ok: object,
) -> Alteration:
    """Read one row of ``fusions.csv``; ``gene_ok(symbol)`` says if a symbol is approved."""
    code, kind = row["class_code"], row["kind"]
    if code not in classes:
        raise ValueError(f"{where}: unknown class code {code!r}")
    if kind not in kinds:
        raise ValueError(f"{where}: unknown kind {kind!r}; expected one of {sorted(kinds)}")
    genes = tuple(g for g in (row["gene_5p"], row["gene_3p"]) if g)
    want = 2 if kind == "fusion" else 1
    named = [g for g in genes if g != WILDCARD]
    if len(genes) != want or not named:
        raise ValueError(f"{where}: a {kind} needs {want} gene symbol(s), got {genes}")
    unapproved = [g for g in named if not gene_ok(g)]  # type: ignore[operator]
    if unapproved:
        raise ValueError(f"{where}: {unapproved} are not HGNC-approved symbols")
    if row["role"] not in set(AlterationRole) or row["frequency"] not in _FREQUENCIES:
        raise ValueError(
            f"{where}: role {row['role']!r} or frequency {row['frequency']!r} is unknown; "
            f"roles: {[str(r) for r in AlterationRole]}, frequencies: {list(_FREQUENCIES)}"
        )
    if (WILDCARD in genes) != (row["role"] == AlterationRole.VARIANT_PARTNER):
        raise ValueError(f"{where}: a wildcard partner is exactly a variant_partner row")
    if row["obligate"] not in ("yes", "no") or not row["source"]:
        raise ValueError(f"{where}: obligate must be yes or no, and the source is required")
    if kind != "fusion":
        name = f"{genes[0]} {kinds[kind]}"
    elif WILDCARD in genes:
        name = f"{named[0]} fusion (any partner)"
    else:
        name = "::".join(genes)
    written = [v.strip().upper() for v in row["variant"].split("|") if v.strip()]
    variants = frozenset(written)
    if written:  # named by its first token: "H3-3A G34 mutation", "CTNNB1 exon 3 mutation"
        first = re.sub(r"^EXON(\d+)$", r"exon \1", written[0])
        name = f"{genes[0]} {first} {kinds[kind]}"
    return Alteration(
        class_code=code,
        kind=kind,
        genes=genes,
        name=name,
        variants=variants,
        role=AlterationRole(row["role"]),
        frequency=row["frequency"],
        obligate=row["obligate"] == "yes",
        note=row["note"],
        source=row["source"],
    )


def read_evidence(where: str, row: Mapping[str, str]) -> EvidenceMethod:
    """Read one row of ``evidence_methods.csv``."""
    if row["proves"] not in set(Proves):
        raise ValueError(f"{where}: unknown proves {row['proves']!r}; expected {list(Proves)}")
    if row["sensitive_negative"] not in ("yes", "no") or not row["source"]:
        raise ValueError(f"{where}: sensitive_negative must be yes or no, and a source is required")
    return EvidenceMethod(
        kind=row["kind"],
        method=row["method"],
        method_label=row["method_label"],
        result=row["result"],
        proves=Proves(row["proves"]),
        sensitive_negative=row["sensitive_negative"] == "yes",
        explanation=row["explanation"],
        source=row["source"],
    )


def read_ihc(where: str, row: Mapping[str, str], classes: Mapping[str, str]) -> IhcExpectation:
    """Read one row of ``ihc_markers.csv``."""
    if row["class_code"] not in classes:
        raise ValueError(f"{where}: unknown class code {row['class_code']!r}")
    if row["epitope"] and row["epitope"] not in _EPITOPES:
        raise ValueError(f"{where}: unknown epitope {row['epitope']!r}; expected {_EPITOPES}")
    result = ihc_result_key(row["result"])
    if result not in ("positive", "negative") or row["meaning"] not in set(IhcMeaning):
        raise ValueError(f"{where}: unknown result {row['result']!r} or meaning {row['meaning']!r}")
    if not row["source"]:
        raise ValueError(f"{where}: the source is required")
    return IhcExpectation(
        class_code=row["class_code"],
        markers=tuple(marker_key(m) for m in row["marker"].split("|")),
        epitope=row["epitope"] or None,
        result=result,
        pattern=marker_key(row["pattern"]) if row["pattern"] else None,
        meaning=IhcMeaning(row["meaning"]),
        explanation=row["explanation"],
        source=row["source"],
    )
