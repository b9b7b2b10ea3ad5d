"""Reading the clinical specification tables under ``tests/classifier/spec/``.

The findings of a case are written in a short form a pathologist can read,
one finding per ``;``::

    fusion EWSR1::WT1 rna_ngs detected
    rearrangement EWSR1 fish rearranged
    mutation IDH1 p.R132C dna_ngs detected        (variant "-" when not given)
    copy_number MDM2 amplification fish detected
    ihc WT1 epitope=c_terminal positive           (also clone=6F-H2, pattern=dot-like)

:func:`findings_from` turns that into the JSON objects a laboratory sends.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

SPEC = Path(__file__).parent / "spec"


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of a spec table, comment lines (``#``) skipped."""
    with (SPEC / name).open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


def findings_from(text: str) -> list[dict[str, Any]]:
    """The JSON findings of the short form (see the module docstring)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        words = part.split()
        kind = words[0]
        if kind == "fusion":
            _, name, method, result = words
            out.append({"kind": kind, "name": name, "method": method, "result": result})
        elif kind in ("rearrangement", "break_apart"):
            _, gene, method, result = words
            out.append({"kind": kind, "gene": gene, "method": method, "result": result})
        elif kind == "mutation":
            _, gene, variant, method, result = words
            obj = {"kind": kind, "gene": gene, "method": method, "result": result}
            if variant != "-":
                obj["variant"] = variant.replace("_", " ")
            out.append(obj)
        elif kind == "copy_number":
            _, gene, change, method, result = words
            out.append(
                {"kind": kind, "gene": gene, "change": change, "method": method, "result": result}
            )
        elif kind == "ihc":
            obj = {"kind": "ihc", "marker": words[1], "result": words[-1]}
            for extra in words[2:-1]:
                key, _, value = extra.partition("=")
                obj[key] = value
            out.append(obj)
        else:
            raise ValueError(f"unknown finding form {part!r}")
    return out
