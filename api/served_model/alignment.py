"""Aligning received profiles to the model's ordered CpG list, with index arrays built once.

At start-up :class:`ProbeAligner` precomputes, for each manifest array, which
positions of its canonical probe order feed which model column (EPICv2
replicates of one CpG feed the same column and are averaged), and a
:class:`~api.served_model.probe_lookup.ProbeIdIndex` for other id lists. A request then costs:

- values in a manifest's canonical order (JSON ``array`` + ``values``, or
  Arrow with ``array`` metadata): one gather of the model's ~10,000 positions;
- the model's own CpG list in its order (a LIS sending ``GET /v1/model/cpgs``):
  one list comparison;
- any other id list is first put in code-point order
  (:func:`api.intake.id_order.code_point_order`, ~50 ms for a shuffled EPIC
  profile, nothing when it is sorted): the order every manifest lists its
  array in. A whole array, in any order, is then one Arrow comparison and
  the array's gather; the model's own list in another order likewise;
- any other list: one lookup in a small index of the model's own probe ids,
  the manifest's integer lookup for the others, and the regex only for the
  few ids no manifest knows (ids found in a manifest are valid by
  construction). Consecutive profiles of a batch with the same id list
  reuse the lookup.

Alignment also gives each profile's canonical form (:class:`CanonicalForm`):
its values in that order, which the input fingerprint hashes, so that any
order of the same probes is the same submission.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from api.frame.errors import InputError
from api.intake.id_order import code_point_order
from api.intake.profile import ProfileInput
from api.intake.text_rules import value_kind
from api.served_model.probe_lookup import ProbeIdIndex
from classifier.manifest import ProbeManifest
from classifier.probes import ArrayType, base_probe_ids

__all__ = ["AlignmentCache", "CanonicalForm", "ProbeAligner", "ProfileQc"]


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class CanonicalForm:
    """A profile's probes in their canonical order, whatever order they were sent in.

    Attributes
    ----------
    kind : {"array", "model", "ids"}
        The values follow an array's canonical order (its whole probe list
        was sent), the served model's CpG list (exactly its CpGs were sent),
        or the code-point order of the ids sent.
    array : str or None
        The array, for kind ``"array"``.
    order : numpy.ndarray or None
        Positions of the received values in canonical order
        (``values[order]``); None when they were received in it.
    ids : pyarrow.Array or None
        For kind ``"ids"``: the ids in code-point order.
    """

    kind: str
    array: str | None = None
    order: np.ndarray | None = None
    ids: pa.Array | None = None

    def values(self, received: np.ndarray) -> np.ndarray:
        """The received values in canonical order."""
        return received if self.order is None else received[self.order]


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
    canonical : CanonicalForm or None
        For a profile sent with ids: its probes in canonical order (what its
        fingerprint hashes). ``None`` for values in a named order.
    """

    array_type: str | None
    probes_received: int
    values_rejected: int
    probes_unrecognised: int
    replicates_collapsed: int
    model_cpgs_present: int
    canonical: CanonicalForm | None = None


@dataclass(frozen=True)
class _Gather:
    """Which received positions feed which model columns."""

    src: np.ndarray
    dst: np.ndarray
    replicated: int  # model columns fed by more than one position
    array_type: str | None = None
    unrecognised: int = 0


# Values already in the model's order: nothing to gather, no array to name.
_MODEL_ORDER = _Gather(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), 0)


