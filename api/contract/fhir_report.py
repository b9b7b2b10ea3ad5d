"""A classification result as a FHIR R4 DiagnosticReport with Observations.

The report follows the HL7 Genomics Reporting implementation guide where it
fits: a ``DiagnosticReport`` of category ``GE`` (genetics) and code LOINC
81247-9 whose ``result`` lists one ``Observation`` per statement; methylation
classes, families and the checks have no LOINC or SNOMED codes yet, so
they are coded in this service's own code systems under ``system_base``.
The report is self-contained: the Observations, the Specimen (whose
accession identifier is the ``sample_id`` the LIS sent) and the Device (the
model, with its version and MLflow run) are ``contained`` resources. It
claims no profile. Everything is validated with ``fhir.resources`` (its R4B
models, which read R4 resources of these types) before it is returned.

A correction (a result with a ``review``, see :mod:`api.store.corrections`)
is a report of status ``corrected`` that names the report it replaces with
the core extension ``diagnosticReport-replaces`` (R4 has no element for
it; ``basedOn`` names orders, not reports); a correction that only signs
the result off is ``appended`` instead: the content is unchanged, a
reviewer's sign-off is added (see :func:`report_status`). The reviewer, and
the one who signed the result off, are its ``resultsInterpreter``; a class
the laboratory reports on review is its ``conclusionCode`` and leads the
``conclusion``, which says who signed off and when, after which the model's
own statement follows. The Observations keep the model's values, except the
reclassification verdict the reviewer set.

Observations (``id`` in the report):

* ``methylation-class``: the class, when the decision is ``match``;
  otherwise the decision itself. Interpretation: the decision.
  Components: top class, threshold, out-of-distribution flag, prediction set, CpG coverage.
* ``class-score``: the calibrated score of the top class; one component per
  listed class with its score.
* ``methylation-family``: the family (or the decision for ``no_match``), with its score.
* ``fusion-consistency``: the status (code system ``fusion-consistency``:
  confirmed, consistent, discordant, inconsistent, not_assessed; results
  stored before knowledge 2.0.0 may say consistent_unconfirmed),
  interpretation ``A`` when discordant or inconsistent, expected fusions,
  recommended test, and one ``finding-evidence`` component per submitted
  finding: its weight coded (code system ``evidence-weight``: specific_support,
  compatible, neutral, weak_against, strong_against), the finding and the
  reason as text; the summary as a note.
* ``dsrct-check``: the EWSR1::WT1 check every profile gets, whatever its
  call: the status of the findings against DSRCT (the fusion-consistency
  codes, ``text`` "DSRCT evidence: ..."), interpretation ``A`` when flagged,
  components flagged, DSRCT's score and rank; explanation and findings as notes.
* ``reclassification``: the verdict against the submitted diagnosis (code
  system ``reclassification``: confirmed, family_concordant, reclassified,
  not_classifiable, diagnosis_unrecognised), the submitted text and code,
  the quality-control reasons that withheld a call, with its evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.diagnosticreport import DiagnosticReport

from classifier.score_text import score_text

__all__ = ["DEFAULT_SYSTEM_BASE", "FHIR_MEDIA_TYPE", "report_status", "result_to_fhir"]

#: Namespace of this service's code systems; a lab sets its own (``FHIR_SYSTEM_BASE``).
DEFAULT_SYSTEM_BASE = "https://sarcoma-classifier.invalid/fhir"
FHIR_MEDIA_TYPE = "application/fhir+json"

_V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_LOINC = "http://loinc.org"
_V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_UCUM = "http://unitsofmeasure.org"
_REPLACES = "http://hl7.org/fhir/StructureDefinition/diagnosticReport-replaces"
# Statuses that both a DiagnosticReport and its Observations can have; a report
# can also be "appended" (its Observations then keep the status they had).
_STATUSES = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error"}
)
_REPORT_STATUSES = _STATUSES | {"appended"}
_DECISION_TEXT = {
    "match": "match: the top class's calibrated score reaches the threshold",
    "family_match": "family match: only the family's summed score reaches the threshold",
    "no_match": "no match: neither class nor family reaches the threshold",
}


def result_to_fhir(
    result: Mapping[str, Any],
    *,
    result_id: str,
    issued: datetime,
    status: str | None = None,
    system_base: str = DEFAULT_SYSTEM_BASE,
    replaces: str | None = None,
) -> dict[str, Any]:
    """Write one result of ``POST /v1/classify`` as a FHIR R4 DiagnosticReport.

    Parameters
    ----------
    result : mapping
        One entry of ``results`` (``sample_id``, ``qc``, ``classification``,
        ``reclassification``, ``fusion_consistency``, ``model``).
    result_id : str
        The stored result's id: the report's ``id`` and identifier.
    issued : datetime
        When the result was made (timezone-aware).
    status : str, optional
        Report status; by default :func:`report_status` of ``result``. The
        Observations have the same status, except in an ``appended`` report.
    system_base : str
        Namespace of the service's code systems.
    replaces : str, optional
        Result id of the report this one replaces (for a correction).

    Returns
    -------
    dict
        The DiagnosticReport as FHIR JSON.

    Raises
    ------
    ValueError
        If the result is incomplete or the report is not valid FHIR (the
        validation error names the element).
    """
    status = report_status(result) if status is None else status
    if status not in _REPORT_STATUSES:
        raise ValueError(
            f"status must be one of {', '.join(sorted(_REPORT_STATUSES))}; got {status!r}"
        )
    if issued.tzinfo is None:
        raise ValueError("issued must be timezone-aware (a FHIR instant has a time zone)")
    codes = _Codes(system_base)
    call = result["classification"]
    observed = _observation_status(status, result)
    observations = [
        _class_observation(call, result["qc"], codes, observed),
        _score_observation(call, codes, observed),
        _family_observation(call, codes, observed),
        _fusion_observation(result["fusion_consistency"], codes, observed),
        _dsrct_observation(result["fusion_consistency"]["dsrct_check"], codes, observed),
        _reclassification_observation(result["reclassification"], codes, observed),
    ]
    report = {
        "resourceType": "DiagnosticReport",
        "id": result_id,
        "contained": [
            {
                "resourceType": "Specimen",
                "id": "specimen",
                "accessionIdentifier": {"value": result["sample_id"]},
            },
            _device(result["model"], codes),
            *observations,
        ],
        "identifier": [{"system": f"{system_base}/result-id", "value": result_id}],
        "status": status,
        "category": [{"coding": [{"system": _V2_0074, "code": "GE", "display": "Genetics"}]}],
        "code": {
            "coding": [
                {
                    "system": _LOINC,
                    "code": "81247-9",
                    "display": "Master HL7 genetic variant reporting panel",
                }
            ],
            "text": "DNA methylation-based sarcoma classification",
        },
        "issued": issued.isoformat(),
        "specimen": [{"reference": "#specimen"}],
        "result": [{"reference": f"#{obs['id']}"} for obs in observations],
        "conclusion": _conclusion(call, result["fusion_consistency"]["dsrct_check"]),
    }
    conclusion_code = _called_concept(call, codes)
    if conclusion_code is not None:
        report["conclusionCode"] = [conclusion_code]
    if result.get("review"):
        _add_review(report, result["review"], codes)
    if replaces is not None:
        reference = {"system": f"{system_base}/result-id", "value": replaces}
        report["extension"] = [
            {
                "url": _REPLACES,
                "valueReference": {"type": "DiagnosticReport", "identifier": reference},
            }
        ]
    return DiagnosticReport.model_validate(report).model_dump(mode="json", exclude_none=True)


def report_status(result: Mapping[str, Any]) -> str:
    """The DiagnosticReport status of a stored result.

    Parameters
    ----------
    result : mapping
        A stored result (with ``review`` when it is a correction).

    Returns
    -------
    str
        ``final`` for the model's result; for a correction, ``appended``
        when it only signed the result off (what was reported stands; a
        sign-off is added), else ``corrected``: also when it only withdrew
        a sign-off, and for corrections stored before
        ``review.amends_interpretation`` was kept.
    """
    review = result.get("review")
    if not review:
        return "final"
    if _only_sign_off(review) and review.get("signed_off"):
        return "appended"
    return "corrected"


def _only_sign_off(review: Mapping[str, Any]) -> bool:
    # False when unknown: corrections stored before the flag was kept count as amending.
    return review.get("amends_interpretation") is False


def _observation_status(status: str, result: Mapping[str, Any]) -> str:
    review = result.get("review") or {}
    if not _only_sign_off(review):
        return status
    # A sign-off given or withdrawn changes nothing the Observations say:
    # corrected if a review ever amended the interpretation, else as the model
    # issued them (and so the same in every report of a chain of sign-offs).
    amended = (
        review.get("reported_class")
        or review.get("comment")
        or "service_verdict" in result["reclassification"]
    )
    return "corrected" if amended else "final"


class _Codes:
    """The service's code systems under one namespace."""

    def __init__(self, base: str) -> None:
        self.observation = f"{base}/CodeSystem/observation"
        self.methylation_class = f"{base}/CodeSystem/methylation-class"
        self.family = f"{base}/CodeSystem/methylation-family"
        self.decision = f"{base}/CodeSystem/decision"
        self.fusion = f"{base}/CodeSystem/fusion-consistency"
        self.verdict = f"{base}/CodeSystem/reclassification"
        self.weight = f"{base}/CodeSystem/evidence-weight"
        self.mlflow_run = f"{base}/mlflow-run"
        self.fingerprint = f"{base}/model-fingerprint"

    def code(self, name: str, display: str) -> dict:
        return {"coding": [{"system": self.observation, "code": name, "display": display}]}


