"""Fingerprints of a submitted profile: what was sent, and what decides the result.

``values_sha256`` is the SHA-256 of the profile's canonical form
(:class:`api.served_model.alignment.CanonicalForm`), so that the same
probes and values are the same submission whatever their order and form:

* a header naming the probe order: ``array:<450k|epic|epicv2>`` for values
  in a manifest's canonical order (named, or the whole array's ids sent in
  any order), ``model:<cpgs_sha256>`` for values in the model's own CpG
  order (named, or exactly the model's CpGs sent in any order), else
  ``ids:`` followed by the probe ids in code-point order, joined by
  newlines; then a newline;
* the values in that order as little-endian float32, "not measured" (null,
  NaN) written as one canonical NaN. The readers have made -0.0 into 0.0.

So the same ids and values give the same hash whether they came as a JSON
``betas`` object (in any key order), parallel arrays or Arrow. Fingerprints
stored by earlier versions are kept as they are; they hashed an id list in
the order it was sent. A submission sent again after the upgrade gets the
stored result when its ids were in code-point order (every manifest export)
or were a whole array in its canonical order; an id list in another order,
or exactly the model's CpGs (now hashed as the model's order), gets a new
result once, and is recognised from then on.
``input_sha256`` adds what else the result depends on: the diagnosis, the
findings and the result options. Neither is ever logged.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from api.intake.profile import ProfileInput
from api.served_model.alignment import CanonicalForm

__all__ = ["input_sha256", "nans_canonical_of", "values_sha256"]

# Bit pattern of np.float32("nan"), the NaN every "not measured" value is hashed as.
_CANONICAL_NAN_BITS = np.array([np.nan], dtype="<f4").view(np.uint32)[0]


def values_sha256(
    profile: ProfileInput,
    model_cpgs_sha256: str,
    canonical: CanonicalForm | None = None,
    *,
    nans_canonical: bool | None = None,
) -> str:
    """SHA-256 of a profile's probe order and values (see the module docstring).

    Parameters
    ----------
    profile : ProfileInput
    model_cpgs_sha256 : str
        The served model's CpG list hash, naming the order of model-ordered values.
    canonical : CanonicalForm, optional
        The profile's canonical form as alignment found it
        (:attr:`api.served_model.alignment.ProfileQc.canonical`); required
        for a profile sent with ids.
    nans_canonical : bool, optional
        What :func:`nans_canonical_of` says of the profile, when the caller has
        asked it already (it is then not asked again). ``True`` for a profile
        whose NaNs are not all canonical gives a wrong hash.

    Raises
    ------
    ValueError
        For a profile sent with ids but no canonical form.
    """
    digest = hashlib.sha256()
    values = np.asarray(profile.values, dtype="<f4")
    if profile.model_order:
        digest.update(f"model:{model_cpgs_sha256}".encode())
    elif profile.ids is None:
        digest.update(f"array:{profile.array}".encode())
    elif canonical is None:
        raise ValueError("a profile sent with ids is hashed in its canonical form")
    else:
        values = canonical.values(values)
        if canonical.kind == "array":
            digest.update(f"array:{canonical.array}".encode())
        elif canonical.kind == "model":
            digest.update(f"model:{model_cpgs_sha256}".encode())
        else:
            digest.update(b"ids:")
            digest.update(_joined_ids(canonical.ids))
    digest.update(b"\n")
    if not (nans_canonical if nans_canonical is not None else nans_canonical_of(profile)):
        values = np.where(np.isnan(values), np.float32("nan"), values)
    digest.update(np.ascontiguousarray(values).data)
    return digest.hexdigest()


def nans_canonical_of(profile: ProfileInput) -> bool:
    """Whether every NaN ("not measured") among the profile's values has the canonical bits.

    Then the values are hashed as they are (3.5 MB for EPIC), without a NaN
    mask or a rewritten copy. The parsers count the NaNs (``n_rejected``):
    when that many values carry the canonical NaN's bits, every NaN does.
    """
    n_nan = profile.n_rejected
    if not n_nan:
        return True
    values = np.asarray(profile.values, dtype="<f4")
    return int(np.count_nonzero(values.view(np.uint32) == _CANONICAL_NAN_BITS)) == n_nan


def input_sha256(
    values_hash: str,
    diagnosis: str | None,
    findings: tuple,
    options: dict[str, Any],
    diagnosis_code: Any = None,
) -> str:
    """SHA-256 of everything a result depends on besides the model.

    Parameters
    ----------
    values_hash : str
        :func:`values_sha256` of the profile.
    diagnosis : str or None
    findings : tuple
        Parsed findings (dataclasses).
    options : dict
        Result options that change the result (e.g. ``top``, ``raw_scores``).
    diagnosis_code : DiagnosisCode, optional
        Counted only when given, so that the fingerprint of a profile without
        one is what it was before codes were accepted.
    """
    document = {
        "values": values_hash,
        "diagnosis": diagnosis,
        "findings": [_plain(f) for f in findings],
        "options": options,
    }
    if diagnosis_code is not None:
        document["diagnosis_code"] = _plain(diagnosis_code)
    encoded = orjson.dumps(document, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(encoded).hexdigest()


def _joined_ids(ids: Any) -> bytes | memoryview:
    if isinstance(ids, pa.Array):
        strings = ids.cast(pa.large_string())
        offsets = pa.array([0, len(strings)], type=pa.int64())
        lists = pa.LargeListArray.from_arrays(offsets, strings)
        joined = pc.binary_join(lists, pa.scalar("\n", pa.large_string()))
        buffer = joined[0].as_buffer()
        return b"" if buffer is None else memoryview(buffer)
    return "\n".join(ids).encode()


def _plain(finding: Any) -> Any:
    if dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        return dataclasses.asdict(finding)
    return finding
