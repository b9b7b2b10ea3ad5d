"""Model hot-swap: load beside, check, switch atomically; no request fails meanwhile."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import anyio
import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.served_model.hot_swap import ModelSwapper, check_served_model
from api.served_model.loader import RegistryLookupError
from classifier.bundle import load_bundle, save_bundle
from classifier.errors import ModelBundleError
from tests.api.builders import CLASSES, MODEL_VERSION
from tests.api.mlflow_globals import mlflow_uris


@pytest.fixture(scope="module")
def bundle_v8(bundle_dir, tmp_path_factory):
    """The tiny bundle again, as version 8."""
    bundle = load_bundle(bundle_dir)
    provenance = {**bundle.provenance, "mlflow": {"registered_version": "8", "run_id": "r8"}}
    renamed = dataclasses.replace(bundle, version="8", provenance=provenance)
    return save_bundle(renamed, tmp_path_factory.mktemp("bundle-v8"))


class _NaNBundle:
    """A bundle stand-in whose scores are not numbers."""

    def __init__(self, real):
        self.estimator = real.estimator
        self.cpgs = real.cpgs
        self.classes = real.classes

    def classify_aligned(self, matrix):
        (call,) = self._real_calls(matrix)
        return [dataclasses.replace(call, scores={c: float("nan") for c in self.classes})]


def test_a_good_model_passes_its_check(client):
    check = check_served_model(client.app.state.model)
    assert check.n_classes == len(CLASSES)
    assert check.top_class in CLASSES
    assert 0.0 < check.score <= 1.0


def test_a_model_with_nan_scores_fails_its_check(client):
    served = client.app.state.model
    fake = _NaNBundle(served.bundle)
    fake._real_calls = served.bundle.classify_aligned
    broken = dataclasses.replace(served, bundle=fake)
    with pytest.raises(ModelBundleError, match="not 5 finite numbers"):
        check_served_model(broken)


def test_a_failed_reload_keeps_the_old_model(client, settings):
    served = client.app.state.model
    state = SimpleNamespace(model=served)

    def broken_loader(_settings):
        raise OSError("disk on fire")

    swapper = ModelSwapper(state, settings, loader=broken_loader)
    with pytest.raises(ModelBundleError, match="cannot load the new model: disk on fire"):
        anyio.run(swapper.reload)
    assert state.model is served


def test_a_model_failing_its_check_is_not_swapped_in(client, settings):
    served = client.app.state.model
    state = SimpleNamespace(model=served)
    fake = _NaNBundle(served.bundle)
    fake._real_calls = served.bundle.classify_aligned
    swapper = ModelSwapper(
        state, settings, loader=lambda _s: dataclasses.replace(served, bundle=fake)
    )
    with pytest.raises(ModelBundleError, match="finite"):
        anyio.run(swapper.reload)
    assert state.model is served


def test_without_an_alias_there_is_nothing_to_follow(client, settings):
    state = SimpleNamespace(model=client.app.state.model)
    outcome = anyio.run(ModelSwapper(state, settings).reload_if_moved)
    assert not outcome.swapped and outcome.current == outcome.previous


@pytest.fixture
def swap_app(settings, bundle_dir, tmp_path):
    """An app serving a bundle directory of its own, and that directory."""
    served_dir = shutil.copytree(bundle_dir, tmp_path / "served")
    app = create_app(
        settings.model_copy(
            update={
                "model_path": served_dir,
                "database_url": f"sqlite:///{tmp_path / 'service.db'}",
            }
        )
    )
    return app, served_dir


@pytest.mark.slow
def test_no_request_fails_during_reloads(swap_app, world, bundle_dir, bundle_v8):
    app, served_dir = swap_app
    body = {"profiles": [{"sample_id": "S-1", "betas": world.betas("EWS")}]}
    with TestClient(app) as test_client:
        _, lis = app.state.api_keys.create("lis-swap", "lis")
        _, admin = app.state.api_keys.create("admin-swap", "admin")
        lis_headers = {"Authorization": f"Bearer {lis}"}
        admin_headers = {"Authorization": f"Bearer {admin}"}
        seen_versions: set[str] = set()

        reloading = threading.Event()
        reloading.set()

        def classify_while_reloading() -> list[int]:
            statuses = []
            while reloading.is_set() or len(statuses) < 20:
                response = test_client.post("/v1/classify", json=body, headers=lis_headers)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    result = response.json()["results"][0]
                    seen_versions.add(result["model"]["version"])
                    assert result["classification"]["top_class"] == "EWS"
                statuses.append(test_client.get("/ready").status_code)
            return statuses

        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(classify_while_reloading) for _ in range(3)]
            reloads = []
            for i in range(2):
                source = bundle_v8 if i % 2 == 0 else bundle_dir
                shutil.copytree(source, served_dir, dirs_exist_ok=True)
                reloads.append(test_client.post("/v1/admin/model/reload", headers=admin_headers))
            reloading.clear()
            statuses = [s for f in futures for s in f.result()]
        final = test_client.get("/v1/model", headers=lis_headers).json()["version"]
        metrics = test_client.get("/metrics").text
    assert [r.status_code for r in reloads] == [200, 200]
    assert [r.json()["current"]["version"] for r in reloads] == ["8", MODEL_VERSION]
    assert all(r.json()["swapped"] and r.json()["check"]["n_classes"] == 5 for r in reloads)
    assert statuses == [200] * len(statuses)
    assert seen_versions == {MODEL_VERSION, "8"}
    assert final == MODEL_VERSION
    assert f'version="{MODEL_VERSION}"' in metrics and 'version="8"' not in metrics
    assert 'sarcoma_model_reloads_total{outcome="swapped"} 2.0' in metrics


@pytest.mark.slow
def test_a_broken_bundle_on_disk_is_refused_with_409(swap_app):
    app, served_dir = swap_app
    with TestClient(app) as test_client:
        _, admin = app.state.api_keys.create("admin-swap", "admin")
        before = app.state.model
        (served_dir / "estimator.joblib").write_bytes(np.arange(10).tobytes())
        response = test_client.post(
            "/v1/admin/model/reload", headers={"Authorization": f"Bearer {admin}"}
        )
        assert app.state.model is before
        assert test_client.get("/ready").status_code == 200
    assert response.status_code == 409
    item = response.json()["detail"][0]
    assert item["type"] == "model_reload_failed"
    assert "does not match the hash" in item["msg"]


def _following_the_alias(settings, registry: str):
    """The test settings, serving ``models:/tiny@champion`` from ``registry``."""
    return settings.model_copy(
        update={
            "model_path": None,
            "model_uri": "models:/tiny@champion",
            "mlflow_tracking_uri": registry,
        }
    )


@pytest.fixture(scope="module")
def registry_two_versions(bundle_dir, bundle_v8, tmp_path_factory):
    """A registry with the tiny bundle as versions 1 and 2 of 'tiny'; champion on 1."""
    import mlflow
    from mlflow import MlflowClient

    from training.pyfunc_model import SarcomaClassifierPyfunc

    root = tmp_path_factory.mktemp("mlflow-swap")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with mlflow_uris(uri):
        experiment = mlflow.create_experiment("t", artifact_location=(root / "art").as_uri())
        for bundle in (bundle_dir, bundle_v8):
            with mlflow.start_run(experiment_id=experiment):
                mlflow.pyfunc.log_model(
                    name="model",
                    python_model=SarcomaClassifierPyfunc(),
                    artifacts={"bundle": str(bundle)},
                    registered_model_name="tiny",
                )
        MlflowClient().set_registered_model_alias("tiny", "champion", "1")
    return uri


@pytest.mark.slow
def test_polling_follows_the_alias(registry_two_versions, settings):
    from mlflow import MlflowClient

    from api.frame.prometheus import ServiceMetrics
    from api.served_model.loader import load_served_model

    registry = _following_the_alias(settings, registry_two_versions)
    metrics = ServiceMetrics()
    with mlflow_uris():
        state = SimpleNamespace(model=load_served_model(registry))
        swapper = ModelSwapper(state, registry, metrics=metrics)
        assert state.model.info.version == "1"
        unchanged = anyio.run(swapper.reload_if_moved)
        assert not unchanged.swapped
        MlflowClient(registry_two_versions).set_registered_model_alias("tiny", "champion", "2")
        moved = anyio.run(swapper.reload_if_moved)
    assert moved.swapped and moved.current.info.version == "2"
    assert state.model.info.source == "models:/tiny/2"
    text = metrics.render().decode()
    assert 'outcome="unchanged"} 1.0' in text and 'outcome="swapped"} 1.0' in text


@contextlib.contextmanager
def _alias_moved_to_2(settings, registry: str, loader):
    """Serve version 1 of the registry, then move the alias to 2; yield (client, state, swapper).

    The swapper reloads through ``loader``; the alias goes back to 1 afterwards
    (the registry is shared by the module's tests).
    """
    from mlflow import MlflowClient

    from api.served_model.loader import load_served_model

    following = _following_the_alias(settings, registry)
    with mlflow_uris():
        # Both URIs named: the global registry URI may point at another store here.
        registry_client = MlflowClient(registry, registry_uri=registry)
        registry_client.set_registered_model_alias("tiny", "champion", "1")
        state = SimpleNamespace(model=load_served_model(following))
        swapper = ModelSwapper(state, following, loader=loader)
        registry_client.set_registered_model_alias("tiny", "champion", "2")
        try:
            yield registry_client, state, swapper
        finally:
            registry_client.set_registered_model_alias("tiny", "champion", "1")


@pytest.mark.slow
def test_a_version_that_failed_is_not_loaded_again_until_the_alias_moves(
    registry_two_versions, settings
):
    loads = []

    def broken_loader(_settings):
        loads.append(1)
        raise ModelBundleError("version 2 is broken")

    with _alias_moved_to_2(settings, registry_two_versions, broken_loader) as (
        registry_client,
        state,
        swapper,
    ):
        with pytest.raises(ModelBundleError):
            anyio.run(swapper.reload_if_moved)
        again = anyio.run(swapper.reload_if_moved)  # the next poll: not loaded again
        assert not again.swapped and len(loads) == 1
        assert state.model.info.version == "1"
        with pytest.raises(ModelBundleError):  # an admin's reload still tries
            anyio.run(swapper.reload)
        assert len(loads) == 2
        registry_client.set_registered_model_alias("tiny", "champion", "1")
        assert not anyio.run(swapper.reload_if_moved).swapped


@pytest.mark.slow
def test_a_version_the_registry_could_not_deliver_is_asked_for_again(
    registry_two_versions, settings
):
    from api.served_model.loader import load_served_model

    loads = []

    def flaky_loader(settings_):
        loads.append(1)
        if len(loads) == 1:  # down while the new version downloads, then back
            raise RegistryLookupError("cannot download models:/tiny/2: connection refused")
        return load_served_model(settings_)

    with _alias_moved_to_2(settings, registry_two_versions, flaky_loader) as (_, state, swapper):
        with pytest.raises(RegistryLookupError):
            anyio.run(swapper.reload_if_moved)
        moved = anyio.run(swapper.reload_if_moved)  # the next poll tries version 2 again
    assert moved.swapped and state.model.info.version == "2" and len(loads) == 2


def test_polling_survives_failures(client, settings):
    swapper = ModelSwapper(SimpleNamespace(model=client.app.state.model), settings)
    calls = []

    async def failing() -> None:
        calls.append(1)
        if len(calls) % 2:
            raise ModelBundleError("registry unreachable")
        raise RuntimeError("unexpected")

    swapper.reload_if_moved = failing  # type: ignore[method-assign]

    async def poll_briefly() -> None:
        with anyio.move_on_after(0.2):
            await swapper.poll(0.01)

    anyio.run(poll_briefly)
    assert len(calls) >= 3


def test_polling_says_which_failures_it_asks_again(client, settings, caplog):
    swapper = ModelSwapper(SimpleNamespace(model=client.app.state.model), settings)
    failures = iter([RegistryLookupError("registry down"), ModelBundleError("version 9 broken")])

    async def failing() -> None:
        raise next(failures, RuntimeError("no more"))

    swapper.reload_if_moved = failing  # type: ignore[method-assign]

    async def two_ticks() -> None:
        with anyio.move_on_after(0.2):
            await swapper.poll(0.01)

    with caplog.at_level("WARNING", logger="api.served_model.hot_swap"):
        anyio.run(two_ticks)
    said = [r.getMessage() for r in caplog.records if r.name == "api.served_model.hot_swap"]
    assert said[:2] == [
        "model poll: registry down (asking again at the next tick)",
        "model poll: version 9 broken (not tried again until the alias moves)",
    ]