def _concept(system: str, code: str, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], "text": display or code}


def _ratio(value: float) -> dict:
    return {"value": float(value), "unit": "1", "system": _UCUM, "code": "1"}


def _observation(obs_id: str, code: dict, status: str) -> dict:
    return {
        "resourceType": "Observation",
        "id": obs_id,
        "status": status,
        "category": [
            {"coding": [{"system": _OBSERVATION_CATEGORY, "code": "laboratory"}]},
            {"coding": [{"system": _V2_0074, "code": "GE", "display": "Genetics"}]},
        ],
        "code": code,
        "specimen": {"reference": "#specimen"},
        "device": {"reference": "#classifier"},
    }


def _decision_concept(decision: str, codes: _Codes) -> dict:
    return _concept(codes.decision, decision, _DECISION_TEXT[decision])


def _called_concept(call: Mapping[str, Any], codes: _Codes) -> dict | None:
    if call["decision"] == "match":
        return _concept(codes.methylation_class, call["top_class"], call["top_class_name"])
    if call["decision"] == "family_match":
        return _concept(codes.family, call["family"], call["family_name"])
    return None


def _class_observation(call: Mapping, qc: Mapping, codes: _Codes, status: str) -> dict:
    obs = _observation(
        "methylation-class", codes.code("methylation-class", "DNA methylation class"), status
    )
    top = _concept(codes.methylation_class, call["top_class"], call["top_class_name"])
    if call["decision"] == "match":
        obs["valueCodeableConcept"] = top
    else:
        obs["valueCodeableConcept"] = _decision_concept(call["decision"], codes)
    obs["interpretation"] = [_decision_concept(call["decision"], codes)]
    obs["component"] = [
        {"code": codes.code("top-class", "top class"), "valueCodeableConcept": top},
        {
            "code": codes.code("threshold", "calibrated score of a match"),
            "valueQuantity": _ratio(call["threshold"]),
        },
        {
            "code": codes.code("out-of-distribution", "unlike the reference cohort"),
            "valueBoolean": bool(call["out_of_distribution"]),
        },
        {
            "code": codes.code("prediction-set", "conformal prediction set"),
            "valueString": ", ".join(call["prediction_set"]) or "(empty)",
        },
        {
            "code": codes.code("cpg-coverage", "share of the model's CpGs measured"),
            "valueQuantity": _ratio(call["coverage"]),
        },
    ]
    warnings = [w["message"] for w in qc.get("warnings", [])]
    if warnings:
        obs["note"] = [{"text": text} for text in warnings]
    return obs


