"""Each class of bad input gets a 4xx naming the field and the reason."""

from __future__ import annotations

import httpx
import orjson
import pyarrow as pa
import pytest

from tests.api.builders import arrays_profile, arrow_body

ARROW = "application/vnd.apache.arrow.stream"


def _profile(world, sample_id="S1", **extra) -> dict:
    return {"sample_id": sample_id, "betas": world.betas("DSRCT"), **extra}


def _error(response: httpx.Response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    item = body["detail"][0]
    assert item["type"] == type_, item
    assert set(item) == {"loc", "field", "msg", "type"}
    return item


def test_malformed_json_is_400(post_json):
    item = _error(post_json(b'{"profiles": [{"sample_id": "S1",'), 400, "json_invalid")
    assert "line 1" in item["msg"]


def test_wrong_content_type_is_415(client):
    response = client.post("/v1/classify", content=b"a,b", headers={"content-type": "text/csv"})
    item = _error(response, 415, "unsupported_media_type")
    assert "text/csv" in item["msg"]


def test_missing_content_type_is_415(client):
    response = client.post("/v1/classify", content=b"{}", headers={"content-type": ""})
    _error(response, 415, "unsupported_media_type")


def test_a_body_that_is_not_utf8_says_where(post_json):
    item = _error(post_json(b'{"profiles": [{"sample_id": "A\xff", "betas": {}}]}'), 400,
                  "json_invalid")  # fmt: skip
    assert item["msg"] == "malformed JSON: the body is not UTF-8 (byte ff) at line 1, column 31"


@pytest.mark.parametrize(
    ("value", "type_"),
    [("0.5", "value_not_numeric"), (True, "value_not_numeric"), ({"x": 1}, "value_not_numeric"),
     ("NaN", "value_not_finite"), ("Infinity", "value_not_finite")],
)  # fmt: skip
def test_non_numeric_values_name_the_probe(post_json, world, value, type_):
    betas = world.betas("DSRCT")
    probe = world.cpgs[17]
    betas[probe] = value
    item = _error(post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}), 422, type_)
    assert item["field"] == f"profiles[0].betas.{probe}"
    assert item["loc"] == ["body", "profiles", 0, "betas", probe]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_nan_and_infinity_literals_name_the_value(post_json, world, literal):
    profile = arrays_profile("S1", world.betas("DSRCT"))
    text = orjson.dumps({"profiles": [profile]})
    # JSON has no NaN/Infinity; some clients write them anyway.
    marker = orjson.dumps(profile["values"][17])
    body = text.replace(b"," + marker + b",", b"," + literal + b",", 1)
    assert body != text
    item = _error(post_json(body), 422, "value_not_finite")
    assert item["field"] == "profiles[0].values[17]"


@pytest.mark.parametrize("value", [1.7, -0.01])
def test_values_outside_unit_interval(post_json, world, value):
    profile = arrays_profile("S1", world.betas("DSRCT"))
    profile["values"][17] = value
    item = _error(post_json({"profiles": [profile]}), 422, "value_out_of_range")
    assert item["field"] == "profiles[0].values[17]"
    assert item["loc"] == ["body", "profiles", 0, "values", 17]
    assert "outside [0, 1]" in item["msg"]


def test_duplicate_probe_ids(post_json, world):
    profile = arrays_profile("S1", world.betas("DSRCT"))
    profile["probe_ids"][5] = profile["probe_ids"][2]
    item = _error(post_json({"profiles": [profile]}), 422, "duplicate_probe_id")
    assert item["field"] == "profiles[0].probe_ids[5]"


def _repeat_key(body: bytes, replaced: str, repeated: str) -> bytes:
    """``body`` with the key ``replaced`` written as ``repeated`` (which it already holds)."""
    out = body.replace(f'"{replaced}":'.encode(), f'"{repeated}":'.encode(), 1)
    assert out != body
    return out


def test_repeated_key_in_betas_names_the_probe(post_json, world):
    first, second = world.cpgs[3], world.cpgs[9]
    body = orjson.dumps({"profiles": [_profile(world), _profile(world, "S2")]})
    head, sep, tail = body.rpartition(b'"sample_id":"S2"')
    # orjson would keep the last value of the two and classify the profile.
    body = head + sep + _repeat_key(tail, second, first)
    item = _error(post_json(body), 422, "duplicate_probe_id")
    assert item["field"] == f"profiles[1].betas.{first}"
    assert item["loc"] == ["body", "profiles", 1, "betas", first]


