"""Infinium probe identifiers: validation, EPICv2 suffixes, replicates.

Probe ids look like ``cg00000029`` (CpG site), ``ch.1.1234567F`` (non-CpG
site), ``rs1234567`` (SNP control) or ``nv-GRCh38-chr17-7675160-7675160-G-A``
(EPICv2 somatic-variant probe). EPICv2 appends a design suffix
(``cg00000029_TC21``) and carries several replicate probes for some CpGs; a
model trained on 450K/EPIC ids sees EPICv2 data through the base id, with
replicates averaged.

The functions here work on whole id vectors at once through Arrow compute
kernels, because a full EPIC profile has close to a million ids and a
Python loop over them would dominate a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from classifier.errors import ClassifierError, InvalidBetaValueError, InvalidProbeIdError

__all__ = [
    "PROBE_ID_PATTERN",
    "ArrayType",
    "base_probe_ids",
    "cg_numbers",
    "checked_probe_ids",
    "collapse_replicates",
]

#: A probe id with an optional EPICv2 suffix; group 1 (``base``) is the base id.
#: ``\Z`` rather than ``$``, so that a trailing newline is not a probe id.
PROBE_ID_PATTERN = re.compile(
    r"^(?P<base>cg\d{8}|ch\d{8}|ch\.(?:\d{1,2}|X|Y|M)\.\d+[FR]?|rs\d{3,}|nv\d+"
    r"|nv-GRCh3[78]-chr(?:\d{1,2}|X|Y|M)-\d+-\d+-[ACGTN]+-[ACGTN]+)"
    r"(?:_[A-Z]{2}\d{1,3})?\Z"
)

# RE2 (Arrow) has no \Z; its $ already means "end of text" without (?m).
_ARROW_PATTERN = PROBE_ID_PATTERN.pattern.replace(r"\Z", "$")
# Only the EPICv2 suffix contains an underscore; base ids never do.
_SUFFIX = "_"


class ArrayType(StrEnum):
    """The Infinium methylation arrays a profile can come from.

    Members are strings equal to their value (``ArrayType.EPIC == "epic"``,
    ``str(ArrayType.HM450) == "450k"``).
    """

    HM450 = "450k"
    EPIC = "epic"
    EPICV2 = "epicv2"

    @classmethod
    def parse(cls, text: str | ArrayType) -> ArrayType:
        """Read an array name as labs and LIS write it.

        Case, spaces, dashes, dots and underscores are ignored, so ``"450k"``,
        ``"HM450"``, ``"HumanMethylation450"``, ``"EPIC"``, ``"EPICv1"``,
        ``"850k"``, ``"epicv2"`` and ``"EPIC v2"`` are all understood.

        Raises
        ------
        ClassifierError
            With ``field="array_type"`` for a name that is none of these.
        """
        if isinstance(text, ArrayType):
            return text
        key = re.sub(r"[\s_.\-]", "", str(text)).lower()
        try:
            return cls(_ARRAY_ALIASES[key])
        except KeyError:
            raise ClassifierError(
                f"unknown array type {text!r}; expected one of "
                f"{[a.value for a in cls]} (or e.g. 'HM450', 'EPICv1', 'EPIC v2')",
                field="array_type",
            ) from None


_ARRAY_ALIASES = {
    **dict.fromkeys(
        ("450k", "450", "hm450", "hm450k", "humanmethylation450", "illumina450k"), "450k"
    ),
    **dict.fromkeys(
        ("epic", "epicv1", "epic1", "epic850k", "850k", "epicv10", "humanmethylationepic"),
        "epic",
    ),
    **dict.fromkeys(
        ("epicv2", "epic2", "epicv20", "epic935k", "935k", "humanmethylationepicv2"), "epicv2"
    ),
}


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
    numpy.ndarray of str (object dtype)
        Base ids in input order (``cg00000029_TC21`` -> ``cg00000029``).
        Replicates are not merged here; see :func:`collapse_replicates`.

    Raises
    ------
    InvalidProbeIdError
        If any value is not a probe id; the message gives the count and
        the first offenders.
    """
    return _strip_suffixes(_validated(ids, field)).to_numpy(zero_copy_only=False)


