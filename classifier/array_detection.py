"""Which array a profile comes from, told from its probe ids alone.

One rule, used by :func:`detect_array` on any list of ids and by the
service's fast probe lookup (:mod:`api.served_model.probe_lookup`), which
computes the same shares from precomputed membership bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow.compute as pc

from classifier.errors import ClassifierError
from classifier.manifest import ProbeManifest, load_manifest
from classifier.probes import ArrayType, checked_probe_ids

__all__ = ["ARRAYS_BY_SIZE", "DETECT_SHARE", "array_from_shares", "detect_array"]

#: Share of the recognised ids an array must hold to be the detected array.
DETECT_SHARE = 0.99
#: The arrays from the smallest to the largest: the first that holds
#: :data:`DETECT_SHARE` of the ids is the detected one.
ARRAYS_BY_SIZE: tuple[ArrayType, ...] = (ArrayType.HM450, ArrayType.EPIC, ArrayType.EPICV2)


def array_from_shares(shares: Mapping[ArrayType, float]) -> ArrayType:
    """The detected array, given the share of recognised ids each array holds.

    The smallest array (450K, then EPIC, then EPICv2) holding at least
    :data:`DETECT_SHARE` of the ids; if none does, the array holding most
    of them.

    Parameters
    ----------
    shares : mapping of ArrayType to float
        For each array of :data:`ARRAYS_BY_SIZE`, the share in [0, 1] of the
        recognised ids it lists.

    Returns
    -------
    ArrayType
    """
    for array in ARRAYS_BY_SIZE:
        if shares[array] >= DETECT_SHARE:
            return array
    return max(ARRAYS_BY_SIZE, key=lambda array: shares[array])


def detect_array(ids: Iterable[str], *, manifest: ProbeManifest | None = None) -> ArrayType:
    """Tell which array a profile comes from, from its probe ids alone.

    Rule, in order:

    1. Any EPICv2-suffixed id (``cg00000029_TC21``) -> ``EPICV2``.
    2. Otherwise, of the ids that some manifest lists ("recognised" ids),
       the smallest array (450K, then EPIC, then EPICv2) that holds at
       least 99% is returned. A full EPIC profile has ~48% ids that the
       450K lacks, so it is EPIC; a 450K profile is 450K; EPICv2 data with
       suffixes already stripped is EPICv2 by its EPICv2-only CpGs.
    3. If no array holds 99%, the array holding the largest share.

    A reduced profile (e.g. the 10,000 CpGs of a model) carries only the
    ids it carries: when they all lie on 450K and EPIC it is reported as
    450K, the smallest array consistent with the ids. Callers that know
    the array should use that instead.

    Parameters
    ----------
    ids : iterable of str
        Raw probe ids of one profile.
    manifest : ProbeManifest, optional
        Defaults to :func:`classifier.manifest.load_manifest`.

    Returns
    -------
    ArrayType

    Raises
    ------
    InvalidProbeIdError
        If any id is invalid.
    ClassifierError
        With ``field="probe_ids"`` if there are no ids or no id is on any array.
    """
    raw = checked_probe_ids(ids, "probe_ids")
    if len(raw) == 0:
        raise ClassifierError("no probe ids given; cannot detect the array", field="probe_ids")
    if pc.any(pc.match_substring(raw, "_")).as_py():  # only EPICv2 suffixes hold one
        return ArrayType.EPICV2
    manifest = manifest or load_manifest()
    rows = manifest.positions(raw)
    rows = rows[rows >= 0]
    if rows.size == 0:
        raise ClassifierError(
            f"none of the {len(raw):,} probe ids is on a 450K, EPIC or EPICv2 array",
            field="probe_ids",
        )
    return array_from_shares(
        {
            array: float(manifest.table[f"on_{array.value}"].to_numpy()[rows].mean())
            for array in ARRAYS_BY_SIZE
        }
    )
