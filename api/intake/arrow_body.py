"""Parsing the binary form of ``POST /v1/classify``: an Apache Arrow IPC stream.

One row per profile. Columns:

``sample_id`` (string, required)
``diagnosis`` (string, optional)
``diagnosis_code`` (string holding a JSON object ``{"system": ..., "code": ...}``, optional)
``findings`` (string holding a JSON list of findings, optional)
``values`` (list of float32 or float64, required): beta values; null or NaN
    means "not measured".
``probe_ids`` (list of string, optional): ids of ``values``, same length.

Any other column is refused, as an unknown field of a JSON profile is,
except the index columns pandas adds (``__index_level_0__``, ...).

Without ``probe_ids``, the schema metadata key ``array`` names the order of
``values``: ``450k``, ``epic`` or ``epicv2`` (the manifest's canonical probe
order of that array) or ``model`` (the served model's CpG list, which then
also requires the metadata key ``cpgs_sha256`` to equal the model card's,
so that a batch prepared for another model is refused instead of misread).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from api.frame.errors import InputError, Loc, quoted
from api.intake.arrow_stream import ArrowStreamError, TooManyRows, read_stream
from api.intake.profile import (
    ProfileInput,
    ReadProfiles,
    check_batch_size,
    parse_diagnosis_code_at,
    parse_findings_at,
    refuse_unknown_fields,
)
from api.intake.text_rules import text_field
from classifier.diagnoses import DiagnosisCode
from classifier.errors import ClassifierError
from classifier.probes import ArrayType

__all__ = ["MODEL_ORDER", "parse_arrow_body", "read_arrow_body"]

# The first bytes of the Arrow IPC file format (the stream format has none).
_ARROW_FILE_MAGIC = b"ARROW1"

#: ``array`` metadata value for values in the model's own CpG order.
MODEL_ORDER = "model"

_COLUMNS = ("sample_id", "diagnosis", "diagnosis_code", "findings", "values", "probe_ids")


def parse_arrow_body(body: bytes, max_batch: int, cpgs_sha256: str) -> list[ProfileInput]:
    """Parse and check an Arrow IPC stream body.

    Parameters
    ----------
    body : bytes
    max_batch : int
    cpgs_sha256 : str
        Hash of the served model's CpG list, for ``array=model``.

    Returns
    -------
    list of ProfileInput
        In row order.

    Raises
    ------
    InputError
        400 for an unreadable stream, 413 for too many rows, 422 for a
        missing or mistyped column or a bad value, located at the field.
    """
    read = read_arrow_body(body, max_batch, cpgs_sha256)
    read.check_values()
    return read.profiles


def read_arrow_body(body: bytes, max_batch: int, cpgs_sha256: str) -> ReadProfiles:
    """Read an Arrow IPC stream body, every check made but the values' range.

    The range check (``check_values`` of the answer, ~0.3 ms for an
    EPIC profile) is left to the caller, so that work needing only the
    values as sent, such as their fingerprint, can start beside it. The
    parameters are :func:`parse_arrow_body`'s.

    Raises
    ------
    InputError
        As :func:`parse_arrow_body`, except for the values' range.
    """
    try:
        schema, batches = read_stream(body, check_schema=_check_schema, max_rows=max(max_batch, 1))
    except TooManyRows as exc:
        check_batch_size(exc.rows, max_batch)
        raise  # not reached: more rows than max_batch
    except ArrowStreamError as exc:
        reason = (
            # Arrow's own message for a file would be about a huge metadata length.
            "the body is an Arrow IPC file (it starts with ARROW1); send the IPC stream "
            "format instead (pyarrow.ipc.new_stream, not new_file)"
            if body.startswith(_ARROW_FILE_MAGIC)
            else str(exc)
        )
        raise InputError(
            f"malformed Arrow IPC stream: {reason[:300]}",
            loc=(),
            type="arrow_invalid",
            status_code=400,
        ) from None
    table = pa.Table.from_batches(batches, schema)
    n = table.num_rows
    check_batch_size(n, max_batch)
    meta = {
        k.decode(errors="replace"): v.decode(errors="replace")
        for k, v in (schema.metadata or {}).items()
    }

    sample_ids = _strings(table, "sample_id")
    diagnoses = _strings(table, "diagnosis")
    findings_text = _strings(table, "findings")
    codes_text = _strings(table, "diagnosis_code")
    values, offsets, missing = _flat_values(table)
    ids_flat = _probe_ids(table, offsets) if "probe_ids" in table.column_names else None

    array: ArrayType | None = None
    model_order = False
    if ids_flat is None:
        array, model_order = _order(meta, cpgs_sha256)

    profiles = []
    for i in range(n):
        loc: Loc = ("profiles", i)
        # The JSON forms' rules: required, at most 500 characters, no control characters.
        sample_id = text_field(sample_ids[i], (*loc, "sample_id"), required=True, single_line=True)
        assert sample_id is not None
        start, stop = int(offsets[i]), int(offsets[i + 1])
        row = values[start:stop]
        profiles.append(
            ProfileInput(
                index=i,
                sample_id=sample_id,
                diagnosis=text_field(diagnoses[i], (*loc, "diagnosis"), required=False),
                findings=_findings(findings_text[i], loc),
                values=row,
                ids=None if ids_flat is None else ids_flat.slice(start, stop - start),
                array=array,
                ids_field="probe_ids" if ids_flat is not None else "",
                model_order=model_order,
                n_rejected=int(np.count_nonzero(missing[start:stop])),
                diagnosis_code=_diagnosis_code(codes_text[i], loc),
            )
        )
    return ReadProfiles(profiles, partial(_check_range, values, offsets, missing))


def _is_pandas_index(column: str) -> bool:
    # pa.Table.from_pandas keeps a non-default index as such a column.
    return column.startswith("__index_level_") and column.endswith("__")


def _check_schema(schema: pa.Schema) -> None:
    """Refuse unknown, missing or mistyped columns before any data is read."""
    names = schema.names
    refuse_unknown_fields(
        (c for c in names if not _is_pandas_index(c)), _COLUMNS, ("profiles", 0), "an Arrow profile"
    )
    for name in names:
        if names.count(name) > 1:
            raise InputError(
                f"column {quoted(name)} is given more than once",
                loc=("profiles", 0, name),
                type="duplicate_key",
            )
    for name in ("sample_id", "values"):
        if name not in names:
            raise InputError(
                f"column '{name}' is required", loc=("profiles", 0, name), type="missing"
            )
    for name in ("sample_id", "diagnosis", "diagnosis_code", "findings"):
        if name in names and not _is_string(schema.field(name).type):
            raise InputError(
                f"column '{name}' must be of type string, got {schema.field(name).type}",
                loc=("profiles", 0, name),
                type="invalid_type",
            )
    values = schema.field("values").type
    if not _is_list(values) or not pa.types.is_floating(values.value_type):
        raise InputError(
            f"column 'values' must be a list of float32 (or float64), got {values}",
            loc=("profiles", 0, "values"),
            type="invalid_type",
        )
    if "probe_ids" in names:
        ids = schema.field("probe_ids").type
        if not _is_list(ids) or not _is_string(ids.value_type):
            raise InputError(
                f"column 'probe_ids' must be a list of string, got {ids}",
                loc=("profiles", 0, "probe_ids"),
                type="invalid_type",
            )


def _strings(table: pa.Table, name: str) -> list[Any]:
    if name not in table.column_names:
        return [None] * table.num_rows
    return table.column(name).to_pylist()


def _flat_values(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten ``values`` to float32; return it, the row offsets and its NaN mask."""
    column = table.column("values")
    # One chunk (the usual stream of one record batch) is used as it is: combining copies.
    column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError("'values' is null", loc=("profiles", row, "values"), type="missing")
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = pc.list_flatten(column).cast(pa.float32()).to_numpy(zero_copy_only=False)
    zero = flat == 0
    if zero.any() and np.signbit(flat[zero]).any():
        flat = flat + np.float32(0)  # -0.0 is 0.0: the same value, the same fingerprint
    return flat, offsets, np.isnan(flat)