def cg_numbers(ids: pa.Array | Iterable[str]) -> np.ndarray:
    """Return the number of each ``cg`` base id, ``-1`` for every other string.

    ``cg00000029`` -> 29. Integers hash and sort an order of magnitude faster
    than strings, which makes the number the key for large lookups.

    Parameters
    ----------
    ids : pyarrow.Array or iterable of str
        Ids; suffixed ids and non-CpG ids map to ``-1``.

    Returns
    -------
    numpy.ndarray of int64
    """
    arr = _as_arrow(ids, "probe_ids")
    is_cg = pc.fill_null(pc.match_substring_regex(arr, r"^cg\d{8}$"), False)
    out = np.full(len(arr), -1, dtype=np.int64)
    digits = pc.utf8_slice_codeunits(arr.filter(is_cg), 2, 10)
    out[is_cg.to_numpy(zero_copy_only=False)] = pc.cast(digits, pa.int64()).to_numpy()
    return out


def collapse_replicates(
    ids: Iterable[str], values: np.ndarray, *, field: str = "probe_ids"
) -> tuple[np.ndarray, np.ndarray]:
    """Strip EPICv2 suffixes and average the replicate probes of each CpG.

    Parameters
    ----------
    ids : iterable of str
        Raw probe ids, possibly suffixed (``cg00000029_TC21``). Replicates
        of one CpG (``cg00000029_TC21``, ``cg00000029_BC11``) are expected;
        the same raw id twice is not.
    values : numpy.ndarray
        Shape ``(n_probes,)`` or ``(n_samples, n_probes)``, columns in the
        order of ``ids``; NaN marks a probe that was not measured.
    field : str, default="probe_ids"
        Name of the id field, used in error messages.

    Returns
    -------
    base_ids : numpy.ndarray of str (object dtype)
        Unique base ids in order of first appearance.
    values : numpy.ndarray
        Same leading shape as the input, one column per base id: the mean
        of the measured replicates, NaN where none was measured. Floating
        input keeps its dtype, other numbers become float64. The caller's
        array is never modified.

    Raises
    ------
    InvalidProbeIdError
        For an invalid id, or a raw id that occurs more than once (the
        message names the id and how often it occurs).
    ClassifierError
        With ``field="values"`` if the number of columns differs from the
        number of ids.
    InvalidBetaValueError
        If ``values`` is not numeric.
    """
    raw = _validated(ids, field)
    data = np.asarray(values)
    if data.ndim not in (1, 2) or data.shape[-1] != len(raw):
        raise ClassifierError(
            f"values of shape {data.shape} do not match {len(raw):,} probe ids; expected "
            f"({len(raw):,},) or (n_samples, {len(raw):,})",
            field="values",
        )
    if data.dtype.kind not in "fiub":
        raise InvalidBetaValueError(
            f"values must be numeric, got dtype {data.dtype}", field="values"
        )
    dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float64)
    base = _strip_suffixes(raw)
    codes = _first_appearance_codes(base)
    n_unique = int(codes.max()) + 1 if len(codes) else 0
    matrix = data.reshape(1, -1) if data.ndim == 1 else data
    if n_unique == len(raw):
        out = matrix.astype(dtype, copy=True)
    else:
        _check_unique_raw(raw, codes, n_unique, field)
        out = _average_groups(matrix, codes, n_unique, dtype)
    is_first = codes == np.maximum.accumulate(np.concatenate(([-1], codes[:-1]))) + 1
    base_ids = base.filter(pa.array(is_first)).to_numpy(zero_copy_only=False)
    return base_ids, out.reshape(*data.shape[:-1], n_unique)


def checked_probe_ids(ids: pa.Array | Iterable[str], field: str = "probe_ids") -> pa.Array:
    """The ids as an Arrow string array, every one checked to be an Infinium probe id.

    Raises
    ------
    InvalidProbeIdError
        Naming ``field``, the number of invalid ids and up to five of them.
    """
    return _validated(ids, field)


