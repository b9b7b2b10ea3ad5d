import json

import pytest

from classifier.knowledge import knowledge_version
from classifier.reclassification import Verdict, reclassify

FAMILIES = {
    "EWS": "ROUND_CELL",
    "DSRCT": "ROUND_CELL",
    "CIC": "ROUND_CELL",
    "LMS": "SMOOTH_MUSCLE",
    "CS_IDH_A": "CARTILAGE",
    "EPS": "SMARCB1_DEFICIENT",
}


def call(top_class, decision="match", family=None, score=0.97, family_score=0.99, **kw):
    return {
        "top_class": top_class,
        "decision": decision,
        "family": family or FAMILIES[top_class],
        "score": score,
        "family_score": family_score,
        **kw,
    }


# -- confirmed -------------------------------------------------------------------


def test_same_class_is_confirmed():
    r = reclassify("Ewing´s sarcoma", **call("EWS"))
    assert r.verdict is Verdict.CONFIRMED
    assert (r.submitted_class, r.submitted_family, r.submitted_level) == (
        "EWS",
        "ROUND_CELL",
        "class",
    )
    assert (r.called_class, r.called_family) == ("EWS", "ROUND_CELL")
    assert r.evidence == (
        "Submitted diagnosis 'Ewing´s sarcoma' (Ewing sarcoma, round cell sarcomas family). "
        "Methylation call: Ewing sarcoma with calibrated score 0.97 (>= 0.90 threshold) — the "
        "same class, so the diagnosis is confirmed; the diagnostician decides."
    )


def test_family_level_diagnosis_is_family_concordant_with_a_class_of_the_family():
    r = reclassify("Chondrosarcoma", **call("CS_IDH_A", score=0.95))
    assert r.verdict is Verdict.FAMILY_CONCORDANT
    assert (r.submitted_class, r.submitted_family, r.submitted_level) == (
        None,
        "CARTILAGE",
        "family",
    )
    assert "a class of the submitted family, so they agree at family level only" in r.evidence
    assert "compared at family level" in r.evidence  # the table's note


def test_family_match_never_confirms_a_class_level_diagnosis():
    r = reclassify("Ewing sarcoma", **call("CIC", "family_match", score=0.55, family_score=0.95))
    assert r.verdict is Verdict.FAMILY_CONCORDANT
    assert "round cell sarcomas family with summed score 0.95" in r.evidence
    assert "scored 0.55" in r.evidence
    assert "they agree at family level only: the class is not confirmed" in r.evidence


def test_family_match_is_family_concordant_with_a_family_level_diagnosis():
    r = reclassify(
        "small round cell sarcoma", **call("EWS", "family_match", score=0.5, family_score=0.92)
    )
    assert r.verdict is Verdict.FAMILY_CONCORDANT


def test_top_class_given_as_geo_label():
    kw = {**call("EWS"), "top_class": "methylation class Ewing´s sarcoma"}
    r = reclassify("Ewing sarcoma", **kw)
    assert r.verdict is Verdict.CONFIRMED
    assert r.called_class == "methylation class Ewing´s sarcoma"


# -- reclassified ---------------------------------------------------------------


def test_confident_call_of_another_class_of_the_same_family_reclassifies():
    r = reclassify("Ewing sarcoma", **call("DSRCT"))
    assert r.verdict is Verdict.RECLASSIFIED
    assert r.evidence == (
        "Submitted diagnosis 'Ewing sarcoma' (Ewing sarcoma, round cell sarcomas family). "
        "Methylation call: desmoplastic small round cell tumour with calibrated score 0.97 "
        "(>= 0.90 threshold) — a different class of the same family, so the tumour is "
        "reclassified; the diagnostician decides."
    )


def test_confident_call_of_another_family_reclassifies():
    r = reclassify("Leiomyosarcoma", **call("EWS"))
    assert r.verdict is Verdict.RECLASSIFIED
    assert "a different class of another family" in r.evidence


def test_family_level_diagnosis_outside_the_called_family_reclassifies():
    r = reclassify("Chondrosarcoma", **call("LMS"))
    assert r.verdict is Verdict.RECLASSIFIED


def test_family_match_to_another_family_reclassifies():
    r = reclassify("Leiomyosarcoma", **call("CIC", "family_match", score=0.5, family_score=0.93))
    assert r.verdict is Verdict.RECLASSIFIED
    assert "a different family, so the tumour is reclassified" in r.evidence


