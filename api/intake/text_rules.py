"""The rule for text a client sends: which characters are refused, how long a field may be.

An accession, a diagnosis, a finding or a reviewer's comment is clinical
text that is stored, shown on pages and sent on in FHIR. One rule holds for
every such field, whatever form it came in (JSON, Arrow, the submit page,
the review form, the corrections API):

* control characters (Unicode category Cc: C0, DEL, C1) are refused, except
  tab and line breaks in a field of several lines: a NUL cannot even be
  stored in PostgreSQL, and FHIR forbids it;
* invisible format characters (Cf: right-to-left override, zero-width
  space, byte-order mark, ...) are refused: "S-2024-\\u202e7110" would show
  as S-2024-0117 on the worklist;
* lone surrogates (Cs) are refused: they are not text, and neither the
  database nor a JSON answer can hold them;
* the Unicode line and paragraph separators (Zl, Zp) are refused in one line.

The error names the field, the character (code point, kind and Unicode name)
and its position as sent.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from api.frame.errors import InputError, Loc

__all__ = [
    "MAX_FINDINGS",
    "MAX_FINDING_TEXT_LENGTH",
    "MAX_TEXT_LENGTH",
    "check_finding_texts",
    "describe_refused",
    "refused_character_at",
    "text_field",
    "value_kind",
]

#: Longest text field of a profile (sample id, diagnosis), after stripping.
MAX_TEXT_LENGTH = 500

#: Most findings one profile may carry (a panel's findings fit many times over).
MAX_FINDINGS = 100

#: Longest text in a finding (a gene, marker, pattern, fusion or variant name).
MAX_FINDING_TEXT_LENGTH = 200

#: Most items of a list inside a finding (``genes`` has two) and nesting depth.
_MAX_FINDING_LIST = 20
_MAX_FINDING_DEPTH = 4
#: Longest key of a finding object (the field names are short words).
_MAX_FINDING_KEY_LENGTH = 64

_KINDS = {
    "Cc": "control character",
    "Cf": "invisible format character",
    "Cs": "lone surrogate",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}
_LINE_BREAKS = "\t\n\r"


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
        Refuse tabs and line breaks too (an accession is one line).

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
    _check_characters(raw, loc, single_line=single_line)
    text = raw.strip()
    if required and not text:
        raise InputError(f"'{loc[-1]}' must not be empty", loc=loc, type="missing")
    if len(text) > MAX_TEXT_LENGTH:
        raise InputError(
            f"'{loc[-1]}' is longer than {MAX_TEXT_LENGTH} characters", loc=loc, type="too_long"
        )
    return text or None


def check_finding_texts(raw: list, loc: Loc) -> None:
    """Hold a profile's findings to the text rule before the domain reads them.

    Every string in a finding (its keys too) is one line of at most
    :data:`MAX_FINDING_TEXT_LENGTH` characters without a refused character;
    a profile has at most :data:`MAX_FINDINGS` findings, and a list inside a
    finding at most a few items. Whatever kinds of finding the domain knows,
    no text reaches it, the store or FHIR unchecked.

    Parameters
    ----------
    raw : list
        The ``findings`` list as sent.
    loc : tuple
        Location of the profile.

    Raises
    ------
    InputError
        422 ``too_many_findings`` (413 would suggest a smaller body),
        ``too_long``, ``invalid_character`` or ``invalid_type``, at the item.
    """
    where: Loc = (*loc, "findings")
    if len(raw) > MAX_FINDINGS:
        raise InputError(
            f"{len(raw):,} findings in one profile; at most {MAX_FINDINGS} are accepted",
            loc=where,
            type="too_many_findings",
        )
    stack: list[tuple[Loc, Any, int]] = [((*where, i), item, 0) for i, item in enumerate(raw)]
    stack.reverse()
    while stack:
        at, value, depth = stack.pop()
        if isinstance(value, str):
            _check_characters(value, at, single_line=True)
            if len(value) > MAX_FINDING_TEXT_LENGTH:
                raise InputError(
                    f"'{_name(at)}' is longer than {MAX_FINDING_TEXT_LENGTH} characters",
                    loc=at,
                    type="too_long",
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= _MAX_FINDING_DEPTH or (
            isinstance(value, list) and len(value) > _MAX_FINDING_LIST
        ):
            raise InputError(
                f"'{_name(at)}' is nested too deeply or lists too many items for a finding "
                f"(at most {_MAX_FINDING_LIST})",
                loc=at,
                type="invalid_type",
            )
        if isinstance(value, list):
            items = [((*at, i), v, depth + 1) for i, v in enumerate(value)]
        else:
            for key in value:
                # Keys are located at their object: the key itself is what is wrong.
                if len(key) > _MAX_FINDING_KEY_LENGTH:
                    raise InputError(
                        f"a key of '{_name(at)}' is longer than {_MAX_FINDING_KEY_LENGTH} "
                        "characters",
                        loc=at,
                        type="too_long",
                    )
                _check_characters(key, at, single_line=True, what="a key of")
            items = [((*at, k), v, depth + 1) for k, v in value.items()]
        stack.extend(reversed(items))


def refused_character_at(text: str, *, single_line: bool) -> int | None:
    """Index of the first character ``text`` may not hold, or ``None``.

    Parameters
    ----------
    text : str
    single_line : bool
        Refuse tab and line breaks too (allowed in a text of several lines).
    """
    # isprintable() (in C) is true of almost every text and of none with a refused
    # character (it is false for every Cc, Cf, Cs, Zl and Zp character, and some others).
    if text.isprintable():
        return None
    return next((i for i, c in enumerate(text) if _refused(c, single_line)), None)


def describe_refused(text: str, index: int) -> str:
    """The refused character at ``index`` in words: ``"the control character U+0000 at
    position 2"``, with the Unicode name of a character that has one."""
    char = text[index]
    kind = _KINDS.get(unicodedata.category(char), "character")
    name = unicodedata.name(char, "")
    named = f" ({name})" if name else ""
    return f"the {kind} U+{ord(char):04X} at position {index + 1}{named}"


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


def _check_characters(text: str, loc: Loc, *, single_line: bool, what: str = "") -> None:
    # Checked as sent, so that the position is the sender's and none is stripped unseen.
    bad = refused_character_at(text, single_line=single_line)
    if bad is not None:
        field = f"{what} '{_name(loc)}'" if what else f"'{_name(loc)}'"
        raise InputError(
            f"{field.strip()} contains {describe_refused(text, bad)}",
            loc=loc,
            type="invalid_character",
        )


def _refused(char: str, single_line: bool) -> bool:
    category = unicodedata.category(char)
    if category not in _KINDS:
        return False
    if single_line:
        return True
    return not (category == "Cc" and char in _LINE_BREAKS)


def _name(loc: Loc) -> str:
    # The field as its message names it: the last name in the path, with the indexes after it.
    for i in range(len(loc) - 1, -1, -1):
        if isinstance(loc[i], str):
            return f"{loc[i]}" + "".join(f"[{p}]" for p in loc[i + 1 :])
    return "value"
