"""POST /v1/classify: the parts of a result, the input forms, batches."""

from __future__ import annotations

import uuid

import numpy as np
import orjson
import pyarrow as pa
import pytest

from api.contract.profile_result import ClassifyResponse
from api.intake import json_body as profiles
from tests.api.builders import (
    MODEL_NAME,
    MODEL_VERSION,
    RUN_ID,
    arrays_profile,
    arrow_body,
)

ARROW = "application/vnd.apache.arrow.stream"


def _post_arrow(client, body: bytes, params=None):
    return client.post("/v1/classify", content=body, params=params, headers={"content-type": ARROW})


def _rounded(obj, digits: int = 4):
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rounded(v, digits) for v in obj]
    return obj


_PARTS = ("classification", "qc", "reclassification", "fusion_consistency")
_EWSR1_FLI1 = {
    "kind": "fusion",
    "genes": ["EWSR1", "FLI1"],
    "method": "rna_ngs",
    "result": "detected",
}


def _sample_ids(test: str, *forms: str) -> dict[str, str]:
    """A sample id per form, unused elsewhere: the same input and accession
    from the same client would return the stored first result."""
    run = uuid.uuid4().hex[:8]
    return {form: f"{test}-{form}-{run}" for form in forms}


def _fresh(response) -> dict:
    """The one result of a response, checked to be classified now, not a stored one."""
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["stored"]["resubmitted"] is False
    return result


def _assert_same_parts(result: dict, expected: dict, parts: tuple[str, ...] = _PARTS) -> None:
    """Compare the parts of two results field by field, naming the first that differs."""
    for part in parts:
        assert set(result[part]) == set(expected[part]), part
        for key, value in expected[part].items():
            assert result[part][key] == value, f"{part}.{key}"


def test_result_has_every_part_and_validates(post_json, world, client):
    response = post_json({"profiles": [{"sample_id": "S1", "betas": world.betas("DSRCT")}]})
    assert response.status_code == 200, response.text
    body = response.json()
    ClassifyResponse.model_validate(body)
    assert body["request_id"] == response.headers["x-request-id"]
    (result,) = body["results"]
    assert set(result) == {
        "sample_id", "qc", "classification", "reclassification", "fusion_consistency", "model",
        "result_id", "stored",
    }  # fmt: skip
    assert result["sample_id"] == "S1"
    model = result["model"]
    estimator = client.app.state.model.bundle.estimator
    assert {k: model[k] for k in ("name", "version", "run_id", "threshold", "source")} == {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "run_id": RUN_ID,
        "threshold": 0.9,
        # Every client reads the result: the bundle by its name, not its path.
        "source": f"bundle {client.app.state.settings.bundle_path.name}",
    }
    assert model["ood_threshold"] == pytest.approx(estimator.ood_.threshold_)
    assert model["conformal_alpha"] == estimator.conformal_alpha
    assert len(model["fingerprint"]) == len(model["manifest_sha256"]) == 64


def test_classification_of_a_clean_profile(post_json, world):
    body = post_json({"profiles": [{"sample_id": "S1", "betas": world.betas("DSRCT")}]}).json()
    call = body["results"][0]["classification"]
    assert call["top_class"] == "DSRCT"
    assert call["top_class_name"] == "desmoplastic small round cell tumour"
    assert call["family"] == "ROUND_CELL"
    assert call["family_name"] == "round cell sarcomas"
    assert call["decision"] == "match"
    assert call["score"] >= 0.9
    assert call["score"] == pytest.approx(call["scores"]["DSRCT"], abs=1e-6)
    assert sum(call["scores"].values()) == pytest.approx(1.0, abs=1e-4)
    assert call["family_score"] == pytest.approx(
        sum(call["scores"][c] for c in ("DSRCT", "EWS", "CIC")), abs=1e-4
    )
    assert call["top_classes"][0]["code"] == "DSRCT"
    assert len(call["top_classes"]) == 5
    assert call["out_of_distribution"] is False
    assert "DSRCT" in call["prediction_set"]
    assert call["raw_scores"] is None
    assert call["coverage"] == 1.0


