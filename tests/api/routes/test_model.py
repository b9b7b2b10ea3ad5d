"""GET /v1/model and GET /v1/model/cpgs."""

from __future__ import annotations

import hashlib

from api.contract.service_info import ModelCard
from api.served_model.model_card import _without_paths
from tests.api.builders import CLASSES, MODEL_NAME, MODEL_VERSION, RUN_ID


def test_model_card(client, settings):
    response = client.get("/v1/model")
    assert response.status_code == 200
    card = response.json()
    ModelCard.model_validate(card)
    assert card["name"] == MODEL_NAME
    assert card["version"] == MODEL_VERSION
    assert card["run_id"] == RUN_ID
    # A client sees the bundle by its name, not where it lies on the server.
    assert card["source"] == card["requested"] == f"bundle {settings.bundle_path.name}"
    assert str(settings.bundle_path.parent) not in response.text
    assert card["threshold"] == 0.9
    assert card["n_cpgs"] == 200
    assert card["learner"] == "rf"
    classes = {c["code"]: c for c in card["classes"]}
    assert set(classes) == set(CLASSES)
    assert classes["DSRCT"] == {
        "code": "DSRCT",
        "name": "desmoplastic small round cell tumour",
        "family": "ROUND_CELL",
        "family_name": "round cell sarcomas",
    }
    families = {f["code"]: f for f in card["families"]}
    assert sorted(families["ROUND_CELL"]["classes"]) == ["CIC", "DSRCT", "EWS"]
    assert card["metrics"]["evaluated"] is False
    assert card["training"] == {"n_samples": 50}
    assert card["provenance"]["mlflow"]["run_id"] == RUN_ID
    assert card["limits"]["max_batch"] == settings.max_batch
    assert card["limits"]["min_cpgs"] == 100


def test_cpg_list_matches_its_hash(client):
    text = client.get("/v1/model/cpgs").text
    assert len(text.split()) == 200
    assert (
        hashlib.sha256(text.encode()).hexdigest() == client.get("/v1/model").json()["cpgs_sha256"]
    )


def test_an_admin_sees_where_the_model_was_loaded_from(client, settings, api_key):
    card = client.get("/v1/model", headers=api_key("admin", "card-admin")).json()
    assert card["source"] == card["requested"] == str(settings.bundle_path)


def test_metrics_name_no_path(client, settings):
    text = client.get("/metrics").text
    assert f'source="bundle {settings.bundle_path.name}"' in text
    assert str(settings.bundle_path.parent) not in text


def test_the_provenance_a_client_sees_names_no_place():
    provenance = {
        "code_version": "v1.4.0-3-gabc1234",
        "training_data": {"cohort": "work/cohort", "sha256": "ab" * 32, "n_samples": 1077},
        "config": {"out": "/srv/models/x", "gates": "C:\\gates.json", "model": "rf",
                   "outer_folds": "5"},
        "mlflow": {"tracking_uri": "https://lab:s3cret@mlflow.lab.org/", "run_id": "r1",
                   "registered_model_uri": "models:/sarcoma/3", "store": "sqlite:///m.db"},
        "paths": ["/a/b", "kept"],
    }  # fmt: skip
    assert _without_paths(provenance) == {
        "code_version": "v1.4.0-3-gabc1234",
        "training_data": {"sha256": "ab" * 32, "n_samples": 1077},
        "config": {"model": "rf", "outer_folds": "5"},
        "mlflow": {"run_id": "r1", "registered_model_uri": "models:/sarcoma/3"},
        "paths": ["kept"],
    }
