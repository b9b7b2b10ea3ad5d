"""Parsing ``POST /v1/classify`` bodies (JSON or Arrow) into typed profiles.

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
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import orjson

from api.frame.errors import InputError, Loc, from_domain_error, malformed_json_msg
from api.intake.betas_object import split_betas_object
from api.intake.repeated_keys import no_key_dropped, refuse_repeated_keys
from classifier.errors import ClassifierError
from classifier.findings import parse_findings
from classifier.probes import ArrayType

__all__ = [
    "MAX_TEXT_LENGTH",
    "PROFILE_FIELDS",
    "ProfileInput",
    "ReadProfiles",
    "check_batch_size",
    "parse_findings_at",
    "parse_json_body",
    "refuse_unknown_fields",
    "refused_character_at",
    "text_field",
    "to_betas",
]

_NUMERIC_OR_NULL = frozenset({float, int, type(None)})

#: The fields of a JSON profile. Any other is refused (``extra_forbidden``):
#: a misspelt ``finding`` would otherwise drop the molecular evidence unseen.
PROFILE_FIELDS = ("sample_id", "diagnosis", "findings", "betas", "probe_ids", "values", "array")
_BODY_FIELDS = ("profiles",)

#: Bodies from this size on are first offered to the reader of plain betas
#: objects. Below it orjson is as fast, and its lists of ids are cheaper
#: downstream than Arrow's (a 10,000-CpG profile: ~1 ms less to align and hash).
PLAIN_READER_MIN_BYTES = 1_000_000
#: Longest text field of a profile (sample id, diagnosis), after stripping.
MAX_TEXT_LENGTH = 500


@dataclass(frozen=True)
class ProfileInput:
    """One profile as received, before alignment.

    Attributes
    ----------
    index : int
        Position in the request (results keep this order).
    sample_id : str
    diagnosis : str or None
        Submitted diagnosis, free text or class code.
    findings : tuple
        Parsed :class:`classifier.findings.Finding` objects.
    values : numpy.ndarray of float32
        Beta values, NaN where not measured.
    ids : list of str, pyarrow.Array or None
        Probe ids in the order of ``values``; ``None`` when ``values`` follow
        the canonical order of ``array``.
    array : ArrayType or None
        Manifest array whose canonical probe order ``values`` follow (when
        ``ids`` is None).
    ids_field : str
        Body field the ids came from: ``"betas"`` (keys of an object),
        ``"probe_ids"``, or ``""`` for manifest order; locates id errors.
    model_order : bool
        ``values`` follow the served model's own CpG list (binary form only).
    n_rejected : int
        Values not used: null (failed probe) or NaN in the binary form; the
        number of NaNs in ``values`` (the fingerprint relies on it).
    """

    index: int
    sample_id: str
    diagnosis: str | None
    findings: tuple
    values: np.ndarray
    ids: Any = None
    array: ArrayType | None = None
    ids_field: str = "probe_ids"
    model_order: bool = False
    n_rejected: int = 0

    @property
    def loc(self) -> Loc:
        """Location of this profile in the body."""
        return ("profiles", self.index)

    @property
    def values_field(self) -> str:
        """Body field holding the values."""
        return "betas" if self.ids_field == "betas" else "values"


@dataclass(frozen=True)
class ReadProfiles:
    """The profiles of a request as read, and the checks of their values still to run.

    Attributes
    ----------
    profiles : list of ProfileInput
        In request order.
    check_values : callable
        Raises :class:`~api.frame.errors.InputError` for a value out of range (the
        Arrow form defers this check; a JSON body is checked while parsed).
    """

    profiles: list[ProfileInput]
    check_values: Callable[[], None]


def check_batch_size(n: int, max_batch: int) -> None:
    """Refuse an empty batch (422) or one larger than ``MAX_BATCH`` (413)."""
    if n == 0:
        raise InputError(
            "'profiles' is empty; send at least one profile",
            loc=("profiles",),
            type="empty_batch",
        )
    if n > max_batch:
        raise InputError(
            f"{n:,} profiles in one request; at most {max_batch:,} (MAX_BATCH) are accepted",
            loc=("profiles",),
            type="batch_too_large",
            status_code=413,
        )


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
            f"the body must be a JSON object with a 'profiles' list, got {_kind(doc)}",
            loc=(),
            type="invalid_type",
        )
    profiles = doc.get("profiles")
    if not isinstance(profiles, list):
        what = "missing" if profiles is None else _kind(profiles)
        raise InputError(
            f"'profiles' must be a list of profile objects, got {what}",
            loc=("profiles",),
            type="missing" if profiles is None else "invalid_type",
        )
    refuse_unknown_fields(doc, _BODY_FIELDS, (), "the body")
    check_batch_size(len(profiles), max_batch)
    return [_json_profile(i, p) for i, p in enumerate(profiles)]


def refuse_unknown_fields(fields: Any, known: Sequence[str], loc: Loc, what: str) -> None:
    """Refuse the first of ``fields`` that is not in ``known`` (422 ``extra_forbidden``).

    Parameters
    ----------
    fields : iterable of str
        The keys of an object (or the columns of a table) as sent.
    known : sequence of str
        The accepted names, in the order the message lists them.
    loc : tuple
        Location of the object; the error is located at the unknown field.
    what : str
        The object in words, e.g. ``"a profile"``.
    """
    unknown = next((name for name in fields if name not in known), None)
    if unknown is not None:
        raise InputError(
            f"unknown field '{unknown}': {what} has only "
            + ", ".join(f"'{name}'" for name in known),
            loc=(*loc, unknown),
            type="extra_forbidden",
        )


def parse_findings_at(raw: Any, loc: Loc) -> tuple:
    """Parse a profile's findings list, locating errors under ``loc``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(
            f"'findings' must be a list of finding objects, got {_kind(raw)}",
            loc=(*loc, "findings"),
            type="invalid_type",
        )
    try:
        return tuple(parse_findings(raw))
    except ClassifierError as exc:
        raise from_domain_error(exc, loc) from None


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
    return array.astype(np.float32)