def test_top_and_raw_scores_options(post_json, world):
    body = {"profiles": [{"sample_id": "S1", "betas": world.betas("EWS")}]}
    call = post_json(body, params={"top": 2, "raw_scores": "true"}).json()["results"][0][
        "classification"
    ]
    assert len(call["top_classes"]) == 2
    assert set(call["raw_scores"]) == set(call["scores"])


def test_qc_counts(post_json, world, client):
    n_model = client.get("/v1/model").json()["n_cpgs"]
    betas: dict = world.betas("SS")
    failed = world.cpgs[:4]
    for probe in failed:
        betas[probe] = None
    qc = post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}).json()["results"][0]["qc"]
    assert qc["probes_received"] == len(world.cpgs)
    assert qc["values_rejected"] == 4
    assert qc["model_cpgs"] == n_model
    missing = qc["model_cpgs_missing"]
    assert qc["model_cpgs_present"] + missing == n_model
    assert qc["missing_fraction"] == pytest.approx(missing / n_model)
    assert qc["probes_unrecognised"] == 0
    # The ids are on all three arrays: detect_array's rule names the smallest.
    assert qc["array_type"] == "450k"


def test_low_coverage_warning(post_json, world, client, override_settings):
    override_settings(min_cpg_fraction=0.3)
    betas = world.betas("SS")
    cpgs = client.get("/v1/model/cpgs").text.split()
    for probe in cpgs[: len(cpgs) // 2]:
        betas.pop(probe)
    result = post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}).json()["results"][0]
    codes = [w["code"] for w in result["qc"]["warnings"]]
    assert "low_coverage" in codes
    assert result["classification"]["coverage"] == pytest.approx(0.5, abs=0.01)


def test_out_of_distribution_warning(post_json, world):
    rng = np.random.default_rng(5)
    betas = dict(zip(world.cpgs, rng.uniform(0, 1, len(world.cpgs)).round(3).tolist(), strict=True))
    result = post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}).json()["results"][0]
    assert result["classification"]["out_of_distribution"] is True
    assert "out_of_distribution" in [w["code"] for w in result["qc"]["warnings"]]


def test_object_arrays_and_arrow_forms_give_identical_results(post_json, client, world):
    betas = world.betas("CIC", seed=3)
    betas[world.cpgs[7]] = None
    # A diagnosis and a finding that the call contradicts: every part has content.
    code = {"system": "ICD-O-3", "code": "9364/3"}
    common = {"diagnosis": "Ewing sarcoma", "diagnosis_code": code, "findings": [_EWSR1_FLI1]}
    ids = _sample_ids("forms", "object", "arrays", "arrow")
    as_object = post_json({"profiles": [{"sample_id": ids["object"], "betas": betas, **common}]})
    as_arrays = post_json({"profiles": [arrays_profile(ids["arrays"], betas, **common)]})
    as_arrow = _post_arrow(
        client,
        arrow_body(
            [
                {
                    "sample_id": ids["arrow"],
                    "probe_ids": list(betas),
                    "values": list(betas.values()),
                    "diagnosis": common["diagnosis"],
                    "diagnosis_code": orjson.dumps(code).decode(),
                    "findings": orjson.dumps(common["findings"]).decode(),
                }
            ]
        ),
    )
    expected = _fresh(as_object)
    assert expected["classification"]["top_class"] == "CIC"
    assert expected["reclassification"]["verdict"] == "reclassified"
    assert expected["reclassification"]["submitted_code"] == "ICD-O-3 9364/3"
    assert expected["fusion_consistency"]["status"] == "inconsistent"
    assert expected["qc"]["values_rejected"] == 1
    for response in (as_arrays, as_arrow):
        _assert_same_parts(_fresh(response), expected)


