"""Aligning received profiles to the model's ordered CpG list, with index arrays built once.

At start-up :class:`ProbeAligner` precomputes, for each manifest array, which
positions of its canonical probe order feed which model column (EPICv2
replicates of one CpG feed the same column and are averaged), and a
:class:`~api.served_model.probe_lookup.ProbeIdIndex` for other id lists. A request then costs:

- values in a manifest's canonical order (JSON ``array`` + ``values``, or
  Arrow with ``array`` metadata): one gather of the model's ~10,000 positions;
- an id list equal to a manifest's canonical order (a full EPIC JSON object,
  or Arrow ``probe_ids``): one list (or Arrow) comparison, then the gather;
- any other id list: one lookup in a small index of the model's own probe
  ids, the manifest's integer lookup for the others, and the regex only for
  the few ids no manifest knows (ids found in a manifest are valid by
  construction). Consecutive profiles of a batch with the same id list
  reuse the lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from api.frame.errors import InputError
from api.intake.profile import ProfileInput
from api.served_model.probe_lookup import ProbeIdIndex
from classifier.manifest import ProbeManifest
from classifier.probes import ArrayType, base_probe_ids

__all__ = ["AlignmentCache", "ProbeAligner", "ProfileQc"]


@dataclass(frozen=True)
class ProfileQc:
    """What alignment learned about one profile.

    Attributes
    ----------
    array_type : str or None
        Manifest array the probe ids belong to (``None`` when undetermined).
    probes_received : int
    values_rejected : int
        Values not used because they were null (failed probe) or NaN.
    probes_unrecognised : int
        Valid probe ids that no manifest lists (kept if the model reads them).
    replicates_collapsed : int
        Model CpGs measured by more than one probe (EPICv2 replicates), averaged.
    model_cpgs_present : int
        Model CpGs with a measured value.
    canonical_order : str or None
        The array whose canonical probe order the values follow (named, or
        an id list equal to it); ``None`` for any other id list or the
        model's own order.
    """

    array_type: str | None
    probes_received: int
    values_rejected: int
    probes_unrecognised: int
    replicates_collapsed: int
    model_cpgs_present: int
    canonical_order: str | None = None


@dataclass(frozen=True)
class _Gather:
    """Which received positions feed which model columns."""

    src: np.ndarray
    dst: np.ndarray
    replicated: int  # model columns fed by more than one position
    array_type: str | None = None
    unrecognised: int = 0
    canonical: bool = False  # positions are an array's canonical order


# Values already in the model's order: nothing to gather, no array to name.
_MODEL_ORDER = _Gather(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), 0)


@dataclass
class AlignmentCache:
    """The last id list looked up, so that a batch sharing ids pays once."""

    ids: list | None = None
    gather: _Gather | None = None


class ProbeAligner:
    """Maps received probes to the model's CpG columns.

    Parameters
    ----------
    cpgs : array-like of str
        The model's ordered CpG list (base ids).
    manifest : ProbeManifest
        Supplies each array's canonical probe order.
    """

    def __init__(self, cpgs, manifest: ProbeManifest) -> None:
        self.cpgs = np.asarray(cpgs, dtype=object)
        self.n_cpgs = len(self.cpgs)
        # Object dtype on purpose: pandas' Arrow-backed strings would convert
        # (and re-hash) the whole index on every lookup.
        self._model_index = pd.Index(self.cpgs, dtype=object)
        self._canonical: dict[ArrayType, list] = {}
        self._arrow: dict[ArrayType, pa.Array] = {}
        self._by_length: dict[int, ArrayType] = {}
        self._gathers: dict[ArrayType, _Gather] = {}
        for array in ArrayType:
            ids = manifest.array_probe_ids(array)
            # Only EPICv2 ids carry suffixes; the others are base ids already.
            bases = base_probe_ids(ids) if array is ArrayType.EPICV2 else ids
            self._canonical[array] = ids.tolist()
            self._arrow[array] = pa.array(ids, type=pa.string())
            self._by_length[len(ids)] = array
            cols = self._model_index.get_indexer(pd.Index(bases, dtype=object))
            self._gathers[array] = _make_gather(cols, array.value, canonical=True)
        self._ids = ProbeIdIndex(self._model_index, manifest)
        # A LIS that sends the model's CpGs (GET /v1/model/cpgs) in that order
        # skips the lookup: one list comparison, then an identity gather.
        self._own_ids = self.cpgs.tolist()
        self._own_gather = self._lookup_ids(self._own_ids, lambda j, raw: ("probe_ids", j))

    def array_size(self, array: ArrayType) -> int:
        """Number of probes in an array's canonical order."""
        return len(self._canonical[array])

    def align(self, profile: ProfileInput, cache: AlignmentCache) -> tuple[np.ndarray, ProfileQc]:
        """Return the profile over the model's CpGs (NaN = not measured) and its QC counts.

        Raises
        ------
        InputError
            ``length_mismatch`` for values that do not fit the named order,
            ``invalid_probe_id`` or ``duplicate_probe_id`` for bad ids.
        """
        values = profile.values
        if profile.model_order:
            if len(values) != self.n_cpgs:
                raise _length_error(profile, self.n_cpgs, "the model's CpG list")
            row = np.array(values, dtype=np.float32)
            gather = _MODEL_ORDER
        elif profile.ids is None:
            assert profile.array is not None
            if len(values) != self.array_size(profile.array):
                raise _length_error(
                    profile, self.array_size(profile.array), f"array {profile.array.value}"
                )
            gather = self._gathers[profile.array]
            row = _apply(values, gather, self.n_cpgs)
        else:
            gather = self._gather_for(profile, cache)
            row = _apply(values, gather, self.n_cpgs)
        qc = ProfileQc(
            array_type=gather.array_type,
            probes_received=len(values),
            values_rejected=profile.n_rejected,
            probes_unrecognised=gather.unrecognised,
            replicates_collapsed=gather.replicated,
            model_cpgs_present=int(np.count_nonzero(~np.isnan(row))),
            canonical_order=gather.array_type if gather.canonical else None,
        )
        return row, qc

    # ------------------------------------------------------------ id lists

    def _gather_for(self, profile: ProfileInput, cache: AlignmentCache) -> _Gather:
        ids = profile.ids
        array = self._by_length.get(len(ids))
        if isinstance(ids, pa.Array):
            if array is not None and ids.equals(self._arrow[array]):
                return self._gathers[array]
            ids = ids.to_pylist()
        elif array is not None and self._is_canonical(ids, array):
            return self._gathers[array]
        if len(ids) == self.n_cpgs and _same_list(ids, self._own_ids):
            return self._own_gather
        if cache.ids is not None and cache.gather is not None and ids == cache.ids:
            return cache.gather
        gather = self._lookup(ids, profile)
        cache.ids, cache.gather = ids, gather
        return gather

    def _is_canonical(self, ids: list, array: ArrayType) -> bool:
        return _same_list(ids, self._canonical[array])

    def _lookup(self, ids: list, profile: ProfileInput) -> _Gather:
        return self._lookup_ids(ids, lambda j, raw: _id_loc(profile, j, raw))

    def _lookup_ids(self, ids: list, loc) -> _Gather:
        found = self._ids.lookup(ids, loc)
        return _make_gather(found.cols, found.array_type, unrecognised=found.unrecognised)