def _score_observation(call: Mapping, codes: _Codes, status: str) -> dict:
    obs = _observation(
        "class-score", codes.code("class-score", "calibrated score of the top class"), status
    )
    obs["valueQuantity"] = _ratio(call["score"])
    obs["component"] = [
        {
            "code": _concept(codes.methylation_class, entry["code"], entry["name"]),
            "valueQuantity": _ratio(entry["score"]),
        }
        for entry in call["top_classes"]
    ]
    return obs


def _family_observation(call: Mapping, codes: _Codes, status: str) -> dict:
    obs = _observation(
        "methylation-family", codes.code("methylation-family", "methylation family"), status
    )
    family = _concept(codes.family, call["family"], call["family_name"])
    if call["decision"] == "no_match":
        obs["valueCodeableConcept"] = _decision_concept("no_match", codes)
    else:
        obs["valueCodeableConcept"] = family
    obs["component"] = [
        {
            "code": codes.code("top-family", "family with the highest summed score"),
            "valueCodeableConcept": family,
        },
        {
            "code": codes.code("family-score", "summed calibrated score of the family"),
            "valueQuantity": _ratio(call["family_score"]),
        },
    ]
    return obs


def _fusion_observation(fusion: Mapping, codes: _Codes, status: str) -> dict:
    obs = _observation(
        "fusion-consistency",
        codes.code(
            "fusion-consistency", "consistency of the call with the submitted fusion findings"
        ),
        status,
    )
    obs["valueCodeableConcept"] = _concept(
        codes.fusion, fusion["status"], fusion["status"].replace("_", " ")
    )
    if fusion["status"] in ("discordant", "inconsistent"):
        obs["interpretation"] = [
            {
                "coding": [{"system": _V3_INTERPRETATION, "code": "A", "display": "Abnormal"}],
                "text": f"{fusion['status']}: findings against the call, review the case",
            }
        ]
    components = [
        {
            "code": codes.code("expected-fusion", "defining fusion of the called class"),
            "valueString": name,
        }
        for name in fusion.get("expected_fusions", [])
    ]
    components += [_finding_component(e, codes) for e in fusion.get("evidence", [])]
    if fusion.get("recommended_test"):
        components.append(
            _text_component(codes, "recommended-test", "test that would settle it",
                            fusion["recommended_test"])
        )  # fmt: skip
    if components:
        obs["component"] = components
    notes = [fusion["summary"]]
    if not fusion.get("evidence"):  # stored before knowledge 2.0.0: sentences only
        notes += [f"supports: {text}" for text in fusion.get("supporting", [])]
        notes += [f"contradicts: {text}" for text in fusion.get("contradicting", [])]
        notes += list(fusion.get("notes", []))
    obs["note"] = [{"text": text} for text in notes if text]
    return obs


