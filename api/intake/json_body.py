"""Reading a JSON ``POST /v1/classify`` body into :class:`~api.intake.profile.ProfileInput` objects.

The JSON body is parsed with orjson from the raw bytes (no pydantic model:
building and validating 866,000 keys twice would triple the cost) and
checked here by hand, with every error located at its field. Beta values
become float32 with NaN for "not measured" (JSON ``null``). Aligning the
probes to the model's CpGs is :mod:`api.served_model.alignment`'s job.

A large body (``PLAIN_READER_MIN_BYTES``) of ``betas`` objects and nothing
unusual is read first without a Python object per probe: msgspec checks
the JSON and hands over each ``betas`` text, which :mod:`api.intake.betas_object`
splits into Arrow ids and float values (a whole EPIC object: ~100 ms
instead of ~330). The profiles are those orjson's reading gives (the tests
compare them); whenever that reader declines, orjson reads the body, and
every error is found and worded from orjson's reading.

orjson keeps the last of repeated keys: :mod:`api.intake.repeated_keys` refuses a
body in which a key (e.g. a probe id of ``betas``) was given twice.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import orjson

from api.frame.errors import InputError, Loc, malformed_json_msg, quoted
from api.intake.betas_object import split_betas_object
from api.intake.profile import (
    PROFILE_FIELDS,
    ProfileInput,
    check_batch_size,
    parse_diagnosis_code_at,
    parse_findings_at,
    refuse_unknown_fields,
)
from api.intake.repeated_keys import no_key_dropped, refuse_repeated_keys
from api.intake.text_rules import text_field, value_kind
from classifier.errors import ClassifierError
from classifier.probes import ArrayType

__all__ = ["parse_json_body", "to_betas"]

_NUMERIC_OR_NULL = frozenset({float, int, type(None)})

_BODY_FIELDS = ("profiles",)

#: Bodies from this size on are first offered to the reader of plain betas
#: objects. Below it orjson is as fast, and its lists of ids are cheaper
#: downstream than Arrow's (a 10,000-CpG profile: ~1 ms less to align and hash).
PLAIN_READER_MIN_BYTES = 1_000_000


def parse_json_body(body: bytes, max_batch: int) -> list[ProfileInput]:
    """Parse and check a JSON ``{"profiles": [...]}`` body.

    Parameters
    ----------
    body : bytes
    max_batch : int

    Returns
    -------
    list of ProfileInput
        In request order.

    Raises
    ------
    InputError
        400 for malformed JSON, 413 for too many profiles, 422 for any
        other bad field (a repeated key too), located at the field.
    """
    plain = _read_plain_betas(body, max_batch) if len(body) >= PLAIN_READER_MIN_BYTES else None
    if plain is not None:
        return plain
    doc = _loads(body)
    refuse_repeated_keys(body, doc)
    if not isinstance(doc, dict):
        raise InputError(
            f"the body must be a JSON object with a 'profiles' list, got {value_kind(doc)}",
            loc=(),
            type="invalid_type",
        )
    profiles = doc.get("profiles")
    if not isinstance(profiles, list):
        what = "missing" if profiles is None else value_kind(profiles)
        raise InputError(
            f"'profiles' must be a list of profile objects, got {what}",
            loc=("profiles",),
            type="missing" if profiles is None else "invalid_type",
        )
    refuse_unknown_fields(doc, _BODY_FIELDS, (), "the body")
    check_batch_size(len(profiles), max_batch)
    return [_json_profile(i, p) for i, p in enumerate(profiles)]


def to_betas(values: Sequence[Any], loc: Loc, keys: Sequence[str] | None = None) -> np.ndarray:
    """Convert JSON numbers (``null`` = not measured) to float32 beta values.

    Parameters
    ----------
    values : sequence
        Parsed JSON values.
    loc : tuple
        Location of the values field, e.g. ``("profiles", 0, "values")``.
    keys : sequence of str, optional
        Probe ids of an object form, used to locate errors by key.

    Raises
    ------
    InputError
        ``value_not_numeric``, ``value_not_finite`` or ``value_out_of_range``,
        located at the first offending value.
    """

    def at(j: int) -> Loc:
        return (*loc, keys[j] if keys is not None else j)

    # One pass over the types is far cheaper than converting each value in
    # Python, and numpy silently accepts numeric strings and booleans.
    if not _NUMERIC_OR_NULL.issuperset(map(type, values)):
        j, value = next((j, v) for j, v in enumerate(values) if type(v) not in _NUMERIC_OR_NULL)
        raise _bad_value(value, at(j))
    array = np.array(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~(np.isnan(array) | ((array >= 0.0) & (array <= 1.0))))
    if len(bad):
        j = int(bad[0])
        value = float(array[j])
        if math.isinf(value):
            raise InputError(
                "an infinite number is not a beta value; send null for a failed probe",
                loc=at(j),
                type="value_not_finite",
            )
        raise InputError(
            f"beta value {value:g} is outside [0, 1]", loc=at(j), type="value_out_of_range"
        )
    # -0.0 is 0.0 (IEEE: -0.0 + 0.0 = +0.0): the same value, the same fingerprint.
    array += 0.0
    return array.astype(np.float32)


# ----------------------------------------------------------------- helpers


class _NonFinite:
    """A ``NaN``/``Infinity`` literal met by the lenient re-read of a refused body."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        refused = InputError(
            _utf8_problem(body) or malformed_json_msg(exc.msg, exc.lineno, exc.colno),
            loc=(),
            type="json_invalid",
            status_code=400,
        )
        # NaN and Infinity literals are not JSON, but some clients write them;
        # "infinity" is orjson's word for a number too large for a double.
        if b"NaN" in body or b"Infinity" in body or "infinity" in exc.msg:
            located = _non_finite_error(body)
            if located is not None:
                raise located from None
        raise refused from None


