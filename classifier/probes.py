"""Infinium probe identifiers: validation, EPICv2 suffix collapse, replicate averaging.

Probe ids look like ``cg00000029`` (CpG site), ``ch.1.1234567F`` (non-CpG
site) or ``rs1234567`` (SNP control). EPICv2 appends a design suffix
(``cg00000029_TC21``) and carries several replicate probes for some CpGs; a
model trained on 450K/EPIC ids sees EPICv2 data through the base id, with
replicates averaged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from classifier.errors import InvalidProbeIdError

__all__ = ["PROBE_ID_PATTERN", "base_probe_ids"]

#: A probe id with an optional EPICv2 suffix; group 1 is the base id.
PROBE_ID_PATTERN = re.compile(
    r"^((?:cg|ch)\d{8}|ch\.[0-9XYM]{1,2}\.\d+[FR]?|rs\d{3,}|nv\d+)(?:_[A-Z]{2}\d{1,3})?$"
)


def base_probe_ids(ids: Iterable[str], *, field: str = "probe_ids") -> np.ndarray:
    """Validate probe ids and strip EPICv2 suffixes.

    Parameters
    ----------
    ids : iterable of str
        Probe ids as the array or LIS reports them.
    field : str, default="probe_ids"
        Name of the input field, used in the error message.

    Returns
    -------
    numpy.ndarray of str
        Base ids in input order (``cg00000029_TC21`` -> ``cg00000029``).
        Replicates are not merged here.

    Raises
    ------
    InvalidProbeIdError
        If any string is not a probe id; the message gives the count and
        the first offenders.
    """
    out: list[str] = []
    bad: list[str] = []
    for raw in ids:
        match = PROBE_ID_PATTERN.match(raw) if isinstance(raw, str) else None
        if match is None:
            bad.append(repr(raw))
            out.append("")
        else:
            out.append(match.group(1))
    if bad:
        raise InvalidProbeIdError(
            f"{len(bad)} value(s) are not Infinium probe ids (expected e.g. 'cg00000029' "
            f"or 'cg00000029_TC21'): {', '.join(bad[:5])}",
            field=field,
        )
    return np.asarray(out, dtype=object)
