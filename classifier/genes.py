"""Gene symbols checked against the HGNC-approved symbols shipped as data.

``classifier/data/hgnc_symbols.csv.gz`` (built by
``scripts/build_hgnc_symbols.py``; provenance in ``NOTICE.md``) lists every
approved symbol and every previous symbol with the approved symbol it now
has. :func:`approved_symbol` reads a submitted symbol: an approved one is
returned as it is, a previous one as its approved successor (``H3F3A`` ->
``H3-3A``), and anything else is refused with an
:class:`~classifier.errors.UnknownGeneError` that names the symbol.
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

    @property
    def renamed(self) -> bool:
        """Whether the submitted symbol was a previous one."""
        return self.symbol != self.submitted


@dataclass(frozen=True)
class GeneSymbols:
    """The approved and previous symbols; build with :func:`load_gene_symbols`.

    Attributes
    ----------
    approved : frozenset of str
    previous : mapping of str to tuple of str
        Previous symbol -> approved symbols now carrying it (usually one).
    """

    approved: frozenset[str]
    previous: Mapping[str, tuple[str, ...]]

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
            If the symbol is neither approved nor previous, or is a previous
            symbol of several genes today.
        """
        submitted = value.strip().upper()
        if submitted in self.approved:
            return GeneSymbol(submitted, submitted)
        successors = self.previous.get(submitted, ())
        if len(successors) == 1:
            return GeneSymbol(successors[0], submitted)
        shown = value.strip()[:40]
        if successors:
            raise UnknownGeneError(
                f"{field}: {shown!r} is a previous HGNC symbol of several genes "
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
    previous: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["approved"]:
            previous.setdefault(row["symbol"], []).append(row["approved"])
        else:
            approved.add(row["symbol"])
    return GeneSymbols(
        approved=frozenset(approved),
        previous={k: tuple(sorted(v)) for k, v in previous.items()},
    )


def approved_symbol(value: str, *, field: str) -> str:
    """The approved HGNC symbol of a submitted one; see :meth:`GeneSymbols.resolve`."""
    return load_gene_symbols().resolve(value, field=field).symbol