@dataclass
class AlignmentCache:
    """The last id list looked up, so that a batch sharing ids pays once."""

    ids: Any = None
    gather: _Gather | None = None
    canonical: CanonicalForm | None = None


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
        self._size: dict[ArrayType, int] = {}
        self._canonical: dict[ArrayType, list] = {}
        self._arrow: dict[ArrayType, pa.Array] = {}
        self._by_length: dict[int, ArrayType] = {}
        self._gathers: dict[ArrayType, _Gather] = {}
        for array in ArrayType:
            ids = manifest.array_probe_ids(array)
            # Only EPICv2 ids carry suffixes; the others are base ids already.
            bases = base_probe_ids(ids) if array is ArrayType.EPICV2 else ids
            self._size[array] = len(ids)
            self._canonical[array] = ids.tolist()
            self._arrow[array] = pa.array(ids, type=pa.string())
            # The manifests list each array in code-point order: the order ids are sorted to.
            assert code_point_order(self._arrow[array]) is None, array
            self._by_length[len(ids)] = array
            cols = self._model_index.get_indexer(pd.Index(bases, dtype=object))
            self._gathers[array] = _make_gather(cols, array.value)
        self._ids = ProbeIdIndex(self._model_index, manifest)
        # A LIS that sends the model's CpGs (GET /v1/model/cpgs) in that order
        # skips the lookup: one list comparison, then an identity gather.
        self._own_ids = self.cpgs.tolist()
        own = pa.array(self._own_ids, type=pa.string())
        own_order = code_point_order(own)
        # Sorted, position k holds the model's column own_order[k].
        self._own_sorted_columns = own_order if own_order is not None else np.arange(self.n_cpgs)
        self._own_sorted = own.take(pa.array(self._own_sorted_columns))
        found = self._ids.lookup(self._own_sorted, None, lambda j, raw: ("probe_ids", j))
        self._own_sorted_gather = _make_gather(
            found.cols, found.array_type, unrecognised=found.unrecognised
        )
        self._own_gather = _received(self._own_sorted_gather, self._own_sorted_columns)

    def array_size(self, array: ArrayType) -> int:
        """Number of probes in an array's canonical order."""
        return self._size[array]

    def align(self, profile: ProfileInput, cache: AlignmentCache) -> tuple[np.ndarray, ProfileQc]:
        """Return the profile over the model's CpGs (NaN = not measured) and its QC counts.

        Raises
        ------
        InputError
            ``length_mismatch`` for values that do not fit the named order,
            ``invalid_probe_id`` or ``duplicate_probe_id`` for bad ids.
        """
        values = profile.values
        canonical: CanonicalForm | None = None
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
            gather, canonical = self._gather_for(profile, cache)
            row = _apply(values, gather, self.n_cpgs)
        qc = ProfileQc(
            array_type=gather.array_type,
            probes_received=len(values),
            values_rejected=profile.n_rejected,
            probes_unrecognised=gather.unrecognised,
            replicates_collapsed=gather.replicated,
            model_cpgs_present=int(np.count_nonzero(~np.isnan(row))),
            canonical=canonical,
        )
        return row, qc

    # ------------------------------------------------------------ id lists

    def _gather_for(
        self, profile: ProfileInput, cache: AlignmentCache
    ) -> tuple[_Gather, CanonicalForm]:
        ids = profile.ids
        if isinstance(ids, list):
            # Lists in a known order (parallel arrays of an export, the model's CpGs):
            # one list comparison, no conversion to Arrow.
            if len(ids) == self.n_cpgs and _same_list(ids, self._own_ids):
                return self._own_gather, CanonicalForm("model")
            listed = self._by_length.get(len(ids))
            if listed is not None and _same_list(ids, self._canonical[listed]):
                return self._gathers[listed], CanonicalForm("array", listed.value)
        arrow = ids if isinstance(ids, pa.Array) else _as_arrow(ids, profile)
        if cache.ids is not None and len(cache.ids) == len(arrow) and cache.ids.equals(arrow):
            assert cache.gather is not None and cache.canonical is not None
            return cache.gather, cache.canonical
        order = code_point_order(arrow)
        ids_sorted = arrow if order is None else arrow.take(pa.array(order))
        array = self._by_length.get(len(arrow))
        if array is not None and ids_sorted.equals(self._arrow[array]):
            gather = _received(self._gathers[array], order)
            canonical = CanonicalForm("array", array.value, order)
        elif len(arrow) == self.n_cpgs and ids_sorted.equals(self._own_sorted):
            received = order if order is not None else np.arange(self.n_cpgs)
            gather = _received(self._own_sorted_gather, received)
            in_model_order = np.empty(self.n_cpgs, dtype=np.intp)
            in_model_order[self._own_sorted_columns] = received
            canonical = CanonicalForm("model", order=in_model_order)
        else:
            found = self._ids.lookup(ids_sorted, order, lambda j, raw: _id_loc(profile, j, raw))
            sorted_gather = _make_gather(
                found.cols, found.array_type, unrecognised=found.unrecognised
            )
            gather = _received(sorted_gather, order)
            canonical = CanonicalForm("ids", order=order, ids=ids_sorted)
        cache.ids, cache.gather, cache.canonical = arrow, gather, canonical
        return gather, canonical


def _same_list(ids: list, known: list) -> bool:
    # First and last ids reject almost every other list before the full
    # comparison, which costs ~20 ms for an EPIC profile.
    return bool(ids) and ids[0] == known[0] and ids[-1] == known[-1] and ids == known


def _make_gather(cols: np.ndarray, array_type: str | None, *, unrecognised: int = 0) -> _Gather:
    src = np.flatnonzero(cols >= 0)
    dst = cols[src]
    # Model columns fed by several probes (EPICv2 replicates of one CpG).
    replicated = int((np.bincount(dst) > 1).sum()) if len(dst) else 0
    return _Gather(src, dst, replicated, array_type, unrecognised)


def _as_arrow(ids: list, profile: ProfileInput) -> pa.Array:
    """A JSON id list as Arrow strings; anything but a string is refused at its place."""
    try:
        arrow = pa.array(ids, type=pa.string())
        if not arrow.null_count:
            return arrow
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    j = next(j for j, raw in enumerate(ids) if not isinstance(raw, str))  # null too
    raise InputError(
        f"expected a probe id such as 'cg00000029', got {value_kind(ids[j])}",
        loc=_id_loc(profile, j, ids[j]),
        type="invalid_probe_id",
    )


def _received(gather: _Gather, order: np.ndarray | None) -> _Gather:
    """A gather over sorted positions, read from the positions received."""
    if order is None:
        return gather
    return dataclasses.replace(gather, src=order[gather.src])


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
