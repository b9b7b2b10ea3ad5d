import json

import pytest

from classifier.findings import parse_findings
from classifier.fusion_consistency import ConsistencyStatus as S
from classifier.fusion_consistency import assess_fusion_consistency
from classifier.knowledge import knowledge_version


def fusion(name, result="detected", method="rna_ngs"):
    return {"kind": "fusion", "name": name, "method": method, "result": result}


def break_apart(gene, result="rearranged"):
    return {"kind": "break_apart", "gene": gene, "method": "fish", "result": result}


def weights(r):
    return [str(e.weight) for e in r.evidence]


def ihc(marker, result, epitope=None, pattern=None):
    obj = {"kind": "ihc", "marker": marker, "result": result}
    if epitope:
        obj["epitope"] = epitope
    if pattern:
        obj["pattern"] = pattern
    return obj


def assess(top_class, findings, decision="match", scores=None, **kw):
    if scores is None:
        scores = {"DSRCT": 0.03, "EWS": 0.01, "LMS": 0.01, top_class: 0.95}
    return assess_fusion_consistency(
        top_class=top_class,
        decision=decision,
        scores=scores,
        findings=parse_findings(findings),
        **kw,
    )


# -- the DSRCT rules ---------------------------------------------------------------


def test_dsrct_with_ewsr1_wt1_by_rna_ngs_is_confirmed():
    r = assess("DSRCT", [fusion("EWSR1::WT1")])
    assert r.status is S.CONFIRMED
    assert r.expected_fusions == ("EWSR1::WT1",)
    assert r.supporting == (
        "EWSR1::WT1 detected by RNA-based NGS (findings[0]): a defining fusion of desmoplastic "
        "small round cell tumour.",
    )
    assert r.contradicting == ()
    assert r.recommended_test is None
    assert r.dsrct_check.status is S.CONFIRMED
    assert not r.dsrct_check.flagged


def test_reverse_orientation_and_rt_pcr_confirm_too():
    assert assess("DSRCT", [fusion("WT1-EWSR1", method="rt_pcr")]).status is S.CONFIRMED


def test_dsrct_with_only_ewsr1_break_apart_is_consistent():
    r = assess("DSRCT", [break_apart("EWSR1")])
    assert r.status is S.CONSISTENT
    assert weights(r) == ["compatible"]
    assert r.evidence[0].classes == ("DSRCT", "EWS", "MLPS", "CCS", "AFH", "EMC", "SEF")
    assert len(r.supporting) == 1
    said = r.supporting[0]
    assert "EWSR1 rearranges in desmoplastic small round cell tumour (EWSR1::WT1)" in said
    assert "also in Ewing sarcoma" in said
    assert "does not name the partner" in said
    assert r.recommended_test == "RNA-based NGS or RT-PCR for EWSR1::WT1"


def test_dsrct_with_another_class_fusion_is_inconsistent():
    r = assess("DSRCT", [fusion("EWSR1::FLI1")])
    assert r.status is S.INCONSISTENT
    assert r.contradicting == (
        "EWSR1::FLI1 detected by RNA-based NGS (findings[0]): this fusion defines Ewing "
        "sarcoma, not desmoplastic small round cell tumour (expected: EWSR1::WT1); both "
        "partners are proven.",
    )
    assert weights(r) == ["strong_against"]
    assert r.summary.startswith("The findings contradict desmoplastic small round cell tumour")
    assert r.dsrct_check.status is S.INCONSISTENT
    assert r.dsrct_check.flagged  # DSRCT on top, with evidence against it (issue 17)


def test_confident_ewing_call_with_ewsr1_wt1_is_inconsistent_and_flagged():
    r = assess("EWS", [fusion("EWSR1::WT1")])
    assert r.status is S.INCONSISTENT
    assert r.call_confident
    assert "defines desmoplastic small round cell tumour, not Ewing sarcoma" in r.contradicting[0]
    check = r.dsrct_check
    assert check.flagged
    assert check.status is S.CONFIRMED
    assert not check.is_top_class
    assert (check.dsrct_score, check.dsrct_rank) == (0.03, 2)
    assert check.explanation == (
        "DSRCT score 0.03 (rank 2). EWSR1::WT1 detected by RNA-based NGS (findings[0]) defines "
        "DSRCT and is very rare outside it, yet the top class is Ewing sarcoma. Review the "
        "case: DSRCT must be considered."
    )


