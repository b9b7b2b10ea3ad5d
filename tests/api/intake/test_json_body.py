"""Parsing JSON bodies: the reader of plain betas objects agrees with orjson's reading."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from api.contract.profile_result import ProfileRequest
from api.frame.errors import InputError
from api.intake import json_body as profiles
from api.intake.json_body import parse_json_body
from api.intake.profile import ProfileInput

_FINDINGS = [
    {"kind": "fusion", "genes": ["EWSR1", "WT1"], "method": "rna_ngs", "result": "detected"},
    {"kind": "ihc", "marker": "WT1", "epitope": "C-terminal", "result": "positive"},
]


def _betas(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, n)
    return {
        f"cg{i:08d}": None if i % 50 == 0 else (round(float(v)) if i % 97 == 0 else float(v))
        for i, v in zip(range(n), values, strict=True)
    }


@pytest.fixture(autouse=True)
def plain_reader_for_small_bodies(monkeypatch):
    """Offer every body to the plain reader, not only those of a megabyte or more."""
    monkeypatch.setattr(profiles, "PLAIN_READER_MIN_BYTES", 0)


def _exact(body: bytes, monkeypatch, max_batch: int = 10) -> list[ProfileInput]:
    with monkeypatch.context() as m:
        m.setattr(profiles, "_read_plain_betas", lambda body, max_batch: None)
        return parse_json_body(body, max_batch)


def _plain(body: bytes, monkeypatch, max_batch: int = 10) -> list[ProfileInput]:
    """parse_json_body, failing if orjson had to read the body."""

    def no_orjson(body):
        raise AssertionError("the body was read by orjson")

    with monkeypatch.context() as m:
        m.setattr(profiles, "_loads", no_orjson)
        return parse_json_body(body, max_batch)


def _summary(profile: ProfileInput) -> tuple:
    """Every field of a profile, the values as their bytes and the ids as a list."""
    assert profile.values.dtype == np.float32
    ids = profile.ids.to_pylist() if hasattr(profile.ids, "to_pylist") else profile.ids
    return (
        profile.index,
        profile.sample_id,
        profile.diagnosis,
        profile.findings,
        profile.values.tobytes(),  # bit for bit: the fingerprint hashes these bytes
        ids,
        profile.ids_field,
        profile.array,
        profile.model_order,
        profile.n_rejected,
    )


def _assert_same(got: list[ProfileInput], want: list[ProfileInput]) -> None:
    assert [_summary(p) for p in got] == [_summary(p) for p in want]


@pytest.mark.parametrize(
    "dump",
    [orjson.dumps, lambda d: json.dumps(d).encode(), lambda d: json.dumps(d, indent=2).encode()],
    ids=["compact", "spaced", "indented"],
)
def test_plain_bodies_are_read_as_orjson_reads_them(dump, monkeypatch):
    doc = {
        "profiles": [
            {
                "sample_id": " S1 ",
                "diagnosis": "DSRCT",
                "findings": _FINDINGS,
                "betas": _betas(500, 1),
            },
            {"sample_id": "S2", "betas": _betas(300, 2)},
            {"betas": {"cg00000029": 0.5}, "diagnosis": None, "sample_id": 'a "quoted": id'},
        ]
    }
    body = dump(doc)
    got = _plain(body, monkeypatch)
    _assert_same(got, _exact(body, monkeypatch))
    assert got[0].sample_id == "S1" and got[0].n_rejected == 10
    assert len(got[0].findings) == 2


@pytest.mark.parametrize(
    "body",
    [
        # forms and fields the plain reader leaves to orjson
        b'{"profiles": [{"sample_id": "S1", "probe_ids": ["cg1"], "values": [0.5]}]}',
        b'{"profiles": [{"sample_id": "S1", "array": "epic", "values": [0.5]}]}',
        b'{"profiles": [{"sample_id": "S1", "betas": {"cg\\u0031": 0.5}}]}',
        b'{"profiles": [{"sample_id": "S\\u0031", "betas": {"cg1": 0.5}}]}',
    ],
)
def test_declined_bodies_are_read_by_orjson(body, monkeypatch):
    assert profiles._read_plain_betas(body, 10) is None
    _assert_same(parse_json_body(body, 10), _exact(body, monkeypatch))


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": "0.5"}}]}',
            ("profiles", 0, "betas", "cg1"),
            "value_not_numeric",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": true}}]}',
            ("profiles", 0, "betas", "cg1"),
            "value_not_numeric",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": 0.5, "cg2": 1.5}}]}',
            ("profiles", 0, "betas", "cg2"),
            "value_out_of_range",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": 1e400}}]}',
            ("profiles", 0, "betas", "cg1"),
            "value_not_finite",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": NaN}}]}',
            ("profiles", 0, "betas", "cg1"),
            "value_not_finite",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "sample_id": "S2", "betas": {"cg1": 0.5}}]}',
            ("profiles", 0, "sample_id"),
            "duplicate_key",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": 0.5, "cg1": 0.6}}], "x": 1}',
            ("profiles", 0, "betas", "cg1"),
            "duplicate_probe_id",
        ),
        (
            b'{"profiles": [{"sample_id": 7, "betas": {"cg1": 0.5}}]}',
            ("profiles", 0, "sample_id"),
            "invalid_type",
        ),
        (b'{"profiles": [{"betas": {"cg1": 0.5}}]}', ("profiles", 0, "sample_id"), "missing"),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": []}]}',
            ("profiles", 0, "betas"),
            "invalid_type",
        ),
        (b'{"profiles": [{"sample_id": "S\xff", "betas": {"cg1": 0.5}}]}', (), "json_invalid"),
        (b'{"profiles": []}', ("profiles",), "empty_batch"),
        # an unknown field, a misspelt "findings" say, is refused, not ignored
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": 0.5}, "finding": []}]}',
            ("profiles", 0, "finding"),
            "extra_forbidden",
        ),
        (
            b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": 0.5}}], "extra": 1}',
            ("extra",),
            "extra_forbidden",
        ),
    ],
)
def test_bad_bodies_get_the_error_of_orjsons_reading(body, loc, type_, monkeypatch):
    with pytest.raises(InputError) as got:
        parse_json_body(body, 10)
    with pytest.raises(InputError) as want:
        _exact(body, monkeypatch)
    assert (got.value.loc, got.value.type) == (want.value.loc, want.value.type) == (loc, type_)
    assert str(got.value) == str(want.value)


def test_a_batch_over_the_limit_is_refused_by_the_same_check(monkeypatch):
    profile = {"sample_id": "S1", "betas": {"cg1": 0.5}}
    body = orjson.dumps({"profiles": [profile, profile, profile]})
    assert profiles._read_plain_betas(body, 2) is None
    with pytest.raises(InputError) as got:
        parse_json_body(body, 2)
    assert got.value.status_code == 413


def test_a_probe_id_given_twice_is_kept_for_alignment_to_refuse(monkeypatch):
    # The colon count cannot tell a repeated probe id from two ids: both are
    # read, and alignment refuses the second (tests/api/routes: 422).
    body = b'{"profiles": [{"sample_id": "S1", "betas": {"cg1": 0.5, "cg1": 0.6}}]}'
    (profile,) = _plain(body, monkeypatch)
    assert profile.ids.to_pylist() == ["cg1", "cg1"]


def test_small_bodies_are_left_to_orjson(monkeypatch):
    monkeypatch.setattr(profiles, "PLAIN_READER_MIN_BYTES", 1_000_000)

    def refuse(body, max_batch):
        raise AssertionError("the plain reader ran")

    monkeypatch.setattr(profiles, "_read_plain_betas", refuse)
    body = orjson.dumps({"profiles": [{"sample_id": "S1", "betas": _betas(1000, 3)}]})
    (profile,) = parse_json_body(body, 10)
    assert profile.ids == list(_betas(1000, 3))


# ------------------------------------------------- random bodies, both readers

_VALUES = ["0", "1", "0.5", "0.125", "1e-3", "5E-1", "0.30000000000000004", "0.5e+0", "null"]
_ODD_VALUES = ["-0", "-0.0", "1.5", "-0.1", "1e400", "true", '"0.5"', "[0.5]", '{"a": 0.5}', "NaN"]
_KEYS = ['"cg{:08d}"', '"cg{:08d}:x"', '"cg\\u0030{:07d}"', '"cg\u00e9{}"', '"{}"']
_SAMPLE_IDS = ['"S1"', '" S2 "', "7", '""', "null", '"a\\"b"']


def _ws(rng) -> str:
    return str(rng.choice(["", "", "", " ", "\n  ", "\t"]))


def _random_body(rng) -> bytes:
    """A JSON body of betas profiles, mostly plain, sometimes odd in one place."""
    profiles = []
    for _ in range(int(rng.integers(1, 4))):
        entries = []
        for j in range(int(rng.integers(1, 25))):
            key = str(rng.choice(_KEYS)) if rng.random() < 0.04 else _KEYS[0]
            number = int(rng.integers(0, 5)) if rng.random() < 0.05 else j  # a repeat, now and then
            value = str(rng.choice(_ODD_VALUES if rng.random() < 0.02 else _VALUES))
            entries.append(f"{_ws(rng)}{key.format(number)}{_ws(rng)}:{_ws(rng)}{value}{_ws(rng)}")
        fields = [f'"betas":{_ws(rng)}{{{",".join(entries)}}}']
        sample_id = rng.choice(_SAMPLE_IDS) if rng.random() < 0.2 else '"S"'
        fields.append(f'"sample_id": {sample_id}')
        if rng.random() < 0.5:
            fields.append('"diagnosis": "DSRCT"')
        if rng.random() < 0.3:
            fields.append('"findings": [{"kind": "fusion", "genes": ["EWSR1", "WT1"], '
                          '"method": "rna_ngs", "result": "detected"}]')  # fmt: skip
        if rng.random() < 0.05:
            fields.append(str(rng.choice(['"note": "x"', '"sample_id": "again"', '"values": []'])))
        rng.shuffle(fields)
        profiles.append("{" + ",".join(fields) + "}")
    return ('{"profiles": [' + ",".join(profiles) + "]}").encode()


def _outcome(read) -> tuple:
    try:
        profiles = read()
    except InputError as exc:
        return ("error", exc.loc, exc.type, str(exc), exc.status_code)
    return ("ok", [_summary(p) for p in profiles])


def test_random_bodies_are_read_alike_by_both_readers(monkeypatch):
    rng = np.random.default_rng(2026)
    plain_read = 0
    for _ in range(400):
        body = _random_body(rng)
        got = _outcome(lambda: parse_json_body(body, 10))  # noqa: B023
        want = _outcome(lambda: _exact(body, monkeypatch))  # noqa: B023
        plain_read += profiles._read_plain_betas(body, 10) is not None
        if got[0] == "ok" and want[:3:2] == ("error", "duplicate_probe_id"):
            # The plain reader keeps a repeated probe id; alignment refuses it.
            assert any(len(set(p[5])) < len(p[5]) for p in got[1]), body  # p[5]: the ids
            continue
        assert got == want, body
    # Both readers are exercised: plain bodies, and odd ones sent back to orjson.
    assert 100 < plain_read < 300


def test_the_documented_profile_schema_has_exactly_the_accepted_fields():
    # OpenAPI documents ProfileRequest; the parser refuses any other field.
    assert set(ProfileRequest.model_fields) == set(profiles.PROFILE_FIELDS)
    assert ProfileRequest.model_config["extra"] == "forbid"
