"""Fusion consistency and reclassification through POST /v1/classify, on constructed cases."""

from __future__ import annotations

import math

import pytest

WT1_RNA = {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs", "result": "detected"}
WT1_RT_PCR_NAMED = {"kind": "fusion", "name": "EWSR1-WT1", "method": "rt_pcr",
                    "result": "detected"}  # fmt: skip
EWSR1_FISH = {"kind": "break_apart", "gene": "EWSR1", "method": "fish", "result": "rearranged"}
FLI1_RNA = {"kind": "fusion", "name": "EWSR1::FLI1", "method": "rna_ngs", "result": "detected"}
WT1_N_NEG = {"kind": "ihc", "marker": "WT1", "epitope": "N-terminal", "result": "negative"}
WT1_C_POS = {"kind": "ihc", "marker": "WT1", "epitope": "C-terminal", "result": "positive"}


@pytest.fixture
def classify_one(post_json, world):
    """Classify one profile and return its result."""

    def run(betas, findings=(), diagnosis=None) -> dict:
        profile = {"sample_id": "S1", "diagnosis": diagnosis, "findings": list(findings),
                   "betas": betas}  # fmt: skip
        response = post_json({"profiles": [profile]})
        assert response.status_code == 200, response.text
        return response.json()["results"][0]

    return run


def _mixture(world, a: str, b: str, weight: float = 0.5) -> dict:
    values = weight * world.values(a) + (1 - weight) * world.values(b)
    return dict(zip(world.cpgs, values.round(4).tolist(), strict=True))


# ------------------------------------------------------- fusion consistency


def test_dsrct_with_ewsr1_wt1_by_rna_ngs_is_confirmed(classify_one, world):
    result = classify_one(world.betas("DSRCT"), [WT1_RNA])
    assert result["classification"]["decision"] == "match"
    fusion = result["fusion_consistency"]
    assert fusion["status"] == "confirmed"
    assert fusion["expected_fusions"] == ["EWSR1::WT1"]
    assert len(fusion["supporting"]) == 1 and "findings[0]" in fusion["supporting"][0]
    assert fusion["contradicting"] == []
    assert fusion["recommended_test"] is None
    assert fusion["dsrct_check"]["status"] == "confirmed"
    assert fusion["dsrct_check"]["flagged"] is False


def test_fusion_written_with_a_hyphen_is_understood(classify_one, world):
    fusion = classify_one(world.betas("DSRCT"), [WT1_RT_PCR_NAMED])["fusion_consistency"]
    assert fusion["status"] == "confirmed"


def test_dsrct_with_ewsr1_fish_only_is_consistent(classify_one, world):
    fusion = classify_one(world.betas("DSRCT"), [EWSR1_FISH])["fusion_consistency"]
    assert fusion["status"] == "consistent"
    assert [e["weight"] for e in fusion["evidence"]] == ["compatible"]
    assert "EWSR1::WT1" in fusion["recommended_test"]


def test_dsrct_with_ewsr1_fli1_is_inconsistent(classify_one, world):
    fusion = classify_one(world.betas("DSRCT"), [FLI1_RNA])["fusion_consistency"]
    assert fusion["status"] == "inconsistent"
    assert len(fusion["contradicting"]) == 1
    assert fusion["dsrct_check"]["status"] == "inconsistent"


def test_confident_ewing_call_with_ewsr1_wt1_is_inconsistent_and_flagged(classify_one, world):
    result = classify_one(world.betas("EWS"), [WT1_RNA])
    assert result["classification"]["top_class"] == "EWS"
    assert result["classification"]["decision"] == "match"
    fusion = result["fusion_consistency"]
    assert fusion["status"] == "inconsistent"
    assert fusion["called_class"] == "EWS"
    assert "EWSR1::FLI1" in fusion["expected_fusions"]
    # The DSRCT check runs whatever the top class: this is what a reviewer must see.
    assert fusion["dsrct_check"]["status"] == "confirmed"
    assert fusion["dsrct_check"]["flagged"] is True
    assert fusion["dsrct_check"]["is_top_class"] is False


def test_no_findings_is_not_assessed(classify_one, world):
    fusion = classify_one(world.betas("DSRCT"))["fusion_consistency"]
    assert fusion["status"] == "not_assessed"
    assert fusion["dsrct_check"]["status"] == "not_assessed"
    assert fusion["dsrct_check"]["dsrct_score"] >= 0.9


def test_wt1_n_terminal_negative_does_not_contradict_dsrct(classify_one, world):
    fusion = classify_one(world.betas("DSRCT"), [WT1_N_NEG])["fusion_consistency"]
    assert fusion["status"] == "not_assessed"
    assert fusion["contradicting"] == [] and fusion["supporting"] == []
    assert "expected, not a contradiction" in fusion["notes"][0]


def test_wt1_c_terminal_positive_supports_dsrct(classify_one, world):
    fusion = classify_one(world.betas("DSRCT"), [WT1_C_POS])["fusion_consistency"]
    assert fusion["status"] == "consistent"
    assert len(fusion["supporting"]) == 1


# ---------------------------------------------------------- reclassification


@pytest.mark.parametrize(
    ("diagnosis", "verdict"),
    [
        ("desmoplastic small round cell tumour", "confirmed"),
        ("DSRCT", "confirmed"),
        ("consistent with DSRCT", "confirmed"),
        ("round cell sarcoma", "family_concordant"),
    ],
)
def test_matching_diagnosis_is_confirmed_or_family_concordant(
    classify_one, world, diagnosis, verdict
):
    reclass = classify_one(world.betas("DSRCT"), diagnosis=diagnosis)["reclassification"]
    assert reclass["verdict"] == verdict
    assert reclass["submitted_diagnosis"] == diagnosis
    assert reclass["called_class"] == "DSRCT"


def test_confident_call_of_another_class_is_reclassified(classify_one, world):
    verdict = classify_one(world.betas("DSRCT"), diagnosis="Ewing sarcoma")["reclassification"]
    assert verdict["verdict"] == "reclassified"
    assert verdict["submitted_class"] == "EWS"
    assert verdict["threshold"] == 0.9
    assert "diagnostician decides" in verdict["evidence"]


def test_unconfident_call_is_not_classifiable(classify_one, world):
    result = classify_one(_mixture(world, "DSRCT", "SS"), diagnosis="DSRCT")
    assert result["classification"]["decision"] == "no_match"
    assert result["reclassification"]["verdict"] == "not_classifiable"


def test_an_out_of_distribution_family_call_is_withheld_by_the_quality_gate(classify_one, world):
    # A 50/50 mixture of two classes reaches the round cell family, but it is unlike
    # the reference cohort: the call is not used (decision no_match, not_classifiable).
    result = classify_one(_mixture(world, "DSRCT", "EWS"), diagnosis="DSRCT")
    call = result["classification"]
    assert (call["model_decision"], call["decision"]) == ("family_match", "no_match")
    assert call["family"] == "ROUND_CELL" and call["out_of_distribution"] is True
    reclass = result["reclassification"]
    assert (reclass["verdict"], reclass["decision"]) == ("not_classifiable", "no_match")
    assert reclass["quality_reasons"][0].startswith("the profile is out of distribution")
    assert result["fusion_consistency"]["decision"] == "no_match"


@pytest.mark.parametrize("diagnosis", ["banana tumour", None])
def test_unknown_or_missing_diagnosis_is_unrecognised(classify_one, world, diagnosis):
    verdict = classify_one(world.betas("DSRCT"), diagnosis=diagnosis)["reclassification"]
    assert verdict["verdict"] == "diagnosis_unrecognised"
    assert verdict["called_class"] == "DSRCT"


@pytest.mark.parametrize(
    ("findings", "status"),
    [
        # A negative RNA test for the defining fusion: weak evidence against, not proof.
        ([WT1_RNA | {"result": "not_detected"}], "discordant"),
        # Two tests that disagree: the positive one confirms, the other is still shown.
        ([WT1_RNA, WT1_RNA | {"method": "rt_pcr", "result": "not_detected"}], "confirmed"),
    ],
)
def test_a_finding_against_the_call_puts_it_on_the_worklist(
    classify_one, client, world, findings, status
):
    result = classify_one(world.betas("DSRCT"), findings)
    fusion = result["fusion_consistency"]
    assert fusion["status"] == status
    assert len(fusion["contradicting"]) == 1 and "not detected" in fusion["contradicting"][0]
    stored = client.get(f"/v1/results/{result['result_id']}").json()
    # a DSRCT call meeting evidence against it also flags the DSRCT check
    assert stored["needs_attention"] == ["findings against the call", "DSRCT check flagged"]


# ------------------------------------------------------- knowledge 2.0.0 through the API


def test_every_finding_is_listed_with_its_weight_and_reason(classify_one, world):
    findings = [
        EWSR1_FISH,
        WT1_C_POS,
        {"kind": "mutation", "gene": "H3F3A", "variant": "p.G34W", "method": "dna_ngs",
         "result": "detected"},
        {"kind": "copy_number", "gene": "MDM2", "change": "amplification", "method": "fish",
         "result": "not_detected"},
    ]  # fmt: skip
    fusion = classify_one(world.betas("DSRCT"), findings)["fusion_consistency"]
    assert [e["weight"] for e in fusion["evidence"]] == [
        "compatible",
        "compatible",
        "strong_against",
        "neutral",
    ]
    assert fusion["status"] == "inconsistent"
    assert fusion["evidence"][2]["classes"] == ["GCTB"]
    assert "[H3F3A is now H3-3A]" in fusion["evidence"][2]["described"]
    assert all(e["reason"] for e in fusion["evidence"])


def test_a_coded_diagnosis_is_compared(classify_one, post_json, world):
    profile = {"sample_id": "S-code", "diagnosis_code": {"system": "icdo3", "code": "8806/3"},
               "betas": world.betas("DSRCT")}  # fmt: skip
    response = post_json({"profiles": [profile]})
    assert response.status_code == 200, response.text
    reclass = response.json()["results"][0]["reclassification"]
    assert (reclass["verdict"], reclass["submitted_code"], reclass["matched_by"]) == (
        "confirmed",
        "ICD-O-3 8806/3",
        "ICD-O-3",
    )


@pytest.mark.parametrize(
    ("field", "value", "loc", "type_"),
    [
        ("diagnosis_code", {"system": "SNOMED", "code": "1"}, ["diagnosis_code", "system"],
         "invalid_input"),
        ("diagnosis_code", {"system": "ICD-O-3", "code": "88063"}, ["diagnosis_code", "code"],
         "invalid_input"),
        ("findings", [{"kind": "mutation", "gene": "NOTAGENE1", "method": "dna_ngs",
                       "result": "detected"}], ["findings", 0, "gene"], "unknown_gene"),
    ],
)  # fmt: skip
def test_a_bad_code_or_gene_is_a_422_naming_the_field(post_json, world, field, value, loc, type_):
    profile = {"sample_id": "S-bad", field: value, "betas": world.betas("DSRCT")}
    response = post_json({"profiles": [profile]})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["type"] == type_
    assert detail["loc"][-len(loc) :] == loc


def test_too_few_cpgs_withhold_the_call_with_the_reason(classify_one, world):
    betas = world.betas("DSRCT")
    kept = dict(list(betas.items())[: int(len(betas) * 0.8)])  # 80% < the 90% default
    result = classify_one(kept, [WT1_RNA], diagnosis="DSRCT")
    call, reclass = result["classification"], result["reclassification"]
    assert (call["model_decision"], call["decision"]) == ("match", "no_match")
    assert reclass["verdict"] == "not_classifiable"
    qc = result["qc"]
    share = math.floor(qc["model_cpgs_present"] / qc["model_cpgs"] * 1000) / 10
    assert share < 90
    # (the filled-in medians also make this profile unlike the reference cohort)
    assert (
        f"only {share:.1f}% of the model's CpGs were measured; a verdict needs 90.0%"
        in (reclass["quality_reasons"])
    )
    # the findings are still judged against the (withheld) top class
    assert result["fusion_consistency"]["status"] == "confirmed"
