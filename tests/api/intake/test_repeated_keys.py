"""Repeated keys in a JSON body: found exactly, with a cheap count on the usual bodies."""

from __future__ import annotations

import orjson
import pytest

from api.frame.errors import InputError
from api.intake import repeated_keys
from api.intake.repeated_keys import refuse_repeated_keys


def _check(body: bytes) -> None:
    refuse_repeated_keys(body, orjson.loads(body))


@pytest.fixture
def no_exact_check(monkeypatch):
    """Fail if the slow, exact re-read runs."""

    def refuse(body: bytes):
        raise AssertionError("the exact check ran")

    monkeypatch.setattr(repeated_keys, "_first_repeated_key", refuse)


@pytest.mark.usefixtures("no_exact_check")
@pytest.mark.parametrize(
    "body",
    [
        b'{"profiles": [{"sample_id": "S1", "betas": {"cg00000029": 0.1, "cg00000108": null}}]}',
        b'{"profiles" : [{"sample_id"\n:\t"S1", "betas" : {"cg00000029" : 0.1}}]}',
        rb'{"profiles": [{"sample_id": "S1", "diagnosis": "a \"b\": c", "betas": {}}]}',
        b'{"profiles": [{"findings": [{"name": "EWSR1::WT1"}], "probe_ids": [], "values": []}]}',
        b'{"a:b": {"c": ["d:e", {"f": "::"}]}, "g": 1}',
        b"[]",
        b'"x:y"',
    ],
)
def test_bodies_without_repeated_keys_pass_the_count(body):
    _check(body)


@pytest.mark.parametrize(
    "body",
    [
        rb'{"d": "escaped \u003a colon", "e": 1}',
        b'{"profiles": [{"betas": {"cg:1": 0.1}, "probe_ids": ["x:y"]}]}',
        b'{"profiles": [{"betas": {"cg1": {"a": 1}}}]}',
    ],
)
def test_bodies_the_count_cannot_settle_pass_the_exact_check(body):
    _check(body)


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        (b'{"profiles": [{"betas": {"cg1": 0.1, "cg2": 0.2, "cg1": 0.3}}]}',
         ("profiles", 0, "betas", "cg1"), "duplicate_probe_id"),
        # A repeated key balanced by a spaced one, which a count of '":' would miss.
        (b'{"profiles": [{"betas": {"cg1": 0.1, "cg2" : 0.2, "cg1": 0.3}}]}',
         ("profiles", 0, "betas", "cg1"), "duplicate_probe_id"),
        # ... or by an escaped quote before a colon.
        (rb'{"profiles": [{"diagnosis": "\":", "betas": {"cg1": 0.1, "cg1": 0.3}}]}',
         ("profiles", 0, "betas", "cg1"), "duplicate_probe_id"),
        (rb'{"profiles": [{"betas": {"cg\u003a": 0.1, "cg:": 0.3}}]}',
         ("profiles", 0, "betas", "cg:"), "duplicate_probe_id"),
        (b'{"profiles": [{"sample_id": "A"}, {"sample_id": "B", "sample_id": "C"}]}',
         ("profiles", 1, "sample_id"), "duplicate_key"),
        (b'{"x": [{"a": 1}, {"b": {"c": 1, "c": 2}}], "x": 3}', ("x",), "duplicate_key"),
    ],
)  # fmt: skip
def test_repeated_keys_are_located(body, loc, type_):
    with pytest.raises(InputError) as info:
        _check(body)
    assert (info.value.loc, info.value.type, info.value.status_code) == (loc, type_, 422)


def test_a_body_the_stdlib_cannot_read_gets_no_verdict():
    # Deeper than the stdlib recurses (orjson reads up to 1,024 levels).
    deep = b'{"a": ' * 1010 + b'{"b": 1, "b": 2}' + b"}" * 1010
    assert repeated_keys._first_repeated_key(deep) is None
