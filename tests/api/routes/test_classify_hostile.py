"""Hostile bodies found by an attack on a running service: each gets a 4xx naming the field."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.api.builders import arrays_profile, arrow_body


def _error(response: httpx.Response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.text
    item = response.json()["detail"][0]
    assert item["type"] == type_, item
    return item


def _profile(world, sample_id="S1", **extra) -> dict:
    return {"sample_id": sample_id, "betas": world.betas("DSRCT"), **extra}


def test_an_integer_of_hundreds_of_digits_is_no_beta_value(post_json, world):
    body = orjson.dumps({"profiles": [_profile(world, diagnosis="NaN")]})
    probe = world.cpgs[4]
    head, sep, tail = body.partition(f'"{probe}":'.encode())
    _value, comma, rest = tail.partition(b",")
    # orjson refuses it ("infinity"); the lenient re-read would give a Python int.
    item = _error(post_json(head + sep + b"9" * 400 + comma + rest), 422, "value_not_finite")
    assert item["field"] == f"profiles[0].betas.{probe}"


def test_a_lone_surrogate_with_the_text_nan_elsewhere_is_refused(post_json, world):
    body = orjson.dumps({"profiles": [_profile(world, sample_id="PLACEHOLDER", diagnosis="NaN")]})
    body = body.replace(b'"PLACEHOLDER"', rb'"S-\ud800"')
    # The lenient re-read (for NaN literals) accepted what orjson refused.
    item = _error(post_json(body), 400, "json_invalid")
    assert "surrogate" in item["msg"]


def test_many_probe_ids_with_a_nested_item(post_json, world):
    profile = arrays_profile("S1", world.betas("DSRCT"))
    ids = [f"cg{i:08d}" for i in range(100_001)]
    ids[50] = ["cg00000029"]
    profile["probe_ids"] = ids
    profile["values"] = [0.5] * len(ids)
    item = _error(post_json({"profiles": [profile]}), 422, "invalid_probe_id")
    assert item["field"] == "profiles[0].probe_ids[50]"


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2028", "\x00", "\x1b"])
def test_format_and_control_characters_in_an_accession(post_json, world, char):
    item = _error(post_json({"profiles": [_profile(world, sample_id=f"S-2024-{char}7110")]}),
                  422, "invalid_character")  # fmt: skip
    assert item["field"] == "profiles[0].sample_id"
    assert f"U+{ord(char):04X}" in item["msg"]


_STAIN = {"kind": "ihc", "marker": "WT1", "result": "positive"}


@pytest.mark.parametrize(
    ("finding", "field", "type_"),
    [
        (_STAIN | {"marker": "WT\u00001"}, "profiles[0].findings[0].marker", "invalid_character"),
        (_STAIN | {"pattern": "dot\x1b[31m-like"}, "profiles[0].findings[0].pattern",
         "invalid_character"),
        (_STAIN | {"pattern": "\u202edot-like"}, "profiles[0].findings[0].pattern",
         "invalid_character"),
        (_STAIN | {"marker": "W" * 1_000_000}, "profiles[0].findings[0].marker", "too_long"),
        ({"kind": "fusion", "genes": ["EWSR1", "W\u200bT1"], "method": "rna_ngs",
          "result": "detected"}, "profiles[0].findings[0].genes[1]", "invalid_character"),
        (_STAIN | {"mark\u0000er": "x"}, "profiles[0].findings[0]", "invalid_character"),
    ],
)  # fmt: skip
def test_finding_fields_are_held_to_the_text_rule(post_json, world, finding, field, type_):
    response = post_json({"profiles": [_profile(world, findings=[finding])]})
    item = _error(response, 422, type_)
    assert item["field"] == field
    assert len(response.content) < 1_000


def test_a_profile_carries_at_most_a_hundred_findings(post_json, world):
    findings = [_STAIN] * 10_000
    item = _error(post_json({"profiles": [_profile(world, findings=findings)]}), 422,
                  "too_many_findings")  # fmt: skip
    assert item["field"] == "profiles[0].findings"
    assert "10,000 findings" in item["msg"] and "at most 100" in item["msg"]
    assert post_json({"profiles": [_profile(world, findings=[_STAIN] * 100)]}).status_code == 200


def test_error_bodies_quote_only_a_short_prefix(post_json, world):
    betas = world.betas("DSRCT") | {"x" * 100_000: 0.5}
    response = post_json({"profiles": [{"sample_id": "S1", "betas": betas}]})
    item = _error(response, 422, "invalid_probe_id")
    assert len(response.content) < 1_000
    assert item["loc"][-1].startswith("x" * 64) and len(item["loc"][-1]) == 65
    profile = _profile(world) | {"array": "a" * 100_000}
    del profile["betas"]
    profile["values"] = [0.5]
    response = post_json({"profiles": [profile]})
    assert _error(response, 422, "invalid_array")
    assert len(response.content) < 1_000


def _stored(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["stored"]


def test_the_same_profile_in_another_key_order_is_the_same_submission(post_json, client, world):
    betas = world.betas("EWS", seed=31)
    first = _stored(post_json({"profiles": [{"sample_id": "ORD-1", "betas": betas}]}))
    shuffled = dict(reversed(list(betas.items())))
    again = _stored(post_json({"profiles": [{"sample_id": "ORD-1", "betas": shuffled}]}))
    assert again["resubmitted"] and again["result_id"] == first["result_id"]
    # As parallel arrays in a third order, and as Arrow: the same submission too.
    ids = list(betas)[1::2] + list(betas)[::2]
    arrays = {"sample_id": "ORD-1", "probe_ids": ids, "values": [betas[i] for i in ids]}
    assert _stored(post_json({"profiles": [arrays]}))["result_id"] == first["result_id"]
    body = arrow_body([arrays])
    arrow = {"content-type": "application/vnd.apache.arrow.stream"}
    response = client.post("/v1/classify", content=body, headers=arrow)
    assert _stored(response)["result_id"] == first["result_id"]


def test_a_negative_zero_is_the_same_submission_as_zero(post_json, world):
    betas = world.betas("SS", seed=32)
    probe = world.cpgs[7]
    betas[probe] = 0.0
    first = _stored(post_json({"profiles": [{"sample_id": "ZERO-1", "betas": betas}]}))
    body = orjson.dumps({"profiles": [{"sample_id": "ZERO-1", "betas": betas}]})
    negative = body.replace(f'"{probe}":0.0'.encode(), f'"{probe}":-0.0'.encode())
    assert negative != body
    again = _stored(post_json(negative))
    assert again["resubmitted"] and again["result_id"] == first["result_id"]


def test_a_null_arrow_probe_id_is_refused_at_its_place(client, world):
    ids = list(world.cpgs)
    ids[5] = None
    body = arrow_body([{"sample_id": "NUL-1", "values": world.values("EWS").tolist(),
                        "probe_ids": ids}])  # fmt: skip
    arrow = {"content-type": "application/vnd.apache.arrow.stream"}
    response = client.post("/v1/classify", content=body, headers=arrow)
    assert _error(response, 422, "invalid_probe_id")["field"] == "profiles[0].probe_ids[5]"
