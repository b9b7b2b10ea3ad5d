"""The app's wiring: cheap import, OpenAPI description, offline docs pages, request ids, errors."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.mark.slow
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


class _AssetLinks(HTMLParser):
    """The URLs a page makes the browser load: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        (
            "/docs",
            {
                "/docs/swagger-ui-bundle.js": "text/javascript",
                "/docs/swagger-ui.css": "text/css",
                "/docs/fastapi/favicon.png": "image/png",
            },
        ),
        (
            "/redoc",
            {
                "/redoc/redoc.standalone.js": "text/javascript",
                "/redoc/fastapi/favicon.png": "image/png",
            },
        ),
    ],
)
def test_docs_pages_load_their_assets_from_the_service(client, page, assets):
    # Labs run the service without internet: a CDN asset would leave the page blank.
    response = client.get(page)
    assert response.status_code == 200
    assert "://" not in response.text  # no absolute URL at all: no CDN, no Google Fonts
    links = _AssetLinks()
    links.feed(response.text)
    assert sorted(links.urls) == sorted(assets)
    for url, content_type in assets.items():
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] == content_type, url
        assert len(asset.content) > 1000, url  # the real file, not an error page


def test_redoc_shows_its_logo_from_the_service(client):
    # ReDoc's footer logo is an <img> from its CDN in the upstream bundle; the
    # packaged copy points it at the page's own path instead.
    script = client.get("/redoc/redoc.standalone.js").text
    assert "cdn.redoc.ly" not in script
    assert 'window.location.pathname+"/logo-mini.svg"' in script
    logo = client.get("/redoc/logo-mini.svg")
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/svg+xml"
