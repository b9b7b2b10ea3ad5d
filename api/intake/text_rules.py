"""The rule for text a client sends: which characters are refused, how long a field may be.

An accession, a diagnosis or a reviewer's comment is clinical text that is
stored, shown on pages and sent on in FHIR: control characters have no
place in it (a NUL cannot even be stored in PostgreSQL).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from api.frame.errors import InputError, Loc

__all__ = ["MAX_TEXT_LENGTH", "refused_character_at", "text_field", "value_kind"]

#: Longest text field of a profile (sample id, diagnosis), after stripping.
MAX_TEXT_LENGTH = 500


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
            f"'{loc[-1]}' must be a string, got {value_kind(raw)}", loc=loc, type="invalid_type"
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


def value_kind(value: Any) -> str:
    """Name a JSON value's type without echoing the value."""
    return {
        bool: "a boolean",
        str: "a string",
        dict: "an object",
        list: "a list",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