def _check_range(flat: np.ndarray, offsets: np.ndarray, missing: np.ndarray) -> None:
    """Refuse infinities and values outside [0, 1]; null and NaN mean "not measured"."""
    # Two reductions (~0.3 ms for an EPIC profile) clear almost every body;
    # only a bad one pays for finding its first offending value.
    if missing.all() or (np.nanmin(flat) >= 0.0 and np.nanmax(flat) <= 1.0):
        return
    bad = np.flatnonzero(~((flat >= 0.0) & (flat <= 1.0)) & ~missing)
    if len(bad):
        j = int(bad[0])
        row = int(np.searchsorted(offsets, j, side="right") - 1)
        loc = ("profiles", row, "values", j - int(offsets[row]))
        if np.isinf(flat[j]):
            raise InputError(
                "an infinite number is not a beta value", loc=loc, type="value_not_finite"
            )
        raise InputError(
            f"beta value {float(flat[j]):g} is outside [0, 1]", loc=loc, type="value_out_of_range"
        )


def _probe_ids(table: pa.Table, offsets: np.ndarray) -> pa.Array:
    column = table.column("probe_ids").combine_chunks()
    lengths = pc.list_value_length(column).fill_null(-1).to_numpy(zero_copy_only=False)
    mismatch = np.flatnonzero(lengths != np.diff(offsets))
    if len(mismatch):
        row = int(mismatch[0])
        raise InputError(
            f"'probe_ids' has {max(int(lengths[row]), 0):,} items but 'values' has "
            f"{int(offsets[row + 1] - offsets[row]):,}",
            loc=("profiles", row, "values"),
            type="length_mismatch",
        )
    ids = pc.list_flatten(column).cast(pa.string())
    if ids.null_count:
        j = int(np.flatnonzero(ids.is_null().to_numpy(zero_copy_only=False))[0])
        row = int(np.searchsorted(offsets, j, side="right") - 1)
        raise InputError(
            "a probe id is null; expected an Infinium probe id such as 'cg00000029'",
            loc=("profiles", row, "probe_ids", j - int(offsets[row])),
            type="invalid_probe_id",
        )
    return ids


