"""The app's wiring: cheap import, OpenAPI description, request ids, error handlers."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from api.main import create_app


def test_importing_the_app_loads_no_model_and_no_mlflow():
    # Run in a fresh interpreter: this test process has imported everything.
    code = (
        "import sys, api.main as m; "
        "assert m.app.state.model is None; "
        "assert 'mlflow' not in sys.modules, 'mlflow imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_openapi_documents_both_body_forms(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/v1/classify"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/vnd.apache.arrow.stream"}
    assert {"object", "arrays", "manifest_order"} <= set(content["application/json"]["examples"])
    assert "profiles" in content["application/json"]["schema"]["properties"]
    assert {"400", "413", "415", "422"} <= set(operation["responses"])
    assert spec["paths"]["/v1/model"]["get"]["responses"]["200"]
    assert "/health" in spec["paths"] and "/ready" in spec["paths"]


def test_unknown_route_uses_the_error_body(client):
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_unexpected_errors_are_500_without_a_trace(settings):
    app = create_app(settings)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("secret internal state: cg00000029=0.42")

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"][0]["type"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


def test_request_ids_differ(client):
    ids = {client.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