def test_repeated_key_is_found_when_other_keys_are_spaced(post_json, world):
    # One key spaced from its colon and one repeated: a count of '":' alone would balance out.
    first, second, spaced = world.cpgs[3], world.cpgs[9], world.cpgs[20]
    body = _repeat_key(orjson.dumps({"profiles": [_profile(world)]}), second, first)
    body = body.replace(f'"{spaced}":'.encode(), f'"{spaced}" :'.encode(), 1)
    (kept,) = orjson.loads(body)["profiles"]
    assert body.count(b'":') == 1 + len(kept) + len(kept["betas"])
    item = _error(post_json(body), 422, "duplicate_probe_id")
    assert item["field"] == f"profiles[0].betas.{first}"


def test_repeated_key_outside_betas(post_json, world):
    body = orjson.dumps({"profiles": [_profile(world, diagnosis="Ewing sarcoma")]})
    body = _repeat_key(body, "diagnosis", "sample_id")
    item = _error(post_json(body), 422, "duplicate_key")
    assert item["field"] == "profiles[0].sample_id"


@pytest.mark.parametrize(
    "diagnosis",
    [rb'"round cell \"EWSR1\": WT1"', b'"EWSR1::WT1"', rb'"escaped \u003a colon"'],
)
def test_colons_in_strings_and_spacing_are_no_repeated_keys(post_json, world, diagnosis):
    body = orjson.dumps({"profiles": [_profile(world, diagnosis="PLACEHOLDER")]})
    body = body.replace(b'"PLACEHOLDER"', diagnosis)
    head, sep, betas = body.partition(b'"betas":')
    body = head + sep + betas.replace(b'":', b'" : ')
    response = post_json(body)
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["qc"]["probes_received"] == len(world.cpgs)
    assert result["qc"]["model_cpgs_missing"] == 0


@pytest.mark.parametrize("bad", ["patient-4711", "cg123", "", "cg00000029_zz", 42, None, [1]])
def test_strings_that_are_not_probe_ids(post_json, world, bad):
    profile = arrays_profile("S1", world.betas("DSRCT"))
    profile["probe_ids"][3] = bad
    item = _error(post_json({"profiles": [profile]}), 422, "invalid_probe_id")
    assert item["field"] == "profiles[0].probe_ids[3]"
    assert "patient-4711" not in item["msg"]


def test_bad_probe_id_key_in_betas(post_json, world):
    betas = world.betas("DSRCT") | {"not a probe": 0.5}
    item = _error(post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}), 422,
                  "invalid_probe_id")  # fmt: skip
    assert item["loc"] == ["body", "profiles", 0, "betas", "not a probe"]


def test_too_few_model_cpgs_says_found_and_needed(post_json, world, client):
    n_model = client.get("/v1/model").json()["n_cpgs"]
    betas = dict(list(world.betas("DSRCT").items())[:20])
    item = _error(post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}), 422,
                  "insufficient_coverage")  # fmt: skip
    assert item["field"] == "profiles[0]"
    assert f"of the model's {n_model:,} CpGs" in item["msg"]
    assert f"at least {n_model // 2:,} are needed" in item["msg"]


def test_min_cpg_fraction_is_configurable(post_json, world, override_settings):
    override_settings(min_cpg_fraction=0.01)
    betas = dict(list(world.betas("DSRCT").items())[:20])
    assert post_json({"profiles": [{"sample_id": "S1", "betas": betas}]}).status_code == 200


def test_empty_batch(post_json):
    item = _error(post_json({"profiles": []}), 422, "empty_batch")
    assert item["field"] == "profiles"


def test_batch_too_large(post_json, world, settings):
    profiles = [_profile(world, f"S{i}") for i in range(settings.max_batch + 1)]
    item = _error(post_json({"profiles": profiles}), 413, "batch_too_large")
    assert f"at most {settings.max_batch}" in item["msg"]


