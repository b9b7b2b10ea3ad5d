"""GET /health and GET /ready."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.builders import MODEL_NAME, MODEL_VERSION


def test_health_is_always_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) == 32


def test_ready_once_the_model_is_loaded(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "model": MODEL_NAME, "version": MODEL_VERSION}


def test_not_ready_before_a_model_is_loaded(settings):
    # Without entering the lifespan, no model is loaded (and no key store: auth off).
    client = TestClient(create_app(settings.model_copy(update={"auth_required": False})))
    assert client.get("/health").status_code == 200
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["detail"][0]["type"] == "service_unavailable"
    assert body["request_id"] == response.headers["x-request-id"]
    classify = client.post("/v1/classify", json={"profiles": []})
    assert classify.status_code == 503
