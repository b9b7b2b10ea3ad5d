"""Tests for classifier.array_detection: which array a profile's ids come from."""

from __future__ import annotations

import pytest

from classifier.array_detection import DETECT_SHARE, array_from_shares, detect_array
from classifier.errors import ClassifierError, InvalidProbeIdError
from classifier.manifest import load_manifest
from classifier.probes import ArrayType


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


@pytest.mark.parametrize("array", list(ArrayType))
def test_detect_full_arrays(manifest, array):
    assert detect_array(manifest.array_probe_ids(array), manifest=manifest) is array


def test_detect_epicv2_with_suffixes_stripped(manifest):
    assert detect_array(manifest.probes_on(ArrayType.EPICV2)) is ArrayType.EPICV2


def test_detect_reduced_profiles(manifest):
    table = manifest.table
    shared = table.index[table["on_450k"] & table["on_epic"]][:10_000]
    epic_only = table.index[~table["on_450k"] & table["on_epic"] & ~table["on_epicv2"]][:500]
    assert detect_array(shared) is ArrayType.HM450  # smallest array holding them all
    assert detect_array([*shared, *epic_only]) is ArrayType.EPIC
    # Ids no manifest lists are ignored; a few do not change a 450K call.
    assert detect_array([*shared[:1000], "cg99999998"]) is ArrayType.HM450


def test_detect_errors():
    with pytest.raises(ClassifierError, match="no probe ids"):
        detect_array([])
    with pytest.raises(ClassifierError, match="none of the 2 probe ids") as e:
        detect_array(["cg99999998", "cg99999997"])
    assert e.value.field == "probe_ids"
    with pytest.raises(InvalidProbeIdError):
        detect_array(["cg00000029", "nope"])


def test_the_smallest_array_at_the_share_wins_and_just_below_it_does_not():
    hm450, epic, epicv2 = ArrayType.HM450, ArrayType.EPIC, ArrayType.EPICV2
    at = {hm450: DETECT_SHARE, epic: 1.0, epicv2: 1.0}
    assert array_from_shares(at) is hm450
    below = {hm450: DETECT_SHARE - 1e-9, epic: 1.0, epicv2: 1.0}
    assert array_from_shares(below) is epic
    # No array holds the share: the one holding most.
    assert array_from_shares({hm450: 0.5, epic: 0.7, epicv2: 0.6}) is epic
