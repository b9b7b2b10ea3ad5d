"""``GET /v1/results/{result_id}/fhir``: who may read a stored result as FHIR."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.diagnosticreport import DiagnosticReport

from api.contract.fhir_report import FHIR_MEDIA_TYPE


@pytest.fixture(scope="module")
def stored(client, world) -> dict:
    """A result stored by the default LIS client ``test-lis``."""
    body = {"profiles": [{"sample_id": "FHIR-1", "betas": world.betas("SS")}]}
    response = client.post("/v1/classify", json=body)
    assert response.status_code == 200
    return response.json()["results"][0]


def test_the_submitting_lis_reads_its_result_as_fhir(client, stored):
    response = client.get(f"/v1/results/{stored['result_id']}/fhir")
    assert response.status_code == 200
    assert response.headers["content-type"] == FHIR_MEDIA_TYPE
    report = response.json()
    DiagnosticReport.model_validate(report)
    assert report["id"] == stored["result_id"] and report["status"] == "final"
    specimen = next(r for r in report["contained"] if r["resourceType"] == "Specimen")
    assert specimen["accessionIdentifier"]["value"] == "FHIR-1"
    assert report["conclusionCode"][0]["coding"][0]["code"] == "SS"


def test_a_reviewer_reads_every_result(client, api_key, stored):
    response = client.get(f"/v1/results/{stored['result_id']}/fhir", headers=api_key("reviewer"))
    assert response.status_code == 200


def test_another_lis_cannot_read_it(client, api_key, stored):
    other = api_key("lis", "lis-other-lab")
    response = client.get(f"/v1/results/{stored['result_id']}/fhir", headers=other)
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_an_admin_reads_no_results(client, api_key, stored):
    response = client.get(f"/v1/results/{stored['result_id']}/fhir", headers=api_key("admin"))
    assert response.status_code == 403


def test_an_unknown_result_is_404(client):
    assert client.get("/v1/results/0123456789abcdef0123456789abcdef/fhir").status_code == 404


def test_a_correction_is_a_corrected_report_that_replaces_the_old(client, api_key, world):
    body = {"profiles": [{"sample_id": "FHIR-2", "betas": world.betas("SS", seed=3)}]}
    original = client.post("/v1/classify", json=body).json()["results"][0]["result_id"]
    corrected = client.post(
        f"/v1/results/{original}/corrections",
        json={"reason": "reviewed", "reported_class": "SS", "comment": "SS18::SSX1 confirmed"},
        headers=api_key("reviewer", "dr-fhir"),
    ).json()["result_id"]
    response = client.get(f"/v1/results/{corrected}/fhir")
    assert response.status_code == 200
    report = response.json()
    DiagnosticReport.model_validate(report)
    assert report["id"] == corrected and report["status"] == "corrected"
    (replaces,) = report["extension"]
    assert replaces["url"].endswith("/diagnosticReport-replaces")
    assert replaces["valueReference"]["identifier"]["value"] == original
    assert report["resultsInterpreter"] == [{"display": "dr-fhir"}]
    assert "link" not in response.headers
    # The replaced report is as it was issued, and points on to its correction.
    old = client.get(f"/v1/results/{original}/fhir")
    assert old.json()["status"] == "final" and "extension" not in old.json()
    assert old.headers["link"] == f'</v1/results/{corrected}/fhir>; rel="successor-version"'


def test_a_sign_off_alone_is_an_appended_report(client, api_key, world):
    body = {"profiles": [{"sample_id": "FHIR-3", "betas": world.betas("SS", seed=4)}]}
    original = client.post("/v1/classify", json=body).json()["results"][0]["result_id"]
    signed = client.post(
        f"/v1/results/{original}/corrections",
        json={"reason": "agree", "signed_off": True},
        headers=api_key("reviewer", "dr-sign"),
    ).json()
    assert signed["result"]["review"]["amends_interpretation"] is False
    report = client.get(f"/v1/results/{signed['result_id']}/fhir").json()
    DiagnosticReport.model_validate(report)
    assert report["status"] == "appended"
    assert report["conclusion"].startswith("Signed off on review by dr-sign at ")
    assert report["resultsInterpreter"] == [{"display": "dr-sign"}]