def _text_component(codes: _Codes, name: str, display: str, text: str) -> dict:
    return {"code": codes.code(name, display), "valueString": text}


def _finding_component(evidence: Mapping, codes: _Codes) -> dict:
    """One submitted finding as evidence: its weight coded, the finding and reason as text."""
    weight = evidence["weight"]
    value = _concept(codes.weight, weight, weight.replace("_", " "))
    value["text"] = f"{evidence['described']}: {evidence['reason']}"
    return {
        "code": codes.code("finding-evidence", "a submitted finding weighed for the call"),
        "valueCodeableConcept": value,
    }


def _dsrct_observation(check: Mapping, codes: _Codes, status: str) -> dict:
    """The EWSR1::WT1 check every profile gets, whatever its call (flagged if shown off-DSRCT)."""
    obs = _observation(
        "dsrct-check",
        codes.code("dsrct-check", "DSRCT (EWSR1::WT1) evidence, whatever the call"),
        status,
    )
    # The status judges the findings against DSRCT, not the call: the text says so
    # (the coding keeps the code system's one display for the code).
    words = check["status"].replace("_", " ")
    obs["valueCodeableConcept"] = _concept(codes.fusion, check["status"], words)
    obs["valueCodeableConcept"]["text"] = f"DSRCT evidence: {words}"
    if check["flagged"]:
        obs["interpretation"] = [
            {
                "coding": [{"system": _V3_INTERPRETATION, "code": "A", "display": "Abnormal"}],
                "text": "flagged: DSRCT must be considered",
            }
        ]
    components: list[dict[str, Any]] = [
        {
            "code": codes.code(
                "dsrct-flagged",
                "EWSR1::WT1 shown on a tumour not called DSRCT, or a DSRCT call with findings "
                "against it",
            ),
            "valueBoolean": bool(check["flagged"]),
        }
    ]
    if check.get("dsrct_score") is not None:
        components.append(
            {
                "code": codes.code("dsrct-score", "calibrated score of DSRCT"),
                "valueQuantity": _ratio(check["dsrct_score"]),
            }
        )
        components.append(
            {
                "code": codes.code("dsrct-rank", "rank of DSRCT among the classes"),
                "valueInteger": int(check["dsrct_rank"]),
            }
        )
    components += [_finding_component(e, codes) for e in check.get("evidence", [])]
    obs["component"] = components
    notes = [check["explanation"]]
    if not check.get("evidence"):  # stored before knowledge 2.0.0
        notes += [f"supports DSRCT: {text}" for text in check.get("supporting", [])]
        notes += [f"against DSRCT: {text}" for text in check.get("contradicting", [])]
    obs["note"] = [{"text": text} for text in notes if text]
    return obs


