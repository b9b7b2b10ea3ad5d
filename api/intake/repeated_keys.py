"""Refusing a JSON body that repeats a key in an object (e.g. a probe id in ``betas``).

orjson, like most parsers, keeps the last of repeated keys, so that
``{"cg00000029": 0.1, "cg00000029": 0.9}`` would be classified with one of
the two values and no word said. Outside strings, every ``:`` of a JSON
text ends exactly one key; so when the body's colons are all accounted for
by the parsed keys and the colons inside the parsed strings, no key was
dropped. Counting costs ~4 ms on a whole EPIC object body (17 MB, 866,000
keys; orjson takes ~330 ms to parse it). Only when the counts differ, or
an escaped colon (``\\u003a``, a colon with no ``:`` byte) could hide a
dropped key, is the body re-read exactly with the stdlib parser (~1 s) to
find the repeated key.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from api.frame.errors import InputError, Loc

__all__ = ["no_key_dropped", "refuse_repeated_keys"]

# Fields holding one value per probe: too many strings to count colons in.
_BULK_FIELDS = frozenset({"betas", "probe_ids", "values"})


def refuse_repeated_keys(body: bytes, doc: Any) -> None:
    """Refuse ``body`` if an object in it repeats a key.

    Parameters
    ----------
    body : bytes
        The JSON text.
    doc : object
        ``body`` as parsed (by orjson, which kept the last of repeated keys).

    Raises
    ------
    InputError
        422 ``duplicate_probe_id`` at ``profiles[i].betas.<probe id>`` for a
        probe id given twice in ``betas``; 422 ``duplicate_key`` at the key
        for any other object.
    """
    if no_key_dropped(body, doc):
        return
    loc = _first_repeated_key(body)
    if loc is None:
        return
    if len(loc) == 4 and loc[0] == "profiles" and loc[2] == "betas":
        raise InputError(
            "probe id given more than once in 'betas'; send each probe once "
            "(EPICv2 replicates carry distinct suffixes and are averaged)",
            loc=loc,
            type="duplicate_probe_id",
        )
    raise InputError(
        "key given more than once in one object; send each key once",
        loc=loc,
        type="duplicate_key",
    )


def no_key_dropped(body: bytes, doc: Any, bulk_colons: int = 0) -> bool:
    """Whether the colon count proves that parsing ``body`` into ``doc`` dropped no key.

    Parameters
    ----------
    body : bytes
        The JSON text.
    doc : object
        ``body`` as parsed, its per-probe objects replaced by empty ones
        when their colons are given as ``bulk_colons``.
    bulk_colons : int
        Colons in the text of the per-probe objects read separately
        (:class:`api.intake.betas_object.SplitBetas`).

    Returns
    -------
    bool
        False when a key may have been dropped (or an escaped colon keeps the
        count from proving it): only the exact check can then tell.
    """
    if b"\\" in body and b"\\u003" in body:
        return False
    colons = int(np.count_nonzero(np.frombuffer(body, dtype=np.uint8) == b":"[0]))
    return colons == _keys_and_colons(doc) + bulk_colons


def _keys_and_colons(doc: Any) -> int:
    """Keys of all objects in ``doc`` plus the colons inside its strings.

    The strings of the per-probe fields are not read (866,000 of them would
    cost more than the check). A colon left uncounted only sends the body to
    the exact check; it never hides a repeated key.
    """
    total = 0
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            total += node.count(":")
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            total += len(node)
            for key, value in node.items():
                total += key.count(":")
                if key not in _BULK_FIELDS:
                    stack.append(value)
                elif isinstance(value, dict):
                    total += len(value)
    return total


class _CheckedObject(dict[str, Any]):
    """A JSON object read by the exact check, with its first repeated key."""

    repeated: str | None = None


def _checked_object(pairs: list[tuple[str, Any]]) -> _CheckedObject:
    obj = _CheckedObject(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                obj.repeated = key
                break
            seen.add(key)
    return obj


def _first_repeated_key(body: bytes) -> Loc | None:
    """Location of the first repeated key (outer objects first, then in order), or None."""
    try:
        # NaN and Infinity literals are refused later, at their field.
        doc = json.loads(body, parse_constant=lambda _: None, object_pairs_hook=_checked_object)
    except (ValueError, RecursionError):
        # orjson read it but the stdlib cannot (e.g. nested deeper): no verdict.
        return None
    stack: list[tuple[Loc, Any]] = [((), doc)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, _CheckedObject):
            if node.repeated is not None:
                return (*loc, node.repeated)
            children: Any = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        nested = [((*loc, k), v) for k, v in children if isinstance(v, dict | list)]
        stack.extend(reversed(nested))
    return None