def test_manifest_order_forms_match_the_id_form(post_json, client, world):
    from classifier.manifest import load_manifest
    from classifier.probes import ArrayType

    ids = list(load_manifest().array_probe_ids(ArrayType.EPIC))
    values = np.full(len(ids), np.nan, dtype=np.float32)
    position = {probe: i for i, probe in enumerate(ids)}
    betas = world.betas("RMS_ALV")
    for probe, beta in betas.items():
        values[position[probe]] = beta
    common = {"diagnosis": "alveolar rhabdomyosarcoma", "findings": [_EWSR1_FLI1]}
    sample = _sample_ids("manifest", "ids", "arrow", "json")
    by_ids = _fresh(
        post_json({"profiles": [{"sample_id": sample["ids"], "betas": betas, **common}]})
    )
    arrow_row = {
        "sample_id": sample["arrow"],
        "values": values,
        "diagnosis": common["diagnosis"],
        "findings": orjson.dumps(common["findings"]).decode(),
    }
    arrow = arrow_body([arrow_row], metadata={"array": "epic"})
    by_order = _fresh(_post_arrow(client, arrow))
    listed = [None if np.isnan(v) else float(v) for v in values]
    by_json_order = _fresh(
        post_json(
            {
                "profiles": [
                    {"sample_id": sample["json"], "array": "epic", "values": listed, **common}
                ]
            }
        )
    )
    assert by_ids["classification"]["top_class"] == "RMS_ALV"
    assert by_order["qc"]["array_type"] == "epic"
    assert by_order["qc"]["probes_received"] == len(ids)
    assert by_order["qc"]["values_rejected"] == len(ids) - len(betas)
    _assert_same_parts(by_json_order, by_order)
    # The id form received fewer probes, and rejected none; the model read the same CpGs.
    _assert_same_parts(
        by_order, by_ids, parts=("classification", "reclassification", "fusion_consistency")
    )
    for key in ("model_cpgs", "model_cpgs_present", "model_cpgs_missing", "missing_fraction"):
        assert by_order["qc"][key] == by_ids["qc"][key], key


def test_full_epic_id_list_takes_the_canonical_path(post_json, world):
    from classifier.manifest import load_manifest
    from classifier.probes import ArrayType

    ids = list(load_manifest().array_probe_ids(ArrayType.EPIC))
    betas = world.betas("DSRCT")
    values = [betas.get(probe) for probe in ids]
    body = {"profiles": [{"sample_id": "S1", "probe_ids": ids, "values": values}]}
    result = post_json(body).json()["results"][0]
    assert result["qc"]["array_type"] == "epic"
    assert result["qc"]["values_rejected"] == len(ids) - len(betas)
    assert result["classification"]["top_class"] == "DSRCT"


@pytest.mark.slow
def test_a_named_order_and_its_full_id_list_are_one_input(post_json, client, world, monkeypatch):
    # Values in a named order are fingerprinted as soon as they are read, an id
    # list after alignment: the same EPIC profile sent either way is one input,
    # so the second submission gets the stored result of the first.
    from classifier.manifest import load_manifest
    from classifier.probes import ArrayType

    ids = list(load_manifest().array_probe_ids(ArrayType.EPIC))
    betas = world.betas("DSRCT", seed=11)
    values = np.array([betas.get(probe, np.nan) for probe in ids], dtype=np.float32)
    sample = _sample_ids("one-input", "epic")["epic"]
    first = _fresh(_post_arrow(client, arrow_body([{"sample_id": sample, "values": values}],
                                                  metadata={"array": "epic"})))  # fmt: skip
    listed = [None if np.isnan(v) else float(v) for v in values]
    again = post_json({"profiles": [{"sample_id": sample, "probe_ids": ids, "values": listed}]})
    (second,) = again.json()["results"]
    assert second["stored"]["resubmitted"] is True
    assert second["result_id"] == first["result_id"]
    # As a betas object too (read without orjson, api.intake.betas_object).
    monkeypatch.setattr(profiles, "_loads", _refuse_orjson)
    betas_object = {"sample_id": sample, "betas": dict(zip(ids, listed, strict=True))}
    (third,) = post_json({"profiles": [betas_object]}).json()["results"]
    assert third["stored"]["resubmitted"] is True
    assert third["result_id"] == first["result_id"]
    monkeypatch.undo()
    # A changed value is another input.
    values[np.flatnonzero(~np.isnan(values))[0]] = 0.5
    other = _post_arrow(
        client, arrow_body([{"sample_id": sample, "values": values}], metadata={"array": "epic"})
    )
    assert other.json()["results"][0]["stored"]["resubmitted"] is False