# ----------------------------------------------------------------- helpers


class _NonFinite:
    """A ``NaN``/``Infinity`` literal met by the lenient fallback parser."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # NaN and Infinity literals are not JSON, but some clients write them.
        # Re-read leniently (only on this error path) so that the answer can
        # name the field holding them instead of a byte offset.
        if b"NaN" in body or b"Infinity" in body or "infinity" in exc.msg:
            try:
                return json.loads(body, parse_constant=_NonFinite)
            except (ValueError, RecursionError):
                pass
        raise InputError(
            _utf8_problem(body) or malformed_json_msg(exc.msg, exc.lineno, exc.colno),
            loc=(),
            type="json_invalid",
            status_code=400,
        ) from None


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
            )
            for i, (raw, split) in enumerate(zip(outer, splits, strict=True))
        ]
    except InputError:
        return None


def _json_profile(i: int, raw: Any) -> ProfileInput:
    if not isinstance(raw, dict):
        raise InputError(
            f"each profile must be an object, got {_kind(raw)}",
            loc=("profiles", i),
            type="invalid_type",
        )
    refuse_unknown_fields(raw, PROFILE_FIELDS, ("profiles", i), "a profile")
    sample_id, diagnosis, findings = _profile_fields(i, raw)
    values, where = _json_values(raw, ("profiles", i))
    return ProfileInput(
        i, sample_id, diagnosis, findings, values, n_rejected=_n_nan(values), **where
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
                f"'betas' must be an object of probe id -> beta value, got {_kind(betas)}",
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
        what = "missing" if values_raw is None else _kind(values_raw)
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
        what = "missing" if ids is None else _kind(ids)
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
            f"unknown array {raw!r}; expected one of {[a.value for a in ArrayType]}",
            loc=loc,
            type="invalid_array",
        ) from None


def text_field(raw: Any, loc: Loc, *, required: bool, single_line: bool = False) -> str | None:
    """A profile's text field, stripped; ``None`` when absent or blank (and not required).

    Parameters
    ----------
    raw : any
        The value as sent.
    loc : tuple
        Where it is, for the error.
    required : bool
        Refuse an absent or blank value.
    single_line : bool, default=False
        Refuse tabs and line breaks too (an accession is one line). Other
        control characters are always refused: a NUL cannot be stored in
        PostgreSQL, and none belongs in an accession or a diagnosis.

    Raises
    ------
    InputError
        422 ``missing``, ``invalid_type``, ``too_long`` or ``invalid_character``.
    """
    if raw is None:
        if required:
            raise InputError(f"'{loc[-1]}' is required", loc=loc, type="missing")
        return None
    if not isinstance(raw, str):
        raise InputError(
            f"'{loc[-1]}' must be a string, got {_kind(raw)}", loc=loc, type="invalid_type"
        )
    # Checked as sent, so that the position is the sender's and none is stripped unseen.
    bad = refused_character_at(raw, single_line=single_line)
    if bad is not None:
        raise InputError(
            f"'{loc[-1]}' contains the control character U+{ord(raw[bad]):04X} at "
            f"position {bad + 1}",
            loc=loc,
            type="invalid_character",
        )
    text = raw.strip()
    if required and not text:
        raise InputError(f"'{loc[-1]}' must not be empty", loc=loc, type="missing")
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(
            f"'{loc[-1]}' is longer than {MAX_TEXT_LENGTH} characters", loc=loc, type="too_long"
        )
    return text or None


def refused_character_at(text: str, *, single_line: bool) -> int | None:
    """Index of the first control character ``text`` may not hold, or ``None``.

    Control characters (C0, DEL, C1) are refused, except tab and line
    breaks in a text of several lines; in one line (``single_line``) those
    are refused too, with the Unicode line and paragraph separators. A NUL
    cannot be stored in PostgreSQL, and none of them belongs in clinical text.
    """
    # isprintable() (in C) is true of almost every text and of none with a refused character.
    if text.isprintable():
        return None
    return next((i for i, c in enumerate(text) if _refused(c, single_line)), None)


def _refused(char: str, single_line: bool) -> bool:
    # Control characters (C0, DEL, C1); in one line also tab, line and paragraph breaks.
    category = unicodedata.category(char)
    if single_line:
        return category in ("Cc", "Zl", "Zp")
    return category == "Cc" and char not in "\t\n\r"


def _bad_value(value: Any, loc: Loc) -> InputError:
    if isinstance(value, _NonFinite):
        return InputError(
            f"{value.literal} is not a beta value; send null for a probe that was not measured",
            loc=loc,
            type="value_not_finite",
        )
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
        f"expected a number in [0, 1] or null, got {_kind(value)}",
        loc=loc,
        type="value_not_numeric",
    )


def _kind(value: Any) -> str:
    """Name a JSON value's type without echoing the value."""
    if isinstance(value, _NonFinite):
        return value.literal
    return {
        bool: "a boolean",
        str: "a string",
        dict: "an object",
        list: "a list",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _n_nan(values: np.ndarray) -> int:
    return int(np.count_nonzero(np.isnan(values)))
