"""MAX_BODY_BYTES on routes whose body FastAPI reads before any route code runs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

LIMIT = 1000
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def small_limit(override_settings) -> None:
    override_settings(max_body_bytes=LIMIT)


@pytest.fixture
def admin(api_key) -> dict[str, str]:
    return api_key("admin", "body-limit-admin")


def _new_key(client_name: str, padding: int) -> bytes:
    # Unknown fields are ignored by the model: only the size matters.
    return orjson.dumps({"client": client_name, "role": "lis", "note": "x" * padding})


def _chunks(body: bytes) -> Iterator[bytes]:
    """The body sent in pieces, without a Content-Length header."""
    for start in range(0, len(body), 300):
        yield body[start : start + 300]


def _refused(response: httpx.Response, what: str, limit: int = LIMIT) -> dict:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    (item,) = body["detail"]
    assert item == {"loc": [], "field": None, "msg": item["msg"], "type": "body_too_large"}
    assert what in item["msg"] and f"is {limit:,} bytes" in item["msg"]
    return item


def _client_names(client, admin) -> set[str]:
    return {key["client"] for key in client.get("/v1/admin/keys", headers=admin).json()}


@pytest.mark.usefixtures("small_limit")
def test_admin_keys_body_over_the_declared_limit(client, admin):
    response = client.post(
        "/v1/admin/keys", content=_new_key("too-big-declared", 2 * LIMIT), headers=admin | JSON
    )
    _refused(response, "Content-Length says 2,")
    assert "too-big-declared" not in _client_names(client, admin)


@pytest.mark.usefixtures("small_limit")
def test_admin_keys_streamed_body_over_the_limit(client, admin):
    body = _new_key("too-big-streamed", 2 * LIMIT)
    response = client.post("/v1/admin/keys", content=_chunks(body), headers=admin | JSON)
    _refused(response, f"more than {LIMIT:,} bytes were sent")
    assert "too-big-streamed" not in _client_names(client, admin)


@pytest.mark.usefixtures("small_limit")
def test_admin_keys_body_under_the_limit_is_read(client, admin):
    body = _new_key("small-enough", LIMIT // 2)
    response = client.post("/v1/admin/keys", content=_chunks(body), headers=admin | JSON)
    assert response.status_code == 201, response.text
    assert "small-enough" in _client_names(client, admin)


@pytest.mark.usefixtures("small_limit")
def test_login_form_over_the_declared_limit(client):
    response = client.post("/ui/login", data={"api_key": "k" * 150, "next": "/ui/" + "x" * LIMIT})
    _refused(response, "Content-Length says")


@pytest.mark.usefixtures("small_limit")
def test_login_form_streamed_over_the_limit(client):
    body = b"api_key=" + b"k" * 150 + b"&next=/ui/" + b"x" * (2 * LIMIT)
    response = client.post("/ui/login", content=_chunks(body), headers=FORM)
    _refused(response, f"more than {LIMIT:,} bytes were sent")


@pytest.mark.usefixtures("small_limit")
def test_login_form_under_the_limit_is_read(client):
    response = client.post("/ui/login", data={"api_key": "not-a-key"})
    assert response.status_code == 401
    assert "unknown or has been revoked" in response.text


@pytest.mark.usefixtures("small_limit")
def test_classify_keeps_its_own_message(client):
    response = client.post("/v1/classify", content=b"{" + b" " * 2 * LIMIT + b"}", headers=JSON)
    item = _refused(response, "Content-Length says 2,")
    assert "Send fewer profiles per request" in item["msg"]


def test_the_limit_is_read_at_request_time(client, admin, override_settings):
    body = _new_key("limit-read-late", 2 * LIMIT)
    override_settings(max_body_bytes=len(body) - 1)
    response = client.post("/v1/admin/keys", content=body, headers=admin | JSON)
    _refused(response, "Content-Length", limit=len(body) - 1)
    override_settings(max_body_bytes=len(body))
    response = client.post("/v1/admin/keys", content=body, headers=admin | JSON)
    assert response.status_code == 201, response.text
