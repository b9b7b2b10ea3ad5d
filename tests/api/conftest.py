"""Fixtures of the API tests: a tiny real model, an app serving it, a client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from api.security import Role
from api.settings import Settings
from api.store.engine import make_engine
from tests.api.builders import TinyWorld, fit_bundle, make_world
from tests.api.postgres import BACKENDS, POSTGRES_URL, drop_everything


@pytest.fixture(scope="session")
def world() -> TinyWorld:
    """Real probe ids and class centroids shared by the model and the requests."""
    return make_world()


@pytest.fixture(scope="session")
def bundle_dir(world: TinyWorld, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of a real model fitted on the tiny world."""
    return fit_bundle(world, tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="session")
def settings(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Service settings pointing at the tiny bundle, independent of the environment.

    Authentication is on, as in production; the rate limit is off so that
    tests may send requests as fast as they like (its own tests turn it on).
    """
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        model_path=bundle_dir,
        model_uri=None,
        max_batch=20,
        max_body_bytes=32 * 1024 * 1024,
        database_url=f"sqlite:///{tmp_path_factory.mktemp('db') / 'service.db'}",
        rate_limit_per_second=0,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    """The application, configured with :func:`settings`."""
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the running application (lifespan entered: the model is loaded).

    It sends the key of the LIS client ``test-lis`` with every request.
    """
    with TestClient(app) as test_client:
        _, token = app.state.api_keys.create("test-lis", Role.LIS)
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


@pytest.fixture
def api_key(app: FastAPI, client: TestClient) -> Callable[..., dict[str, str]]:
    """Create a key and return its request headers: ``api_key("reviewer", "dr-x")``.

    Headers passed to a request replace the client's default ``test-lis`` key.
    """

    def create(role: str, name: str | None = None) -> dict[str, str]:
        _, token = app.state.api_keys.create(name or f"test-{role}", role)
        return {"Authorization": f"Bearer {token}"}

    return create


@pytest.fixture
def page_session(app: FastAPI, client: TestClient) -> Callable[..., str]:
    """Sign a browser in: ``page_session("reviewer")`` returns a session cookie's token."""

    def start(role: str, name: str | None = None) -> str:
        _, token = app.state.api_keys.create(name or f"test-{role}", role)
        return app.state.page_sessions.start(app.state.api_keys.authenticate(token))

    return start


@pytest.fixture
def override_settings(app: FastAPI, settings: Settings) -> Iterator[Callable[..., None]]:
    """Change settings of the running app for one test (e.g. a small body limit)."""

    def apply(**changes) -> None:
        app.state.settings = settings.model_copy(update=changes)

    yield apply
    app.state.settings = settings


@pytest.fixture
def post_json(client: TestClient) -> Callable[..., httpx.Response]:
    """POST a JSON document (or raw bytes) to /v1/classify."""

    def post(body, params: dict | None = None, content_type="application/json") -> httpx.Response:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return client.post(
            "/v1/classify", content=content, params=params, headers={"content-type": content_type}
        )

    return post


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no migration run yet), on each backend the tests have."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    else:
        engine = make_engine(str(POSTGRES_URL))
        drop_everything(engine)
    yield engine
    if request.param != "sqlite":
        drop_everything(engine)  # what a test left would otherwise meet the next one
    engine.dispose()
