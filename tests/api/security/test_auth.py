"""Every data endpoint needs a key; each role is denied what it must not do."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.security import SESSION_COOKIE, TokenBucketLimiter


@pytest.fixture
def anonymous(app, client) -> TestClient:
    """A client of the running app that sends no key."""
    return TestClient(app)


@pytest.fixture
def profile_body(world) -> dict:
    return {"profiles": [{"sample_id": "S-1", "betas": world.betas("DSRCT")}]}


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/ready",
        "/docs",
        "/docs/swagger-ui-bundle.js",
        "/redoc",
        "/redoc/redoc.standalone.js",
        "/openapi.json",
        "/metrics",
    ],
)
def test_open_endpoints_need_no_key(anonymous, path):
    assert anonymous.get(path).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/classify"),
        ("GET", "/v1/model"),
        ("GET", "/v1/model/cpgs"),
        ("POST", "/v1/admin/model/reload"),
        ("GET", "/v1/admin/keys"),
    ],
)
def test_data_endpoints_without_a_key_are_401(anonymous, method, path):
    response = anonymous.request(method, path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["detail"][0]["type"] == "not_authenticated"
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer smc_0123456789ab_" + "A" * 43},
        {"Authorization": "Bearer garbage"},
        {"X-API-Key": "smc_0123456789ab_" + "A" * 43},
    ],
)
def test_a_bad_key_is_401(anonymous, headers):
    response = anonymous.get("/v1/model", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"][0]["type"] == "invalid_api_key"


def test_a_revoked_key_is_401(app, anonymous):
    info, token = app.state.api_keys.create("lis-gone", "lis")
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/v1/model", headers=headers).status_code == 200
    app.state.api_keys.revoke(info.id)
    assert anonymous.get("/v1/model", headers=headers).status_code == 401


def test_the_key_may_come_in_x_api_key(app, anonymous):
    _, token = app.state.api_keys.create("lis-x", "lis")
    assert anonymous.get("/v1/model", headers={"X-API-Key": token}).status_code == 200


def test_a_page_session_reads_but_never_writes(app, anonymous, profile_body):
    _, token = app.state.api_keys.create("lis-cookie", "lis")
    session = app.state.page_sessions.start(app.state.api_keys.authenticate(token))
    anonymous.cookies.set(SESSION_COOKIE, session)
    assert anonymous.get("/v1/model").status_code == 200
    assert anonymous.post("/v1/classify", json=profile_body).status_code == 401
    anonymous.cookies.set(SESSION_COOKIE, token)  # a key is no session
    assert anonymous.get("/v1/model").status_code == 401


@pytest.mark.parametrize("role", ["lis", "reviewer", "admin"])
def test_every_role_reads_the_model_card(client, api_key, role):
    assert client.get("/v1/model", headers=api_key(role)).status_code == 200


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_only_a_lis_submits(client, api_key, profile_body, role):
    response = client.post("/v1/classify", json=profile_body, headers=api_key(role))
    assert response.status_code == 403
    item = response.json()["detail"][0]
    assert item["type"] == "forbidden"
    assert item["msg"] == f"the role '{role}' of this key may not do this (needs classify)"


def test_a_refusal_names_the_permissions_of_which_one_is_needed(client, api_key):
    response = client.get("/v1/results", headers=api_key("admin"))
    assert response.status_code == 403
    assert response.json()["detail"][0]["msg"] == (
        "the role 'admin' of this key may not do this "
        "(needs one of read_own_results, read_all_results)"
    )


@pytest.mark.parametrize("role", ["lis", "reviewer"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/admin/model/reload"),
        ("GET", "/v1/admin/keys"),
        ("POST", "/v1/admin/keys"),
        ("POST", "/v1/admin/keys/0123456789ab/revoke"),
    ],
)
def test_only_an_admin_reloads_and_manages_keys(client, api_key, role, method, path):
    response = client.request(
        method, path, headers=api_key(role), json={"client": "x", "role": "admin"}
    )
    assert response.status_code == 403
    assert response.json()["detail"][0]["type"] == "forbidden"


def test_a_lis_submits(client, profile_body):
    assert client.post("/v1/classify", json=profile_body).status_code == 200


def test_the_client_name_is_in_the_access_log(client, caplog):
    with caplog.at_level("INFO", logger="api.access"):
        client.get("/v1/model")
    (record,) = [r for r in caplog.records if r.name == "api.access"]
    assert record.client == "test-lis"
    assert record.route == "/v1/model"


def test_over_the_rate_limit_is_429_with_retry_after(app, client, api_key):
    previous = app.state.rate_limiter
    app.state.rate_limiter = TokenBucketLimiter(rate=0.01, burst=2)
    try:
        busy, other = api_key("lis", "lis-busy"), api_key("lis", "lis-quiet")
        statuses = [client.get("/v1/model", headers=busy).status_code for _ in range(3)]
        refused = client.get("/v1/model", headers=busy)
        quiet = client.get("/v1/model", headers=other)
    finally:
        app.state.rate_limiter = previous
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"][0]["type"] == "rate_limited"
    assert quiet.status_code == 200


def test_without_auth_required_no_key_is_needed(anonymous, override_settings):
    override_settings(auth_required=False)
    assert anonymous.get("/v1/model").status_code == 200


def test_failures_are_counted_in_the_metrics(anonymous):
    anonymous.get("/v1/model")
    text = anonymous.get("/metrics").text
    assert 'sarcoma_auth_failures_total{reason="not_authenticated"}' in text


def test_openapi_documents_both_key_schemes(client):
    spec = client.get("/openapi.json").json()
    assert {"bearer", "apiKey"} <= set(spec["components"]["securitySchemes"])
    operation = spec["paths"]["/v1/classify"]["post"]
    assert {"401", "403", "429"} <= set(operation["responses"])
    assert operation["security"]
    assert "security" not in spec["paths"]["/health"]["get"]