def test_body_over_limit_is_413(client, override_settings, world):
    override_settings(max_body_bytes=1000)
    body = orjson.dumps({"profiles": [_profile(world)]})

    def chunks():  # streamed: no Content-Length header
        yield body[:800]
        yield body[800:]

    response = client.post(
        "/v1/classify", content=chunks(), headers={"content-type": "application/json"}
    )
    item = _error(response, 413, "body_too_large")
    assert "1,000 bytes" in item["msg"]


def test_declared_content_length_over_limit_is_413(post_json, override_settings, world):
    override_settings(max_body_bytes=1000)
    _error(post_json({"profiles": [_profile(world)]}), 413, "body_too_large")


def test_unknown_finding_kind(post_json, world):
    findings = [{"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs",
                 "result": "detected"}, {"kind": "horoscope", "result": "detected"}]  # fmt: skip
    item = _error(post_json({"profiles": [_profile(world, findings=findings)]}), 422,
                  "unknown_finding")  # fmt: skip
    assert item["field"].startswith("profiles[0].findings[1]")
    assert item["loc"][:5] == ["body", "profiles", 0, "findings", 1]


def test_a_misspelt_field_of_a_finding_is_refused(post_json, world):
    findings = [{"kind": "ihc", "marker": "WT1", "epitop": "n_terminal", "result": "negative"}]
    item = _error(post_json({"profiles": [_profile(world, findings=findings)]}), 422,
                  "unknown_finding")  # fmt: skip
    assert item["field"] == "profiles[0].findings[0].epitop"
    assert "ihc findings have: kind, method, result, marker, epitope, clone, pattern" in item["msg"]


