"""Input fingerprints: same ids and values, same hash, whatever the form and order."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pytest

from api.classification.input_fingerprint import input_sha256, nans_canonical_of, values_sha256
from api.intake.id_order import code_point_order
from api.intake.profile import ProfileInput
from api.served_model.alignment import CanonicalForm
from classifier.probes import ArrayType

IDS = ["cg00000029", "cg00000108", "cg00000109"]


def _hash(profile: ProfileInput, model: str = "m", **options) -> str:
    """The hash of a profile, its ids in code-point order as alignment gives them."""
    canonical = None
    if profile.ids is not None:
        ids = pa.array(profile.ids, pa.string()) if isinstance(profile.ids, list) else profile.ids
        order = code_point_order(ids)
        canonical = CanonicalForm(
            "ids", order=order, ids=ids if order is None else ids.take(pa.array(order))
        )
    return values_sha256(profile, model, canonical, **options)


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
    as_list = _hash(_profile(values), "m")
    as_arrow = _hash(_profile(values, ids=pa.array(IDS)), "m")
    sliced = _hash(_profile(values, ids=pa.array(["x", *IDS]).slice(1)), "m")
    assert as_list == as_arrow == sliced
    assert len(as_list) == 64


def test_any_nan_is_one_not_measured():
    quiet = np.float32("nan")
    signalling = np.frombuffer(np.uint32(0x7FA00000).tobytes(), dtype=np.float32)[0]
    negative = np.frombuffer(np.uint32(0xFFC00000).tobytes(), dtype=np.float32)[0]
    expected = _hash(_profile([0.1, quiet, 0.9, quiet]), "m")
    assert _hash(_profile([0.1, signalling, 0.9, quiet]), "m") == expected
    assert _hash(_profile([0.1, quiet, 0.9, negative]), "m") == expected
    assert _hash(_profile([0.1, quiet, 0.9, 0.2]), "m") != expected


def test_nans_canonical_of_tells_whether_values_can_be_hashed_as_sent():
    signalling = np.frombuffer(np.uint32(0x7FA00000).tobytes(), dtype=np.float32)[0]
    assert nans_canonical_of(_profile([0.1, 0.2]))
    assert nans_canonical_of(_profile([0.1, np.nan, np.nan]))
    assert not nans_canonical_of(_profile([0.1, np.nan, signalling]))


def test_a_caller_that_asked_already_gets_the_same_hash():
    signalling = np.frombuffer(np.uint32(0x7FA00000).tobytes(), dtype=np.float32)[0]
    canonical = _profile([0.1, np.nan, 0.9])
    other = _profile([0.1, signalling, 0.9])
    expected = _hash(canonical)
    assert _hash(canonical, nans_canonical=True) == expected
    assert _hash(other, nans_canonical=False) == expected
    # Told wrongly that the NaNs are canonical, the bits as sent are hashed.
    assert _hash(other, nans_canonical=True) != expected


def test_values_and_ids_change_the_hash_their_order_does_not():
    base = _hash(_profile([0.1, 0.2, 0.9]), "m")
    assert _hash(_profile([0.1, 0.2, 0.91]), "m") != base
    assert _hash(_profile([0.1, 0.2, 0.9], ids=IDS[::-1]), "m") != base  # other pairs
    assert _hash(_profile([0.9, 0.2, 0.1], ids=IDS[::-1]), "m") == base  # the same pairs
    assert _hash(_profile([0.1, 0.2, 0.9], ids=None, array=ArrayType.EPIC), "m") != base


def test_a_negative_zero_read_as_zero_hashes_as_zero():
    # The readers turn -0.0 into 0.0 (tests/api/intake); the hash sees the bits it is given.
    assert _hash(_profile([0.0, 0.2, 0.9])) == _hash(_profile(np.array([-0.0, 0.2, 0.9]) + 0.0))


def test_stored_fingerprints_of_sorted_id_lists_are_unchanged():
    # Before the canonical form, an id list was hashed in the order sent: for
    # ids sent in code-point order the hash is the one stored then.
    values = np.array([0.1, np.nan, 0.9], dtype="<f4")
    before = hashlib.sha256(b"ids:" + "\n".join(IDS).encode() + b"\n" + values.tobytes())
    assert _hash(_profile(values)) == before.hexdigest()


def test_model_order_is_tied_to_the_model_cpg_list():
    profile = _profile([0.1, 0.2], ids=None, model_order=True)
    assert _hash(profile, "model-a") != _hash(profile, "model-b")


def test_input_hash_covers_diagnosis_findings_and_options():
    base = input_sha256("v", None, (), {"top": 5, "raw_scores": False})
    assert input_sha256("v", None, (), {"raw_scores": False, "top": 5}) == base
    assert input_sha256("v", "Ewing sarcoma", (), {"top": 5, "raw_scores": False}) != base
    assert input_sha256("v", None, ({"kind": "ihc"},), {"top": 5, "raw_scores": False}) != base
    assert input_sha256("v", None, (), {"top": 10, "raw_scores": False}) != base
    assert input_sha256("w", None, (), {"top": 5, "raw_scores": False}) != base


def test_an_id_list_in_a_canonical_order_hashes_as_that_array():
    values = [0.1, np.nan, 0.9]
    named = _hash(_profile(values, ids=None, array=ArrayType.EPIC))
    listed = _profile(values)  # alignment found these ids to be EPIC's whole list
    assert values_sha256(listed, "m", CanonicalForm("array", "epic")) == named
    shuffled = _profile([0.9, 0.1, np.nan], ids=[IDS[2], IDS[0], IDS[1]])
    in_order = CanonicalForm("array", "epic", np.array([1, 2, 0]))
    assert values_sha256(shuffled, "m", in_order) == named
    assert _hash(listed) != named


def test_a_profile_with_ids_needs_its_canonical_form():
    with pytest.raises(ValueError, match="canonical form"):
        values_sha256(_profile([0.1, 0.2, 0.3]), "m")