def _order(meta: dict[str, str], cpgs_sha256: str) -> tuple[ArrayType | None, bool]:
    """Read the ``array`` metadata of a stream without ``probe_ids``."""
    raw = meta.get("array")
    if raw is None:
        raise InputError(
            "without a 'probe_ids' column the schema metadata 'array' must name the order of "
            "'values': 450k, epic, epicv2 or model",
            loc=("array",),
            type="missing",
        )
    if raw.strip().lower() == MODEL_ORDER:
        if meta.get("cpgs_sha256") != cpgs_sha256:
            raise InputError(
                "array=model needs the schema metadata 'cpgs_sha256' equal to the served "
                "model's (GET /v1/model); it is missing or belongs to another model",
                loc=("cpgs_sha256",),
                type="model_mismatch",
            )
        return None, True
    try:
        return ArrayType.parse(raw), False
    except (ClassifierError, ValueError):
        raise InputError(
            f"unknown array {quoted(raw)} in the schema metadata; expected 450k, epic, epicv2 "
            "or model",
            loc=("array",),
            type="invalid_array",
        ) from None


def _findings(text: str | None, loc: Loc) -> tuple:
    raw = _json_cell(text, loc, "findings", "a JSON list")
    return () if raw is None else parse_findings_at(raw, loc)


def _diagnosis_code(text: str | None, loc: Loc) -> DiagnosisCode | None:
    raw = _json_cell(text, loc, "diagnosis_code", "a JSON object")
    return None if raw is None else parse_diagnosis_code_at(raw, loc)


def _json_cell(text: str | None, loc: Loc, column: str, holds: str) -> Any:
    """The JSON value of a text cell; ``None`` for an empty cell."""
    if text is None or not text.strip():
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"'{column}' must hold {holds}: {exc.msg}",
            loc=(*loc, column),
            type="json_invalid",
        ) from None


def _is_string(type_: pa.DataType) -> bool:
    return pa.types.is_string(type_) or pa.types.is_large_string(type_)


def _is_list(type_: pa.DataType) -> bool:
    return (
        pa.types.is_list(type_)
        or pa.types.is_large_list(type_)
        or pa.types.is_fixed_size_list(type_)
    )