def _non_finite_error(body: bytes) -> InputError | None:
    """The error at the first non-finite number of a body orjson refused, or None.

    The body is re-read leniently (only on this error path) so that the
    answer can name the field holding the number instead of a byte offset.
    What the re-read gives is never used otherwise: a body refused by orjson
    for any other reason (a lone surrogate, say, with "NaN" in a string) is
    refused with orjson's error.
    """
    try:
        doc = json.loads(body, parse_constant=_NonFinite)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Loc, Any]] = [((), doc)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            stack.extend(reversed([((*loc, k), v) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([((*loc, i), v) for i, v in enumerate(node)]))
        elif _is_non_finite(node):
            return _located_non_finite(node, loc)
    return None


def _is_non_finite(node: Any) -> bool:
    if isinstance(node, _NonFinite):
        return True
    if isinstance(node, float):
        return not math.isfinite(node)
    # An integer too large for a double (orjson calls it infinity).
    return isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > 1024


def _located_non_finite(node: Any, loc: Loc) -> InputError:
    literal = node.literal if isinstance(node, _NonFinite) else "an infinite number"
    if len(loc) == 4 and loc[0] == "profiles" and loc[2] in ("betas", "values"):
        return InputError(
            f"{literal} is not a beta value; send null for a probe that was not measured",
            loc=loc,
            type="value_not_finite",
        )
    return InputError(
        malformed_json_msg(f"{literal} is not a JSON value"),
        loc=loc,
        type="json_invalid",
        status_code=400,
    )


def _utf8_problem(body: bytes) -> str | None:
    """Where a body stops being UTF-8 (orjson says only "line 1, column 1"), or None."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = body[: exc.start].decode("utf-8")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1  # in characters, as orjson counts
        bad = body[exc.start : exc.end].hex(" ")
        return malformed_json_msg(f"the body is not UTF-8 (byte {bad})", line, column)
    return None


class _PlainProfile(msgspec.Struct, forbid_unknown_fields=True):
    """A profile of the plain ``betas`` form; any other field sends it to orjson."""

    sample_id: Any = msgspec.UNSET
    diagnosis: Any = msgspec.UNSET
    diagnosis_code: Any = msgspec.UNSET
    findings: Any = msgspec.UNSET
    betas: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class _PlainBody(msgspec.Struct, forbid_unknown_fields=True):
    profiles: list[_PlainProfile]


_PLAIN_DECODER = msgspec.json.Decoder(_PlainBody)
_UNSET = msgspec.UNSET


def _read_plain_betas(body: bytes, max_batch: int) -> list[ProfileInput] | None:
    """The profiles of a body of plain ``betas`` objects, or None to read it with orjson.

    None for any other form and for any error, so that errors are always
    found, located and worded the one way.
    """
    try:
        doc = _PLAIN_DECODER.decode(body)
    except (msgspec.MsgspecError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    if not 0 < len(doc.profiles) <= max_batch:
        return None
    may_have_escapes = b"\\" in body
    outer: list[dict[str, Any]] = []
    splits = []
    for profile in doc.profiles:
        if isinstance(profile.betas, msgspec.UnsetType):
            return None
        split = split_betas_object(memoryview(profile.betas), may_have_escapes=may_have_escapes)
        if split is None:
            return None
        splits.append(split)
        # The profile as orjson would give it, its betas text counted apart.
        fields = {f: getattr(profile, f) for f in profile.__struct_fields__}
        outer.append({f: {} if f == "betas" else v for f, v in fields.items() if v is not _UNSET})
    # Outside the betas objects no key may have been dropped by msgspec. Inside
    # them nothing is dropped: a probe id given twice stays in the ids, and
    # alignment refuses it (duplicate_probe_id, at the id).
    if not no_key_dropped(body, {"profiles": outer}, sum(s.colons for s in splits)):
        return None
    try:
        return [
            ProfileInput(
                i,
                *_profile_fields(i, raw),
                split.values,
                ids=split.ids,
                ids_field="betas",
                n_rejected=split.n_null,
                diagnosis_code=parse_diagnosis_code_at(raw.get("diagnosis_code"), ("profiles", i)),
            )
            for i, (raw, split) in enumerate(zip(outer, splits, strict=True))
        ]
    except InputError:
        return None


def _json_profile(i: int, raw: Any) -> ProfileInput:
    if not isinstance(raw, dict):
        raise InputError(
            f"each profile must be an object, got {value_kind(raw)}",
            loc=("profiles", i),
            type="invalid_type",
        )
    refuse_unknown_fields(raw, PROFILE_FIELDS, ("profiles", i), "a profile")
    sample_id, diagnosis, findings = _profile_fields(i, raw)
    values, where = _json_values(raw, ("profiles", i))
    code = parse_diagnosis_code_at(raw.get("diagnosis_code"), ("profiles", i))
    return ProfileInput(
        i,
        sample_id,
        diagnosis,
        findings,
        values,
        n_rejected=_n_nan(values),
        diagnosis_code=code,
        **where,
    )


def _profile_fields(i: int, raw: dict) -> tuple[str, str | None, tuple]:
    """A profile object's sample id, diagnosis and parsed findings."""
    loc: Loc = ("profiles", i)
    sample_id = text_field(
        raw.get("sample_id"), (*loc, "sample_id"), required=True, single_line=True
    )
    assert sample_id is not None
    diagnosis = text_field(raw.get("diagnosis"), (*loc, "diagnosis"), required=False)
    return sample_id, diagnosis, parse_findings_at(raw.get("findings"), loc)


def _json_values(raw: dict, loc: Loc) -> tuple[np.ndarray, dict[str, Any]]:
    """A profile's beta values, and where their ids come from (ProfileInput fields)."""
    has_betas = "betas" in raw
    has_arrays = "probe_ids" in raw or "values" in raw
    if has_betas and has_arrays:
        raise InputError(
            "give either 'betas' or 'probe_ids' with 'values', not both",
            loc=loc,
            type="conflicting_fields",
        )
    if has_betas:
        betas = raw["betas"]
        if not isinstance(betas, dict):
            raise InputError(
                f"'betas' must be an object of probe id -> beta value, got {value_kind(betas)}",
                loc=(*loc, "betas"),
                type="invalid_type",
            )
        keys = list(betas)
        values = to_betas(list(betas.values()), (*loc, "betas"), keys)
        return values, {"ids": keys, "ids_field": "betas"}
    if not has_arrays:
        raise InputError(
            "a profile needs 'betas' (object of probe id -> beta) or 'probe_ids' with 'values'",
            loc=(*loc, "betas"),
            type="missing",
        )
    values_raw = raw.get("values")
    if not isinstance(values_raw, list):
        what = "missing" if values_raw is None else value_kind(values_raw)
        raise InputError(
            f"'values' must be a list of beta values, got {what}",
            loc=(*loc, "values"),
            type="missing" if values_raw is None else "invalid_type",
        )
    if "probe_ids" not in raw and "array" in raw:
        array = _array_of(raw["array"], (*loc, "array"))
        return to_betas(values_raw, (*loc, "values")), {"array": array, "ids_field": ""}
    ids = raw.get("probe_ids")
    if not isinstance(ids, list):
        what = "missing" if ids is None else value_kind(ids)
        raise InputError(
            f"'probe_ids' must be a list of probe ids matching 'values', got {what}",
            loc=(*loc, "probe_ids"),
            type="missing" if ids is None else "invalid_type",
        )
    if len(ids) != len(values_raw):
        raise InputError(
            f"'probe_ids' has {len(ids):,} items but 'values' has {len(values_raw):,}",
            loc=(*loc, "values"),
            type="length_mismatch",
        )
    return to_betas(values_raw, (*loc, "values")), {"ids": ids, "ids_field": "probe_ids"}


def _array_of(raw: Any, loc: Loc) -> ArrayType:
    try:
        return ArrayType.parse(str(raw))
    except (ClassifierError, ValueError):
        raise InputError(
            f"unknown array {quoted(raw)}; expected one of {[a.value for a in ArrayType]}",
            loc=loc,
            type="invalid_array",
        ) from None


def _bad_value(value: Any, loc: Loc) -> InputError:
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            parsed = 0.0
        if not math.isfinite(parsed):
            return InputError(
                "a string is not a beta value (and NaN/Infinity are not allowed); "
                "send null for a probe that was not measured",
                loc=loc,
                type="value_not_finite",
            )
    return InputError(
        f"expected a number in [0, 1] or null, got {value_kind(value)}",
        loc=loc,
        type="value_not_numeric",
    )


def _n_nan(values: np.ndarray) -> int:
    return int(np.count_nonzero(np.isnan(values)))
