"""Reading the fields of one submitted finding: choices, texts, genes, fusion names.

Helpers of :mod:`classifier.findings`; each error names the field
(``findings[2].method``), what came and what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from classifier.errors import UnknownFindingError
from classifier.genes import GeneSymbol, load_gene_symbols

__all__ = [
    "FUSION_FORMS",
    "choice",
    "fusion_genes",
    "gene_symbol",
    "optional_text",
    "parse_fusion_name",
    "required_text",
]

_GENE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]*$")
# "t(11;22)(p13;q12) EWSR1-WT1": the cytogenetic prefix adds nothing to the genes.
_CYTOGENETICS = re.compile(r"^(?:(?:t|inv|der|ins)\s*\([^)]*\)\s*(?:\([^)]*\)\s*)*)+", re.I)
_SUFFIX = re.compile(r"\s+(?:fusion(?:\s+transcript)?|rearrangement)$", re.I)
#: How a fusion may be written in ``name``.
FUSION_FORMS = "'EWSR1::WT1', 'EWSR1-WT1', 'EWSR1/WT1' or 't(11;22) EWSR1-WT1'"


def parse_fusion_name(text: str, *, field: str = "name") -> tuple[str, str]:
    """Split a written fusion into its two genes, upper case (not yet checked against HGNC).

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
            f"{field}: cannot read {text[:64]!r} as a fusion of two genes; write it as "
            f"{FUSION_FORMS}",
            field=field,
        )
    return parts[0].upper(), parts[1].upper()


def fusion_genes(obj: Mapping[str, Any], where: str) -> tuple[GeneSymbol, GeneSymbol]:
    """The two partners of a fusion finding, from ``genes`` or ``name`` (which must agree)."""
    genes, name = obj.get("genes"), optional_text(obj, "name", where)
    if genes is None and name is None:
        raise UnknownFindingError(
            f"{where}: a fusion needs 'genes' (two symbols, 5' first) or 'name' "
            f"(e.g. {FUSION_FORMS})",
            field=f"{where}.genes",
        )
    if genes is None and name is not None:
        a, b = parse_fusion_name(name, field=f"{where}.name")
        return gene_symbol(a, f"{where}.name"), gene_symbol(b, f"{where}.name")
    if isinstance(genes, str) or not isinstance(genes, Sequence) or len(genes) != 2:
        raise UnknownFindingError(
            f"{where}.genes must list the two fusion partners, 5' first, e.g. "
            f'["EWSR1", "WT1"]; got {str(genes)[:64]}',
            field=f"{where}.genes",
        )
    pair = (gene_symbol(genes[0], f"{where}.genes[0]"), gene_symbol(genes[1], f"{where}.genes[1]"))
    if name is not None:
        named = parse_fusion_name(name, field=f"{where}.name")
        symbols = {gene_symbol(g, f"{where}.name").symbol for g in named}
        if symbols != {g.symbol for g in pair}:
            raise UnknownFindingError(
                f"{where}: name {name[:64]!r} and genes {[g.symbol for g in pair]} disagree",
                field=f"{where}.name",
            )
    return pair


def gene_symbol(value: Any, field: str) -> GeneSymbol:
    """Check a submitted gene symbol's form and read it against HGNC."""
    symbol = value.strip().upper() if isinstance(value, str) else ""
    if not _GENE.match(symbol):
        raise UnknownFindingError(
            f"{field}: expected a gene symbol such as 'EWSR1', got {str(value)[:64]!r}",
            field=field,
        )
    return load_gene_symbols().resolve(symbol, field=field)


def choice(
    obj: Mapping[str, Any],
    key: str,
    accepted: Sequence[str],
    where: str,
    *,
    default: str | None = None,
    note: str = "",
) -> str:
    """One of ``accepted``, spelling forgiven (``"RNA-NGS"``, ``"Not detected"``)."""
    raw = optional_text(obj, key, where)
    extra = f" ({note})" if note else ""
    if raw is None:
        if default is not None:
            return default
        raise UnknownFindingError(
            f"{where}.{key} is missing; accepted: {', '.join(accepted)}{extra}",
            field=f"{where}.{key}",
        )
    token = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    if token not in accepted:
        raise UnknownFindingError(
            f"{where}.{key}: unknown {key} {raw[:64]!r}; accepted: {', '.join(accepted)}{extra}",
            field=f"{where}.{key}",
        )
    return token


def required_text(obj: Mapping[str, Any], key: str, where: str, expected: str) -> str:
    """A non-blank string field."""
    value = optional_text(obj, key, where)
    if value is None or not value.strip():
        raise UnknownFindingError(
            f"{where}.{key} is missing; expected {expected}", field=f"{where}.{key}"
        )
    return value


def optional_text(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """A string field or ``None``; any other type is refused."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise UnknownFindingError(
        f"{where}.{key} must be a string, got {type(value).__name__}", field=f"{where}.{key}"
    )