def test_no_findings_is_not_assessed():
    r = assess("DSRCT", [])
    assert r.status is S.NOT_ASSESSED
    assert r.supporting == r.contradicting == r.notes == ()
    assert r.summary.startswith("No findings were submitted")
    assert r.recommended_test == "RNA-based NGS or RT-PCR for EWSR1::WT1"
    assert r.dsrct_check.status is S.NOT_ASSESSED
    assert r.dsrct_check.explanation == "DSRCT score 0.95 (rank 1). No finding bears on EWSR1::WT1."


# -- immunohistochemistry ----------------------------------------------------------


def test_n_terminal_wt1_negative_does_not_contradict_dsrct():
    # Expected in DSRCT, but most tumours are N-terminal negative: no evidence for it either.
    r = assess("DSRCT", [ihc("WT1", "negative", epitope="N-terminal")])
    assert r.status is S.NOT_ASSESSED
    assert r.contradicting == () and r.supporting == ()
    assert "expected, not a contradiction" in r.notes[0]


def test_n_terminal_wt1_negative_beside_an_ewsr1_break_apart_stays_consistent():
    findings = [ihc("WT1", "negative", epitope="N-terminal"), break_apart("EWSR1")]
    r = assess("DSRCT", findings)
    assert r.status is S.CONSISTENT
    assert r.contradicting == ()
    assert weights(r) == ["neutral", "compatible"]


def test_c_terminal_wt1_positive_supports_dsrct():
    r = assess("DSRCT", [ihc("WT1", "positive", epitope="C-terminal")])
    assert r.status is S.CONSISTENT
    assert "C-terminal antibodies stain its nuclei" in r.supporting[0]


def test_c_terminal_wt1_negative_argues_against_but_stains_are_supportive_only():
    r = assess("DSRCT", [ihc("WT1", "negative", epitope="c_terminal")])
    assert r.status is S.DISCORDANT
    assert weights(r) == ["weak_against"]
    assert "Immunohistochemistry is supportive only" in r.contradicting[0]
    assert r.summary.startswith("The findings argue against")
    assert r.dsrct_check.flagged  # a DSRCT call meeting evidence against it


def test_wt1_without_epitope_is_uninformative():
    r = assess("DSRCT", [ihc("WT1", "negative")])
    assert r.status is S.NOT_ASSESSED
    assert "Report the epitope" in r.notes[0]


def test_dot_like_desmin_supports_dsrct_and_an_unknown_stain_is_noted():
    r = assess("DSRCT", [ihc("desmin", "positive", pattern="dot-like"), ihc("CD45", "negative")])
    assert "Paranuclear dot-like desmin" in r.supporting[0]
    assert "no expectation for this stain" in r.notes[0]


# -- shared fusions, FET genes -----------------------------------------------------


@pytest.mark.parametrize(("top", "other"), [("CCS", "AFH"), ("AFH", "CCS")])
def test_fusion_shared_by_two_classes_confirms_neither(top, other):
    r = assess(top, [fusion("EWSR1::ATF1")])
    assert r.status is S.CONSISTENT
    assert weights(r) == ["compatible"]
    assert r.evidence[0].classes == (top, other)
    assert "so it does not tell them apart" in r.supporting[0]


def test_negative_ewsr1_fish_does_not_rule_out_a_fus_ewing_sarcoma():
    r = assess("EWS", [break_apart("EWSR1", "not_rearranged")])
    assert r.status is S.DISCORDANT
    text = r.contradicting[0]
    assert "does not rule out Ewing sarcoma" in text
    assert "FUS::ERG and FUS::FEV do not involve EWSR1" in text


def test_negative_ewsr1_fish_argues_against_dsrct_without_excluding_it():
    r = assess("DSRCT", [break_apart("EWSR1", "not_rearranged")])
    assert r.status is S.DISCORDANT
    said = r.contradicting[0]
    assert "every defining fusion of desmoplastic small round cell tumour involves EWSR1" in said


def test_break_apart_of_an_unrelated_gene_is_weak_evidence_against():
    # FISH never names the partner and has false positives: it cannot refute a call.
    r = assess("DSRCT", [break_apart("FOXO1")])
    assert r.status is S.DISCORDANT
    assert weights(r) == ["weak_against"]
    assert "a FOXO1 rearrangement is not expected" in r.contradicting[0]
    assert "alveolar" in r.contradicting[0]


def test_negative_break_apart_of_an_unrelated_gene_has_no_bearing():
    r = assess("DSRCT", [break_apart("SS18", "not_rearranged")])
    assert r.status is S.NOT_ASSESSED
    assert "no bearing" in r.notes[0]


