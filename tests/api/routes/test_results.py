"""Stored results: written by POST /v1/classify, read by GET /v1/results."""

from __future__ import annotations

import uuid

import pytest

from api.schemas import ResultList, StoredResultOut


def _accession() -> str:
    return f"ACC-{uuid.uuid4().hex[:8]}"


def _classify(post_json, world, accession, label="DSRCT", **extra):
    body = {"profiles": [{"sample_id": accession, "betas": world.betas(label, seed=5), **extra}]}
    response = post_json(body)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_result_is_stored_and_readable_by_id(client, post_json, world):
    accession = _accession()
    body = _classify(post_json, world, accession)
    (result,) = body["results"]
    assert result["stored"] == {
        "result_id": result["result_id"],
        "resubmitted": False,
        "created_at": result["stored"]["created_at"],
    }
    response = client.get(f"/v1/results/{result['result_id']}")
    assert response.status_code == 200
    stored = StoredResultOut.model_validate(response.json())
    assert stored.accession == accession
    assert stored.client == "test-lis"
    assert stored.request_id == body["request_id"]
    assert stored.model.version == "7"
    assert len(stored.values_sha256) == len(stored.input_sha256) == 64
    assert stored.result.classification.top_class == "DSRCT"
    assert stored.result.classification.embedding is not None
    assert stored.result.result_id == result["result_id"]


def test_an_accepted_request_has_its_audit_rows(client, post_json, world):
    body = _classify(post_json, world, _accession())
    store = client.app.state.results
    assert store.deliveries(body["request_id"]) == [(body["results"][0]["result_id"], False)]


def test_a_refused_request_stores_nothing(client, post_json):
    before = len(client.get("/v1/results", params={"limit": 500}).json()["results"])
    response = post_json({"profiles": [{"sample_id": "BAD", "betas": {"cg00000029": 7}}]})
    assert response.status_code == 422
    assert client.app.state.results.deliveries(response.json()["request_id"]) == []
    assert len(client.get("/v1/results", params={"limit": 500}).json()["results"]) == before


def test_resubmission_returns_the_stored_result(post_json, world):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    again = _classify(post_json, world, accession)["results"][0]
    assert again["result_id"] == first["result_id"]
    assert again["stored"]["resubmitted"] is True
    assert again["stored"]["created_at"] == first["stored"]["created_at"]
    assert again["classification"] == first["classification"]


def test_a_new_diagnosis_is_a_new_result(post_json, world):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    other = _classify(post_json, world, accession, diagnosis="Ewing sarcoma")["results"][0]
    assert other["result_id"] != first["result_id"]
    assert other["reclassification"]["verdict"] == "reclassified"


def test_another_client_gets_its_own_result(client, post_json, world, api_key):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    body = {"profiles": [{"sample_id": accession, "betas": world.betas("DSRCT", seed=5)}]}
    other = client.post("/v1/classify", json=body, headers=api_key("lis", "lis-other")).json()
    assert other["results"][0]["result_id"] != first["result_id"]


def test_results_by_accession_and_decision(client, post_json, world):
    accession = _accession()
    _classify(post_json, world, accession)
    _classify(post_json, world, accession, diagnosis="Ewing sarcoma")
    listed = ResultList.model_validate(
        client.get("/v1/results", params={"accession": accession}).json()
    )
    assert len(listed.results) == 2
    assert {r.accession for r in listed.results} == {accession}
    # Newest first.
    assert listed.results[0].created_at >= listed.results[1].created_at
    assert listed.results[0].needs_attention == ["reclassified"]
    none = client.get("/v1/results", params={"accession": accession, "decision": "no_match"})
    assert none.json()["results"] == []
    one = client.get("/v1/results", params={"accession": accession, "limit": 1})
    assert len(one.json()["results"]) == 1


def test_unknown_result_is_404(client):
    response = client.get(f"/v1/results/{'0' * 32}")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_a_lis_reads_only_its_own_results(client, post_json, world, api_key):
    result_id = _classify(post_json, world, _accession())["results"][0]["result_id"]
    other = api_key("lis", "lis-elsewhere")
    assert client.get(f"/v1/results/{result_id}", headers=other).status_code == 404
    listed = client.get("/v1/results", headers=other).json()["results"]
    assert all(r["client"] == "lis-elsewhere" for r in listed)
    reviewer = api_key("reviewer")
    assert client.get(f"/v1/results/{result_id}", headers=reviewer).status_code == 200


def test_an_admin_reads_no_results(client, api_key):
    response = client.get("/v1/results", headers=api_key("admin"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"decision": "maybe"}, {"fusion_status": "odd"}]
)
def test_bad_queries_are_422(client, params):
    response = client.get("/v1/results", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"
