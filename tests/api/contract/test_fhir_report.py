"""A classify result as a FHIR R4 DiagnosticReport with Observations."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation

from api.contract.fhir_report import DEFAULT_SYSTEM_BASE, result_to_fhir
from api.store import Correction
from api.store.corrections import amend
from tests.api.builders import MODEL_NAME, MODEL_VERSION, RUN_ID

ISSUED = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
OBSERVATIONS = [
    "methylation-class",
    "class-score",
    "methylation-family",
    "fusion-consistency",
    "dsrct-check",
    "reclassification",
]


@pytest.fixture(scope="module")
def result(client, world) -> dict:
    """A real result: DSRCT with EWSR1::WT1 detected, submitted as Ewing sarcoma."""
    body = {
        "profiles": [
            {
                "sample_id": "S-2024-0117",
                "diagnosis": "Ewing sarcoma",
                "findings": [
                    {
                        "kind": "fusion",
                        "genes": ["EWSR1", "WT1"],
                        "method": "rna_ngs",
                        "result": "detected",
                    }
                ],
                "betas": world.betas("DSRCT"),
            }
        ]
    }
    response = client.post("/v1/classify", json=body)
    assert response.status_code == 200
    return response.json()["results"][0]


def _contained(report: dict) -> dict[str, dict]:
    return {resource["id"]: resource for resource in report["contained"]}


def test_the_report_is_valid_fhir_and_references_each_observation(result):
    report = result_to_fhir(result, result_id="42", issued=ISSUED)
    DiagnosticReport.model_validate(report)  # the output itself validates
    assert report["resourceType"] == "DiagnosticReport"
    assert report["id"] == "42" and report["status"] == "final"
    assert report["category"][0]["coding"][0]["code"] == "GE"
    assert report["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "81247-9",
        "display": "Master HL7 genetic variant reporting panel",
    }
    assert [r["reference"] for r in report["result"]] == [f"#{o}" for o in OBSERVATIONS]
    contained = _contained(report)
    for obs_id in OBSERVATIONS:
        observation = contained[obs_id]
        Observation.model_validate(observation)
        assert observation["specimen"] == {"reference": "#specimen"}
        assert observation["device"] == {"reference": "#classifier"}
    assert report["issued"].startswith("2026-03-01T12:30:00")


def test_the_specimen_and_the_model_are_named(result):
    contained = _contained(result_to_fhir(result, result_id="42", issued=ISSUED))
    assert contained["specimen"]["accessionIdentifier"]["value"] == "S-2024-0117"
    device = contained["classifier"]
    assert device["deviceName"][0]["name"] == MODEL_NAME
    assert device["version"][0]["value"] == MODEL_VERSION
    assert device["identifier"][0]["value"] == RUN_ID


def test_a_match_reports_the_class_and_both_checks(result):
    report = result_to_fhir(result, result_id="42", issued=ISSUED)
    contained = _contained(report)
    cls = contained["methylation-class"]
    assert cls["valueCodeableConcept"]["coding"][0]["code"] == "DSRCT"
    assert cls["valueCodeableConcept"]["coding"][0]["system"] == (
        f"{DEFAULT_SYSTEM_BASE}/CodeSystem/methylation-class"
    )
    assert cls["interpretation"][0]["coding"][0]["code"] == "match"
    score = contained["class-score"]["valueQuantity"]
    assert score["value"] == pytest.approx(result["classification"]["score"])
    assert score["code"] == "1"
    assert contained["methylation-family"]["valueCodeableConcept"]["coding"][0]["code"] == (
        "ROUND_CELL"
    )
    fusion = contained["fusion-consistency"]
    assert fusion["valueCodeableConcept"]["coding"][0]["code"] == "confirmed"
    assert {c.get("valueString") for c in fusion["component"]} >= {"EWSR1::WT1"}
    # every finding as evidence: its weight coded, the finding and the reason as text
    evidence = [
        c for c in fusion["component"] if c["code"]["coding"][0]["code"] == "finding-evidence"
    ]
    assert [c["valueCodeableConcept"]["coding"][0]["code"] for c in evidence] == [
        e["weight"] for e in result["fusion_consistency"]["evidence"]
    ]
    assert evidence[0]["valueCodeableConcept"]["coding"][0]["system"].endswith(
        "/CodeSystem/evidence-weight"
    )
    assert "findings[0]" in evidence[0]["valueCodeableConcept"]["text"]
    reclass = contained["reclassification"]
    assert reclass["valueCodeableConcept"]["coding"][0]["code"] == "reclassified"
    assert "Ewing sarcoma" in reclass["note"][0]["text"]
    assert report["conclusionCode"][0]["coding"][0]["code"] == "DSRCT"
    assert report["conclusion"].startswith("Methylation class desmoplastic small round cell")


def test_the_dsrct_check_is_reported_and_a_flag_reaches_the_conclusion(result):
    # The fixture is the DSRCT call itself: EWSR1::WT1 shown, nothing to flag.
    dsrct = _contained(result_to_fhir(result, result_id="42", issued=ISSUED))["dsrct-check"]
    assert dsrct["valueCodeableConcept"]["coding"][0]["code"] == "confirmed"
    # The code system's one display for the code; what it judges in the text.
    assert dsrct["valueCodeableConcept"]["coding"][0]["display"] == "confirmed"
    assert dsrct["valueCodeableConcept"]["text"] == "DSRCT evidence: confirmed"
    assert "interpretation" not in dsrct
    values = {c["code"]["coding"][0]["code"]: c for c in dsrct["component"]}
    assert values["dsrct-flagged"]["valueBoolean"] is False
    assert values["dsrct-rank"]["valueInteger"] == 1
    assert values["dsrct-score"]["valueQuantity"]["value"] == pytest.approx(
        result["fusion_consistency"]["dsrct_check"]["dsrct_score"]
    )
    # The same fusion on a tumour called Ewing sarcoma: flagged, and said in the conclusion.
    ewing = copy.deepcopy(result)
    check = ewing["fusion_consistency"]["dsrct_check"]
    check.update(flagged=True, is_top_class=False, explanation="DSRCT must be considered.")
    report = result_to_fhir(ewing, result_id="45", issued=ISSUED)
    flagged = _contained(report)["dsrct-check"]
    assert flagged["interpretation"][0]["coding"][0]["code"] == "A"
    assert flagged["note"][0]["text"] == "DSRCT must be considered."
    assert report["conclusion"].endswith(" DSRCT check flagged: DSRCT must be considered.")
    assert "DSRCT check" not in result_to_fhir(result, result_id="42", issued=ISSUED)["conclusion"]


def test_no_match_names_no_class(result):
    no_match = copy.deepcopy(result)
    no_match["classification"].update(decision="no_match", score=0.41, family_score=0.6)
    report = result_to_fhir(no_match, result_id="43", issued=ISSUED)
    contained = _contained(report)
    assert "conclusionCode" not in report
    value = contained["methylation-class"]["valueCodeableConcept"]["coding"][0]
    assert value["code"] == "no_match" and value["system"].endswith("/CodeSystem/decision")
    assert contained["methylation-family"]["valueCodeableConcept"]["coding"][0]["code"] == (
        "no_match"
    )
    assert report["conclusion"].startswith("No match")
    # The family named is the top family, whose score it is (not the top class's family).
    family = no_match["classification"]["family_name"]
    assert f"the top family, {family}, 0.60, below the threshold" in report["conclusion"]


def test_a_family_match_names_the_family(result):
    family = copy.deepcopy(result)
    family["classification"].update(decision="family_match", score=0.7)
    report = result_to_fhir(family, result_id="44", issued=ISSUED)
    assert report["conclusionCode"][0]["coding"][0]["code"] == "ROUND_CELL"


def test_a_lab_sets_its_own_code_system_namespace(result):
    report = result_to_fhir(
        result, result_id="42", issued=ISSUED, system_base="https://lab.example/fhir"
    )
    assert report["identifier"][0]["system"] == "https://lab.example/fhir/result-id"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"status": "done"}, "status must be one of"),
        ({"issued": datetime(2026, 3, 1)}, "timezone-aware"),
        ({"result_id": "no/slashes"}, "id"),
    ],
)
def test_bad_arguments_are_refused(result, kwargs, match):
    arguments = {"result_id": "42", "issued": ISSUED} | kwargs
    with pytest.raises(ValueError, match=match):
        result_to_fhir(result, **arguments)


def test_a_correction_has_the_status_corrected(result):
    report = result_to_fhir(result, result_id="45", issued=ISSUED, status="corrected")
    assert report["status"] == "corrected"
    assert {o["status"] for o in report["contained"] if o["resourceType"] == "Observation"} == {
        "corrected"
    }


def _reviewed(result: dict, reason: str = "wrong case", *, by: str = "dr-review", **review) -> dict:
    return amend(
        result,
        Correction(reason, **review),
        supersedes_id="0" * 32,
        corrected_by=by,
        corrected_at=ISSUED,
    )


def test_a_correction_names_the_report_it_replaces(result):
    corrected = _reviewed(result, comment="seen")
    report = result_to_fhir(
        corrected, result_id="46", issued=ISSUED, status="corrected", replaces="0" * 32
    )
    DiagnosticReport.model_validate(report)
    assert report["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/diagnosticReport-replaces",
            "valueReference": {
                "type": "DiagnosticReport",
                "identifier": {"system": f"{DEFAULT_SYSTEM_BASE}/result-id", "value": "0" * 32},
            },
        }
    ]
    assert report["resultsInterpreter"] == [{"display": "dr-review"}]
    assert report["conclusion"].startswith("Corrected on review (wrong case). Reviewer's comment")
    assert "Model: Methylation class desmoplastic" in report["conclusion"]
    assert "extension" not in result_to_fhir(result, result_id="42", issued=ISSUED)


def test_the_status_follows_the_review_unless_given(result):
    assert result_to_fhir(result, result_id="42", issued=ISSUED)["status"] == "final"
    corrected = _reviewed(result, comment="seen")
    assert result_to_fhir(corrected, result_id="46", issued=ISSUED)["status"] == "corrected"
    # A status given is the report's, and its Observations'.
    given = result_to_fhir(corrected, result_id="46", issued=ISSUED, status="amended")
    assert (given["status"], _statuses(given)) == ("amended", {"amended"})


def _statuses(report: dict) -> set[str]:
    return {o["status"] for o in report["contained"] if o["resourceType"] == "Observation"}


def test_a_sign_off_alone_is_appended_to_the_report(result):
    signed = _reviewed(result, signed_off=True)
    report = result_to_fhir(signed, result_id="48", issued=ISSUED, replaces="0" * 32)
    DiagnosticReport.model_validate(report)
    # What was reported stands, so the Observations stay final; the sign-off is added.
    assert (report["status"], _statuses(report)) == ("appended", {"final"})
    assert report["conclusion"].startswith(
        "Signed off on review by dr-review at 2026-03-01 12:30 UTC (wrong case)."
        " Model: Methylation class desmoplastic"
    )
    assert report["resultsInterpreter"] == [{"display": "dr-review"}]
    assert report["extension"][0]["valueReference"]["identifier"]["value"] == "0" * 32


def test_a_sign_off_after_a_correction_keeps_the_corrected_observations(result):
    corrected = _reviewed(result, reclassification_verdict="confirmed")
    signed = _reviewed(corrected, "agree", by="dr-board", signed_off=True)
    report = result_to_fhir(signed, result_id="49", issued=ISSUED)
    assert (report["status"], _statuses(report)) == ("appended", {"corrected"})
    reclass = _contained(report)["reclassification"]
    assert reclass["valueCodeableConcept"]["coding"][0]["code"] == "confirmed"
    # A comment by another reviewer after the sign-off names both.
    noted = _reviewed(signed, "note", by="dr-late", comment="discussed")
    report = result_to_fhir(noted, result_id="50", issued=ISSUED)
    assert report["status"] == "corrected"
    assert report["resultsInterpreter"] == [{"display": "dr-late"}, {"display": "dr-board"}]
    assert report["conclusion"].startswith(
        "Corrected on review (note). Reviewer's comment: discussed. Signed off by dr-board at "
        "2026-03-01 12:30 UTC. Model: "
    )


def test_a_withdrawn_sign_off_is_a_correction(result):
    signed = _reviewed(result, signed_off=True)
    withdrawn = _reviewed(signed, "new finding", by="dr-late", signed_off=False)
    report = result_to_fhir(withdrawn, result_id="51", issued=ISSUED)
    # The LIS must drop the sign-off; what the Observations say is still the model's.
    assert (report["status"], _statuses(report)) == ("corrected", {"final"})
    assert report["conclusion"].startswith("Sign-off withdrawn on review (new finding). Model: ")
    assert report["resultsInterpreter"] == [{"display": "dr-late"}]
    # Signed off again: the Observations' status is the same in every report of the chain.
    again = _reviewed(withdrawn, "agree after all", signed_off=True)
    assert _statuses(result_to_fhir(again, result_id="52", issued=ISSUED)) == {"final"}


def test_sign_offs_after_a_class_and_comment_keep_them_in_the_conclusion(result):
    corrected = _reviewed(result, reported_class="EWS", comment="RNA-NGS pending")
    signed = _reviewed(corrected, "board agrees", by="dr-board", signed_off=True)
    report = result_to_fhir(signed, result_id="53", issued=ISSUED)
    assert (report["status"], _statuses(report)) == ("appended", {"corrected"})
    assert report["conclusion"].startswith(
        "Reported class on review: Ewing sarcoma (EWS). Signed off on review by dr-board at "
        "2026-03-01 12:30 UTC (board agrees). Reviewer's comment: RNA-NGS pending. Model: "
    )
    withdrawn = _reviewed(signed, "new finding", by="dr-late", signed_off=False)
    report = result_to_fhir(withdrawn, result_id="54", issued=ISSUED)
    assert (report["status"], _statuses(report)) == ("corrected", {"corrected"})


def test_a_correction_stored_before_the_flag_was_kept_is_corrected(result):
    signed = _reviewed(result, signed_off=True)
    del signed["review"]["amends_interpretation"]
    report = result_to_fhir(signed, result_id="52", issued=ISSUED)
    assert report["status"] == "corrected"
    assert report["conclusion"].startswith("Corrected on review (wrong case). Signed off by")


def test_a_reviewed_class_and_verdict_are_reported(result):
    corrected = _reviewed(result, reported_class="EWS", reclassification_verdict="confirmed")
    report = result_to_fhir(corrected, result_id="47", issued=ISSUED, status="corrected")
    DiagnosticReport.model_validate(report)
    assert report["conclusionCode"][0]["coding"][0]["code"] == "EWS"
    assert report["conclusion"].startswith("Reported class on review: ")
    contained = _contained(report)
    # The model's call is unchanged; the verdict is the reviewer's (the service's in a note).
    assert contained["methylation-class"]["valueCodeableConcept"]["coding"][0]["code"] == "DSRCT"
    reclass = contained["reclassification"]
    assert reclass["valueCodeableConcept"]["coding"][0]["code"] == "confirmed"
    assert reclass["note"][0]["text"] == (
        "verdict set on review; the service's verdict: reclassified"
    )


def test_the_device_names_the_bundle_fingerprint(result):
    device = _contained(result_to_fhir(result, result_id="42", issued=ISSUED))["classifier"]
    systems = {i["system"].rsplit("/", 1)[1]: i["value"] for i in device["identifier"]}
    assert systems == {"mlflow-run": RUN_ID, "model-fingerprint": result["model"]["fingerprint"]}


def test_a_discordant_status_is_marked_abnormal_and_a_code_is_a_component(result):
    changed = copy.deepcopy(result)
    changed["fusion_consistency"]["status"] = "discordant"
    changed["reclassification"] |= {
        "verdict": "not_classifiable",
        "submitted_code": "ICD-O-3 8806/3",
        "quality_reasons": ["the profile is out of distribution"],
    }
    contained = _contained(result_to_fhir(changed, result_id="42", issued=ISSUED))
    fusion = contained["fusion-consistency"]
    assert fusion["interpretation"][0]["coding"][0]["code"] == "A"
    reclass = contained["reclassification"]
    values = {c["code"]["coding"][0]["code"]: c for c in reclass["component"]}
    assert values["submitted-diagnosis-code"]["valueString"] == "ICD-O-3 8806/3"
    assert "quality control: the profile is out of distribution" in [
        n["text"] for n in reclass["note"]
    ]
