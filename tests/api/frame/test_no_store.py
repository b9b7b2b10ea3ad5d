"""No answer carrying patient data may be kept by a cache: Cache-Control: no-store."""

from __future__ import annotations

import orjson
import pytest


@pytest.fixture(scope="module")
def stored_id(client, world) -> str:
    body = {"profiles": [{"sample_id": "CACHE-1", "diagnosis": "EWS", "betas": world.betas("EWS")}]}
    response = client.post("/v1/classify", content=orjson.dumps(body),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["stored"]["result_id"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/results/{id}",
        "/v1/results?accession=CACHE-1",
        "/v1/results/{id}/fhir",
        "/v1/results/{id}x",  # an error body names what was asked
        "/ui/",
        "/ui/cases/{id}",
        "/ui/cases/{id}/print",
        "/v1/model",
    ],
)
def test_answers_with_patient_data_are_not_stored(client, api_key, stored_id, path):
    response = client.get(path.format(id=stored_id), headers=api_key("reviewer", "cache-rev"))
    assert response.status_code in (200, 404), response.text
    assert response.headers["cache-control"] == "no-store"


def test_the_classify_answer_is_not_stored(client, world):
    body = {"profiles": [{"sample_id": "CACHE-2", "betas": world.betas("DSRCT")}]}
    response = client.post("/v1/classify", content=orjson.dumps(body),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.headers["cache-control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/ui/static/ui.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