@pytest.mark.parametrize("sample_id", [None, "", 17])
def test_missing_or_bad_sample_id(post_json, world, sample_id):
    profile = _profile(world)
    if sample_id is None:
        del profile["sample_id"]
    else:
        profile["sample_id"] = sample_id
    response = post_json({"profiles": [profile]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "profiles[0].sample_id"


def test_both_betas_and_arrays(post_json, world):
    profile = _profile(world) | {"probe_ids": ["cg00000029"], "values": [0.5]}
    item = _error(post_json({"profiles": [profile]}), 422, "conflicting_fields")
    assert item["field"] == "profiles[0]"


def test_neither_betas_nor_arrays(post_json):
    item = _error(post_json({"profiles": [{"sample_id": "S1"}]}), 422, "missing")
    assert item["field"] == "profiles[0].betas"


def test_unknown_profile_field_is_refused_not_ignored(post_json, world):
    # "finding" for "findings": ignoring it would classify without the fusion.
    findings = [{"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs",
                 "result": "detected"}]  # fmt: skip
    item = _error(post_json({"profiles": [_profile(world, finding=findings)]}), 422,
                  "extra_forbidden")  # fmt: skip
    assert item["field"] == "profiles[0].finding"
    assert "'findings'" in item["msg"]


def test_unknown_top_level_field_is_refused(post_json, world):
    item = _error(post_json({"profiles": [_profile(world)], "option": 1}), 422, "extra_forbidden")
    assert item["field"] == "option"


def _arrow_with_column(world, name: str, column: pa.Array) -> bytes:
    table = pa.table(
        {
            "sample_id": pa.array(["S1"]),
            "values": pa.array([world.values("DSRCT").tolist()], pa.list_(pa.float32())),
            "probe_ids": pa.array([list(world.cpgs)], pa.list_(pa.string())),
            name: column,
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_unknown_arrow_column_is_refused(client, world):
    body = _arrow_with_column(world, "finding", pa.array(["[]"]))
    response = client.post("/v1/classify", content=body, headers={"content-type": ARROW})
    item = _error(response, 422, "extra_forbidden")
    assert item["field"] == "profiles[0].finding"


def test_pandas_index_column_is_not_an_unknown_field(client, world):
    body = _arrow_with_column(world, "__index_level_0__", pa.array([7]))
    response = client.post("/v1/classify", content=body, headers={"content-type": ARROW})
    assert response.status_code == 200, response.text


def test_mismatched_lengths(post_json, world):
    profile = arrays_profile("S1", world.betas("DSRCT"))
    profile["values"].pop()
    item = _error(post_json({"profiles": [profile]}), 422, "length_mismatch")
    assert item["field"] == "profiles[0].values"


def test_error_in_second_profile_names_it(post_json, world):
    second = arrays_profile("S2", world.betas("EWS"))
    second["values"][4] = 2.0
    item = _error(post_json({"profiles": [_profile(world), second]}), 422, "value_out_of_range")
    assert item["field"] == "profiles[1].values[4]"


@pytest.mark.parametrize("body", [[], "x", {"profile": []}, {"profiles": {"a": 1}}])
def test_wrong_document_shape(post_json, body):
    response = post_json(body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] in {"invalid_type", "missing"}


def test_bad_query_parameter_uses_the_same_body(post_json, world):
    response = post_json({"profiles": [_profile(world)]}, params={"top": 0})
    assert response.status_code == 422
    item = response.json()["detail"][0]
    assert item["loc"] == ["query", "top"]


# ------------------------------------------------------------------ Arrow


def test_malformed_arrow_is_400(client):
    response = client.post(
        "/v1/classify",
        content=b"not an arrow stream",
        headers={"content-type": ARROW},
    )
    _error(response, 400, "arrow_invalid")


def test_an_arrow_file_instead_of_a_stream_is_named(client, world):
    table = pa.ipc.open_stream(
        arrow_body([{"sample_id": "S1", "values": world.values("DSRCT").tolist()}])
    ).read_all()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    response = client.post(
        "/v1/classify", content=sink.getvalue().to_pybytes(), headers={"content-type": ARROW}
    )
    item = _error(response, 400, "arrow_invalid")
    assert item["msg"] == (
        "malformed Arrow IPC stream: the body is an Arrow IPC file (it starts with ARROW1); "
        "send the IPC stream format instead (pyarrow.ipc.new_stream, not new_file)"
    )


def test_arrow_without_order_or_ids(client, world):
    body = arrow_body([{"sample_id": "S1", "values": world.values("DSRCT").tolist()}])
    response = client.post(
        "/v1/classify",
        content=body,
        headers={"content-type": ARROW},
    )
    item = _error(response, 422, "missing")
    assert item["field"] == "array"


def test_arrow_wrong_length_for_array(client, world):
    body = arrow_body([{"sample_id": "S1", "values": [0.5] * 10}], metadata={"array": "epic"})
    response = client.post(
        "/v1/classify",
        content=body,
        headers={"content-type": ARROW},
    )
    item = _error(response, 422, "length_mismatch")
    assert item["field"] == "profiles[0].values"


def test_arrow_infinite_value(client, world):
    values = world.values("DSRCT").tolist()
    values[9] = float("inf")
    body = arrow_body([{"sample_id": "S1", "values": values, "probe_ids": world.cpgs}])
    response = client.post(
        "/v1/classify",
        content=body,
        headers={"content-type": ARROW},
    )
    item = _error(response, 422, "value_not_finite")
    assert item["field"] == "profiles[0].values[9]"


@pytest.mark.parametrize(
    ("bad", "type_"), [(1.5, "value_out_of_range"), (-float("inf"), "value_not_finite")]
)
def test_arrow_bad_value_in_a_named_order(client, world, bad, type_):
    # Values in a named order start hashing before they are range-checked:
    # the check still refuses the body, and nothing is stored.
    card = client.get("/v1/model").json()
    values = world.values("DSRCT").tolist()
    values[3] = bad
    body = arrow_body(
        [{"sample_id": "S-bad-value", "values": values}],
        metadata={"array": "model", "cpgs_sha256": card["cpgs_sha256"]},
    )
    response = client.post("/v1/classify", content=body, headers={"content-type": ARROW})
    item = _error(response, 422, type_)
    assert item["field"] == "profiles[0].values[3]"
    listed = client.get("/v1/results", params={"accession": "S-bad-value"})
    assert listed.status_code == 200 and listed.json()["results"] == []


def test_arrow_null_probe_id(client, world):
    ids: list = list(world.cpgs)
    ids[6] = None
    row = {"sample_id": "S1", "values": world.values("SS").tolist(), "probe_ids": ids}
    body = arrow_body([row])
    response = client.post("/v1/classify", content=body, headers={"content-type": ARROW})
    item = _error(response, 422, "invalid_probe_id")
    assert item["field"] == "profiles[0].probe_ids[6]"


def test_arrow_model_order_needs_the_models_hash(client, world):
    n = client.get("/v1/model").json()["n_cpgs"]
    body = arrow_body(
        [{"sample_id": "S1", "values": [0.5] * n}], metadata={"array": "model", "cpgs_sha256": "x"}
    )
    response = client.post(
        "/v1/classify",
        content=body,
        headers={"content-type": ARROW},
    )
    _error(response, 422, "model_mismatch")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"profiles": [null]}',
        b'{"profiles": [{"sample_id": "S1", "betas": [0.1, 0.2]}]}',
        b'{"profiles": [{"sample_id": "S1", "betas": {"cg00000029": [0.1]}}]}',
        b'{"profiles": [{"sample_id": "S1", "probe_ids": "cg00000029", "values": [0.1]}]}',
        b'{"profiles": [{"sample_id": "S1", "probe_ids": [["x"]], "values": [0.1]}]}',
        b'{"profiles": [{"sample_id": "S1", "array": "epic", "values": [0.1]}]}',
        b'{"profiles": [{"sample_id": "S1", "array": "hm27", "values": [0.1]}]}',
        b'{"profiles": [{"sample_id": "S1", "findings": "EWSR1::WT1", "betas": {}}]}',
        b'{"profiles": [{"sample_id": "S1", "findings": [null], "betas": {}}]}',
        b'{"profiles": [{"sample_id": "S1", "diagnosis": 7, "betas": {}}]}',
        b'{"profiles": [{"sample_id": "S1", "betas": {}}]}',
        b'{"profiles": [{"sample_id": "S1", "betas": {"cg00000029": 1e308}}]}',
        b'{"profiles": [{"sample_id": "S1", "betas": {"cg00000029": 12345678901234567890123}}]}',
        '{"profiles": [{"sample_id": "\u00e9\u4e2d", "betas": {"cg\u00e9": 0.5}}]}'.encode(),
        b"\xff\xfe not utf-8",
    ],
)
def test_odd_bodies_are_4xx_never_500(post_json, body):
    response = post_json(body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"][0]["type"]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        # A NUL cannot be stored in PostgreSQL (it was a 500 there).
        ("sample_id", "A\u0000B", "U+0000 at position 2"),
        ("sample_id", "S-1\tS-2", "U+0009 at position 4"),
        ("diagnosis", "Ewing\u0000", "U+0000 at position 6"),
        # As sent: not stripped unseen at either end, and the sender's position.
        ("sample_id", "\u001fS-1", "U+001F at position 1"),
        ("sample_id", " \u0000S", "U+0000 at position 2"),
        # C1 controls and Unicode line breaks too.
        ("sample_id", "S\u0085-1", "U+0085 at position 2"),
        ("sample_id", "S\u2028-1", "U+2028 at position 2"),
        ("diagnosis", "Ewing\u009bsarcoma", "U+009B at position 6"),
    ],
)
def test_control_characters_are_refused_in_json_and_arrow(
    post_json, client, world, field, value, says
):
    profile = _profile(world) | {field: value}
    item = _error(post_json({"profiles": [profile]}), 422, "invalid_character")
    assert item["field"] == f"profiles[0].{field}" and says in item["msg"]
    columns = {"sample_id": "S1", "values": world.values("DSRCT").tolist(),
               "probe_ids": world.cpgs, field: value}  # fmt: skip
    response = client.post(
        "/v1/classify", content=arrow_body([columns]), headers={"content-type": ARROW}
    )
    item = _error(response, 422, "invalid_character")
    assert item["field"] == f"profiles[0].{field}" and says in item["msg"]


def test_a_diagnosis_may_hold_line_breaks(post_json, world):
    profile = _profile(world, diagnosis="small round cell tumour;\nEWSR1 rearranged")
    assert post_json({"profiles": [profile]}).status_code == 200


def test_an_arrow_sample_id_is_held_to_the_json_length_limit(client, world):
    body = arrow_body([{"sample_id": "S" * 501, "values": world.values("DSRCT").tolist(),
                        "probe_ids": world.cpgs}])  # fmt: skip
    response = client.post("/v1/classify", content=body, headers={"content-type": ARROW})
    assert _error(response, 422, "too_long")["field"] == "profiles[0].sample_id"
