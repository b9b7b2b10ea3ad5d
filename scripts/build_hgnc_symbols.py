"""Derive ``classifier/data/hgnc_symbols.csv.gz`` from an HGNC download.

The service checks the gene symbols of submitted findings against the
HGNC-approved symbols and maps previous symbols (``H3F3A`` -> ``H3-3A``)
and alias symbols (``EWS`` -> ``EWSR1``). Nothing may be downloaded at run
time, so a compact table is committed: one row per approved symbol and one
per previous or alias symbol::

    symbol,approved,status
    H3-3A,,approved
    H3F3A,H3-3A,previous
    EWS,EWSR1,alias

A previous or alias symbol that HGNC lists for several approved genes keeps
one row per gene (the reader then reports it as ambiguous). One that is
itself approved today is dropped: the approved reading wins; an alias that
is also a previous symbol is kept as previous only.

The input is either HGNC's complete set (``hgnc_complete_set.txt``: columns
``symbol``, ``status``, ``prev_symbol`` with ``|`` between symbols) or a
custom download (``Approved symbol``, ``Previous symbols`` with ``, ``
between symbols; approved records only). Provenance of the committed file is
in ``classifier/data/NOTICE.md``. Run from the repository root::

    python scripts/build_hgnc_symbols.py hgnc_complete_set.txt

The output is deterministic: the same input gives byte-identical bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "classifier" / "data" / "hgnc_symbols.csv.gz"


def read_hgnc(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Return approved symbol -> (previous symbols, alias symbols), from either HGNC format."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise SystemExit(f"{path}: no rows")
    out: dict[str, tuple[list[str], list[str]]] = {}
    if "symbol" in rows[0]:  # the complete set
        for row in rows:
            if row.get("status", "Approved") == "Approved":
                out[row["symbol"]] = (
                    _split(row.get("prev_symbol", ""), "|"),
                    _split(row.get("alias_symbol", ""), "|"),
                )
    elif "Approved symbol" in rows[0]:  # a custom download
        for row in rows:
            out[row["Approved symbol"]] = (
                _split(row.get("Previous symbols", ""), ","),
                _split(row.get("Alias symbols", ""), ","),
            )
    else:
        raise SystemExit(f"{path}: neither an HGNC complete set nor a custom download")
    return out


def table(approved: dict[str, tuple[list[str], list[str]]]) -> bytes:
    """The gzip CSV bytes (fixed mtime, sorted rows)."""
    rows = {(symbol, "", "approved") for symbol in approved}
    previous = {
        (prev, symbol, "previous")
        for symbol, (prevs, _) in approved.items()
        for prev in prevs
        if prev not in approved
    }
    taken = {p for p, _, _ in previous}
    aliases = {
        (alias, symbol, "alias")
        for symbol, (_, names) in approved.items()
        for alias in names
        if alias not in approved and alias not in taken
    }
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["symbol", "approved", "status"])
    writer.writerows(sorted(rows | previous | aliases))
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Build the table from the HGNC file given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hgnc", type=Path, help="hgnc_complete_set.txt or a custom download")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    approved = read_hgnc(args.hgnc)
    args.out.write_bytes(table(approved))
    n_prev = sum(len(p) for p, _ in approved.values())
    n_alias = sum(len(a) for _, a in approved.values())
    print(f"{args.out}: {len(approved):,} approved, {n_prev:,} previous, {n_alias:,} alias symbols")
    return 0


def _split(text: str, sep: str) -> list[str]:
    return [s.strip() for s in text.split(sep) if s.strip()]


if __name__ == "__main__":
    raise SystemExit(main())