def _refuse_orjson(body):
    raise AssertionError("orjson read the body")


def test_arrow_model_order_batch(client, world, post_json):
    card = client.get("/v1/model").json()
    cpgs = client.get("/v1/model/cpgs").text.split()
    rows = []
    for i, label in enumerate(["EWS", "SS", "DSRCT"]):
        betas = world.betas(label, seed=i)
        rows.append({"sample_id": f"S{i}", "values": [betas[c] for c in cpgs]})
    body = arrow_body(rows, metadata={"array": "model", "cpgs_sha256": card["cpgs_sha256"]})
    results = _post_arrow(client, body).json()["results"]
    assert [r["classification"]["top_class"] for r in results] == ["EWS", "SS", "DSRCT"]
    assert [r["qc"]["array_type"] for r in results] == [None, None, None]
    singles = [
        post_json({"profiles": [{"sample_id": f"S{i}", "betas": world.betas(label, seed=i)}]})
        for i, label in enumerate(["EWS", "SS", "DSRCT"])
    ]
    for result, single in zip(results, singles, strict=True):
        expected = single.json()["results"][0]["classification"]
        assert _rounded(result["classification"]) == _rounded(expected)


def _model_order_arrow(sample_id: str, values: np.ndarray, sha: str) -> bytes:
    """An Arrow body in model order carrying ``values`` bit for bit (NaN payloads too)."""
    column = pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()), pa.array(values))
    table = pa.table({"sample_id": pa.array([sample_id]), "values": column})
    table = table.replace_schema_metadata({"array": "model", "cpgs_sha256": sha})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_arrow_nans_of_any_bits_are_one_input(client, world):
    # Values in a named order are hashed as sent while the other thread asks
    # whether their NaNs carry the canonical bits; these do not, so they are
    # hashed again with the canonical NaN, and the resubmission is recognised.
    sha = client.get("/v1/model").json()["cpgs_sha256"]
    cpgs = client.get("/v1/model/cpgs").text.split()
    betas = world.betas("DSRCT", seed=7)
    values = np.array([betas[c] for c in cpgs], dtype=np.float32)
    values[[2, 5]] = np.nan
    other_nans = values.copy()
    other_nans.view(np.uint32)[2] = 0x7FA00000  # a signalling NaN
    other_nans.view(np.uint32)[5] = 0xFFC00000  # a negative quiet NaN
    accession = f"NAN-BITS-{uuid.uuid4().hex[:8]}"
    first = _fresh(_post_arrow(client, _model_order_arrow(accession, values, sha)))
    again = _post_arrow(client, _model_order_arrow(accession, other_nans, sha)).json()
    (repeat,) = again["results"]
    assert repeat["stored"]["resubmitted"] is True
    assert repeat["result_id"] == first["result_id"]
    assert first["qc"]["values_rejected"] == 2
    changed = values.copy()
    changed[0] = 0.5 if changed[0] != 0.5 else 0.25
    _fresh(_post_arrow(client, _model_order_arrow(accession, changed, sha)))