# -- negative fusion tests ----------------------------------------------------------


def test_expected_fusion_not_detected_is_listed_against_but_not_inconsistent():
    r = assess("DSRCT", [fusion("EWSR1::WT1", result="not_detected")])
    assert r.status is S.DISCORDANT
    assert "limited sensitivity" in r.contradicting[0]
    # another method can catch what the negative one missed
    assert r.recommended_test == "RT-PCR, DNA-based NGS or FISH with fusion probes for EWSR1::WT1"


def test_ewing_fusion_not_detected_leaves_the_others():
    r = assess("EWS", [fusion("EWSR1::FLI1", result="not_detected", method="rt_pcr")])
    assert "nor does it exclude EWSR1::ERG, EWSR1::ETV1" in r.contradicting[0]


def test_other_class_fusion_not_detected_has_no_bearing():
    r = assess("DSRCT", [fusion("SS18::SSX1", result="not_detected")])
    assert r.status is S.NOT_ASSESSED
    assert r.notes == (
        "SS18::SSX1 not detected by RNA-based NGS (findings[0]): not a defining fusion of "
        "desmoplastic small round cell tumour; no bearing.",
    )


def test_both_fusions_detected_is_inconsistent():
    r = assess("DSRCT", [fusion("EWSR1::WT1"), fusion("EWSR1::FLI1")])
    assert r.status is S.INCONSISTENT
    assert len(r.supporting) == len(r.contradicting) == 1


def test_an_other_partner_of_the_class_gene_is_weak_evidence_against():
    # EWSR1::PATZ1 defines no class here; EWSR1 with another partner than WT1 is not DSRCT.
    r = assess("DSRCT", [fusion("EWSR1::PATZ1")])
    assert r.status is S.DISCORDANT
    assert "this EWSR1 fusion defines no class in the knowledge base" in r.contradicting[0]


def test_a_fusion_defining_no_class_has_no_bearing():
    r = assess("DSRCT", [fusion("TP53::NTRK1", method="dna_ngs")])
    assert r.status is S.NOT_ASSESSED
    assert weights(r) == ["neutral"]


def test_not_tested_is_noted():
    r = assess("DSRCT", [{"kind": "fusion", "name": "EWSR1::WT1", "result": "not_tested"}])
    assert r.status is S.NOT_ASSESSED
    assert r.notes == ("EWSR1::WT1 not tested (findings[0]): no evidence either way.",)


# -- classes without a defining fusion ----------------------------------------------


def test_class_without_defining_fusion_and_no_contradiction_is_not_assessed():
    r = assess("LMS", [fusion("SS18::SSX1", result="not_detected")])
    assert r.status is S.NOT_ASSESSED
    assert r.expected_fusions == ()
    assert r.summary == (
        "leiomyosarcoma has no defining alteration in the knowledge base, so the findings can "
        "only contradict it; none does."
    )
    assert r.recommended_test is None


def test_class_without_defining_fusion_is_contradicted_by_another_class_fusion():
    assert assess("LMS", [fusion("EWSR1::FLI1")]).status is S.INCONSISTENT
    assert assess("LMS", [break_apart("EWSR1")]).status is S.DISCORDANT


def test_unknown_fusion_cannot_be_judged_for_a_class_without_fusion():
    r = assess("LMS", [fusion("TP53::FOXK2")])
    assert r.status is S.NOT_ASSESSED
    assert "defines no class in the knowledge base" in r.notes[0]


def test_non_fusion_alterations_give_the_recommended_test():
    r = assess("WDLPS", [])
    assert r.defining_alterations == ("MDM2 amplification",)
    assert r.recommended_test == "FISH or copy-number analysis for MDM2 amplification"
    bcor = assess("BCOR", [break_apart("BCOR")])
    assert bcor.recommended_test == (
        "RNA-based NGS or RT-PCR for BCOR::CCNB3, BCOR::MAML3 or ZC3H7B::BCOR; or RNA- or "
        "DNA-based NGS for BCOR internal tandem duplication"
    )


def test_wildcard_partner_is_compatible_but_does_not_confirm_imt():
    r = assess("IMT", [fusion("EML4::ALK")])
    assert r.status is S.CONSISTENT
    assert "ALK is the obligate gene of inflammatory myofibroblastic tumour" in r.supporting[0]


# -- confidence of the call ------------------------------------------------------------