def _same_list(ids: list, known: list) -> bool:
    # First and last ids reject almost every other list before the full
    # comparison, which costs ~20 ms for an EPIC profile.
    return bool(ids) and ids[0] == known[0] and ids[-1] == known[-1] and ids == known


def _make_gather(
    cols: np.ndarray, array_type: str | None, *, unrecognised: int = 0, canonical: bool = False
) -> _Gather:
    src = np.flatnonzero(cols >= 0)
    dst = cols[src]
    # Model columns fed by several probes (EPICv2 replicates of one CpG).
    replicated = int((np.bincount(dst) > 1).sum()) if len(dst) else 0
    return _Gather(src, dst, replicated, array_type, unrecognised, canonical)


def _apply(values: np.ndarray, gather: _Gather, n_cpgs: int) -> np.ndarray:
    """Fill model columns from received values, averaging replicates (NaN ignored)."""
    picked = values[gather.src]
    if not gather.replicated:
        row = np.full(n_cpgs, np.nan, dtype=np.float32)
        row[gather.dst] = picked
        return row
    measured = ~np.isnan(picked)
    sums = np.bincount(gather.dst[measured], weights=picked[measured], minlength=n_cpgs)
    counts = np.bincount(gather.dst[measured], minlength=n_cpgs)
    row = np.full(n_cpgs, np.nan, dtype=np.float32)
    hit = counts > 0
    row[hit] = sums[hit] / counts[hit]
    return row


def _id_loc(profile: ProfileInput, j: int, raw: object) -> tuple:
    if profile.ids_field == "betas":
        return (*profile.loc, "betas", str(raw))
    return (*profile.loc, "probe_ids", j)


def _length_error(profile: ProfileInput, expected: int, order: str) -> InputError:
    return InputError(
        f"'values' has {len(profile.values):,} items but {order} has {expected:,} probes",
        loc=(*profile.loc, "values"),
        type="length_mismatch",
    )
