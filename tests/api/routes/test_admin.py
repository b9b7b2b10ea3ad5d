"""``/v1/admin``: model reload and key management over HTTP (role admin)."""

from __future__ import annotations

import pytest

from api.classification.result_builder import model_ref
from tests.api.builders import MODEL_NAME, MODEL_VERSION


@pytest.fixture
def admin(api_key) -> dict[str, str]:
    return api_key("admin", "admin-http")


@pytest.mark.slow
def test_reload_checks_and_swaps_the_model(client, admin):
    before = client.app.state.model
    response = client.post("/v1/admin/model/reload", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert body["swapped"] is True
    assert body["previous"]["version"] == body["current"]["version"] == MODEL_VERSION
    assert body["current"]["name"] == MODEL_NAME
    assert body["check"]["n_classes"] == 5 and body["check"]["n_cpgs"] == 200
    assert client.app.state.model is not before
    # Both models are described as a result's `model` block describes them.
    assert body["previous"] == model_ref(before).model_dump(mode="json")
    assert body["current"] == model_ref(client.app.state.model).model_dump(mode="json")
    for ref in (body["previous"], body["current"]):
        assert 0 < ref["conformal_alpha"] < 1 and ref["ood_threshold"] > 0
        assert len(ref["fingerprint"]) == len(ref["manifest_sha256"]) == 64
    assert client.get("/ready").status_code == 200


def test_keys_are_created_listed_and_revoked(client, admin):
    created = client.post(
        "/v1/admin/keys", json={"client": "lis-ward-7", "role": "lis"}, headers=admin
    )
    assert created.status_code == 201
    key, token = created.json()["key"], created.json()["token"]
    assert key["client"] == "lis-ward-7" and key["role"] == "lis" and key["active"]
    assert key["created_by"] == "admin-http"
    new_lis = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/model", headers=new_lis).status_code == 200

    listing = client.get("/v1/admin/keys", headers=admin)
    assert listing.status_code == 200
    assert key["id"] in {k["id"] for k in listing.json()}
    assert token not in listing.text

    revoked = client.post(f"/v1/admin/keys/{key['id']}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False and revoked.json()["revoked_by"] == "admin-http"
    assert client.get("/v1/model", headers=new_lis).status_code == 401


def test_revoking_an_unknown_key_is_404(client, admin):
    response = client.post("/v1/admin/keys/0123456789ab/revoke", headers=admin)
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ({"client": "Jane Doe", "role": "lis"}, "string_pattern_mismatch"),
        ({"client": "lis-x", "role": "root"}, "enum"),
    ],
)
def test_a_bad_new_key_is_422(client, admin, body, type_):
    response = client.post("/v1/admin/keys", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == type_


def test_a_new_key_sent_as_a_form_is_415(client, admin):
    # curl -d without -H sends a form: FastAPI would read it as a string and say "dictionary".
    response = client.post("/v1/admin/keys", data={"client": "lis-x", "role": "lis"}, headers=admin)
    assert response.status_code == 415
    (item,) = response.json()["detail"]
    assert item["type"] == "unsupported_media_type"
    assert item["msg"] == (
        "expected Content-Type application/json, got 'application/x-www-form-urlencoded'"
    )


def test_a_client_name_belongs_to_one_role(client, admin):
    first = client.post(
        "/v1/admin/keys", json={"client": "lis-ward-9", "role": "lis"}, headers=admin
    )
    assert first.status_code == 201
    # A second key of the same role shares the name (rotation); another role may not.
    again = client.post(
        "/v1/admin/keys", json={"client": "lis-ward-9", "role": "lis"}, headers=admin
    )
    assert again.status_code == 201
    response = client.post(
        "/v1/admin/keys", json={"client": "lis-ward-9", "role": "reviewer"}, headers=admin
    )
    assert response.status_code == 409
    (item,) = response.json()["detail"]
    assert (item["field"], item["type"]) == ("client", "client_role_conflict")
    assert "already has keys with the role lis" in item["msg"]
