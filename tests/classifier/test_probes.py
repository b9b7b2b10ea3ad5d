"""Tests for classifier.probes: id validation, replicates and array types."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import classifier.probes
from classifier.errors import ClassifierError, InvalidBetaValueError, InvalidProbeIdError
from classifier.manifest import load_manifest
from classifier.probes import (
    PROBE_ID_PATTERN,
    ArrayType,
    base_probe_ids,
    cg_numbers,
    collapse_replicates,
)


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


def test_public_surface_is_deliberate():
    assert sorted(classifier.probes.__all__) == sorted(
        [
            "PROBE_ID_PATTERN",
            "ArrayType",
            "base_probe_ids",
            "cg_numbers",
            "checked_probe_ids",
            "collapse_replicates",
        ]
    )


# -- validation -------------------------------------------------------------


def test_every_manifest_id_is_valid(manifest):
    for array in ArrayType:
        ids = manifest.array_probe_ids(array)
        assert len(base_probe_ids(ids)) == len(ids)  # Arrow form of the pattern
        sample = ids[::97]  # the Python form, on a deterministic sample
        assert all(PROBE_ID_PATTERN.match(i) for i in sample)


@pytest.mark.parametrize(
    "probe_id",
    [
        "cg00000029",
        "cg00000029_TC21",
        "cg06373096_TC110",
        "cg00000029_XY99",
        "ch.1.1021960F",
        "ch.X.97651759F",
        "ch.2.1234_BC11",
        "rs10033147",
        "rs10033147_BC11",
        "nv-GRCh38-chr17-7675160-7675160-G-A_TC11",
    ],
)
def test_pattern_accepts_probe_ids(probe_id):
    assert PROBE_ID_PATTERN.match(probe_id)
    assert len(base_probe_ids([probe_id])) == 1


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "cg123",
        "cg000000291",
        "CG00000029",
        "cg00000029_",
        "cg00000029_tc21",
        "cg00000029\n",
        " cg00000029",
        "ch.1.x",
        "rs12",
        "cg00000029;DROP TABLE",
        "beta",
    ],
)
def test_pattern_rejects_garbage(garbage):
    assert PROBE_ID_PATTERN.match(garbage) is None
    with pytest.raises(InvalidProbeIdError):
        base_probe_ids([garbage])


def test_base_probe_ids_strips_suffixes_in_order():
    out = base_probe_ids(["cg00000029_TC21", "ch.1.1021960F", "cg00000029_BC11", "rs1019916"])
    assert out.tolist() == ["cg00000029", "ch.1.1021960F", "cg00000029", "rs1019916"]
    assert out.dtype == object


def test_invalid_ids_error_names_field_count_and_offenders():
    ids: list[Any] = ["cg00000029", "bad", None, 29]
    with pytest.raises(InvalidProbeIdError, match=r"3 value\(s\) are not Infinium probe ids") as e:
        base_probe_ids(ids, field="betas")
    assert e.value.field == "betas"
    assert "'bad', None, 29" in e.value.message


def test_cg_numbers():
    assert cg_numbers(
        ["cg00000029", "ch.1.1021960F", "cg99999999", "cg00000029_TC21"]
    ).tolist() == [
        29,
        -1,
        99999999,
        -1,
    ]


# -- replicates -------------------------------------------------------------

IDS = [
    "cg00000001_TC21",
    "cg00000002_BC11",
    "cg00000001_TC22",
    "ch.1.1234F_BC21",
    "cg00000003_TC11",
    "cg00000003_TC12",
    "rs1234567_BC11",
    "rs1234567_BC12",
    "cg00000004_TC21",
    "cg00000004_BC21",
]
VALUES = np.array([0.2, 0.5, 0.4, 0.9, np.nan, np.nan, 0.1, 0.3, np.nan, 0.8])
BASES = ["cg00000001", "cg00000002", "ch.1.1234F", "cg00000003", "rs1234567", "cg00000004"]
MEANS = [0.3, 0.5, 0.9, np.nan, 0.2, 0.8]


def test_collapse_averages_replicates_ignoring_nan():
    bases, values = collapse_replicates(IDS, VALUES)
    assert bases.tolist() == BASES
    np.testing.assert_allclose(values, MEANS)


def test_collapse_2d_keeps_samples_and_dtype():
    matrix = np.vstack([VALUES, 1 - VALUES]).astype(np.float32)
    bases, values = collapse_replicates(IDS, matrix)
    assert bases.tolist() == BASES
    assert values.shape == (2, 6) and values.dtype == np.float32
    np.testing.assert_allclose(values[0], MEANS, rtol=1e-6)
    np.testing.assert_allclose(values[1], [0.7, 0.5, 0.1, np.nan, 0.8, 0.2], rtol=1e-6)


def test_collapse_does_not_modify_or_alias_the_callers_array():
    values = VALUES.copy()
    ids = list(IDS)
    _, out = collapse_replicates(ids, values)
    np.testing.assert_array_equal(values, VALUES)
    assert ids == IDS
    unsuffixed = np.array([0.1, 0.2])
    _, same = collapse_replicates(["cg00000001", "cg00000002"], unsuffixed)
    same[0] = 1.0
    assert unsuffixed[0] == 0.1
    assert not np.shares_memory(out, values)


def test_collapse_empty_profile():
    bases, values = collapse_replicates([], np.zeros((3, 0)))
    assert bases.tolist() == [] and values.shape == (3, 0)


def test_collapse_integer_values_become_float():
    _, values = collapse_replicates(["cg00000001_TC21", "cg00000001_TC22"], np.array([0, 1]))
    assert values.dtype == np.float64
    assert values.tolist() == [0.5]


@pytest.mark.parametrize(
    "ids",
    [
        ["cg00000001", "cg00000002", "cg00000001"],
        ["cg00000001_TC21", "cg00000001_TC22", "cg00000001_TC21"],
    ],
)
def test_collapse_rejects_the_same_raw_id_twice(ids):
    with pytest.raises(InvalidProbeIdError, match=r"'cg00000001(_TC21)?' \(2 times\)") as e:
        collapse_replicates(ids, np.zeros(len(ids)), field="betas")
    assert e.value.field == "betas"


def test_collapse_rejects_shape_mismatch_and_text_values():
    with pytest.raises(ClassifierError, match="do not match 2 probe ids") as e:
        collapse_replicates(["cg00000001", "cg00000002"], np.zeros(3))
    assert e.value.field == "values"
    with pytest.raises(InvalidBetaValueError):
        collapse_replicates(["cg00000001"], np.array(["0.5"]))


def test_collapse_full_epicv2_profile(manifest):
    # Its speed is measured by benchmarks/bench_probe_ids.py.
    ids = manifest.array_probe_ids(ArrayType.EPICV2)
    values = np.random.default_rng(0).random(len(ids)).astype(np.float32)
    bases, out = collapse_replicates(ids, values)
    assert len(bases) == int(manifest.table["on_epicv2"].sum()) == len(out)


# -- array types ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("450k", ArrayType.HM450),
        ("450K", ArrayType.HM450),
        ("HM450", ArrayType.HM450),
        ("HumanMethylation450", ArrayType.HM450),
        ("EPIC", ArrayType.EPIC),
        ("EPICv1", ArrayType.EPIC),
        ("850k", ArrayType.EPIC),
        ("epicv2", ArrayType.EPICV2),
        ("EPIC v2", ArrayType.EPICV2),
        ("EPIC-v2", ArrayType.EPICV2),
        (ArrayType.EPIC, ArrayType.EPIC),
    ],
)
def test_array_type_parse(text, expected):
    assert ArrayType.parse(text) is expected


def test_array_type_is_its_value():
    assert ArrayType.HM450 == "450k" and str(ArrayType.EPICV2) == "epicv2"


def test_array_type_parse_unknown():
    with pytest.raises(ClassifierError, match=r"unknown array type 'EPIC v3'.*'450k'") as e:
        ArrayType.parse("EPIC v3")
    assert e.value.field == "array_type"
    assert not isinstance(e.value, InvalidProbeIdError)
