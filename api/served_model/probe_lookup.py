"""Looking up an arbitrary list of probe ids: model columns, validity, duplicates, array.

Built once per model. The ids arrive as an Arrow array in code-point order
(:func:`api.intake.id_order.code_point_order`), so that an id given twice
is next to itself. The model's own probes (its CpGs and their EPICv2
replicate ids, ~11,000 strings) are the value set of one Arrow
``index_in`` (a hash lookup in C, without the GIL). Other ids never feed
the model; they are only checked: through the manifest's integer lookup
(:meth:`classifier.manifest.ProbeManifest.positions`, no string hash table
over a million ids), with the probe-id regex run only on the few ids no
manifest knows. Errors name the first offender in the order received.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from api.frame.errors import InputError, Loc
from classifier.array_detection import ARRAYS_BY_SIZE, array_from_shares
from classifier.manifest import ProbeManifest
from classifier.probes import PROBE_ID_PATTERN, ArrayType, base_probe_ids

__all__ = ["IdLookup", "ProbeIdIndex"]

_BIT = {array: np.uint8(1 << i) for i, array in enumerate(ArrayType)}
_SUFFIX_PATTERN = r"^[^_]+_[A-Z]{2}\d{1,3}$"


@dataclass(frozen=True)
class IdLookup:
    """What a list of probe ids means for the model.

    Attributes
    ----------
    cols : numpy.ndarray of int64
        Model column of each id, -1 where the model does not read it.
    array_type : str or None
        Detected array (``None`` when no id is recognised).
    unrecognised : int
        Valid ids whose CpG no manifest lists (an EPICv2 suffix is checked
        for its form, not looked up).
    """

    cols: np.ndarray
    array_type: str | None
    unrecognised: int


class ProbeIdIndex:
    """Resolve probe id lists against one model and the manifest.

    Parameters
    ----------
    model_index : pandas.Index
        The model's ordered CpG list (object dtype).
    manifest : ProbeManifest
    """

    def __init__(self, model_index: pd.Index, manifest: ProbeManifest) -> None:
        self._manifest = manifest
        self._row_bits = np.zeros(len(manifest.table), dtype=np.uint8)
        for array in ArrayType:
            on_array = manifest.table[f"on_{array.value}"].to_numpy(dtype=np.uint8)
            self._row_bits |= on_array * _BIT[array]
        v2 = manifest.array_probe_ids(ArrayType.EPICV2)
        v2_cols = model_index.get_indexer(pd.Index(base_probe_ids(v2), dtype=object))
        replicates = v2[v2_cols >= 0]
        n = len(model_index)
        small = np.concatenate([model_index.to_numpy(), replicates])
        self._small_arrow = pa.array(small, type=pa.string())
        self._small_cols = np.concatenate([np.arange(n), v2_cols[v2_cols >= 0]])
        rows = manifest.positions(model_index.to_numpy())
        base_bits = np.where(rows >= 0, self._row_bits[np.maximum(rows, 0)], 0).astype(np.uint8)
        v2_bits = np.full(len(replicates), _BIT[ArrayType.EPICV2])
        self._small_bits = np.concatenate([base_bits, v2_bits])
        self._small_suffixed = np.concatenate([np.zeros(n, bool), np.ones(len(replicates), bool)])

    def lookup(
        self, ids: pa.Array, order: np.ndarray | None, locate: Callable[[int, object], Loc]
    ) -> IdLookup:
        """Resolve one profile's ids, given in code-point order.

        Parameters
        ----------
        ids : pyarrow.StringArray
            The received ids, sorted by code point
            (:func:`api.intake.id_order.code_point_order`).
        order : numpy.ndarray or None
            Where each sorted id was received (None: as sorted); errors are
            located, and the first offender chosen, in the order received.
        locate : callable
            ``(index received, raw id) -> loc`` of an id in the request body.

        Returns
        -------
        IdLookup
            ``cols`` in the order of ``ids`` (sorted).

        Raises
        ------
        InputError
            ``invalid_probe_id`` or ``duplicate_probe_id``, at the first offender.
        """
        n = len(ids)
        received = order if order is not None else np.arange(n)
        pos = pc.fill_null(pc.index_in(ids, value_set=self._small_arrow), -1).to_numpy(
            zero_copy_only=False
        )
        in_model = pos >= 0
        cols = np.full(n, -1, dtype=np.int64)
        cols[in_model] = self._small_cols[pos[in_model]]
        bits = [self._small_bits[pos[in_model]]]
        suffixed = bool(self._small_suffixed[pos[in_model]].any())
        rest = np.flatnonzero(~in_model)
        unrecognised = 0
        if len(rest):
            rest_bits, rest_suffixed, unrecognised = self._check_rest(
                ids.take(pa.array(rest)), received[rest], locate
            )
            bits.append(rest_bits)
            suffixed = suffixed or rest_suffixed
        # Sorted, an id given twice is next to itself; stable, its later copy comes second.
        same = (
            np.flatnonzero(_mask(pc.equal(ids.slice(0, n - 1), ids.slice(1)))) + 1
            if n > 1
            else np.empty(0, dtype=np.intp)
        )
        if same.size:
            later = received[same]
            first = int(np.argmin(later))
            raise InputError(
                "probe id given more than once; send each probe once "
                "(EPICv2 replicates carry distinct suffixes and are averaged)",
                loc=locate(int(later[first]), ids[int(same[first])].as_py()),
                type="duplicate_probe_id",
            )
        return IdLookup(cols, _detected_array(np.concatenate(bits), suffixed), unrecognised)

    def _check_rest(
        self, rest_ids: pa.Array, received: np.ndarray, locate: Callable[[int, object], Loc]
    ) -> tuple[np.ndarray, bool, int]:
        """Validate ids the model does not read; return their array bits and counts."""
        has_suffix = _mask(pc.match_substring(rest_ids, "_"))
        bases = rest_ids
        if has_suffix.any():
            bases = pc.if_else(
                pa.array(has_suffix),
                pc.replace_substring_regex(rest_ids, pattern="_.*$", replacement=""),
                rest_ids,
            )
        rows = self._manifest.positions(bases)
        if has_suffix.any():
            # A known base id is valid by construction; its suffix still needs a look.
            good_suffix = _mask(pc.match_substring_regex(rest_ids, _SUFFIX_PATTERN))
            rows[has_suffix & ~good_suffix] = -1
        bits = np.where(rows >= 0, self._row_bits[np.maximum(rows, 0)], 0).astype(np.uint8)
        bits[has_suffix & (rows >= 0)] = _BIT[ArrayType.EPICV2]
        unknown = np.flatnonzero(rows < 0)
        # The regex only for the few ids no manifest knows; the first received is reported.
        invalid = [
            k for k in unknown.tolist() if PROBE_ID_PATTERN.match(rest_ids[k].as_py()) is None
        ]
        if invalid:
            k = min(invalid, key=lambda k: received[k])
            raw = rest_ids[k].as_py()
            raise InputError(
                "a string that is not a probe id; expected an Infinium probe id such as "
                "'cg00000029' or 'cg00000029_TC21'",
                loc=locate(int(received[k]), raw),
                type="invalid_probe_id",
            )
        return bits[rows >= 0], bool(has_suffix.any()), len(unknown)


def _mask(matches: pa.Array) -> np.ndarray:
    """A boolean Arrow result as numpy, null (a null id) read as False."""
    return pc.fill_null(matches, False).to_numpy(zero_copy_only=False)


def _detected_array(bits: np.ndarray, suffixed: bool) -> str | None:
    """The rule of :func:`classifier.array_detection.detect_array`, on precomputed membership bits.

    Any EPICv2 suffix means EPICv2; otherwise
    :func:`~classifier.array_detection.array_from_shares` of the recognised
    ids. (``detect_array`` itself costs ~2 ms for 10,000 ids; this, microseconds.)
    """
    if suffixed:
        return ArrayType.EPICV2.value
    bits = bits[bits > 0]  # model CpGs that no manifest lists say nothing
    if len(bits) == 0:
        return None
    shares = {a: float(np.mean((bits & _BIT[a]) > 0)) for a in ARRAYS_BY_SIZE}
    return array_from_shares(shares).value
