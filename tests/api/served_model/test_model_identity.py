"""The identity of the model and the probe manifest behind a result."""

from __future__ import annotations

import dataclasses
import hashlib
from importlib.resources import files

import pytest

from api.served_model.loader import ServedModel, load_served_model
from api.served_model.model_identity import MANIFEST_FILES, manifest_sha256, model_fingerprint


@pytest.fixture(scope="module")
def model(settings) -> ServedModel:
    return load_served_model(settings)


def test_the_manifest_hash_names_both_manifest_files():
    data = files("classifier") / "data"
    lines = "".join(
        f"{name}:{hashlib.sha256((data / name).read_bytes()).hexdigest()}\n"
        for name in MANIFEST_FILES
    )
    assert manifest_sha256() == hashlib.sha256(lines.encode()).hexdigest()
    assert manifest_sha256() is manifest_sha256()  # computed once


def test_the_fingerprint_is_stable_for_one_bundle(model, settings):
    again = load_served_model(settings)
    assert len(model_fingerprint(model)) == 64
    assert model_fingerprint(again) == model_fingerprint(model)
    # The served model keeps its own, computed once.
    assert again.fingerprint == model_fingerprint(again)
    assert "fingerprint" in vars(again)


@pytest.mark.parametrize(
    "retrain",
    [
        {"provenance": {"created": "2026-12-01T00:00:00+00:00"}},
        {"threshold": 0.5},
    ],
)
def test_a_retrained_bundle_of_the_same_name_and_version_has_another(model, retrain):
    bundle = dataclasses.replace(model.bundle, **retrain)
    retrained = dataclasses.replace(model, bundle=bundle)
    assert (retrained.info.name, retrained.info.version) == (model.info.name, model.info.version)
    assert model_fingerprint(retrained) != model_fingerprint(model)


def test_another_run_id_gives_another_fingerprint(model):
    other = dataclasses.replace(model, info=dataclasses.replace(model.info, run_id="feed" * 8))
    assert model_fingerprint(other) != model_fingerprint(model)