def _as_arrow(ids: pa.Array | pa.ChunkedArray | Iterable[str], field: str) -> pa.Array:
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if not isinstance(ids, pa.Array):
        if not isinstance(ids, np.ndarray | pd.Index | pd.Series | list):
            ids = list(ids)
        try:
            ids = pa.array(ids, type=pa.string())
        except (pa.ArrowException, TypeError):
            bad = [v for v in ids if not (isinstance(v, str) and PROBE_ID_PATTERN.match(v))]
            raise _invalid(len(bad), bad, field) from None
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        raise _invalid(len(ids), ids.to_pylist()[:5], field)
    return ids


def _validated(ids: pa.Array | Iterable[str], field: str) -> pa.Array:
    arr = _as_arrow(ids, field)
    ok = pc.fill_null(pc.match_substring_regex(arr, _ARROW_PATTERN), False)
    if len(arr) and not pc.all(ok).as_py():
        bad = arr.filter(pc.invert(ok))
        raise _invalid(len(bad), bad.slice(0, 5).to_pylist(), field)
    return arr


def _invalid(count: int, examples: list[object], field: str) -> InvalidProbeIdError:
    shown = ", ".join(repr(v) for v in examples[:5])
    return InvalidProbeIdError(
        f"{count:,} value(s) are not Infinium probe ids (expected e.g. 'cg00000029' "
        f"or 'cg00000029_TC21'): {shown}",
        field=field,
    )


def _strip_suffixes(arr: pa.Array) -> pa.Array:
    if len(arr) == 0 or not pc.any(pc.match_substring(arr, _SUFFIX)).as_py():
        return arr
    return pc.replace_substring_regex(arr, pattern="_.*$", replacement="")


def _first_appearance_codes(base: pa.Array) -> np.ndarray:
    # Integer keys: cg numbers, and past them codes of the few other ids.
    keys = cg_numbers(base)
    other = keys < 0
    if other.any():
        other_codes, _ = pd.factorize(base.filter(pa.array(other)).to_numpy(zero_copy_only=False))
        keys[other] = 10**8 + other_codes
    codes, _ = pd.factorize(keys)
    return codes.astype(np.intp, copy=False)


def _check_unique_raw(raw: pa.Array, codes: np.ndarray, n_unique: int, field: str) -> None:
    # Only ids sharing a base id with another can be duplicates.
    shared = np.bincount(codes, minlength=n_unique)[codes] > 1
    counts = pc.value_counts(raw.filter(pa.array(shared)))
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).to_pylist()
    if repeated:
        shown = ", ".join(f"{r['values']!r} ({r['counts']} times)" for r in repeated[:5])
        raise InvalidProbeIdError(
            f"{len(repeated):,} probe id(s) occur more than once; each probe may be given "
            f"once (EPICv2 replicates differ in their suffix): {shown}",
            field=field,
        )


def _average_groups(
    matrix: np.ndarray, codes: np.ndarray, n_unique: int, dtype: np.dtype
) -> np.ndarray:
    out = np.empty((matrix.shape[0], n_unique), dtype=dtype)
    replicated = np.bincount(codes, minlength=n_unique)[codes] > 1
    out[:, codes[~replicated]] = matrix[:, ~replicated]
    # Sort the replicate columns by CpG so that each CpG's probes are one
    # contiguous run that np.add.reduceat sums in a single pass.
    columns = np.flatnonzero(replicated)
    columns = columns[np.argsort(codes[columns], kind="stable")]
    group_codes = codes[columns]
    starts = np.flatnonzero(np.concatenate(([True], group_codes[1:] != group_codes[:-1])))
    members = matrix[:, columns].astype(np.float64)
    measured = ~np.isnan(members)
    sums = np.add.reduceat(np.where(measured, members, 0.0), starts, axis=1)
    counts = np.add.reduceat(measured, starts, axis=1, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, group_codes[starts]] = sums / counts
    return out
