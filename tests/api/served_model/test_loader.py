"""Loading the model from a bundle directory or the MLflow registry."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.served_model.loader import (
    EMBEDDED_TRACKING_URI,
    REGISTRY_HTTP_DEFAULTS,
    RegistryLookupError,
    load_served_model,
    public_source,
    resolve_registry_version,
)
from api.settings import Settings
from classifier.errors import ModelBundleError
from tests.api.builders import MODEL_NAME, RUN_ID
from tests.api.mlflow_globals import mlflow_uris


def _settings(**kwargs) -> Settings:
    return Settings(_env_file=None, **kwargs)  # type: ignore[call-arg]


def test_missing_bundle_fails_loudly(tmp_path):
    with pytest.raises(ModelBundleError, match=r"bundle\.json missing"):
        load_served_model(_settings(model_path=tmp_path))


def test_bundle_directory(client, settings):
    model = client.app.state.model
    assert model.info.name == MODEL_NAME
    assert model.info.run_id == RUN_ID
    assert model.info.source == model.info.requested == str(settings.bundle_path)
    assert model.n_cpgs == 200


@pytest.fixture(scope="module")
def registry(bundle_dir, tmp_path_factory):
    """A registry holding the tiny bundle as version 1 of 'tiny', alias champion."""
    import mlflow
    from mlflow import MlflowClient

    from training.pyfunc_model import SarcomaClassifierPyfunc

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        experiment = mlflow.create_experiment("t", artifact_location=(root / "art").as_uri())
        with mlflow.start_run(experiment_id=experiment) as run:
            mlflow.pyfunc.log_model(
                name="model",
                python_model=SarcomaClassifierPyfunc(),
                artifacts={"bundle": str(bundle_dir)},
                registered_model_name="tiny",
            )
        MlflowClient().set_registered_model_alias("tiny", "champion", "1")
    finally:
        mlflow.set_tracking_uri(previous)
    return uri, run.info.run_id


@pytest.mark.slow
def test_registry_alias_is_resolved_to_a_fixed_version(registry):
    uri, run_id = registry
    model = load_served_model(_settings(model_uri="models:/tiny@champion", mlflow_tracking_uri=uri))
    assert model.info.name == "tiny"
    assert model.info.version == "1"
    assert model.info.run_id == run_id
    assert model.info.source == "models:/tiny/1"
    assert model.info.requested == "models:/tiny@champion"
    assert model.n_cpgs == 200


@pytest.mark.slow
def test_unknown_alias_fails_loudly(registry):
    uri, _ = registry
    with pytest.raises(ModelBundleError, match="cannot resolve MODEL_URI"):
        load_served_model(_settings(model_uri="models:/tiny@nobody", mlflow_tracking_uri=uri))


class _Unavailable(BaseHTTPRequestHandler):
    """A registry that is down behind its proxy: every request gets 503, and is counted."""

    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def unavailable_registry():
    """The URL of a registry answering 503, and a function giving how many requests it got."""
    handler = type("Handler", (_Unavailable,), {"requests": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", lambda: handler.requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_registry_that_is_down_is_given_up_after_two_retries(unavailable_registry):
    down, requests = unavailable_registry
    # mlflow_uris: the loader sets the URIs and the HTTP variables globally; restored after.
    with mlflow_uris():
        for variable in REGISTRY_HTTP_DEFAULTS:
            os.environ.pop(variable, None)
        with pytest.raises(RegistryLookupError, match=f"cannot resolve MODEL_URI .* at {down}"):
            resolve_registry_version("models:/tiny@champion", down)
        assert {v: os.environ[v] for v in REGISTRY_HTTP_DEFAULTS} == {
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
        }
    # Two retries (a few seconds of MLflow's back-off); its own default, 7 (about 4 minutes).
    assert requests() == 3


def test_the_operators_mlflow_http_settings_win(monkeypatch, unavailable_registry):
    import mlflow  # noqa: F401

    down, requests = unavailable_registry
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with mlflow_uris(), pytest.raises(RegistryLookupError):
        resolve_registry_version("models:/tiny@champion", down)
    # No retry: MLflow used the operator's 0, not the service's 2.
    assert requests() == 1
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"


def test_without_a_tracking_uri_the_registry_is_the_one_training_writes(monkeypatch):
    # The embedded store at the checkout's root: where `python -m training.train` registers.
    from training.tracking import configure_tracking

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    root = Path(__file__).resolve().parents[3]
    with mlflow_uris():
        assert configure_tracking() == EMBEDDED_TRACKING_URI == f"sqlite:///{root / 'mlflow.db'}"


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("/srv/models/sarcoma-classifier", "bundle sarcoma-classifier"),
        ("models/sarcoma-classifier/", "bundle sarcoma-classifier"),
        ("models:/sarcoma-classifier/3", "models:/sarcoma-classifier/3"),
        ("models:/sarcoma-classifier@champion", "models:/sarcoma-classifier@champion"),
        ("bundle sarcoma-classifier", "bundle sarcoma-classifier"),  # shown twice, same
    ],
)
def test_the_public_source_names_no_server_path(source, shown):
    assert public_source(source) == shown
