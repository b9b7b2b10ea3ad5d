"""Gene symbols checked against the HGNC-approved symbols shipped as data.

``classifier/data/hgnc_symbols.csv.gz`` (built by
``scripts/build_hgnc_symbols.py``; provenance in ``NOTICE.md``) lists every
approved symbol and every previous symbol with the approved symbol it now
has, and every alias symbol with its gene. :func:`approved_symbol` reads a
submitted symbol: an approved one is returned as it is, a previous one as its
approved successor (``H3F3A`` -> ``H3-3A``), an alias as its gene (``EWS``
-> ``EWSR1``), and anything else, or a previous or alias symbol of several
genes, is refused with an :class:`~classifier.errors.UnknownGeneError` that
names the symbol.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from classifier.errors import UnknownGeneError

__all__ = ["GeneSymbol", "GeneSymbols", "approved_symbol", "load_gene_symbols"]

_FILE = "hgnc_symbols.csv.gz"


@dataclass(frozen=True)
class GeneSymbol:
    """A submitted symbol read against HGNC.

    Attributes
    ----------
    symbol : str
        The approved symbol.
    submitted : str
        As written (upper-cased, stripped).
    """

    symbol: str
    submitted: str
    how: str = "approved"

    @property
    def renamed(self) -> bool:
        """Whether the submitted symbol was a previous or alias symbol."""
        return self.symbol != self.submitted

    @property
    def note(self) -> str:
        """``"H3F3A is now H3-3A"`` or ``"EWS is an alias of EWSR1"``; empty when approved."""
        if not self.renamed:
            return ""
        if self.how == "alias":
            return f"{self.submitted} is an alias of {self.symbol}"
        return f"{self.submitted} is now {self.symbol}"


@dataclass(frozen=True)
class GeneSymbols:
    """The approved and previous symbols; build with :func:`load_gene_symbols`.

    Attributes
    ----------
    approved : frozenset of str
    previous : mapping of str to tuple of str
        Previous symbol -> approved symbols now carrying it (usually one).
    aliases : mapping of str to tuple of str
        Alias symbol -> approved symbols it names.
    """

    approved: frozenset[str]
    previous: Mapping[str, tuple[str, ...]]
    aliases: Mapping[str, tuple[str, ...]]

    def resolve(self, value: str, *, field: str) -> GeneSymbol:
        """Return the approved symbol for a submitted one.

        Parameters
        ----------
        value : str
            A symbol as submitted; case and surrounding spaces are ignored.
        field : str
            Where it was submitted, e.g. ``"findings[0].gene"``.

        Raises
        ------
        UnknownGeneError
            If the symbol is neither approved, previous nor an alias, or is a
            previous or alias symbol of several genes today.
        """
        submitted = value.strip().upper()
        if submitted in self.approved:
            return GeneSymbol(submitted, submitted)
        shown = value.strip()[:40]
        for how, table in (("previous", self.previous), ("alias", self.aliases)):
            successors = table.get(submitted, ())
            if len(successors) == 1:
                return GeneSymbol(successors[0], submitted, how)
            if successors:
                raise UnknownGeneError(
                    f"{field}: {shown!r} is a {how} HGNC symbol of several genes "
                    f"({', '.join(successors)}); send the approved symbol",
                    field=field,
                )
        raise UnknownGeneError(
            f"{field}: {shown!r} is not an HGNC-approved or previous gene symbol; "
            "send the approved symbol (e.g. 'EWSR1', 'H3-3A')",
            field=field,
        )


@cache
def load_gene_symbols() -> GeneSymbols:
    """Load the packaged HGNC symbol table (cached)."""
    raw = (resources.files("classifier") / "data" / _FILE).read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    approved: set[str] = set()
    others: dict[str, dict[str, list[str]]] = {"previous": {}, "alias": {}}
    for row in csv.DictReader(io.StringIO(text)):
        if row["status"] == "approved":
            approved.add(row["symbol"])
        else:
            others[row["status"]].setdefault(row["symbol"], []).append(row["approved"])
    return GeneSymbols(
        approved=frozenset(approved),
        previous={k: tuple(sorted(v)) for k, v in others["previous"].items()},
        aliases={k: tuple(sorted(v)) for k, v in others["alias"].items()},
    )


def approved_symbol(value: str, *, field: str) -> str:
    """The approved HGNC symbol of a submitted one; see :meth:`GeneSymbols.resolve`."""
    return load_gene_symbols().resolve(value, field=field).symbol
