"""The clinical specification (``spec/clinical_cases.csv``) run against the domain.

Each row is a case as a pathologist would meet it: the methylation call,
the submitted diagnosis (text and/or code), the findings, the profile's
quality, and the verdict, fusion status, weight of every finding and DSRCT
flag a soft-tissue pathologist expects, with the source that justifies
them. A new interpretation rule comes with its rows.
"""

from __future__ import annotations

from collections import Counter

import pytest

from classifier.diagnoses import DiagnosisCode
from classifier.findings import parse_findings
from classifier.fusion_consistency import assess_fusion_consistency
from classifier.knowledge import load_knowledge
from classifier.quality_gate import ProfileQuality
from classifier.reclassification import reclassify
from tests.classifier.spec_table import findings_from, read_table

CASES = read_table("clinical_cases.csv")


def _run(case: dict[str, str]):
    kb = load_knowledge()
    top, decision = case["top_class"], case["decision"]
    quality = ProfileQuality(
        out_of_distribution=case["out_of_distribution"] == "yes",
        cpg_coverage=float(case["coverage"]),
    )
    code = None
    if case["diagnosis_code"]:
        system, _, value = case["diagnosis_code"].partition(":")
        code = DiagnosisCode(system, value)
    family = case["family"] or kb.family_of(top)
    verdict = reclassify(
        case["diagnosis"] or None,
        diagnosis_code=code,
        top_class=top,
        decision=decision,
        family=family,
        family_score=float(case["family_score"]),
        score=float(case["score"]),
        quality=quality,
    )
    scores = {top: float(case["score"])}
    scores.setdefault("DSRCT", float(case["dsrct_score"]))
    fusion = assess_fusion_consistency(
        top_class=top,
        decision=verdict.decision,
        scores=scores,
        findings=parse_findings(findings_from(case["findings"])),
    )
    return verdict, fusion


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    verdict, fusion = _run(case)
    weights = "|".join(str(e.weight) for e in fusion.evidence)
    got = {
        "decision": verdict.decision,
        "verdict": str(verdict.verdict),
        "status": str(fusion.status),
        "weights": weights,
        "flag": "yes" if fusion.dsrct_check.flagged else "no",
    }
    expected = {
        "decision": case["expected_decision"],
        "verdict": case["expected_verdict"],
        "status": case["expected_status"],
        "weights": case["expected_weights"],
        "flag": case["expected_dsrct_flag"],
    }
    assert got == expected, (
        f"{case['id']} ({case['category']}): {fusion.summary} | {verdict.evidence}"
    )
    if case["expected_classes"]:
        named = next(e.classes for e in fusion.evidence if e.weight != "neutral")
        assert set(case["expected_classes"].split("|")) <= set(named)
    for e in fusion.evidence:
        assert e.reason, "every finding is listed with its reason"


def test_every_row_names_its_source():
    assert all(c["source"] for c in CASES)


def test_the_table_covers_every_class_and_every_category_several_times():
    assert {c["top_class"] for c in CASES} == set(load_knowledge().class_names)
    per_category = Counter(c["category"] for c in CASES)
    assert len(CASES) >= 250
    assert min(per_category.values()) >= 3, per_category


def test_every_weight_and_status_and_verdict_is_exercised():
    weights = {w for c in CASES for w in c["expected_weights"].split("|") if w}
    assert weights == {
        "specific_support",
        "compatible",
        "neutral",
        "weak_against",
        "strong_against",
    }
    assert {c["expected_status"] for c in CASES} == {
        "confirmed",
        "consistent",
        "discordant",
        "inconsistent",
        "not_assessed",
    }
    assert {c["expected_verdict"] for c in CASES} == {
        "confirmed",
        "family_concordant",
        "reclassified",
        "not_classifiable",
        "diagnosis_unrecognised",
    }
