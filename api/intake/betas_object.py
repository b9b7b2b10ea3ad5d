"""Splitting a JSON ``betas`` object into Arrow probe ids and beta values.

A whole EPIC profile sent as ``{"cg00000029": 0.12, ...}`` is 866,000 keys
and numbers. A general parser (orjson) builds a Python str and float for
each (~270 ms here) and frees them again (~15 ms), and the service then
walks them once more to check their types. This module reads the same text
with vectorised passes instead, given that it is valid JSON (msgspec checks
that while skipping over it, without building anything):

* without escapes, the quotes pair up: each pair delimits a key;
* the text between a key's closing quote and the next key's opening quote
  is ``:``, the value and ``,`` (with optional whitespace);
* the values are parsed by Arrow's string-to-double cast, correctly
  rounded, so that they are the doubles orjson returns (the tests compare
  them on edge cases and on 20,000 random numbers).

It answers only for the plain form: a flat object of unescaped keys whose
values are numbers in [0, 1] or null. For anything else (an escape, a
string, boolean or nested value, a number outside [0, 1], invalid UTF-8,
an empty object) it returns ``None``, and the caller reads
the body with the general parser, which also words the error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["SplitBetas", "split_betas_object"]

_QUOTE, _COLON, _OPEN, _CLOSE = b'"'[0], b":"[0], b"{"[0], b"}"[0]
_JSON_WHITESPACE_AND_SEPARATORS = " \t\n\r:,"
_NULL_TEXT = pa.scalar(None, pa.string())
# Arrow string offsets are int32.
_MAX_TEXT_BYTES = 2**31 - 1


@dataclass(frozen=True)
class SplitBetas:
    """The keys and values of one ``betas`` object, in their order.

    Attributes
    ----------
    ids : pyarrow.StringArray
        The keys, as sent.
    values : numpy.ndarray of float32
        The values, NaN for null.
    n_null : int
        Number of null values.
    colons : int
        Colons in the object's text (one per key plus any inside keys), for
        the repeated-key check of the whole body.
    """

    ids: pa.StringArray
    values: np.ndarray
    n_null: int
    colons: int


def split_betas_object(text: memoryview, *, may_have_escapes: bool = True) -> SplitBetas | None:
    """Split the text of a valid JSON object of probe id -> beta value.

    Parameters
    ----------
    text : memoryview
        The object's JSON text, from ``{`` to ``}``, already known to be valid
        JSON (e.g. a ``msgspec.Raw``).
    may_have_escapes : bool
        False when the enclosing body has no backslash at all, which spares
        searching ``text`` for one.

    Returns
    -------
    SplitBetas or None
        None when the object is not in the plain form this reader handles
        (see the module docstring); the general parser must then read it.
    """
    raw = np.frombuffer(text, dtype=np.uint8)
    if len(raw) < 2 or len(raw) > _MAX_TEXT_BYTES or raw[0] != _OPEN or raw[-1] != _CLOSE:
        return None
    if may_have_escapes and np.any(raw == b"\\"[0]):
        return None  # an escaped quote would break the pairing of quotes
    quotes = np.flatnonzero(raw == _QUOTE).astype(np.int32)
    n = len(quotes) // 2
    if n == 0 or len(quotes) % 2:
        return None
    opens, closes = quotes[0::2], quotes[1::2]
    # One Arrow string array over the text, four strings per key: the key,
    # its closing quote, the text up to the next key (": 0.12, "), that
    # key's opening quote. The last "between" ends before the closing brace.
    offsets = np.empty(4 * n, dtype=np.int32)
    offsets[0::4] = opens + 1
    offsets[1::4] = closes
    offsets[2::4] = closes + 1
    offsets[3::4][:-1] = opens[1:]
    offsets[-1] = len(raw) - 1
    pieces = pa.StringArray.from_buffers(4 * n - 1, pa.py_buffer(offsets), pa.py_buffer(text))
    ids = pieces.take(pa.array(np.arange(0, 4 * n, 4, dtype=np.int32)))
    between = pieces.take(pa.array(np.arange(2, 4 * n, 4, dtype=np.int32)))
    # Valid JSON leaves one token between two keys: the value. A string
    # value leaves nothing (its quotes were taken for a key), a nested one
    # a bracket; either way the cast below fails and the general parser
    # takes over.
    tokens = pc.ascii_trim(between, _JSON_WHITESPACE_AND_SEPARATORS)
    is_null = pc.equal(tokens, "null")
    try:
        ids.validate(full=True)  # UTF-8
        numbers = pc.cast(pc.if_else(is_null, _NULL_TEXT, tokens), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = numbers.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        in_range = (values >= 0.0) & (values <= 1.0)
    n_null = numbers.null_count
    if np.count_nonzero(in_range) != n - n_null:
        return None  # out of range or infinite: refused, with its key, by the general path
    # Outside strings this object has one colon per key (its values are all
    # numbers or null); the rest are inside keys.
    colons = int(np.count_nonzero(raw == _COLON))
    # -0.0 is 0.0 (IEEE: -0.0 + 0.0 = +0.0), as the general parser reads it.
    return SplitBetas(ids, (values + 0.0).astype(np.float32), n_null, colons)
