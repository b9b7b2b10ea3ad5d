"""GET /v1/model and GET /v1/model/cpgs."""

from __future__ import annotations

import hashlib

from api.contract.service_info import ModelCard
from tests.api.builders import CLASSES, MODEL_NAME, MODEL_VERSION, RUN_ID


def test_model_card(client, settings):
    response = client.get("/v1/model")
    assert response.status_code == 200
    card = response.json()
    ModelCard.model_validate(card)
    assert card["name"] == MODEL_NAME
    assert card["version"] == MODEL_VERSION
    assert card["run_id"] == RUN_ID
    assert card["source"] == str(settings.bundle_path)
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
