"""Prometheus metrics: requests by route template, decisions by class, the model."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from api.frame.prometheus import ServiceMetrics
from api.served_model.loader import ModelInfo
from tests.api.builders import MODEL_NAME, MODEL_VERSION


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(text: str, name: str, **labels) -> float:
    return _samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def _result(decision: str, top_class: str, ood: bool = False) -> dict:
    return {
        "classification": {
            "decision": decision,
            "top_class": top_class,
            "out_of_distribution": ood,
        }
    }


def test_classified_profiles_are_counted_by_decision_and_class(client, world):
    before = client.get("/metrics").text
    body = {
        "profiles": [
            {"sample_id": "a", "betas": world.betas("DSRCT")},
            {"sample_id": "b", "betas": world.betas("DSRCT", seed=1)},
            {"sample_id": "c", "betas": world.betas("EWS")},
        ]
    }
    assert client.post("/v1/classify", json=body).status_code == 200
    after = client.get("/metrics").text
    name = "sarcoma_classifications_total"
    dsrct = {"decision": "match", "class": "DSRCT"}
    assert _value(after, name, **dsrct) - _value(before, name, **dsrct) == 2
    ews = {"decision": "match", "class": "EWS"}
    assert _value(after, name, **ews) - _value(before, name, **ews) == 1


def test_requests_are_labelled_by_route_template_not_path(client):
    client.get("/v1/results-of/S-2024-0117?patient=Jane")  # no such route
    client.get("/v1/model/cpgs")
    text = client.get("/metrics").text
    assert "S-2024-0117" not in text and "Jane" not in text
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert _value(text, "sarcoma_http_requests_total", **unmatched) >= 1
    timed = {"method": "GET", "route": "/v1/model/cpgs"}
    assert _value(text, "sarcoma_http_request_duration_seconds_count", **timed) >= 1


def test_unusual_methods_share_one_label(client):
    client.request("BREW", "/v1/model")
    text = client.get("/metrics").text
    assert 'method="BREW"' not in text
    assert 'method="other"' in text


def test_the_served_model_is_reported(client):
    text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (sample,) = families["sarcoma_model_info"].samples
    assert sample.value == 1
    assert sample.labels["name"] == MODEL_NAME and sample.labels["version"] == MODEL_VERSION


def test_no_match_and_out_of_distribution_counters():
    metrics = ServiceMetrics()
    metrics.observe_results(
        [_result("no_match", "EWS", ood=True), _result("match", "EWS"), _result("no_match", "SS")]
    )
    text = metrics.render().decode()
    assert _value(text, "sarcoma_no_match_total") == 2
    assert _value(text, "sarcoma_out_of_distribution_total") == 1
    assert (
        _value(text, "sarcoma_classifications_total", decision="no_match", **{"class": "SS"}) == 1
    )


def test_set_model_replaces_the_previous_model():
    metrics = ServiceMetrics()
    for version in ("1", "2"):
        metrics.set_model(
            ModelInfo(
                name="m",
                version=version,
                run_id=None,
                source=f"models:/m/{version}",
                requested="models:/m@champion",
                threshold=0.9,
                cpgs_sha256="0" * 64,
            )
        )
    text = metrics.render().decode()
    assert 'version="2"' in text and 'version="1"' not in text


def test_two_apps_have_separate_registries():
    first, second = ServiceMetrics(), ServiceMetrics()
    first.no_match.inc()
    assert _value(second.render().decode(), "sarcoma_no_match_total") == 0