def test_non_confident_call_is_judged_against_the_top_class_and_says_so():
    scores = {"DSRCT": 0.62, "EWS": 0.3, "CIC": 0.08}
    r = assess("DSRCT", [fusion("EWSR1::WT1")], decision="no_match", scores=scores)
    assert r.status is S.CONFIRMED
    assert not r.call_confident
    assert r.summary.startswith(
        "The methylation call is not confident (0.62 < 0.90); the findings are judged against "
        "the top class, desmoplastic small round cell tumour, only."
    )


@pytest.mark.parametrize(
    ("score", "withheld"),
    [(0.95, True), (0.90, True), (0.8999, False)],  # the threshold 0.90 is a match's edge
)
def test_a_call_withheld_by_the_quality_check_is_not_called_unconfident(score, withheld):
    # A confident score with decision no_match: the quality gate (out of distribution, too
    # few CpGs) withheld it. "Not confident (1.00 < 0.90)" would be false.
    scores = {"DSRCT": score, "EWS": 1.0 - score}
    r = assess("DSRCT", [fusion("EWSR1::WT1")], decision="no_match", scores=scores)
    assert r.status is S.CONFIRMED
    assert not r.call_confident
    if withheld:
        assert r.summary.startswith(
            f"The methylation call ({score:.2f}) is withheld by the quality check (see the "
            "reclassification's reason); the findings are judged against the top class, "
            "desmoplastic small round cell tumour, only."
        )
    else:
        assert r.summary.startswith("The methylation call is not confident (0.89 < 0.90)")


def test_family_match_says_so():
    r = assess("EWS", [fusion("EWSR1::FLI1")], decision="family_match")
    assert r.status is S.CONFIRMED
    assert r.summary.startswith("The methylation call is confident at family level only")


def test_unknown_decision_is_refused():
    with pytest.raises(ValueError, match="decision must be one of"):
        assess("EWS", [], decision="yes")


# -- the DSRCT check on every profile -----------------------------------------------


@pytest.mark.parametrize("top", ["LMS", "EWS", "SS", "CTRL_BLOOD"])
def test_dsrct_check_is_reported_for_every_top_class(top):
    scores = {top: 0.9, "DSRCT": 0.06, "OTHER": 0.04}
    r = assess(top, [], scores=scores)
    assert r.dsrct_check.status is S.NOT_ASSESSED
    assert (r.dsrct_check.dsrct_score, r.dsrct_check.dsrct_rank) == (0.06, 2)
    assert not r.dsrct_check.flagged


def test_dsrct_rank_uses_the_unrounded_score():
    r = assess("DSRCT", [], scores={"DSRCT": 0.1234564, "EWS": 0.1234563})
    assert (r.dsrct_check.dsrct_score, r.dsrct_check.dsrct_rank) == (0.123456, 1)


def test_dsrct_check_with_labels_and_without_a_dsrct_class():
    labels = {
        "methylation class leiomyosarcoma": 0.7,
        "methylation class desmoplastic small round cell tumour": 0.2,
    }
    r = assess("methylation class leiomyosarcoma", [], scores=labels)
    assert r.dsrct_check.dsrct_score == 0.2
    assert r.called_class_name == "leiomyosarcoma"
    none = assess("LMS", [], scores={"LMS": 0.99})
    assert (none.dsrct_check.dsrct_score, none.dsrct_check.dsrct_rank) == (None, None)
    assert none.dsrct_check.explanation.startswith("No DSRCT score.")


def test_dsrct_check_on_a_partner_unknown_rearrangement_names_the_test():
    r = assess("LMS", [break_apart("EWSR1")])
    assert r.dsrct_check.status is S.CONSISTENT
    assert "RNA-based NGS or RT-PCR for EWSR1::WT1 would" in r.dsrct_check.explanation


def test_to_dict_is_json_ready():
    r = assess("EWS", [fusion("EWSR1::WT1"), ihc("CD99", "positive", pattern="membranous")])
    out = r.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert out["status"] == "inconsistent"
    assert out["dsrct_check"]["status"] == "confirmed"
    assert out["dsrct_check"]["flagged"] is True
    assert out["expected_fusions"][0] == "EWSR1::FLI1"
    assert isinstance(out["supporting"], list)
    assert out["knowledge_version"] == knowledge_version()


def test_a_negative_test_for_another_class_fusion_does_not_change_the_recommended_method():
    r = assess("DSRCT", [fusion("EWSR1::FLI1", result="not_detected", method="rt_pcr")])
    assert r.recommended_test == "RNA-based NGS or RT-PCR for EWSR1::WT1"
