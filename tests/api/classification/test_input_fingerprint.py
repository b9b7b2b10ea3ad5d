"""Input fingerprints: same ids and values, same hash, whatever the form."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from api.classification.input_fingerprint import input_sha256, nans_canonical_of, values_sha256
from api.intake.profile import ProfileInput
from classifier.probes import ArrayType

IDS = ["cg00000029", "cg00000108", "cg00000109"]


def _profile(values, ids=IDS, **extra) -> ProfileInput:
    values = np.asarray(values, dtype=np.float32)
    return ProfileInput(
        index=0,
        sample_id="S1",
        diagnosis=None,
        findings=(),
        values=values,
        ids=ids,
        n_rejected=int(np.isnan(values).sum()),  # as the parsers count it
        **extra,
    )


def test_same_ids_and_values_give_the_same_hash_as_list_or_arrow():
    values = [0.1, np.nan, 0.9]
    as_list = values_sha256(_profile(values), "m")
    as_arrow = values_sha256(_profile(values, ids=pa.array(IDS)), "m")
    sliced = values_sha256(_profile(values, ids=pa.array(["x", *IDS]).slice(1)), "m")
    assert as_list == as_arrow == sliced
    assert len(as_list) == 64


def test_any_nan_is_one_not_measured():
    quiet = np.float32("nan")
    signalling = np.frombuffer(np.uint32(0x7FA00000).tobytes(), dtype=np.float32)[0]
    negative = np.frombuffer(np.uint32(0xFFC00000).tobytes(), dtype=np.float32)[0]
    expected = values_sha256(_profile([0.1, quiet, 0.9, quiet]), "m")
    assert values_sha256(_profile([0.1, signalling, 0.9, quiet]), "m") == expected
    assert values_sha256(_profile([0.1, quiet, 0.9, negative]), "m") == expected
    assert values_sha256(_profile([0.1, quiet, 0.9, 0.2]), "m") != expected


def test_nans_canonical_of_tells_whether_values_can_be_hashed_as_sent():
    signalling = np.frombuffer(np.uint32(0x7FA00000).tobytes(), dtype=np.float32)[0]
    assert nans_canonical_of(_profile([0.1, 0.2]))
    assert nans_canonical_of(_profile([0.1, np.nan, np.nan]))
    assert not nans_canonical_of(_profile([0.1, np.nan, signalling]))


def test_a_caller_that_asked_already_gets_the_same_hash():
    signalling = np.frombuffer(np.uint32(0x7FA00000).tobytes(), dtype=np.float32)[0]
    canonical = _profile([0.1, np.nan, 0.9])
    other = _profile([0.1, signalling, 0.9])
    expected = values_sha256(canonical, "m")
    assert values_sha256(canonical, "m", nans_canonical=True) == expected
    assert values_sha256(other, "m", nans_canonical=False) == expected
    # Told wrongly that the NaNs are canonical, the bits as sent are hashed.
    assert values_sha256(other, "m", nans_canonical=True) != expected


def test_values_ids_and_order_change_the_hash():
    base = values_sha256(_profile([0.1, 0.2, 0.9]), "m")
    assert values_sha256(_profile([0.1, 0.2, 0.91]), "m") != base
    assert values_sha256(_profile([0.1, 0.2, 0.9], ids=IDS[::-1]), "m") != base
    assert values_sha256(_profile([0.1, 0.2, 0.9], ids=None, array=ArrayType.EPIC), "m") != base


def test_model_order_is_tied_to_the_model_cpg_list():
    profile = _profile([0.1, 0.2], ids=None, model_order=True)
    assert values_sha256(profile, "model-a") != values_sha256(profile, "model-b")


def test_input_hash_covers_diagnosis_findings_and_options():
    base = input_sha256("v", None, (), {"top": 5, "raw_scores": False})
    assert input_sha256("v", None, (), {"raw_scores": False, "top": 5}) == base
    assert input_sha256("v", "Ewing sarcoma", (), {"top": 5, "raw_scores": False}) != base
    assert input_sha256("v", None, ({"kind": "ihc"},), {"top": 5, "raw_scores": False}) != base
    assert input_sha256("v", None, (), {"top": 10, "raw_scores": False}) != base
    assert input_sha256("w", None, (), {"top": 5, "raw_scores": False}) != base


def test_an_id_list_in_a_canonical_order_hashes_as_that_array():
    values = [0.1, np.nan, 0.9]
    named = values_sha256(_profile(values, ids=None, array=ArrayType.EPIC), "m")
    listed = _profile(values)  # alignment found these ids to be EPIC's canonical order
    assert values_sha256(listed, "m", canonical_order="epic") == named
    assert values_sha256(listed, "m") != named
