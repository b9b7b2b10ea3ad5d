"""The one text rule: which characters each field refuses, and the bounds of findings."""

from __future__ import annotations

import pytest

from api.frame.errors import InputError
from api.intake.text_rules import (
    MAX_FINDINGS,
    check_finding_texts,
    describe_refused,
    refused_character_at,
    text_field,
)

LOC = ("profiles", 0, "sample_id")


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("S-2024-\u202e7110", 7),  # right-to-left override: shows as S-2024-0117
        ("S-2024\u200b-0117", 6),  # zero-width space
        ("\ufeffS-2024-0117", 0),  # byte-order mark
        ("S-\u2066x\u2069", 2),  # isolates
        ("S-\ud800", 2),  # a lone surrogate
        ("S\x00", 1),
        ("S\x7f", 1),
        ("S\x85", 1),
        ("S\u2029", 1),
    ],
)
def test_control_format_and_surrogate_characters_are_refused_everywhere(text, index):
    assert refused_character_at(text, single_line=True) == index
    assert refused_character_at(text, single_line=False) == index


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\r\nb"])
def test_tab_and_line_breaks_only_where_a_field_has_several_lines(text):
    assert refused_character_at(text, single_line=False) is None
    assert refused_character_at(text, single_line=True) == 1


@pytest.mark.parametrize(
    "text", ["S-2024-0117", "Müller-Ewing", "肉腫", "desmin, dot\u2011like", "a\u00a0b", "ß"]
)
def test_ordinary_text_passes(text):
    assert refused_character_at(text, single_line=True) is None


def test_the_message_names_field_character_kind_and_position():
    with pytest.raises(InputError) as got:
        text_field("S-2024-\u202e7110", LOC, required=True, single_line=True)
    assert got.value.type == "invalid_character" and got.value.loc == LOC
    assert str(got.value) == (
        "'sample_id' contains the invisible format character U+202E at position 8 "
        "(RIGHT-TO-LEFT OVERRIDE)"
    )
    assert describe_refused("a\ud800", 1) == "the lone surrogate U+D800 at position 2"
    assert describe_refused("\x00", 0) == "the control character U+0000 at position 1"


def _refusal(findings) -> InputError:
    with pytest.raises(InputError) as got:
        check_finding_texts(findings, ("profiles", 3))
    return got.value


def test_findings_are_bounded_in_number():
    check_finding_texts([{"kind": "ihc"}] * MAX_FINDINGS, ("profiles", 3))
    error = _refusal([{"kind": "ihc"}] * (MAX_FINDINGS + 1))
    assert (error.loc, error.type) == (("profiles", 3, "findings"), "too_many_findings")


@pytest.mark.parametrize(
    ("finding", "loc", "type_"),
    [
        ({"marker": "W" * 201}, (0, "marker"), "too_long"),
        ({"genes": ["EWSR1", "WT1\t"]}, (0, "genes", 1), "invalid_character"),
        ({"genes": ["X"] * 21}, (0, "genes"), "invalid_type"),
        ({"a": {"b": {"c": {"d": ["e"]}}}}, (0, "a", "b", "c", "d"), "invalid_type"),
        ({"k" * 65: "x"}, (0,), "too_long"),
        ({"ke\u200by": "x"}, (0,), "invalid_character"),
    ],
)
def test_every_string_of_a_finding_is_held_to_the_rule(finding, loc, type_):
    error = _refusal([finding])
    assert (error.loc, error.type) == (("profiles", 3, "findings", *loc), type_)


def test_numbers_booleans_and_short_clean_strings_pass():
    check_finding_texts(
        [{"kind": "copy_number", "gene": "MDM2", "copies": 12, "amplified": True, "x": None}],
        ("profiles", 0),
    )