# -- not classifiable -------------------------------------------------------------


def test_no_match_is_not_classifiable_even_when_the_top_class_agrees():
    r = reclassify("Leiomyosarcoma", **call("LMS", "no_match", score=0.62, family_score=0.7))
    assert r.verdict is Verdict.NOT_CLASSIFIABLE
    assert r.submitted_class == "LMS"
    assert "the top class agrees with the diagnosis but is not confident" in r.evidence
    assert "scored 0.62 and its family, smooth muscle and perivascular tumours, 0.70" in (
        r.evidence
    )


def test_no_match_with_a_disagreeing_top_class():
    r = reclassify("Ewing sarcoma", **call("LMS", "no_match", score=0.4, family_score=0.5))
    assert r.verdict is Verdict.NOT_CLASSIFIABLE
    assert "differs from the diagnosis" in r.evidence


# -- unrecognised ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("diagnosis", "opening"),
    [
        (None, "No diagnosis was submitted."),
        ("", "No diagnosis was submitted."),
        (
            "Sarcoma not otherwise specified",
            "Submitted diagnosis 'Sarcoma not otherwise specified' cannot be compared: it names no "
            "sarcoma type.",
        ),
        ("asdf", "Submitted diagnosis 'asdf' cannot be compared: it names no class or family"),
    ],
)
def test_unrecognised_diagnosis_still_reports_the_call(diagnosis, opening):
    r = reclassify(diagnosis, **call("LMS", score=0.95))
    assert r.verdict is Verdict.DIAGNOSIS_UNRECOGNISED
    assert (r.submitted_class, r.submitted_family, r.matched_by) == (None, None, None)
    assert r.called_class == "LMS"
    assert r.evidence.startswith(opening)
    assert "Methylation call: leiomyosarcoma with calibrated score 0.95" in r.evidence


# -- details ----------------------------------------------------------------------


def test_phrase_inside_a_text_is_said_to_be_read_so():
    r = reclassify("Metastatic Ewing sarcoma, femur", **call("EWS"))
    assert (r.verdict, r.matched_by) == (Verdict.CONFIRMED, "contained")
    assert "(read as Ewing sarcoma, round cell sarcomas family)" in r.evidence


def test_threshold_is_quoted():
    r = reclassify("Ewing sarcoma", **call("EWS", score=0.85, threshold=0.8))
    assert "(>= 0.80 threshold)" in r.evidence
    assert r.threshold == 0.8


def test_unknown_decision_is_refused():
    with pytest.raises(ValueError, match="decision must be one of match, family_match, no_match"):
        reclassify("Ewing sarcoma", **call("EWS", "maybe"))


def test_to_dict_is_json_ready():
    r = reclassify("EwS", **call("EPS", score=0.95))
    out = r.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert out["verdict"] == "reclassified"
    assert out["knowledge_version"] == knowledge_version()
    assert set(out) == {
        "verdict",
        "submitted_diagnosis",
        "submitted_code",
        "submitted_class",
        "submitted_family",
        "submitted_level",
        "matched_by",
        "hedge",
        "called_class",
        "called_family",
        "decision",
        "model_decision",
        "quality_reasons",
        "score",
        "family_score",
        "threshold",
        "evidence",
        "knowledge_version",
    }
    assert out["evidence"].startswith("Submitted diagnosis 'EwS' (Ewing sarcoma")


@pytest.mark.parametrize(
    ("text", "code"),
    [("Ewing", "EWS"), ("Ewing tumour", "EWS"), ("alveolar RMS", "RMS_ALV")],
)
def test_clinical_shorthands_are_recognised(text, code):
    families = {"EWS": "ROUND_CELL", "RMS_ALV": "RHABDOMYOSARCOMA"}
    r = reclassify(text, **call(code, family=families[code]))
    assert r.verdict is Verdict.CONFIRMED


def test_an_ambiguous_abbreviation_is_not_compared():
    # "ES": Ewing sarcoma or epithelioid sarcoma. Either reading could turn a
    # discordant call into "confirmed".
    r = reclassify("ES", **call("EWS", score=0.95))
    assert r.verdict is Verdict.DIAGNOSIS_UNRECOGNISED
    assert "spell the diagnosis out" in r.evidence
