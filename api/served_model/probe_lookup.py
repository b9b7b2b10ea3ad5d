"""Looking up an arbitrary list of probe ids: model columns, validity, duplicates, array.

Built once per model. The model's own probes (its CpGs and their EPICv2
replicate ids, ~11,000 strings) sit in a small hashed index, so a profile
reduced to the model's CpGs is resolved in well under a millisecond. Other
ids never feed the model; they are only checked: through the manifest's
integer lookup (:meth:`classifier.manifest.ProbeManifest.positions`, no
string hash table over a million ids), with the probe-id regex run only on
the few ids no manifest knows.
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
# Above this many ids, pandas' vectorised lookup wins over a dict.
_DICT_LOOKUP_MAX = 100_000
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
        self._small = pd.Index(np.concatenate([model_index.to_numpy(), replicates]), dtype=object)
        self._small_dict = _PositionOrMinusOne((k, i) for i, k in enumerate(self._small))
        self._small_cols = np.concatenate([np.arange(n), v2_cols[v2_cols >= 0]])
        rows = manifest.positions(model_index.to_numpy())
        base_bits = np.where(rows >= 0, self._row_bits[np.maximum(rows, 0)], 0).astype(np.uint8)
        v2_bits = np.full(len(replicates), _BIT[ArrayType.EPICV2])
        self._small_bits = np.concatenate([base_bits, v2_bits])
        self._small_suffixed = np.concatenate([np.zeros(n, bool), np.ones(len(replicates), bool)])

    def lookup(self, ids: list, locate: Callable[[int, object], Loc]) -> IdLookup:
        """Resolve one profile's ids.

        Parameters
        ----------
        ids : list
            The received ids (anything a client sent).
        locate : callable
            ``(index, raw id) -> loc`` of an id in the request body, for errors.

        Raises
        ------
        InputError
            ``invalid_probe_id`` or ``duplicate_probe_id``, at the first offender.
        """
        pos = self._model_positions(ids, locate)
        in_model = pos >= 0
        cols = np.full(len(ids), -1, dtype=np.int64)
        cols[in_model] = self._small_cols[pos[in_model]]
        # Identity keys for the duplicate check: equal ids, equal keys.
        keys = np.where(in_model, pos, -1).astype(np.int64)
        bits = [self._small_bits[pos[in_model]]]
        suffixed = bool(self._small_suffixed[pos[in_model]].any())
        rest = np.flatnonzero(~in_model)
        unrecognised = 0
        if len(rest):
            rest_ids = _as_strings([ids[j] for j in rest.tolist()], rest, locate)
            rest_keys, rest_bits, rest_suffixed, unrecognised = self._check_rest(
                rest_ids, rest, ids, locate
            )
            keys[rest] = rest_keys + len(self._small)
            bits.append(rest_bits)
            suffixed = suffixed or rest_suffixed
        duplicated = pd.Series(keys).duplicated().to_numpy(dtype=bool)
        if duplicated.any():
            j = int(np.argmax(duplicated))
            raise InputError(
                "probe id given more than once; send each probe once "
                "(EPICv2 replicates carry distinct suffixes and are averaged)",
                loc=locate(j, ids[j]),
                type="duplicate_probe_id",
            )
        return IdLookup(cols, _detected_array(np.concatenate(bits), suffixed), unrecognised)

    def _model_positions(self, ids: list, locate: Callable[[int, object], Loc]) -> np.ndarray:
        """Position of each id in the small index of the model's probes, -1 if absent."""
        if len(ids) > _DICT_LOOKUP_MAX:
            return self._small.get_indexer(pd.Index(ids, dtype=object))
        # A dict beats pandas' hash table by 2-3x on ~10,000 fresh strings.
        try:
            return np.fromiter(map(self._small_dict.__getitem__, ids), np.int64, len(ids))
        except TypeError:  # an unhashable item, e.g. a list among the ids
            j = next(j for j, raw in enumerate(ids) if not isinstance(raw, str))
            raise InputError(
                "not a string; expected an Infinium probe id such as 'cg00000029'",
                loc=locate(j, None),
                type="invalid_probe_id",
            ) from None

    def _check_rest(
        self, rest_ids: pa.Array, rest: np.ndarray, ids: list, locate: Callable[[int, object], Loc]
    ) -> tuple[np.ndarray, np.ndarray, bool, int]:
        """Validate ids the model does not read; return their keys, array bits and counts."""
        has_suffix = _mask(pc.match_substring(rest_ids, "_"))
        bases = pc.replace_substring_regex(rest_ids, pattern="_.*$", replacement="")
        rows = self._manifest.positions(bases)
        if has_suffix.any():
            # A known base id is valid by construction; its suffix still needs a look.
            good_suffix = _mask(pc.match_substring_regex(rest_ids, _SUFFIX_PATTERN))
            rows[has_suffix & ~good_suffix] = -1
        n_rows = len(self._manifest.table)
        # Base ids key by manifest row; suffixed ids by their own spelling,
        # since two replicates share a base id but are different probes.
        keys = np.where(has_suffix, -1, rows).astype(np.int64)
        bits = np.where(rows >= 0, self._row_bits[np.maximum(rows, 0)], 0).astype(np.uint8)
        bits[has_suffix & (rows >= 0)] = _BIT[ArrayType.EPICV2]
        spelled = np.flatnonzero(has_suffix | (rows < 0))
        if len(spelled):
            codes, _ = pd.factorize(rest_ids.take(pa.array(spelled)).to_numpy(zero_copy_only=False))
            keys[spelled] = n_rows + codes
        unknown = np.flatnonzero(rows < 0)
        for k in unknown.tolist():
            raw = ids[int(rest[k])]
            if not isinstance(raw, str) or PROBE_ID_PATTERN.match(raw) is None:
                what = "a string that is not a probe id" if isinstance(raw, str) else "not a string"
                raise InputError(
                    f"{what}; expected an Infinium probe id such as 'cg00000029' or "
                    "'cg00000029_TC21'",
                    loc=locate(int(rest[k]), raw),
                    type="invalid_probe_id",
                )
        return keys, bits[rows >= 0], bool(has_suffix.any()), len(unknown)


class _PositionOrMinusOne(dict):
    """A dict answering -1 for a missing key (without storing it)."""

    def __missing__(self, key: object) -> int:
        return -1


def _as_strings(rest_ids: list, rest: np.ndarray, locate: Callable[[int, object], Loc]) -> pa.Array:
    try:
        return pa.array(rest_ids, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        k = next(k for k, v in enumerate(rest_ids) if not isinstance(v, str))
        raise InputError(
            "not a string; expected an Infinium probe id such as 'cg00000029'",
            loc=locate(int(rest[k]), None),
            type="invalid_probe_id",
        ) from None


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