def _reclassification_observation(reclass: Mapping, codes: _Codes, status: str) -> dict:
    obs = _observation(
        "reclassification",
        codes.code("reclassification", "methylation call against the submitted diagnosis"),
        status,
    )
    obs["valueCodeableConcept"] = _concept(
        codes.verdict, reclass["verdict"], reclass["verdict"].replace("_", " ")
    )
    components = []
    if reclass.get("submitted_diagnosis"):
        components.append(
            _text_component(codes, "submitted-diagnosis", "diagnosis submitted with the profile",
                            reclass["submitted_diagnosis"])
        )  # fmt: skip
    if reclass.get("submitted_code"):
        components.append(
            _text_component(codes, "submitted-diagnosis-code", "coded diagnosis submitted",
                            reclass["submitted_code"])
        )  # fmt: skip
    if components:
        obs["component"] = components
    notes = [reclass["evidence"]] if reclass.get("evidence") else []
    notes += [f"quality control: {r}" for r in reclass.get("quality_reasons", [])]
    if reclass.get("service_verdict", reclass["verdict"]) != reclass["verdict"]:
        notes.insert(
            0, f"verdict set on review; the service's verdict: {reclass['service_verdict']}"
        )
    if notes:
        obs["note"] = [{"text": text} for text in notes]
    return obs


def _device(model: Mapping, codes: _Codes) -> dict:
    device: dict[str, Any] = {
        "resourceType": "Device",
        "id": "classifier",
        "deviceName": [{"name": model["name"], "type": "model-name"}],
        "type": {"text": "DNA methylation classifier (calibrated)"},
        "version": [{"value": str(model["version"])}],
    }
    identifiers = [
        {"system": system, "value": model[key]}
        for system, key in ((codes.mlflow_run, "run_id"), (codes.fingerprint, "fingerprint"))
        if model.get(key)
    ]
    if identifiers:
        device["identifier"] = identifiers
    return device


def _add_review(report: dict, review: Mapping, codes: _Codes) -> None:
    signed_off = bool(review.get("signed_off"))
    only_sign_off = _only_sign_off(review)
    signer = f" by {review['signed_off_by']}" if review.get("signed_off_by") else ""
    signed = f"{signer} at {_minute(review['signed_off_at'])}" if signed_off else ""
    sentences = []
    if review.get("reported_class"):
        code, name = review["reported_class"], review["reported_class_name"]
        sentences.append(f"Reported class on review: {name} ({code}).")
        report["conclusionCode"] = [_concept(codes.methylation_class, code, name)]
    if only_sign_off and signed_off:
        sentences.append(f"Signed off on review{signed} ({review['reason']}).")
    elif only_sign_off:
        sentences.append(f"Sign-off withdrawn on review ({review['reason']}).")
    else:
        sentences.append(f"Corrected on review ({review['reason']}).")
    if review.get("comment"):
        comment = review["comment"].rstrip()
        sentences.append(f"Reviewer's comment: {comment}{'' if comment[-1] in '.!?' else '.'}")
    if signed_off and not only_sign_off:
        sentences.append(f"Signed off{signed}.")
    report["conclusion"] = f"{' '.join(sentences)} Model: {report['conclusion']}"
    # Who corrected, then who signed off when that was someone else (a comment
    # added after a sign-off keeps the signer).
    interpreters = dict.fromkeys(
        name for name in (review.get("corrected_by"), review.get("signed_off_by")) if name
    )
    if interpreters:
        report["resultsInterpreter"] = [{"display": name} for name in interpreters]


def _minute(instant: str) -> str:
    """An ISO 8601 time as the case page writes it: ``2026-03-01 12:30 UTC``."""
    return datetime.fromisoformat(instant).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _conclusion(call: Mapping, dsrct_check: Mapping) -> str:
    score, threshold = call["score"], call["threshold"]
    if call["decision"] == "match":
        text = (
            f"Methylation class {call['top_class_name']} ({call['top_class']}), calibrated "
            f"score {score_text(score)} (match threshold {threshold:.2f})."
        )
    elif call["decision"] == "family_match":
        text = (
            f"Methylation family {call['family_name']} ({call['family']}), summed score "
            f"{score_text(call['family_score'])}; no single class reaches {threshold:.2f} "
            f"(top class {call['top_class_name']}, {score_text(score)})."
        )
    else:
        text = (
            f"No match: the top class {call['top_class_name']} scores {score_text(score)} and the "
            f"top family, {call['family_name']}, {score_text(call['family_score'])}, below the "
            f"threshold {threshold:.2f}."
        )
    if call["out_of_distribution"]:
        text += " The profile is unlike the reference cohort (out of distribution)."
    if dsrct_check["flagged"]:
        text += f" DSRCT check flagged: {dsrct_check['explanation']}"
    return text
