"""Splitting a betas object's text: the ids and doubles orjson reads, or no answer."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from api.intake.betas_object import split_betas_object


def _split(text: bytes):
    return split_betas_object(memoryview(text))


def _orjson_values(text: bytes) -> tuple[list[str], np.ndarray]:
    obj = orjson.loads(text)
    return list(obj), np.array(list(obj.values()), dtype=np.float64).astype(np.float32)


@pytest.mark.parametrize(
    "text",
    [
        b'{"cg00000029":0.12,"cg00000108":null,"cg00000109":1,"cg00000165":0}',
        b'{ "cg1" : 0.5 ,\n\t"cg2"\r\n:\n1e-3 }',
        b'{"a:b":0.25,"c::d":0.75}',
        '{"cg\u00e9\u4e2d":0.5,"x":null}'.encode(),
        b'{"cg1":null}',
        b'{"cg1":5e-324,"cg2":2.4703282292062328e-324,"cg3":0.30000000000000004}',
        b'{"cg1":0.123456789012345678901234567890123,"cg2":1.0E0,"cg3":0.5e+0,"cg4":0.0}',
        b'{"cg1":123456789012345678901234567890e-30,"cg2":1e-400}',
    ],
)
def test_plain_objects_split_into_orjsons_ids_and_values(text):
    split = _split(text)
    assert split is not None
    ids, values = _orjson_values(text)
    assert split.ids.to_pylist() == ids
    # Bit for bit: the fingerprint hashes these bytes.
    assert split.values.dtype == np.float32
    assert split.values.tobytes() == values.tobytes()
    assert split.n_null == int(np.isnan(values).sum())
    assert split.colons == text.count(b":")


def test_random_numbers_are_the_doubles_orjson_reads():
    rng = np.random.default_rng(7)
    numbers = rng.random(20_000)
    texts = [repr(float(x)) for x in numbers[:10_000]]
    texts += [f"{x:.17g}" for x in numbers[10_000:15_000] * 10.0 ** rng.integers(-320, 0, 5_000)]
    texts += [f"{x:.25e}" for x in numbers[15_000:]]
    text = ("{" + ",".join(f'"k{i}":{t}' for i, t in enumerate(texts)) + "}").encode()
    split = _split(text)
    assert split is not None
    assert split.values.tobytes() == _orjson_values(text)[1].tobytes()


@pytest.mark.parametrize(
    "text",
    [
        b"{}",
        b"{ }",
        b'{"cg1":"0.5"}',  # a string value
        b'{"cg1":0.5,"cg2":"x","cg3":0.1}',
        b'{"cg1":true}',
        b'{"cg1":[0.5]}',
        b'{"cg1":{"a":0.5}}',
        b'{"cg1":1.5}',  # out of range: the general path words the error
        b'{"cg1":-0.01}',
        b'{"cg1":1e400}',  # infinite as a double
        b'{"cg\\u0030":0.5}',  # an escape
        b'{"cg\\"":0.5}',
        b'{"cg\xff":0.5}',  # not UTF-8
        b"[0.5]",
        b"0.5",
    ],
)
def test_other_objects_get_no_answer(text):
    assert _split(text) is None


@pytest.mark.parametrize("zero", [b"-0", b"-0.0", b"-0e3", b"0.0"])
def test_a_negative_zero_is_zero(zero):
    split = _split(b'{"cg1":' + zero + b',"cg2":0.5}')
    assert split is not None
    assert split.values.tobytes() == np.array([0.0, 0.5], dtype=np.float32).tobytes()


def test_a_body_without_backslashes_skips_the_escape_search():
    text = b'{"cg1":0.5}'
    split = split_betas_object(memoryview(text), may_have_escapes=False)
    assert split is not None and split.ids.to_pylist() == ["cg1"]


def test_pretty_printed_objects_split_like_compact_ones():
    obj = {f"cg{i:08d}": (None if i % 7 == 0 else round(i / 1000, 4)) for i in range(1000)}
    compact, pretty = _split(orjson.dumps(obj)), _split(json.dumps(obj, indent=2).encode())
    assert compact is not None and pretty is not None
    assert compact.ids.equals(pretty.ids)
    assert compact.values.tobytes() == pretty.values.tobytes()
    assert compact.n_null == pretty.n_null == 143