def test_epicv2_suffixes_collapse_and_replicates_average(post_json, world):
    betas = world.betas("EWS", seed=2)
    v2_ids, v2_values = [], []
    replicated = 0
    for probe, beta in betas.items():
        raws = world.epicv2_ids[probe]
        replicated += len(raws) > 1
        # Replicates straddle the true value, so that their mean equals it.
        spread = 0.02 if 0.05 < beta < 0.95 else 0.0
        offsets = np.linspace(-spread, spread, len(raws))
        for raw, offset in zip(raws, offsets, strict=True):
            v2_ids.append(raw)
            v2_values.append(float(beta + offset))
    assert replicated > 0
    base = post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}).json()["results"][0]
    v2 = post_json(
        {"profiles": [{"sample_id": "S1", "probe_ids": v2_ids, "values": v2_values}]}
    ).json()["results"][0]
    assert v2["qc"]["array_type"] == "epicv2"
    assert v2["qc"]["replicates_collapsed"] > 0
    assert v2["qc"]["model_cpgs_present"] == base["qc"]["model_cpgs_present"]
    assert v2["classification"]["top_class"] == base["classification"]["top_class"] == "EWS"
    for code, score in base["classification"]["scores"].items():
        assert v2["classification"]["scores"][code] == pytest.approx(score, abs=1e-3)


def test_results_follow_request_order(post_json, world):
    labels = ["SS", "DSRCT", "RMS_ALV", "EWS", "CIC", "DSRCT"]
    profiles = [
        {"sample_id": f"case-{i}", "betas": world.betas(label, seed=i)}
        for i, label in enumerate(labels)
    ]
    results = post_json({"profiles": profiles}).json()["results"]
    assert [r["sample_id"] for r in results] == [f"case-{i}" for i in range(len(labels))]
    assert [r["classification"]["top_class"] for r in results] == labels


def test_batch_equals_single_requests(post_json, world):
    labels = ["CIC", "SS", "EWS"]
    batch_ids = _sample_ids("batch", *labels)
    single_ids = _sample_ids("single", *labels)

    def profile(sample_id: str, i: int, label: str) -> dict:
        return arrays_profile(sample_id, world.betas(label, seed=10 + i), diagnosis=label)

    batch_profiles = [profile(batch_ids[label], i, label) for i, label in enumerate(labels)]
    response = post_json({"profiles": batch_profiles})
    assert response.status_code == 200, response.text
    batch = response.json()["results"]
    assert [r["stored"]["resubmitted"] for r in batch] == [False, False, False]
    for i, label in enumerate(labels):
        single = _fresh(post_json({"profiles": [profile(single_ids[label], i, label)]}))
        assert single["classification"]["top_class"] == label
        # Matrix products of different shapes may differ in the last float32 digits.
        _assert_same_parts(_rounded(batch[i]), _rounded(single))


def test_profiles_with_different_id_lists_in_one_batch(post_json, world):
    first = world.betas("SS")
    second = dict(reversed(list(world.betas("EWS").items())))
    results = post_json(
        {"profiles": [arrays_profile("A", first), arrays_profile("B", second)]}
    ).json()["results"]
    assert [r["classification"]["top_class"] for r in results] == ["SS", "EWS"]


def test_unknown_but_valid_probe_ids_are_counted(post_json, world):
    betas = world.betas("SS") | {"cg99999998": 0.5, "cg99999997_TC21": 0.4}
    qc = post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}).json()["results"][0]["qc"]
    assert qc["probes_unrecognised"] == 2


def test_a_whole_array_sent_as_ids_or_in_canonical_order_has_one_values_hash(client, post_json):
    from classifier.manifest import load_manifest
    from classifier.probes import ArrayType

    ids = [str(p) for p in load_manifest().array_probe_ids(ArrayType.EPIC)]
    values = np.random.default_rng(3).uniform(0, 1, len(ids)).round(3).tolist()
    accession = f"HASH-{uuid.uuid4().hex[:8]}"
    as_ids = post_json(
        {"profiles": [{"sample_id": accession, "probe_ids": ids, "values": values}]}
    ).json()["results"][0]
    in_order = post_json(
        {"profiles": [{"sample_id": accession, "array": "epic", "values": values}]}
    ).json()["results"][0]
    # The same measurement from the same client: the stored result comes back.
    assert in_order["result_id"] == as_ids["result_id"]
    assert in_order["stored"]["resubmitted"] is True
