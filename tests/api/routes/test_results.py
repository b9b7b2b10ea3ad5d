"""Stored results: written by POST /v1/classify, read by GET /v1/results."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from api.contract.profile_result import ProfileResult
from api.contract.stored_results import ResultList, StoredResultOut
from api.served_model.model_identity import manifest_sha256, model_fingerprint


def _accession() -> str:
    return f"ACC-{uuid.uuid4().hex[:8]}"


def _classify(post_json, world, accession, label="DSRCT", **extra):
    body = {"profiles": [{"sample_id": accession, "betas": world.betas(label, seed=5), **extra}]}
    response = post_json(body)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_result_is_stored_and_readable_by_id(client, post_json, world):
    accession = _accession()
    body = _classify(post_json, world, accession)
    (result,) = body["results"]
    assert result["stored"] == {
        "result_id": result["result_id"],
        "resubmitted": False,
        "created_at": result["stored"]["created_at"],
    }
    response = client.get(f"/v1/results/{result['result_id']}")
    assert response.status_code == 200
    stored = StoredResultOut.model_validate(response.json())
    assert stored.accession == accession
    assert stored.client == "test-lis"
    assert stored.request_id == body["request_id"]
    assert stored.model.version == "7"
    assert len(stored.values_sha256) == len(stored.input_sha256) == 64
    assert stored.result.classification.top_class == "DSRCT"
    assert stored.result.classification.embedding is not None
    assert stored.result.result_id == result["result_id"]


def test_an_accepted_request_has_its_audit_rows(client, post_json, world):
    body = _classify(post_json, world, _accession())
    store = client.app.state.results
    assert store.deliveries(body["request_id"]) == [(body["results"][0]["result_id"], False)]


def test_a_refused_request_stores_nothing(client, post_json):
    before = len(client.get("/v1/results", params={"limit": 500}).json()["results"])
    response = post_json({"profiles": [{"sample_id": "BAD", "betas": {"cg00000029": 7}}]})
    assert response.status_code == 422
    assert client.app.state.results.deliveries(response.json()["request_id"]) == []
    assert len(client.get("/v1/results", params={"limit": 500}).json()["results"]) == before


def test_resubmission_returns_the_stored_result(post_json, world):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    again = _classify(post_json, world, accession)["results"][0]
    assert again["result_id"] == first["result_id"]
    assert again["stored"]["resubmitted"] is True
    assert again["stored"]["created_at"] == first["stored"]["created_at"]
    assert again["classification"] == first["classification"]


def test_a_new_diagnosis_is_a_new_result(post_json, world):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    other = _classify(post_json, world, accession, diagnosis="Ewing sarcoma")["results"][0]
    assert other["result_id"] != first["result_id"]
    assert other["reclassification"]["verdict"] == "reclassified"


def test_another_client_gets_its_own_result(client, post_json, world, api_key):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    body = {"profiles": [{"sample_id": accession, "betas": world.betas("DSRCT", seed=5)}]}
    other = client.post("/v1/classify", json=body, headers=api_key("lis", "lis-other")).json()
    assert other["results"][0]["result_id"] != first["result_id"]


def test_results_by_accession_and_decision(client, post_json, world):
    accession = _accession()
    _classify(post_json, world, accession)
    _classify(post_json, world, accession, diagnosis="Ewing sarcoma")
    listed = ResultList.model_validate(
        client.get("/v1/results", params={"accession": accession}).json()
    )
    assert len(listed.results) == 2
    assert {r.accession for r in listed.results} == {accession}
    # Newest first.
    assert listed.results[0].created_at >= listed.results[1].created_at
    assert listed.results[0].needs_attention == ["reclassified"]
    none = client.get("/v1/results", params={"accession": accession, "decision": "no_match"})
    assert none.json()["results"] == []
    one = client.get("/v1/results", params={"accession": accession, "limit": 1})
    assert len(one.json()["results"]) == 1


def test_unknown_result_is_404(client):
    response = client.get(f"/v1/results/{'0' * 32}")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_a_lis_reads_only_its_own_results(client, post_json, world, api_key):
    result_id = _classify(post_json, world, _accession())["results"][0]["result_id"]
    other = api_key("lis", "lis-elsewhere")
    assert client.get(f"/v1/results/{result_id}", headers=other).status_code == 404
    listed = client.get("/v1/results", headers=other).json()["results"]
    assert all(r["client"] == "lis-elsewhere" for r in listed)
    reviewer = api_key("reviewer")
    assert client.get(f"/v1/results/{result_id}", headers=reviewer).status_code == 200


def test_an_admin_reads_no_results(client, api_key):
    response = client.get("/v1/results", headers=api_key("admin"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"decision": "maybe"}, {"fusion_status": "odd"}]
)
def test_bad_queries_are_422(client, params):
    response = client.get("/v1/results", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_a_class_filter_must_name_a_class(client, world, post_json):
    # A class of the served model lists its results, or none yet: a plain 200.
    assert client.get("/v1/results", params={"top_class": "DSRCT"}).status_code == 200
    assert client.get("/v1/results", params={"top_class": ""}).status_code == 200  # no filter
    response = client.get("/v1/results", params={"top_class": "DSRTC"})  # a typo
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert (item["loc"], item["field"], item["type"]) == (
        ["query", "top_class"],
        "top_class",
        "unknown_class",
    )
    assert item["msg"].startswith(
        "no class 'DSRTC': it is neither a class of the served model nor the call of a stored "
        "result (known: "
    )


# ---------------------------------------------------------------- model block


def test_the_model_block_names_every_threshold_and_the_manifest(client, post_json, world):
    (result,) = _classify(post_json, world, _accession())["results"]
    model = client.app.state.model
    block = result["model"]
    assert block["threshold"] == model.info.threshold
    assert block["ood_threshold"] == pytest.approx(model.bundle.estimator.ood_.threshold_)
    assert block["conformal_alpha"] == model.bundle.estimator.conformal_alpha
    assert block["manifest_sha256"] == manifest_sha256()
    assert block["fingerprint"] == model_fingerprint(model)
    stored = client.get(f"/v1/results/{result['result_id']}").json()
    assert stored["model"] == stored["result"]["model"] == block
    row = client.app.state.results.get(result["result_id"])
    assert (row.model_fingerprint, row.manifest_sha256) == (
        block["fingerprint"],
        block["manifest_sha256"],
    )


def test_a_retrained_model_with_the_same_name_and_version_makes_a_new_result(
    client, post_json, world
):
    accession = _accession()
    first = _classify(post_json, world, accession)["results"][0]
    served = client.app.state.model
    retrained = dataclasses.replace(served, info=dataclasses.replace(served.info, run_id="9" * 32))
    client.app.state.model = retrained
    try:
        other = _classify(post_json, world, accession)["results"][0]
        again = _classify(post_json, world, accession)["results"][0]
    finally:
        client.app.state.model = served
    assert (other["model"]["name"], other["model"]["version"]) == ("tiny-test-model", "7")
    assert other["result_id"] != first["result_id"]
    assert other["stored"]["resubmitted"] is False
    assert again["result_id"] == other["result_id"] and again["stored"]["resubmitted"]


def test_results_are_listed_a_page_at_a_time(client, post_json, world):
    accession = _accession()
    for diagnosis in (None, "Ewing sarcoma", "synovial sarcoma"):
        _classify(post_json, world, accession, diagnosis=diagnosis)
    first = client.get("/v1/results", params={"accession": accession, "limit": 2}).json()
    assert len(first["results"]) == 2 and first["next_offset"] == 2
    rest = client.get(
        "/v1/results", params={"accession": accession, "limit": 2, "offset": 2}
    ).json()
    assert len(rest["results"]) == 1 and rest["next_offset"] is None
    ids = [r["result_id"] for r in first["results"] + rest["results"]]
    assert len(set(ids)) == 3


# ---------------------------------------------------------------- corrections


def _correct(client, headers, result_id, **body):
    return client.post(f"/v1/results/{result_id}/corrections", json=body, headers=headers)


def test_a_correction_without_a_key_is_401_before_its_content_type_is_judged(client):
    response = client.post(
        "/v1/results/0123456789abcdef0123456789abcdef/corrections",
        content=b"reason=x",
        headers={"Authorization": "", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401


def test_a_correction_that_is_not_json_is_415_and_stores_nothing(client, post_json, world, api_key):
    original = _classify(post_json, world, _accession())["results"][0]
    response = client.post(
        f"/v1/results/{original['result_id']}/corrections",
        content=b'{"reason": "agree", "signed_off": true}',
        headers={**api_key("reviewer"), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    (item,) = response.json()["detail"]
    assert (item["type"], item["msg"]) == (
        "unsupported_media_type",
        "expected Content-Type application/json, got 'text/plain'",
    )
    assert client.get(f"/v1/results/{original['result_id']}").json()["superseded_by"] is None


def test_a_reviewer_corrects_a_result(client, post_json, world, api_key):
    accession = _accession()
    classified = _classify(post_json, world, accession, diagnosis="Ewing sarcoma")
    original = classified["results"][0]
    reviewer = api_key("reviewer", "dr-review")
    response = _correct(
        client,
        reviewer,
        original["result_id"],
        reason="the diagnosis was entered for the wrong case",
        reclassification_verdict="not_classifiable",
        reported_class="DSRCT",
        comment="EWSR1::WT1 confirmed by RNA-NGS",
    )
    assert response.status_code == 201, response.text
    corrected = StoredResultOut.model_validate(response.json())
    assert response.headers["location"] == f"/v1/results/{corrected.result_id}"
    assert corrected.supersedes_id == original["result_id"]
    assert corrected.superseded_by is None
    assert corrected.corrected_by == "dr-review"
    assert corrected.correction_reason == "the diagnosis was entered for the wrong case"
    assert corrected.client == "test-lis" and corrected.accession == accession
    review = corrected.result.review
    assert review is not None
    assert (review.reported_class, review.reported_class_name) == (
        "DSRCT",
        "desmoplastic small round cell tumour",
    )
    assert review.comment == "EWSR1::WT1 confirmed by RNA-NGS"
    # The correction's own request, beside the classifying request the result keeps.
    assert review.request_id == response.headers["x-request-id"]
    assert corrected.request_id == classified["request_id"] != review.request_id
    assert corrected.result.reclassification.verdict == "not_classifiable"
    # The model's statement is unchanged.
    assert corrected.result.classification == ProfileResult.model_validate(original).classification
    # The old version says it was superseded, and by which result; it is otherwise unchanged.
    old = client.get(f"/v1/results/{original['result_id']}").json()
    assert old["superseded_by"] == corrected.result_id
    assert old["supersedes_id"] is None and old["corrected_by"] is None
    assert old["result"]["reclassification"]["verdict"] == "reclassified"
    assert "review" not in old["result"] or old["result"]["review"] is None
    # The submitting LIS reads the correction too; listing shows the current version.
    assert client.get(f"/v1/results/{corrected.result_id}").status_code == 200
    listed = client.get("/v1/results", params={"accession": accession}).json()["results"]
    assert [r["result_id"] for r in listed] == [corrected.result_id]
    both = client.get(
        "/v1/results", params={"accession": accession, "include_superseded": True}
    ).json()["results"]
    assert {r["result_id"] for r in both} == {corrected.result_id, original["result_id"]}


def test_a_reviewer_signs_a_result_off(client, post_json, world, api_key):
    # Sent as Ewing sarcoma, called DSRCT: reclassified, so it needs attention.
    original = _classify(post_json, world, _accession(), diagnosis="Ewing sarcoma")["results"][0]
    listed = client.get(f"/v1/results/{original['result_id']}").json()
    assert "reclassified" in listed["needs_attention"]
    reviewer = api_key("reviewer", "dr-sign")
    reason = "reviewed at the tumour board:\n\tagree"  # tabs and line breaks are kept
    response = _correct(client, reviewer, original["result_id"], reason=reason, signed_off=True)
    assert response.status_code == 201, response.text
    assert response.json()["correction_reason"] == reason
    signed = StoredResultOut.model_validate(response.json())
    assert signed.needs_attention == []
    assert "reclassified" in signed.flags  # the service's reasons, still readable
    assert listed["flags"] == listed["needs_attention"]  # before the sign-off
    review = signed.result.review
    assert review is not None and review.signed_off and review.signed_off_by == "dr-sign"
    assert review.signed_off_at == review.corrected_at
    assert review.amends_interpretation is False
    # Nothing else changed: the verdict is still the service's.
    assert signed.result.reclassification.verdict == "reclassified"


def test_only_the_newest_version_is_corrected(client, post_json, world, api_key):
    original = _classify(post_json, world, _accession())["results"][0]["result_id"]
    reviewer = api_key("reviewer")
    first = _correct(client, reviewer, original, reason="one", comment="first look")
    assert first.status_code == 201
    newest = first.json()["result_id"]
    response = _correct(client, reviewer, original, reason="two", comment="second look")
    assert response.status_code == 409
    (item,) = response.json()["detail"]
    assert (item["type"], item["field"]) == ("already_superseded", "result_id")
    assert newest in item["msg"]
    assert response.headers["link"] == f'</v1/results/{newest}>; rel="latest-version"'
    assert _correct(client, reviewer, newest, reason="two", comment="ok").status_code == 201


def test_a_resubmission_after_a_correction_returns_the_correction(
    client, post_json, world, api_key
):
    accession = _accession()
    original = _classify(post_json, world, accession)["results"][0]
    corrected = _correct(
        client, api_key("reviewer"), original["result_id"], reason="why", comment="seen"
    ).json()
    again = _classify(post_json, world, accession)["results"][0]
    assert again["result_id"] == corrected["result_id"]
    assert again["stored"]["resubmitted"] is True
    assert again["review"]["comment"] == "seen"


@pytest.mark.parametrize("role", ["lis", "admin"])
def test_only_a_reviewer_corrects(client, post_json, world, api_key, role):
    result_id = _classify(post_json, world, _accession())["results"][0]["result_id"]
    headers = api_key(role, "test-lis") if role == "lis" else api_key(role)
    response = _correct(client, headers, result_id, reason="why", comment="c")
    assert response.status_code == 403
    assert response.json()["detail"][0]["type"] == "forbidden"
    assert client.get(f"/v1/results/{result_id}").json()["superseded_by"] is None


def test_correcting_an_unknown_result_is_404(client, api_key):
    response = _correct(client, api_key("reviewer"), "0" * 32, reason="why", comment="c")
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field", "type_"),
    [
        ({"comment": "c"}, "reason", "missing"),
        ({"reason": "   ", "comment": "c"}, "reason", "string_too_short"),
        (
            {"reason": "why", "reclassification_verdict": "maybe"},
            "reclassification_verdict",
            "enum",
        ),
        ({"reason": "why", "scores": {"DSRCT": 1.0}}, "scores", "extra_forbidden"),
        ({"reason": "why", "reported_class": "NOT_A_CLASS"}, "reported_class", "unknown_class"),
        ({"reason": "why"}, None, "nothing_to_correct"),
        ({"reason": "why", "signed_off": "yes"}, "signed_off", "bool_type"),
        # PostgreSQL cannot store a NUL: refused, not a 500.
        ({"reason": "typo\u0000", "comment": "c"}, "reason", "invalid_character"),
        ({"reason": "why", "comment": "a\u0000"}, "comment", "invalid_character"),
        # Any control character but tab and line breaks, as in a profile's text.
        ({"reason": "why", "comment": "colour \u001b[31mred"}, "comment", "invalid_character"),
        ({"reason": "ty\u0085po", "comment": "c"}, "reason", "invalid_character"),
    ],
)
def test_a_bad_correction_is_422(client, post_json, world, api_key, body, field, type_):
    result_id = _classify(post_json, world, _accession())["results"][0]["result_id"]
    response = _correct(client, api_key("reviewer"), result_id, **body)
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert (item["field"], item["type"]) == (field, type_)
    assert client.get(f"/v1/results/{result_id}").json()["superseded_by"] is None


@pytest.mark.parametrize(
    ("body", "where"), [(b"{bad", "line 1, column 2"), (b'{"reason": "why",\n  x}', "line 2")]
)
def test_a_correction_that_is_not_json_is_400(client, post_json, world, api_key, body, where):
    # As on /v1/classify: 400 json_invalid for the whole body, with where it broke.
    result_id = _classify(post_json, world, _accession())["results"][0]["result_id"]
    response = client.post(
        f"/v1/results/{result_id}/corrections",
        content=body,
        headers=api_key("reviewer") | {"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    (item,) = response.json()["detail"]
    assert (item["loc"], item["field"], item["type"]) == ([], None, "json_invalid")
    assert item["msg"].startswith("malformed JSON: ") and where in item["msg"]
    assert client.get(f"/v1/results/{result_id}").json()["superseded_by"] is None
