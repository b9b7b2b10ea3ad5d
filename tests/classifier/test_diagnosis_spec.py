"""Diagnoses as pathologists write them (``spec/diagnosis_strings.csv``), read as the table says.

Spellings, British and American forms, possessives, abbreviations,
qualifiers that change the entity, hedges ("favour", "consistent with"),
negations and alternatives ("not", "vs", "or"), ICD-O-3 and OncoTree
codes, and texts that must stay unrecognised.
"""

from __future__ import annotations

from collections import Counter

import pytest

from classifier.diagnoses import DiagnosisCode
from classifier.knowledge import load_knowledge
from tests.classifier.spec_table import read_table

ROWS = read_table("diagnosis_strings.csv")


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_diagnosis_is_read_as_specified(row):
    kb = load_knowledge()
    if row["system"] == "text":
        match = kb.resolve_diagnosis(row["input"])
        why = kb.why_unresolved(row["input"])
    else:
        code = DiagnosisCode(row["system"], row["input"])
        match = kb.resolve_diagnosis_code(code)
        why = kb.diagnoses.why_code_unresolved(code)
    if row["expected_level"] == "none":
        assert match is None, f"{row['input']!r} must stay unrecognised, read as {match}"
        assert why  # the reason is stated
        return
    assert match is not None, f"{row['input']!r} not read: {why}"
    assert (match.level, match.code) == (row["expected_level"], row["expected_target"])
    assert (match.hedge or "") == row["expected_hedge"]


def test_the_table_is_large_and_mixed():
    levels = Counter(r["expected_level"] for r in ROWS)
    assert len(ROWS) >= 250
    assert levels["none"] >= 50 and levels["family"] >= 20
    assert {r["system"] for r in ROWS} == {"text", "ICD-O-3", "OncoTree"}
    assert all(r["source"] for r in ROWS)
